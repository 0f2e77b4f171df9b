"""People's decisions from Slack: the workflow call, then the card and DMs that show it.

Each function takes `Services`, an item id and the acting `Actor`; the workflow authorises and changes state
in one transaction (for accept/export/retry together with the outbox row, through the export hook), then
bot/notify.py renders what happened. Refusals raise errors that carry a `sentence` (see `sentence_of`).
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.services.runtime import Services
from core.domain.errors import DomainError, IllegalTransition, ItemNotFound, PermissionDenied
from core.domain.permissions import SYSTEM, Actor, check, perm_for
from core.domain.states import STATE_LABELS, Action, ItemState, ItemType
from core.domain.workflow import Outcome
from core.models import Item, utcnow
from sync.binder import MissingLink
from sync.context import NotConnected
from sync.mappers.errors import MappingError
from sync.outbox import PermanentError
from sync.services import companies, invoices

logger = logging.getLogger(__name__)

#: errors whose message is written for the person who clicked
SENTENCE_ERRORS = (DomainError, MappingError, PermanentError, MissingLink, NotConnected)


def sentence_of(exc: BaseException) -> str:
    return getattr(exc, "sentence", None) or str(exc)


class CardNotPosted(DomainError):
    pass


def _item(svc: Services, item_id: int, actor: Actor) -> Item:
    with Session(svc.engine, expire_on_commit=False) as s:
        item = s.get(Item, item_id)
        if item is None or (actor.tenant_id is not None and item.tenant_id != actor.tenant_id):
            raise ItemNotFound(f"There is no item #{item_id} in this company's Ledgerlink.")
        return item


def _engine_send(svc: Services, item: Item, actor: Actor, *, again: bool) -> Outcome | None:
    """The engine's own send for types that check more first (invoices re-read Procore and check their status and
    links; a company already linked has nothing to export). None: the type has no such service, use the workflow."""
    if svc.context_for is None:
        return None
    if item.type in ("sub_invoice", "owner_invoice"):
        fn = invoices.resend if again else invoices.send
        return fn(svc.context_for(item.tenant_id), actor, item.id)
    if item.type == "company":  # it sends or resends, as the item's state says
        return companies.send_company(svc.context_for(item.tenant_id), actor, procore_vendor_id=item.procore_id)
    return None


def send_only(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """The state change of a send, without a card (several items sent together share one: bot/services/batches)."""
    item = _item(svc, item_id, actor)
    return _engine_send(svc, item, actor, again=False) or svc.workflow.send(item_id, actor)


def send(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Send for acceptance and post the approval card; if the card can't be posted, take the item back."""
    outcome = send_only(svc, item_id, actor)
    _post_or_take_back(svc, item_id, outcome)
    return outcome


def resend(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Send again after a rejection: a new card (the old one keeps showing the rejection)."""
    item = _item(svc, item_id, actor)
    outcome = _engine_send(svc, item, actor, again=True) or svc.workflow.resend(item_id, actor)
    _post_or_take_back(svc, item_id, outcome)
    return outcome


def _post_or_take_back(svc: Services, item_id: int, outcome: Outcome) -> None:
    try:
        svc.notifier.post_card(item_id)
    except SlackApiError as exc:
        error = exc.response.get("error")
        svc.workflow.retrieve(item_id, SYSTEM)
        raise CardNotPosted(
            f"I couldn't post the approval card for {outcome.item.title} ({error}), so I took it back: it is "
            "ready to export again. Invite @Ledgerlink to the approvers' channel or pick another one in "
            "`/ledgerlink settings`, then send it again.") from None
    try:
        svc.notifier.sent_receipt(item_id)
    except SlackApiError as exc:
        logger.warning("receipt DM for item %s not sent: %s", item_id, exc.response.get("error"))


def accept_only(svc: Services, item_id: int, actor: Actor) -> tuple[Outcome, bool]:
    """The decision, and with the final approval the outbox row, in one transaction (no Slack update);
    returns the outcome and whether an export was queued."""
    item = _item(svc, item_id, actor)
    hook = svc.export_hook(item.type)
    if hook is None:
        logger.warning("no export hook for %s items yet: item %s is accepted without an outbox write",
                       item.type, item_id)
    outcome = svc.workflow.accept(item_id, actor, then=hook)
    return outcome, outcome.changed_state and hook is not None


def accept(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Accept; the final approval also queues the export (same transaction) and starts it in the background."""
    outcome, queued = accept_only(svc, item_id, actor)
    svc.notifier.refresh_card(item_id)
    if queued:
        svc.submit(finish_export, svc, item_id)
    return outcome


def retry(svc: Services, item_id: int, actor: Actor) -> Outcome:
    item = _item(svc, item_id, actor)
    hook = svc.export_hook(item.type)
    outcome = svc.workflow.retry(item_id, actor, then=hook)
    svc.notifier.refresh_card(item_id)
    if hook is not None:
        svc.submit(finish_export, svc, item_id)
    return outcome


def export(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Direct export (the tenant's direct-exports setting decides); the caller waits for `finish_export`."""
    item = _item(svc, item_id, actor)
    hook = svc.export_hook(item.type)
    if hook is None:
        raise DomainError(f"Exporting {item.type.replace('_', ' ')} items to QuickBooks isn't available yet in "
                          "this Ledgerlink; send it for acceptance instead.")
    complete = bool((item.detail or {}).get("workflow_complete"))
    return svc.workflow.export(item_id, actor, workflow_complete=complete, then=hook)


def finish_export(svc: Services, item_id: int) -> Item:
    """Run the queued write now and show the result on the card (and tell approvers if it failed). The drain may
    also run other items' writes (accepted in another process, whose own drain found them taken): it redraws the
    cards of the rows it finished too."""
    from bot.notify import exported_since

    started = utcnow()
    svc.drain_outbox()
    item = _item(svc, item_id, SYSTEM)
    ran = exported_since(svc.engine, started, claimed_by=svc.outbox_worker_id())
    svc.notifier.refresh_cards([i for i in ran if i.id != item_id])
    svc.notifier.refresh_card(item_id)
    if item.state == "failed_to_export":
        try:
            svc.notifier.failure_notice(item_id)
        except SlackApiError as exc:
            logger.warning("failure notice for item %s not posted: %s", item_id, exc.response.get("error"))
    return item


def export_sentence(svc: Services, item: Item) -> str:
    """What the person who exported directly is told once `finish_export` is done."""
    if item.state == "synced":
        return f":white_check_mark: {item.title} is in QuickBooks: {svc.notifier.card(item.id).result or 'synced'}."  # type: ignore[arg-type]
    if item.state == "failed_to_export":
        return f":x: Exporting {item.title} failed: {item.last_error}"
    return f":hourglass_flowing_sand: {item.title} is queued; the worker will finish the export."


def check_can_decide(svc: Services, item_id: int, actor: Actor) -> Item:
    """Before opening the reject modal: would this person be allowed to decide this item now?
    (The workflow checks again when the reason is submitted.)"""
    item = _item(svc, item_id, actor)
    check(actor, perm_for(Action.REJECT, ItemType(item.type)))  # type: ignore[arg-type]
    if item.state != ItemState.AWAITING_ACCEPTANCE:
        raise IllegalTransition(f"{item.title} is {STATE_LABELS[ItemState(item.state)]}, so it can't be rejected "
                                "now.")
    if item.sender_id is not None and item.sender_id == actor.user_id:
        raise PermissionDenied(f"You sent {item.title}, so another approver must decide it (separation of duties).")
    return item


def reject(svc: Services, item_id: int, actor: Actor, reason: str) -> Outcome:
    """The decision only (fast, before the modal's ack); `announce_rejection` updates Slack afterwards."""
    return svc.workflow.reject(item_id, actor, reason)


def announce_rejection(svc: Services, item_id: int) -> None:
    svc.notifier.refresh_card(item_id)
    try:
        svc.notifier.rejection_dm(item_id)
    except SlackApiError as exc:
        logger.warning("rejection DM for item %s not sent: %s", item_id, exc.response.get("error"))


def retrieve(svc: Services, item_id: int, actor: Actor) -> Outcome:
    outcome = svc.workflow.retrieve(item_id, actor)
    svc.notifier.refresh_card(item_id)
    return outcome

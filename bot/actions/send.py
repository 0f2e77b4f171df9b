"""Send for acceptance: the state change (the engine's own send for types that check more first), then the
approval card; if the card can't be posted, the item is taken back."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.actions.common import CardNotPosted, item_of
from bot.services.runtime import Services
from core.domain.permissions import SYSTEM, Actor
from core.domain.workflow import Outcome
from core.models import Item
from sync.services import exports

logger = logging.getLogger(__name__)


def engine_send(svc: Services, item: Item, actor: Actor, *, again: bool) -> Outcome | None:
    """The engine's own send for types that check more first (invoices re-read Procore and check their status and
    links; a company already linked has nothing to export). None: the type has no such service, use the workflow."""
    hook = exports.send_hook(item.type)
    if hook is None or svc.context_for is None:
        return None
    return hook(svc.context_for(item.tenant_id), actor, item, again=again)


def send_only(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """The state change of a send, without a card (several items sent together share one: bot/actions/batches)."""
    item = item_of(svc, item_id, actor)
    return engine_send(svc, item, actor, again=False) or svc.workflow.send(item_id, actor)


def send(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Send for acceptance and post the approval card; if the card can't be posted, take the item back."""
    outcome = send_only(svc, item_id, actor)
    post_or_take_back(svc, item_id, outcome)
    return outcome


def post_or_take_back(svc: Services, item_id: int, outcome: Outcome) -> None:
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


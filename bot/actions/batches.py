"""Several items at once: a sender sends the items ticked in App Home together, and approvers get one grouped card
(blocks/group_card.py) with a line per item and *Accept all*.

Nothing here decides anything itself: each item is sent with `send.send_only` and accepted with
`accept.accept_only` — the same workflow calls (permission, compare-and-set, no self-approval, two approvers
above the threshold, the outbox row in the decision's transaction) as one item on its own card. So two people, or
one impatient double click, pressing *Accept all* at once still export each item exactly once: for every item one
accept wins the compare-and-set and queues its single outbox write; the others are told it was already decided.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from blocks.text import plural
from bot.actions import accept, common, send
from bot.services.runtime import Services
from core.domain.errors import AlreadyDecided, IllegalTransition, InvalidInput, ItemNotFound, PermissionDenied
from core.domain.permissions import SYSTEM, Actor
from core.domain.states import ItemState
from core.domain.workflow import Outcome
from core.models import Item, ItemGroup, ProcessedWebhook, utcnow

logger = logging.getLogger(__name__)

GROUP_MAX = 40  # lines one grouped card shows (Slack: 50 blocks per message)
LOCK_SOURCE = "lock"  # processed_webhooks.source of the one-bulk-send-per-person claims
LOCK_STALE = timedelta(minutes=5)
REFUSALS_SHOWN = 5


@dataclass
class Refusal:
    item_id: int
    sentence: str
    already_decided: bool = False


@dataclass
class Sent:
    """What a bulk send did: the items sent (on one grouped card when more than one) and the refusals."""

    outcomes: list[Outcome] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    group_id: int | None = None
    channel: str | None = None

    def sentence(self) -> str:
        parts = []
        if self.outcomes:
            where = f" in <#{self.channel}>" if self.channel else ""
            card = "one card" if self.group_id is not None else "its card"
            parts.append(f":outbox_tray: Sent {plural(len(self.outcomes), 'item')} to accounting on {card}{where}.")
        parts += _refusals(self.refused, "sent")
        return "\n".join(parts)


@dataclass
class Accepted:
    """What one *Accept all* did."""

    accepted: list[Outcome] = field(default_factory=list)  # final approvals: exporting now
    approved: list[Outcome] = field(default_factory=list)  # first of two approvals recorded
    refused: list[Refusal] = field(default_factory=list)

    def sentence(self) -> str | None:
        """What to tell the person who clicked; None when the card says it all."""
        parts = []
        if self.approved:
            parts.append(f"Your approval of {plural(len(self.approved), 'item')} is recorded; "
                         f"{'it exports' if len(self.approved) == 1 else 'they export'} when another approver "
                         "accepts.")
        decided = [r for r in self.refused if r.already_decided]
        if decided:  # a second click, or another approver, got there first
            example = decided[0].sentence.rstrip(".")
            if self.accepted or self.approved:
                parts.append(f"{plural(len(decided), 'item')} {'was' if len(decided) == 1 else 'were'} decided "
                             f"meanwhile ({example}).")
            else:
                many = "it was" if len(decided) == 1 else f"all {len(decided)} were"
                parts.append(f"Nothing changed: {many} already decided ({example}).")
        parts += _refusals([r for r in self.refused if not r.already_decided], "accepted")
        return "\n".join(parts) or None


def _refusals(refused: Sequence[Refusal], participle: str) -> list[str]:
    """'2 items weren't sent:' and a bullet per item (the first few)."""
    if not refused:
        return []
    verb = "wasn't" if len(refused) == 1 else "weren't"
    lines = [f"{plural(len(refused), 'item')} {verb} {participle}:"]
    lines += [f"• {r.sentence}" for r in refused[:REFUSALS_SHOWN]]
    if len(refused) > REFUSALS_SHOWN:
        lines.append(f"…and {len(refused) - REFUSALS_SHOWN} more")
    return lines


def send_together(svc: Services, item_ids: Sequence[int], actor: Actor) -> Sent:
    """Send the items for acceptance on one grouped card (a single item gets its usual card)."""
    wanted = list(dict.fromkeys(item_ids))
    if not wanted:
        raise InvalidInput("Tick the items to send first (the boxes under each project), then press *Send selected "
                           "to accounting*.")
    if len(wanted) > GROUP_MAX:
        raise InvalidInput(f"One card holds at most {GROUP_MAX} items; you ticked {len(wanted)}. Send them in "
                           "smaller batches.")
    if len(wanted) == 1:
        outcome = send.send(svc, wanted[0], actor)
        return Sent(outcomes=[outcome], channel=outcome.item.card_channel)
    with _one_at_a_time(svc.engine, f"send_together:{actor.tenant_id}:{actor.user_id}"):
        return _send_group(svc, wanted, actor)


def _send_group(svc: Services, wanted: list[int], actor: Actor) -> Sent:
    result = Sent()
    for item_id in wanted:
        try:
            result.outcomes.append(send.send_only(svc, item_id, actor))
        except common.SENTENCE_ERRORS as exc:
            result.refused.append(Refusal(item_id, common.sentence_of(exc)))
    if not result.outcomes:
        return result
    sent_ids = [o.item.id for o in result.outcomes]
    tenant_id = result.outcomes[0].item.tenant_id
    with Session(svc.engine) as s:
        group = ItemGroup(tenant_id=tenant_id, sender_id=actor.user_id)
        s.add(group)
        s.flush()
        result.group_id = group.id
        # the group's card replaces any card an item had before (e.g. one showing an earlier retrieval)
        s.execute(update(Item).where(Item.id.in_(sent_ids))  # type: ignore[union-attr]
                  .values(group_id=group.id, card_channel=None, card_ts=None))
        s.commit()
    try:
        result.channel, _ = svc.notifier.post_group_card(result.group_id)  # type: ignore[arg-type]
    except SlackApiError as exc:
        error = exc.response.get("error")
        for item_id in sent_ids:
            svc.workflow.retrieve(item_id, SYSTEM)  # type: ignore[arg-type]
        with Session(svc.engine) as s:  # the group never had a card: forget it
            s.execute(update(Item).where(Item.group_id == result.group_id).values(group_id=None))
            s.commit()
        raise common.CardNotPosted(
            f"I couldn't post the approval card for these {len(sent_ids)} items ({error}), so I took them back: "
            "they are ready to export again. Invite @Ledgerlink to the approvers' channel or pick another one in "
            "`/ledgerlink settings`, then send them again.") from None
    try:
        svc.notifier.group_receipt(result.group_id)  # type: ignore[arg-type]
    except SlackApiError as exc:
        logger.warning("receipt DM for group %s not sent: %s", result.group_id, exc.response.get("error"))
    return result


@contextmanager
def _one_at_a_time(engine: Engine, key: str) -> Iterator[None]:
    """One bulk send per person at a time, across processes: a double click on *Send selected* would otherwise
    split the items between two cards (each item still sent once). A claim row in `processed_webhooks`, removed
    when done; one left behind by a crashed process is taken over once it is older than LOCK_STALE."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    for _ in range(2):
        stmt = (insert(ProcessedWebhook).values(source=LOCK_SOURCE, dedupe_key=key[:128], received_at=utcnow())
                .on_conflict_do_nothing(index_elements=["source", "dedupe_key"]).returning(ProcessedWebhook.id))
        with Session(engine) as s:
            claimed = s.execute(stmt).first()
            if claimed is None:  # someone holds it: take it over only if it is stale
                s.execute(delete(ProcessedWebhook).where(ProcessedWebhook.source == LOCK_SOURCE,
                                                         ProcessedWebhook.dedupe_key == key[:128],
                                                         ProcessedWebhook.received_at < utcnow() - LOCK_STALE))
            s.commit()
        if claimed is not None:
            break
    else:
        raise InvalidInput("I'm still sending the items you ticked a moment ago; they'll be on one card. "
                           "Check App Home in a minute.")
    try:
        yield
    finally:
        with Session(engine) as s:
            s.execute(delete(ProcessedWebhook).where(ProcessedWebhook.source == LOCK_SOURCE,
                                                     ProcessedWebhook.dedupe_key == key[:128]))
            s.commit()


def accept_all(svc: Services, group_id: int, actor: Actor) -> Accepted:
    """Accept every line of a grouped card that still waits, one by one through the usual accept."""
    with Session(svc.engine) as s:
        group = s.get(ItemGroup, group_id)
        if group is None or (actor.tenant_id is not None and group.tenant_id != actor.tenant_id):
            raise ItemNotFound("That card no longer exists in this company's Ledgerlink.")
        waiting = list(s.exec(select(Item.id).where(
            Item.group_id == group_id, Item.state == ItemState.AWAITING_ACCEPTANCE.value,
            Item.card_ts.is_(None)).order_by(Item.id)))  # type: ignore[union-attr]
    if not waiting:
        raise AlreadyDecided("Every item on this card was already decided; nothing is left to accept.")
    result, queued = Accepted(), []
    for item_id in waiting:
        try:
            outcome, export_queued = accept.accept_only(svc, item_id, actor)  # type: ignore[arg-type]
        except PermissionDenied as exc:
            if not result.accepted and not result.approved:
                raise  # about the person (not an approver, or the sender): the same for every line
            result.refused.append(Refusal(item_id, exc.sentence))  # type: ignore[arg-type]
            continue
        except common.SENTENCE_ERRORS as exc:
            decided = isinstance(exc, AlreadyDecided | IllegalTransition)
            result.refused.append(Refusal(item_id, common.sentence_of(exc), decided))  # type: ignore[arg-type]
            continue
        (result.accepted if outcome.changed_state else result.approved).append(outcome)
        if export_queued:
            queued.append(item_id)
    svc.notifier.refresh_group_card(group_id)
    if queued:
        svc.submit_later(finish_exports, svc, group_id, queued)
    return result


def finish_exports(svc: Services, group_id: int, item_ids: Sequence[int]) -> None:
    """Run the queued writes now, re-render the grouped card once, and tell the approvers about any failure."""
    svc.drain_outbox()
    svc.notifier.refresh_group_card(group_id)
    with Session(svc.engine) as s:
        failed = list(s.exec(select(Item.id).where(Item.id.in_(list(item_ids)),  # type: ignore[union-attr]
                                                   Item.state == ItemState.FAILED_TO_EXPORT.value)))
    for item_id in failed:
        try:
            svc.notifier.failure_notice(item_id)  # type: ignore[arg-type]
        except SlackApiError as exc:
            logger.warning("failure notice for item %s not posted: %s", item_id, exc.response.get("error"))

"""The grouped approval card: several items a sender sent together, one line each, and *Accept all*.

Each line shows the item as it is now (awaiting → exporting → synced or failed, rejected) with its own button:
Reject (the usual reject modal, for that item) while it waits, Retry once it failed, the QuickBooks page once
synced. *Accept all* accepts every line still waiting on this card, each through the usual accept (permission,
no self-approval, two approvers above the threshold, exactly one export). The card is re-rendered from the
database whenever a line changes, so everybody sees the same outcome and a stale button can't act twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks import ids
from blocks.cards import CardData, Message, Person
from blocks.text import escape, link, plural, slack_when, truncate
from core.money import money

LINES_SHOWN = 44  # 50 blocks per message: header, summary, the lines, "…and N more", actions, context
SECTION_LIMIT = 3000


@dataclass(frozen=True)
class GroupData:
    group_id: int
    lines: tuple[CardData, ...]  # every item of the group as it is now, in the order they were sent
    own_card: frozenset[int] = frozenset()  # items resent on a card of their own (this card no longer decides)
    sender: Person | None = None
    sent_at: datetime | None = None
    tz: str = "UTC"

    @property
    def waiting(self) -> tuple[CardData, ...]:
        """Lines still waiting for a decision on this card."""
        return tuple(c for c in self.lines if c.state == "awaiting_acceptance" and c.item_id not in self.own_card)

    @property
    def total(self) -> Decimal:
        return sum((c.amount or Decimal(0) for c in self.lines), Decimal(0))


def _section(text: str, accessory: ButtonElement | None = None, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)), accessory=accessory,
                        block_id=block_id)


def _status(card: CardData, own_card: bool) -> str:
    by = card.decided_by.mention if card.decided_by else "an approver"
    st = card.state
    if own_card and st == "awaiting_acceptance":
        return ":arrows_counterclockwise: resent — decided on its own card now"
    if st == "awaiting_acceptance":
        if card.approvals_needed > 1:
            names = ", ".join(p.mention for p in card.approvals) or "nobody yet"
            return f":hourglass: awaiting acceptance · *{len(card.approvals)} of {card.approvals_needed} approvals* " \
                   f"({names})"
        return ":hourglass: awaiting acceptance"
    if st == "exporting":
        return f":hourglass_flowing_sand: exporting… accepted by {by}"
    if st in ("synced", "paid"):
        what = link(card.qbo_url, card.result or "QuickBooks")
        head = ":moneybag: paid · synced as" if st == "paid" else ":white_check_mark: synced as"
        return f"{head} {what} · accepted by {by}"
    if st == "failed_to_export":
        return f":x: export failed: {escape(truncate(card.last_error or 'QuickBooks refused the record.', 600))}"
    if st == "rejected":
        return f":no_entry: rejected by {by}: {escape(truncate(card.reject_reason or '', 600))}"
    if st == "ready_to_export":
        who = card.last_event.who.mention if card.last_event and card.last_event.who else "the sender"
        return f":leftwards_arrow_with_hook: retrieved by {who} — no decision needed"
    return st.replace("_", " ")


def _accessory(card: CardData, own_card: bool) -> ButtonElement | None:
    value = str(card.item_id)
    if card.state == "awaiting_acceptance" and not own_card:
        return ButtonElement(text="Reject", action_id=ids.REJECT, value=value, style="danger")
    if card.state == "failed_to_export" and not own_card:
        return ButtonElement(text="Retry", action_id=ids.RETRY, value=value, style="primary")
    if card.state in ("synced", "paid") and card.qbo_url:
        return ButtonElement(text="Open in QuickBooks", action_id=ids.VIEW_QBO, value=value, url=card.qbo_url)
    if card.procore_url:
        return ButtonElement(text="View in Procore", action_id=ids.VIEW_PROCORE, value=value, url=card.procore_url)
    return None


def group_line(card: CardData, *, own_card: bool = False) -> SectionBlock:
    facts = [f"*{link(card.procore_url, card.name)}*", money(card.amount) if card.amount is not None else None,
             escape(card.vendor) if card.vendor else None, escape(card.project) if card.project else None]
    text = " · ".join(f for f in facts if f) + "\n" + _status(card, own_card)
    if card.changed_while_locked and card.state in ("awaiting_acceptance", "exporting"):
        text += "\n:warning: changed in Procore after it was sent; the version sent is what will be exported"
    return _section(text, _accessory(card, own_card), block_id=f"line-{card.item_id}")


def _tally(g: GroupData) -> str:
    labels = {"awaiting_acceptance": "awaiting", "exporting": "exporting", "synced": "synced", "paid": "paid",
              "failed_to_export": "failed", "rejected": "rejected", "ready_to_export": "retrieved"}
    counts: dict[str, int] = {}
    for c in g.lines:
        label = labels.get(c.state, c.state.replace("_", " "))
        counts[label] = counts.get(label, 0) + 1
    return " · ".join(f"{n} {label}" for label, n in counts.items())


def _accept_all(g: GroupData) -> ButtonElement:
    waiting = g.waiting
    amount = sum((c.amount or Decimal(0) for c in waiting), Decimal(0))
    return ButtonElement(
        text=f"Accept all {len(waiting)}", action_id=ids.GROUP_ACCEPT_ALL, value=str(g.group_id), style="primary",
        confirm=ConfirmObject(title="Accept all?", text=truncate(
            f"Accept {plural(len(waiting), 'item')} totalling {money(amount)} and export them to QuickBooks? "
            "Reject any line first that shouldn't go.", 300), confirm="Accept all", deny="Cancel"))


def group_card(g: GroupData) -> Message:
    """The grouped card for the group's current state."""
    sender = g.sender.mention if g.sender else "someone"
    n = len(g.lines)
    blocks: list[Block] = [
        HeaderBlock(text=truncate(f":inbox_tray: {plural(n, 'item')} sent to accounting together", 150)),
        _section(f"Sent by {sender}" + (f" on {slack_when(g.sent_at, g.tz)}" if g.sent_at else "")
                 + f" · total *{money(g.total)}*\n{_tally(g)}"),
    ]
    for card in g.lines[:LINES_SHOWN]:
        blocks.append(group_line(card, own_card=card.item_id in g.own_card))
    if n > LINES_SHOWN:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {n - LINES_SHOWN} more lines; *Accept all* includes them. App Home lists every item.")]))
    if g.waiting:
        blocks.append(ActionsBlock(block_id="group", elements=[_accept_all(g)]))
        note = "*Reject* a line to send it back with a reason; *Accept all* accepts every line still waiting."
        if any(c.approvals_needed > 1 for c in g.waiting):
            note += " Lines above your company's threshold need two different approvers."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return Message(text=escape(_fallback(g)), blocks=blocks)


def _fallback(g: GroupData) -> str:
    sender = f" from {g.sender.name}" if g.sender else ""
    waiting = len(g.waiting)
    head = f"{plural(len(g.lines), 'item')}{sender} ({money(g.total)})"
    if waiting:
        return f"{head}: {waiting} awaiting acceptance"
    return f"{head}: all decided — {_tally(g)}"


def group_receipt(g: GroupData, channel_label: str) -> Message:
    """The sender's DM after sending several items together."""
    text = f"You sent {plural(len(g.lines), 'item')} ({money(g.total)}) to accounting together."
    names = ", ".join(c.title for c in g.lines[:10]) + (f" and {len(g.lines) - 10} more" if len(g.lines) > 10
                                                        else "")
    return Message(text=text, blocks=[
        _section(f":outbox_tray: {escape(text)} The approvers' card is in {channel_label}.\n{escape(names)}"),
        ContextBlock(elements=[MarkdownTextObject(
            text="I'll DM you about any line that is rejected. `/ledgerlink retrieve <type> <id>` takes one back "
                 "before it is decided.")]),
    ])

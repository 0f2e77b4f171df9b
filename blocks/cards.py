"""Approval cards and the messages around them, rendered from `CardData` (no database, no remote calls).

One function per message: `approval_card` (every item type, every state: awaiting → exporting → synced or
failed, rejected, retrieved, paid), `sent_receipt` (the sender's DM with Retrieve), `rejection_dm` (reason +
Resend), `failure_notice`, `paid_notice`, `reauth_notice`. Each returns `Message(text, blocks)`: `text` is the
notification fallback Slack shows in pushes, so it is always set. Buttons carry only the item id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

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
from blocks.text import bounded_lines, date, escape, link, mention, slack_when, truncate, when
from core.money import money

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
CARD_LINES = 8  # line items shown on a card; the rest are summarised ("…and 12 more lines")

TYPE_LABELS = {
    "company": "Company", "cost_code": "Cost code", "project": "Project", "sub_job": "Sub job",
    "budget": "Budget", "commitment": "Commitment", "cco": "Commitment change order",
    "pcco": "Prime contract change order", "sub_invoice": "Subcontractor invoice", "owner_invoice": "Owner invoice",
}
TYPE_EMOJI = {
    "company": ":office:", "cost_code": ":label:", "project": ":building_construction:", "sub_job": ":construction:",
    "budget": ":bar_chart:", "commitment": ":handshake:", "cco": ":pencil2:", "pcco": ":pencil:",
    "sub_invoice": ":receipt:", "owner_invoice": ":page_facing_up:",
}
# what QuickBooks gets when no mapper summary is known yet
QBO_CREATES = {
    "company": "a Vendor", "cost_code": "Service items for its budget lines", "project": "a Project (sub-customer)",
    "sub_job": "a sub-customer under the project", "budget": "Service items for every budget line",
    "commitment": "a Purchase Order", "cco": "an amended Purchase Order", "pcco": "an amended Estimate",
    "sub_invoice": "a Bill", "owner_invoice": "an Invoice with the PDF summary attached",
}
# who gets the rejection DM: for commitments and change orders, the Procore creator
CREATOR_TYPES = frozenset({"commitment", "cco", "pcco"})


@dataclass(frozen=True)
class Person:
    name: str
    slack_id: str | None = None

    @property
    def mention(self) -> str:
        return mention(self.slack_id, self.name)


@dataclass(frozen=True)
class Line:
    label: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class Document:
    """A backup document that goes with the record onto its QuickBooks record."""

    name: str
    status: str = "pending"  # pending (not exported yet) | queued | attached | refused
    reason: str | None = None


@dataclass(frozen=True)
class LastEvent:
    action: str
    who: Person | None
    at: datetime | None


@dataclass(frozen=True)
class CardData:
    """Everything a card shows about one item, read from the database by bot/cardview.py."""

    item_id: int
    type: str
    title: str
    state: str
    amount: Decimal | None = None
    number: str | None = None
    project: str | None = None
    vendor: str | None = None
    summary: str | None = None  # "Creates Bill 2024-117 for ACME Concrete, $48,250.00 across 3 cost codes"
    lines: tuple[Line, ...] = ()
    sender: Person | None = None
    creator: Person | None = None
    decided_by: Person | None = None
    decided_for: str | None = None  # "Dana" when the decision was taken on Dana's behalf (she was away)
    decided_at: datetime | None = None
    sent_at: datetime | None = None
    reject_reason: str | None = None
    last_error: str | None = None
    result: str | None = None  # "Bill 2024-117" once synced
    procore_url: str | None = None
    qbo_url: str | None = None
    approvals: tuple[Person, ...] = ()
    approvals_needed: int = 1
    confirm_above: Decimal | None = None
    round: int = 0
    changed_while_locked: bool = False
    locked_note: str | None = None
    blocked: str | None = None  # why it can't be exported yet (the engine's evaluation)
    last_event: LastEvent | None = None
    notes: tuple[str, ...] = ()
    tz: str = "UTC"
    waiting_for_database: bool = False  # its export's outcome waits for Ledgerlink's database to answer
    documents: tuple[Document, ...] = ()

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type.replace("_", " ").capitalize())

    @property
    def name(self) -> str:
        """'Subcontractor invoice INV-104' (a title that already starts with its type, 'Cost code 01-100', once)."""
        if self.title.casefold().startswith(self.type_label.casefold() + " "):
            return self.title
        return f"{self.type_label} {self.title}"

    @property
    def creates(self) -> str:
        return self.summary or f"Creates {QBO_CREATES.get(self.type, 'a record')} in QuickBooks"


@dataclass
class Message:
    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict:
        return {"text": self.text, "blocks": [b.to_dict() for b in self.blocks]}


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


def _context(*parts: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(p, SECTION_LIMIT)) for p in parts if p][:10])


def _button(label: str, action_id: str, card: CardData, *, style: str | None = None,
            confirm: ConfirmObject | None = None, url: str | None = None) -> ButtonElement:
    return ButtonElement(text=label, action_id=action_id, value=str(card.item_id), style=style, confirm=confirm,
                         url=url)


def _header(card: CardData) -> HeaderBlock:
    emoji = TYPE_EMOJI.get(card.type, ":inbox_tray:")
    return HeaderBlock(text=truncate(f"{emoji} {card.name}", HEADER_LIMIT))


def _facts(card: CardData) -> SectionBlock:
    fields = [f"*Amount*\n{money(card.amount)}" if card.amount is not None else None,
              f"*Project*\n{escape(card.project)}" if card.project else None,
              f"*Vendor*\n{escape(card.vendor)}" if card.vendor else None,
              f"*Sent by*\n{card.sender.mention}" if card.sender else None,
              f"*Created by*\n{card.creator.mention}" if card.creator and card.type in CREATOR_TYPES else None,
              f"*Procore*\n{link(card.procore_url, card.number or card.title)}"]
    texts = [MarkdownTextObject(text=truncate(f, FIELD_LIMIT)) for f in fields if f][:10]
    return SectionBlock(fields=texts)


def _lines_block(card: CardData, limit_lines: int = CARD_LINES) -> SectionBlock | None:
    if not card.lines:
        return None
    rows = [truncate(f"• {escape(x.label)}" + (f" — {money(x.amount)}" if x.amount is not None else ""), 200)
            for x in card.lines]
    return _section("*Lines*\n" + bounded_lines(rows, limit=SECTION_LIMIT - 20, max_lines=limit_lines))


def _documents(card: CardData) -> ContextBlock | None:
    """Which documents go along (before export), are attached — each linking to the record in QuickBooks — or
    were refused, with QuickBooks' reason."""
    if not card.documents:
        return None
    if card.state not in ("synced", "paid"):
        names = ", ".join(escape(d.name) for d in card.documents)
        return _context(f":paperclip: {len(card.documents)} document(s) go with it to QuickBooks: {names}")
    attached = [link(card.qbo_url, d.name) for d in card.documents if d.status == "attached"]
    pending = [escape(d.name) for d in card.documents if d.status in ("queued", "pending")]
    parts = [f":paperclip: Attached in QuickBooks: {', '.join(attached)}" if attached else "",
             f":hourglass_flowing_sand: Attaching: {', '.join(pending)}" if pending else ""]
    parts += [f":warning: {escape(d.name)} was not attached: {escape(d.reason or 'QuickBooks refused it')}. "
              "The Bill is in QuickBooks without it." for d in card.documents if d.status == "refused"]
    return _context(*parts)


def accept_confirm(card: CardData) -> ConfirmObject | None:
    if card.confirm_above is None or card.amount is None or card.amount < card.confirm_above:
        return None
    return ConfirmObject(title="Accept and export?",
                         text=truncate(f"{card.creates}. Amount {money(card.amount)}, above the "
                                       f"{money(card.confirm_above)} your company asks to double-check.", 300),
                         confirm="Accept", deny="Cancel")


def _behalf(card: CardData) -> str:
    return f" on behalf of {escape(card.decided_for)}" if card.decided_for else ""


def _status(card: CardData) -> list[Block]:
    """What has happened to the item, in one or two blocks, by state."""
    st, tz = card.state, card.tz
    by = (card.decided_by.mention if card.decided_by else "an approver") + _behalf(card)
    at = f" on {slack_when(card.decided_at, tz)}" if card.decided_at else ""
    if st == "awaiting_acceptance":
        sent = (f"Sent by {card.sender.mention} on {slack_when(card.sent_at, tz)}" if card.sender
                else "Awaiting acceptance")
        parts = [f":hourglass: *Awaiting acceptance* · {sent}" + (f" · round {card.round}" if card.round > 1 else "")]
        if card.approvals_needed > 1:
            names = ", ".join(p.mention for p in card.approvals) or "nobody yet"
            parts.append(f"*{len(card.approvals)} of {card.approvals_needed} approvals* (approved by {names}) — "
                         "amounts this large need two different approvers")
        return [_context(*parts)]
    if st == "exporting" and card.waiting_for_database:
        return [_section(":hourglass_flowing_sand: *Exporting… waiting for Ledgerlink's database*"),
                _context("Ledgerlink can't reach its database right now, so it can't record this export yet. "
                         "This card updates as soon as the database answers; nothing needs doing.")]
    if st == "exporting":
        return [_section(f":hourglass_flowing_sand: *Exporting…* accepted by {by}{at}")]
    if st in ("synced", "paid"):
        what = link(card.qbo_url, card.result) if card.result else link(card.qbo_url, "QuickBooks")
        head = f":white_check_mark: *Synced as {what}*" if card.result else f":white_check_mark: *Synced to {what}*"
        if st == "paid":
            head = ":moneybag: *Paid* · " + head.removeprefix(":white_check_mark: ")
        who = f" · accepted by {by}{at}" if card.decided_by else ""
        return [_section(head + who)]
    if st == "failed_to_export":
        return [_section(f":x: *Export failed:* {escape(card.last_error or 'QuickBooks refused the record.')}"),
                _context("An approver can press *Retry* once the problem is fixed.")]
    if st == "rejected":
        return [_section(f":no_entry: *Rejected by {by}*{at}\n>{escape(card.reject_reason or '')}"),
                _context("The sender was told and can edit the record in Procore, then resend it.")]
    if st == "ready_to_export" and card.last_event and card.last_event.action == "retrieve":
        who = card.last_event.who.mention if card.last_event.who else "the sender"
        return [_section(f":leftwards_arrow_with_hook: *Retrieved by {who}* at {slack_when(card.last_event.at, tz)} — "
                         "no decision needed.")]
    if st == "ready_to_export" and card.last_event and card.last_event.action == "unlink":
        return [_section(":link: *Unlinked* from QuickBooks — it is ready to export again.")]
    if st == "archived":
        return [_section(":file_cabinet: *Archived* — hidden from lists, restorable by an admin.")]
    return [_context(f"State: {st.replace('_', ' ')}")]


def _buttons(card: CardData) -> ActionsBlock | None:
    view = _button("View in Procore", ids.VIEW_PROCORE, card, url=card.procore_url) if card.procore_url else None
    details = _button("Details", ids.DETAILS, card)
    st = card.state
    if st == "awaiting_acceptance":
        row = [_button("Accept", ids.ACCEPT, card, style="primary", confirm=accept_confirm(card)),
               _button("Reject", ids.REJECT, card, style="danger"), details, view]
    elif st == "failed_to_export":
        row = [_button("Retry", ids.RETRY, card, style="primary"), details, view]
    elif st in ("synced", "paid") and card.qbo_url:
        row = [_button("Open in QuickBooks", ids.VIEW_QBO, card, url=card.qbo_url), details, view]
    else:
        row = [details, view]
    return ActionsBlock(block_id="item", elements=[b for b in row if b is not None])


def approval_card(card: CardData) -> Message:
    """The card in the approvers' channel, for the item's current state."""
    blocks: list[Block] = [_header(card), _facts(card)]
    if card.state not in ("synced", "paid"):  # once it is in QuickBooks the status line says what it became
        blocks.append(_section(f":arrow_right: *In QuickBooks:* {escape(card.creates)}"))
    if lines := _lines_block(card):
        blocks.append(lines)
    if card.blocked and card.state in ("ready_to_export", "awaiting_acceptance", "rejected", "failed_to_export"):
        blocks.append(_context(f":warning: Can't be exported yet: {escape(card.blocked)}"))
    if card.changed_while_locked and card.state in ("awaiting_acceptance", "exporting"):
        blocks.append(_context(":warning: " + escape(card.locked_note or (
            "The record changed in Procore after it was sent. The version that was sent is what will be "
            "exported; retrieve and resend it to include the change."))))
    if card.notes:
        blocks.append(_context(*[escape(n) for n in card.notes[:5]]))
    blocks.extend(_status(card))
    if documents := _documents(card):
        blocks.append(documents)
    if buttons := _buttons(card):
        blocks.append(buttons)
    return Message(text=escape(_fallback(card)), blocks=blocks)


def _fallback(card: CardData) -> str:
    amount = f" for {money(card.amount)}" if card.amount is not None else ""
    sender = f" from {card.sender.name}" if card.sender else ""
    by = (card.decided_by.name if card.decided_by else "an approver") + _behalf(card)
    match card.state:
        case "awaiting_acceptance":
            if card.approvals_needed > 1:
                return (f"{card.name}{amount}{sender}: {len(card.approvals)} of {card.approvals_needed} "
                        "approvals")
            return f"{card.name}{amount}{sender} is awaiting acceptance"
        case "exporting" if card.waiting_for_database:
            return f"Exporting {card.name}… waiting for Ledgerlink's database"
        case "exporting":
            return f"Exporting {card.name}… accepted by {by}"
        case "synced":
            return f"{card.name} synced as {card.result or 'a QuickBooks record'}"
        case "paid":
            return f"{card.name} is paid"
        case "failed_to_export":
            return truncate(f"Export of {card.name} failed: {card.last_error or 'see the card'}", 300)
        case "rejected":
            return f"{card.name} was rejected by {by}"
    return f"{card.name}: {card.state.replace('_', ' ')}"


def sent_receipt(card: CardData, channel_label: str) -> Message:
    """The sender's DM after sending: where it went, and Retrieve while nobody has decided; once the item moves on
    (accepted, synced, rejected, retrieved…) the DM is redrawn with what happened instead of Retrieve."""
    text = f"You sent {card.name}{' for ' + money(card.amount) if card.amount is not None else ''} to accounting."
    view = _button("View in Procore", ids.VIEW_PROCORE, card, url=card.procore_url) if card.procore_url else None
    blocks: list[Block] = [_section(f":outbox_tray: {escape(text)} The approval card is in {channel_label}.")]
    if card.state == "awaiting_acceptance":
        blocks.append(_context(f"QuickBooks: {escape(card.creates)}"))
        row = [_button("Retrieve", ids.RETRIEVE, card), view]
    elif card.state == "rejected":  # the reason and Resend go in the rejection DM, to whoever fixes it in Procore
        by = card.decided_by.mention if card.decided_by else "an approver"
        at = f" on {slack_when(card.decided_at, card.tz)}" if card.decided_at else ""
        blocks.append(_section(f":no_entry: *Rejected by {by}*{at} — it needs changes in Procore before it is "
                               "resent."))
        row = [view]
    else:
        blocks.extend(_status(card))
        qbo = (_button("Open in QuickBooks", ids.VIEW_QBO, card, url=card.qbo_url)
               if card.state in ("synced", "paid") and card.qbo_url else None)
        row = [qbo, view]
    if buttons := [b for b in row if b is not None]:
        blocks.append(ActionsBlock(block_id="item", elements=buttons))
    return Message(text=escape(text), blocks=blocks)


def rejection_dm(card: CardData) -> Message:
    """To the sender (or the creator of a commitment or change order): who rejected it, why, and Resend."""
    by = (card.decided_by.mention if card.decided_by else "An approver") + _behalf(card)
    text = f"{card.name} was rejected: {card.reject_reason or ''}"
    blocks: list[Block] = [
        _section(f":no_entry: *{escape(card.name)}* was rejected by {by}"
                 f"{' on ' + slack_when(card.decided_at, card.tz) if card.decided_at else ''}.\n"
                 f">{escape(card.reject_reason or '')}"),
        _context("Fix it in Procore, then press *Resend* (or run `/ledgerlink resend "
                 f"{card.type.replace('_', '-')} {escape(card.number or card.title)}`)."),
        ActionsBlock(block_id="item", elements=[b for b in (
            _button("Resend", ids.RESEND, card, style="primary"),
            _button("View in Procore", ids.VIEW_PROCORE, card, url=card.procore_url) if card.procore_url else None,
        ) if b is not None]),
    ]
    return Message(text=escape(truncate(text, 300)), blocks=blocks)


def outcome_note(text: str) -> Message:
    """A one-line replacement for a DM whose buttons have been used ('Retrieved', 'Resent'); names in it escaped."""
    text = escape(text, keep_mentions=True)
    return Message(text=text, blocks=[_section(text)])


def failure_notice(card: CardData, approvers: list[Person]) -> Message:
    who = " ".join(p.mention for p in approvers[:10])
    text = escape(truncate(f"Export of {card.name} failed: {card.last_error or 'see the card'}", 300))
    return Message(text=text, blocks=[_section(f":x: {who} Export of *{escape(card.name)}* failed: "
                                               f"{escape(card.last_error or '')}\nPress *Retry* on the card once "
                                               "it is fixed.")])


def payment_notice(event: Any, card: CardData | None) -> Message:
    """A paid sync event (sync.events.PaymentEvent): invoice, vendor, amount, payment date, and how much is paid."""
    reversed_ = getattr(event, "kind", "paid") in ("payment_reversed", "receipt_reversed")
    emoji = ":leftwards_arrow_with_hook:" if reversed_ else ":moneybag:"
    if getattr(event, "kind", "paid") in ("received", "receipt_reversed"):  # money coming in from the owner
        return Message(text=truncate(event.text(), 300), blocks=[_section(f"{emoji} {escape(event.text())}")])
    title = link(card.qbo_url if card else None, event.invoice or (card.name if card else "invoice"))
    when_paid = f" on {date(event.payment_date)}" if event.payment_date else ""
    ref = f" (ref {escape(event.reference)})" if event.reference else ""
    head = "Payment reversed" if reversed_ else "Paid"
    body = (f"{emoji} *{head}* · {title} · {escape(event.vendor)} · *{money(event.amount)}*{escape(when_paid)}{ref}"
            f"\n{escape(event.status)}")
    if reversed_:
        body += "\nThe payment was voided or deleted in QuickBooks; Ledgerlink removed it from Procore."
    return Message(text=escape(truncate(event.text(), 300)), blocks=[_section(body)])


LIST_SHOWN = 15


def item_list(title: str, shown: list[CardData], *, total: int, note: str = "",
              away: Sequence[tuple[str, str]] = ()) -> Message:
    """Digest, reminder and escalation: one line per item (name, amount, sender, how long it has waited);
    `away` (name, delegate's Slack id) pairs add "Dana is away: @erin decides in their place" (a mention, so the
    delegate hears a channel reminder meant for Dana)."""
    rows = [f"• *{link(c.procore_url, c.name)}* · {money(c.amount)}"
            + (f" · from {c.sender.mention}" if c.sender else "")
            + (f" · sent {when(c.sent_at, c.tz)}" if c.sent_at else "")
            + (f" · {len(c.approvals)} of {c.approvals_needed} approvals" if c.approvals_needed > 1 else "")
            for c in shown]
    if total > len(shown):
        rows.append(f"…and {total - len(shown)} more")
    blocks: list[Block] = [_section(f"*{escape(title)}*\n" + bounded_lines(rows, limit=2800, noun="item"))]
    note = escape(note) + "".join(f" {escape(name)} is away: <@{delegate}> decides in their place."
                                  for name, delegate in away)
    if note.strip():
        blocks.append(_context(note.strip()))
    return Message(text=escape(f"{title}: " + ", ".join(c.name for c in shown[:5])), blocks=blocks)


def reauth_notice(provider_label: str, detail: str | None, connect_url: str | None, provider: str = "") -> Message:
    """A DM to one admin; `connect_url` is their own single-use link (None: they type the command instead)."""
    text = f"Ledgerlink's {provider_label} connection needs to be re-authorised"
    how = "" if connect_url else f" Type `/ledgerlink connect {provider}` to reconnect."
    blocks: list[Block] = [_section(f":warning: *{text}.* {escape(detail or '')}\nSyncs and exports to "
                                    f"{provider_label} are paused until an admin reconnects.{how}")]
    if connect_url:
        blocks.append(ActionsBlock(block_id="connect", elements=[ButtonElement(
            text=f"Reconnect {provider_label}", action_id=ids.OPEN_LINK, url=connect_url, style="primary")]))
    return Message(text=text, blocks=blocks)

"""The daily channel post of items that became ready to export (bot/services/ready_post.py posts and updates it).

One message per channel and day. An item still ready has Send to accounting / Export now / View in Procore; one
that has moved on (sent, exported, synced…) keeps its line, says where it went, and loses its buttons, so the
same message tells the team what is left. Buttons carry only the item id (handlers/ids.py: READY_SEND,
READY_EXPORT, VIEW_PROCORE).
"""

from __future__ import annotations

from collections.abc import Sequence

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

from blocks.cards import TYPE_EMOJI, CardData, Message
from blocks.text import escape, link, money, truncate
from handlers import ids

MAX_BLOCKS = 50  # Slack's limit for one message
SHOWN = 20  # items with their own lines (2 blocks each); the rest are counted
MOVED = {
    "awaiting_acceptance": ":outbox_tray: sent for acceptance", "exporting": ":hourglass_flowing_sand: exporting",
    "synced": ":white_check_mark: in QuickBooks", "paid": ":moneybag: paid", "rejected": ":leftwards_arrow_with_hook: "
    "rejected", "failed_to_export": ":x: export failed", "archived": ":file_cabinet: archived",
}


def ready_buttons(card: CardData, *, direct_exports: bool) -> list[ButtonElement]:
    """Send to accounting, Export now (when direct exports are on) and View in Procore, for an item still ready."""
    buttons: list[ButtonElement] = []
    if not card.blocked:
        buttons.append(ButtonElement(text="Send to accounting", action_id=ids.READY_SEND, value=str(card.item_id),
                                     style="primary"))
        if direct_exports:
            buttons.append(ButtonElement(
                text="Export now", action_id=ids.READY_EXPORT, value=str(card.item_id),
                confirm=ConfirmObject(title="Export without acceptance?", confirm="Export", deny="Cancel",
                                      text=truncate(f"{card.creates}. No approver will review it first.", 300))))
    if card.procore_url:
        buttons.append(ButtonElement(text="View in Procore", action_id=ids.VIEW_PROCORE, url=card.procore_url,
                                     value=str(card.item_id)))
    return buttons


def _line(card: CardData) -> str:
    emoji = TYPE_EMOJI.get(card.type, ":inbox_tray:")
    facts = " · ".join(escape(p) for p in (card.project, card.vendor) if p and p not in card.title)
    head = f"{emoji} *{link(card.procore_url, card.name)}* · {money(card.amount)}" + (f" · {facts}" if facts else "")
    if card.state == "ready_to_export":
        return head + (f"\n:warning: {escape(card.blocked)}" if card.blocked else "")
    moved = MOVED.get(card.state, escape(card.state.replace("_", " ")))
    by = card.sender if card.state == "awaiting_acceptance" else card.decided_by or card.sender
    return f"~{head}~\n{moved}" + (f" by {by.mention}" if by else "")


def ready_post(cards: Sequence[CardData], *, day: str, direct_exports: bool) -> Message:
    """The post for `day` ('Thursday, Nov 26') listing `cards` in the order they became ready."""
    waiting = [c for c in cards if c.state == "ready_to_export"]
    title = f"Ready to export — {day}"
    blocks: list[Block] = [
        HeaderBlock(text=truncate(f":inbox_tray: {title}", 150)),
        ContextBlock(elements=[MarkdownTextObject(text=(
            f"{len(cards)} item{'s' if len(cards) != 1 else ''} became ready to export; "
            + (f"{len(waiting)} still waiting to be sent." if waiting else "all have moved on. :tada:")))]),
    ]
    for card in cards[:SHOWN]:
        blocks.append(SectionBlock(block_id=f"ready:{card.item_id}", text=MarkdownTextObject(
            text=truncate(_line(card), 3000))))
        buttons = ready_buttons(card, direct_exports=direct_exports) if card.state == "ready_to_export" else []
        if buttons:
            blocks.append(ActionsBlock(block_id=f"ready_actions:{card.item_id}", elements=buttons))
    if len(cards) > SHOWN:
        more = cards[SHOWN:]
        left = sum(1 for c in more if c.state == "ready_to_export")
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {len(more)} more ({left} still ready): see *Ready to export* in Ledgerlink's App Home.")]))
    text = (f"{title}: {len(waiting)} of {len(cards)} item{'s' if len(cards) != 1 else ''} still ready"
            if waiting else f"{title}: everything has moved on")
    return Message(text=text, blocks=blocks[:MAX_BLOCKS])

"""The daily channel post of items that became ready to export (bot/services/ready_post.py posts and updates it).

One message per channel and day. An item still ready has Send to accounting / Export now / View in Procore; one
that has moved on (sent, exported, synced…) keeps its line, says where it went, and loses its buttons, so the
same message tells the team what is left. A ready item's row is App Home's (blocks/ready.py: Send to accounting,
Export now, View in Procore), so one pair of listeners serves both.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks.cards import TYPE_EMOJI, CardData, Message
from blocks.ready import ready_item_row
from blocks.text import escape, link, truncate
from core.money import money

MAX_BLOCKS = 50  # Slack's limit for one message
SHOWN = 20  # items with their own lines (2 blocks each); the rest are counted
MOVED = {
    "awaiting_acceptance": ":outbox_tray: sent for acceptance", "exporting": ":hourglass_flowing_sand: exporting",
    "synced": ":white_check_mark: in QuickBooks", "paid": ":moneybag: paid", "rejected": ":leftwards_arrow_with_hook: "
    "rejected", "failed_to_export": ":x: export failed", "archived": ":file_cabinet: archived",
}


def _line(card: CardData) -> str:
    emoji = TYPE_EMOJI.get(card.type, ":inbox_tray:")
    facts = " · ".join(escape(p) for p in (card.project, card.vendor) if p and p not in card.title)
    head = f"{emoji} *{link(card.procore_url, card.name)}* · {money(card.amount)}" + (f" · {facts}" if facts else "")
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
        if card.state == "ready_to_export":  # the same row as App Home's, buttons and all
            blocks.extend(ready_item_row(card, can_export=direct_exports))
        else:
            blocks.append(SectionBlock(block_id=f"ready:{card.item_id}", text=MarkdownTextObject(
                text=truncate(_line(card), 3000))))
    if len(cards) > SHOWN:
        more = cards[SHOWN:]
        left = sum(1 for c in more if c.state == "ready_to_export")
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {len(more)} more ({left} still ready): see *Ready to export* in Ledgerlink's App Home.")]))
    text = (f"{title}: {len(waiting)} of {len(cards)} item{'s' if len(cards) != 1 else ''} still ready"
            if waiting else f"{title}: everything has moved on")
    return Message(text=escape(text), blocks=blocks[:MAX_BLOCKS])

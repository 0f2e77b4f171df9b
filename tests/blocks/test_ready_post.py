"""The ready post's blocks: buttons only for items still ready, Slack's 50-block limit, a fallback text."""

from __future__ import annotations

from decimal import Decimal

from blocks.cards import CardData, Person
from blocks.ready_post import SHOWN, ready_post


def _card(n: int, state: str = "ready_to_export", **kw) -> CardData:
    return CardData(item_id=n, type="sub_invoice", title=f"SC-{n}", state=state, amount=Decimal("1000.00"),
                    project="Riverside Clinic", procore_url=f"https://app.procore.example/{n}", **kw)


def test_many_items_stay_within_slacks_limits():
    cards = [_card(n) for n in range(SHOWN + 5)]
    msg = ready_post(cards, day="Thursday, Nov 26", direct_exports=True)
    blocks = [b.to_dict() for b in msg.blocks]
    assert len(blocks) <= 50 and "…and 5 more (5 still ready)" in str(blocks[-1])
    assert msg.text == "Ready to export — Thursday, Nov 26: 25 of 25 items still ready"


def test_moved_items_say_where_they_went_and_lose_their_buttons():
    cards = [_card(1, "awaiting_acceptance", sender=Person("Jane", "UJANE")), _card(2, "synced"),
             _card(3, blocked="Link company ACME to a QuickBooks vendor first.")]
    blocks = [b.to_dict() for b in ready_post(cards, day="Friday, Nov 27", direct_exports=False).blocks]
    text = str(blocks)
    assert "~" in text and "sent for acceptance by <@UJANE>" in text and "in QuickBooks" in text
    actions = [b for b in blocks if b["type"] == "actions"]
    # only the ready (blocked) item keeps buttons: App Home's row, whose Send is judged when clicked
    assert [[e.get("action_id") for e in b["elements"]] for b in actions] == [["item_send", "item_view_procore"]]
    assert "Link company ACME" in text

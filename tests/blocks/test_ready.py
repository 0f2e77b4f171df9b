"""The senders' rows (blocks/ready.py) and the grouped card (blocks/group_card.py), rendered from data alone."""

from __future__ import annotations

from decimal import Decimal

from blocks import ids
from blocks.cards import CardData, Person
from blocks.group_card import LINES_SHOWN, GroupData, group_card
from blocks.ready import PICKS_MAX, ProjectGroup, pick_block, ready_item_row, ready_section, selected_ids


def _card(n: int, **kw) -> CardData:
    base = {"item_id": n, "type": "sub_invoice", "title": f"INV-{n}", "state": "ready_to_export",
            "amount": Decimal("1200.00"), "vendor": "ACME Concrete", "project": "Riverside Clinic",
            "procore_url": f"https://app.procore.com/1001/project/commitments/{n}"}
    return CardData(**{**base, **kw})


def _actions(blocks) -> list[str]:
    return [el.action_id for b in blocks if b.type == "actions" for el in b.elements]


def test_ready_row_buttons_follow_what_the_person_may_do():
    assert _actions(ready_item_row(_card(1), False)) == [ids.SEND_ITEM, ids.VIEW_PROCORE]
    assert _actions(ready_item_row(_card(1), True)) == [ids.SEND_ITEM, ids.EXPORT_ITEM, ids.VIEW_PROCORE]
    blocked = ready_item_row(_card(1, blocked="Link company ACME Concrete first."), True)
    assert _actions(blocked) == [ids.SEND_ITEM, ids.VIEW_PROCORE]  # Export now would only be refused
    assert "Can't be exported yet: Link company ACME Concrete first." in blocked[0].text.text
    no_link = ready_item_row(_card(1, procore_url=None), False)
    assert _actions(no_link) == [ids.SEND_ITEM]
    values = {el.value for b in ready_item_row(_card(7), True) if b.type == "actions" for el in b.elements}
    assert values == {"7"}  # buttons carry only the item id


def test_checkboxes_hold_at_most_ten_and_the_ticks_are_read_back():
    group = ProjectGroup(key="1001", name="Riverside Clinic", total=14,
                         cards=tuple(_card(n, title="X" * 200) for n in range(1, 13)))
    block = pick_block(group).to_dict()
    options = block["elements"][0]["options"]
    assert len(options) == PICKS_MAX and all(len(o["text"]["text"]) <= 75 for o in options)
    state = {
        "ready_pick_1001": {ids.READY_PICK: {"type": "checkboxes", "selected_options": [
            {"value": "3"}, {"value": "5"}, {"value": "3"}, {"value": "not a number"}]}},
        "ready_pick_none": {ids.READY_PICK: {"type": "checkboxes", "selected_options": [{"value": "12"}]}},
        "something_else": {"x": {"type": "checkboxes", "selected_options": [{"value": "99"}]}},
    }
    assert selected_ids(state) == [3, 5, 12]
    assert selected_ids({}) == []


def test_ready_section_caps_rows_and_projects_and_says_what_is_hidden():
    groups = [ProjectGroup(key=str(p), name=f"Project {p}", total=12, cards=tuple(_card(p * 100 + n)
                                                                                    for n in range(10)))
              for p in range(4)]
    blocks = ready_section(groups, projects_total=6, rows=2, projects=3)
    text = "\n".join(str(b.to_dict()) for b in blocks)
    assert "…and 10 more ready in Project 0 — tick them below to send them" in text
    assert "…and 3 more project(s)" in text and "Project 3" not in text
    assert _actions(blocks).count(ids.SEND_ITEM) == 6 and _actions(blocks)[-1] == ids.READY_SEND_SELECTED
    assert "Nothing is ready to export" in str(ready_section([], projects_total=0, rows=5, projects=5)[1].to_dict())


def test_grouped_card_lines_buttons_and_limits():
    lines = (_card(1, state="awaiting_acceptance"), _card(2, state="rejected", reject_reason="Billed twice."),
             _card(3, state="synced", result="Bill 17", qbo_url="https://qbo.example/app/bill?txnId=17"),
             _card(4, state="failed_to_export", last_error="Vendor inactive."),
             _card(5, state="awaiting_acceptance", approvals_needed=2, approvals=(Person("@dana", "UDANA"),)))
    msg = group_card(GroupData(group_id=9, lines=lines, sender=Person("@sam", "USAM")))
    accessories = [b.accessory.action_id if b.accessory else None for b in msg.blocks
                   if b.type == "section" and str(b.block_id or "").startswith("line-")]
    assert accessories == [ids.REJECT, ids.VIEW_PROCORE, ids.VIEW_QBO, ids.RETRY, ids.REJECT]
    text = "\n".join(str(b.to_dict()) for b in msg.blocks)
    assert "Billed twice." in text and "synced as <https://qbo.example/app/bill?txnId=17|Bill 17>" in text
    assert "*1 of 2 approvals* (<@UDANA>)" in text and "two different approvers" in text
    [accept] = [el for b in msg.blocks if b.type == "actions" for el in b.elements]
    assert accept.action_id == ids.GROUP_ACCEPT_ALL and accept.value == "9" and accept.text.text == "Accept all 2"
    assert msg.text == "5 items from @sam ($6,000.00): 2 awaiting acceptance"

    many = group_card(GroupData(group_id=1, lines=tuple(_card(n, state="awaiting_acceptance") for n in range(60))))
    assert len(many.blocks) <= 50 and "…and 16 more lines" in str(many.blocks[LINES_SHOWN + 2].to_dict())
    done = group_card(GroupData(group_id=1, lines=(_card(1, state="synced"),), own_card=frozenset()))
    assert _actions(done.blocks) == [] and "all decided" in done.text

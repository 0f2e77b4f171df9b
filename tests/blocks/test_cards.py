"""Every card type in every state renders within Block Kit's limits (checked by the Slack sandbox's validator),
long content is summarised and says so, and buttons carry only the item id."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from blocks import cards, ids
from blocks.cards import CardData, LastEvent, Line, Person
from blocks.home import ConnectionRow, HomeData, RunRow, home_view
from blocks.modals import HistoryRow, SettingsForm, details_modal, read_settings, reject_modal, settings_modal
from blocks.reports import Report, report_message, to_csv
from sandbox.slack.blockkit import validate_blocks, validate_view

TYPES = list(cards.TYPE_LABELS)
STATES = ["ready_to_export", "awaiting_acceptance", "rejected", "exporting", "synced", "failed_to_export", "paid",
          "ready_to_import", "ready_to_update", "archived"]
WHEN = datetime(2025, 3, 4, 22, 5, tzinfo=UTC)
LONG = "Supercalifragilistic " * 400  # 8 400 characters


def card(item_type: str = "sub_invoice", state: str = "awaiting_acceptance", **kw) -> CardData:
    base = dict(item_id=42, type=item_type, title="INV-104", state=state, amount=Decimal("48250.00"),
                number="INV-104", project="Riverside Clinic", vendor="ACME Concrete & Sons <LLC>",
                summary="Creates Bill 2024-117 for ACME Concrete, $48,250.00 across 3 cost codes",
                lines=(Line("03-100.Material", Decimal("20000")), Line("03-100.Labor", Decimal("28250"))),
                sender=Person("Sam Ortiz", "USAM"), creator=Person("Alex Chen", None),
                decided_by=Person("Dana Whitfield", "UDANA"), decided_at=WHEN, sent_at=WHEN,
                reject_reason="Retainage should be 5%.", last_error="Vendor 'ACME' is inactive in QuickBooks.",
                result="Bill 2024-117", procore_url="https://app.procore.com/1/project/commitments",
                qbo_url="https://app.qbo.intuit.com/app/bill?txnId=9", round=2,
                last_event=LastEvent("retrieve", Person("Sam Ortiz", "USAM"), WHEN), tz="America/Los_Angeles")
    base.update(kw)
    return CardData(**base)


def _dicts(msg) -> list[dict]:
    return [b.to_dict() for b in msg.blocks]


def _actions(msg) -> list[dict]:
    return [el for b in _dicts(msg) if b["type"] == "actions" for el in b["elements"]]


@pytest.mark.parametrize("item_type", TYPES)
@pytest.mark.parametrize("state", STATES)
def test_every_type_and_state_is_valid_block_kit(item_type, state):
    msg = cards.approval_card(card(item_type, state))
    assert validate_blocks(_dicts(msg)) == []
    assert msg.text and len(msg.text) <= 300
    assert cards.TYPE_LABELS[item_type] in msg.text or cards.TYPE_LABELS[item_type] in str(_dicts(msg))
    for el in _actions(msg):
        assert el["value"] == "42"


def test_awaiting_card_has_the_facts_and_the_three_buttons():
    msg = cards.approval_card(card())
    text = str(_dicts(msg))
    assert "$48,250.00" in text and "Riverside Clinic" in text and "<@USAM>" in text
    assert "ACME Concrete &amp; Sons &lt;LLC&gt;" in text  # mrkdwn control characters escaped
    assert "Creates Bill 2024-117 for ACME Concrete" in text
    buttons = _actions(msg)
    assert [b["action_id"] for b in buttons] == ["item_accept", "item_reject", "item_details", "item_view_procore"]
    assert buttons[0]["style"] == "primary" and buttons[1]["style"] == "danger" and "confirm" not in buttons[0]
    assert buttons[3]["url"].startswith("https://app.procore.com/")


def test_states_read_as_people_expect():
    def said(state, **kw):
        return str(_dicts(cards.approval_card(card(state=state, **kw))))
    assert "Exporting…* accepted by <@UDANA>" in said("exporting")
    assert "Synced as <https://app.qbo.intuit.com/app/bill?txnId=9|Bill 2024-117>" in said("synced")
    assert ":x: *Export failed:* Vendor 'ACME' is inactive" in said("failed_to_export")
    assert "Rejected by <@UDANA>" in said("rejected") and "Retainage should be 5%." in said("rejected")
    assert "Retrieved by <@USAM>" in said("ready_to_export")
    assert ":moneybag: *Paid*" in said("paid")
    assert "*1 of 2 approvals* (approved by <@UDANA>)" in said("awaiting_acceptance", approvals_needed=2,
                                                              approvals=(Person("Dana", "UDANA"),))
    assert [b["action_id"] for b in _actions(cards.approval_card(card(state="failed_to_export")))][0] == "item_retry"


def test_confirm_dialog_above_the_amount():
    confirm = _actions(cards.approval_card(card(confirm_above=Decimal("25000"))))[0]["confirm"]
    assert confirm["confirm"]["text"] == "Accept" and len(confirm["text"]["text"]) <= 300
    assert "confirm" not in _actions(cards.approval_card(card(confirm_above=Decimal("50000"))))[0]


def test_long_line_lists_are_summarised_and_long_text_says_it_was_cut():
    many = tuple(Line(f"{i:02d}-100.Subcontract {LONG[:40]}", Decimal(i)) for i in range(20))
    msg = cards.approval_card(card(lines=many, summary=LONG, title=LONG[:290], last_error=LONG,
                                   vendor=LONG[:500]))
    blocks = _dicts(msg)
    assert validate_blocks(blocks) == []
    text = str(blocks)
    assert "…and 12 more lines" in text
    assert "… (truncated)" in text
    failed = _dicts(cards.approval_card(card(state="failed_to_export", last_error=LONG)))
    assert validate_blocks(failed) == [] and "… (truncated)" in str(failed)


def test_dms_and_notices_are_valid():
    c = card(state="rejected")
    for msg in (cards.sent_receipt(c, "<#C1>"), cards.rejection_dm(c), cards.outcome_note("Done."),
                cards.failure_notice(c, [Person("Dana", "UDANA")] * 20),
                cards.reauth_notice("QuickBooks", LONG, "https://x.example/qbo/connect?tenant=1"),
                cards.item_list("Waiting", [c] * 15, total=40, note="Turn it off in App Home."),
                cards.payment_notice(SimpleNamespace(kind="paid", invoice="INV-104", vendor="ACME",
                                                     amount=Decimal("48250"), payment_date=date(2025, 3, 5),
                                                     reference="CHK 1001", status="Paid in full ($48,250.00)",
                                                     text=lambda: "Paid: INV-104"), c)):
        assert validate_blocks(_dicts(msg)) == [], msg.text
        assert msg.text
    assert [b["action_id"] for b in _actions(cards.rejection_dm(c))] == ["item_resend", "item_view_procore"]
    assert "…and 25 more" in str(_dicts(cards.item_list("Waiting", [c] * 15, total=40)))


def test_modals_are_valid_and_the_settings_form_parses():
    c = card(lines=tuple(Line(f"line {i}", Decimal(1)) for i in range(500)))
    assert validate_view(reject_modal(c, channel="C1").to_dict()) == []
    history = [HistoryRow(WHEN, "Sam", "sent", LONG)] * 50
    assert validate_view(details_modal(c, history).to_dict()) == []
    form = SettingsForm(tenant_name="Summit", is_admin=True, is_approver=True, confirm_above=Decimal("25000"))
    assert validate_view(settings_modal(form).to_dict()) == []
    assert validate_view(settings_modal(SettingsForm("S", is_admin=False, is_approver=True)).to_dict()) == []
    changes, errors = read_settings({"confirm_above_amount": {"value": {"type": "plain_text_input",
                                                                          "value": "$25,000.50"}},
                                     "two_approver_threshold": {"value": {"value": "-3"}},
                                     "digest": {"value": {"selected_options": []}}}, admin=True, approver=True)
    assert changes["confirm_above_amount"] == Decimal("25000.50") and changes["digest_opt_out"] is True
    assert "two_approver_threshold" in errors


def test_home_and_reports_are_valid():
    data = HomeData(name="Dana", tenant_name="Summit", is_admin=True, is_approver=True,
                    awaiting_me=tuple(card(item_id=i) for i in range(12)), awaiting_total=30,
                    sent_by_me=tuple(card(state=s) for s in STATES),
                    connections=(ConnectionRow("QuickBooks", "9130", "active", refresh_expires_at=WHEN),
                                 ConnectionRow("Procore", None, "needs_reauth", detail=LONG)),
                    runs=tuple(RunRow(f"job{i}", "every 1 h", WHEN, "failed", error=LONG) for i in range(30)),
                    settings={"direct_exports": "enabled"}, now=WHEN)
    view = home_view(data).to_dict()
    assert validate_view(view) == [] and len(view["blocks"]) <= 100
    assert "…and 20 more waiting" in str(view)
    report = Report("Accountant report", ["Type", "Amount"], [["invoice", Decimal("1.5")]] * 60,
                    money_columns=frozenset({1}))
    msg = report_message(report, csv_attached=True)
    assert validate_blocks(_dicts(msg)) == [] and "…and 35 more rows" in str(_dicts(msg))
    assert to_csv(Report("r", ["a"], [["=HYPERLINK(1)"], [Decimal("-2.50")]])).splitlines() == \
        ["a", "'=HYPERLINK(1)", "-2.50"]


@pytest.mark.parametrize(("state", "buttons", "says"), [
    ("awaiting_acceptance", [ids.RETRIEVE], "QuickBooks: "),
    ("rejected", [], "Rejected by"),
    ("synced", [ids.VIEW_QBO], "Synced as"),
    ("exporting", [], "Exporting"),
])
def test_the_senders_receipt_offers_retrieve_only_while_nobody_decided(state, buttons, says):
    c = card(state=state, procore_url=None, result="Bill 17", qbo_url="https://qbo.example/app/bill?txnId=17")
    msg = cards.sent_receipt(c, "<#C1>")
    shown = [el["action_id"] for b in _dicts(msg) if b["type"] == "actions" for el in b["elements"]]
    assert shown == buttons and says in str(_dicts(msg))
    assert ("In QuickBooks:" in str(_dicts(cards.approval_card(c)))) is (state != "synced")


def test_a_title_that_starts_with_its_type_is_not_named_twice():
    assert card("cost_code", title="Cost code 01-100 General Requirements").name == \
        "Cost code 01-100 General Requirements"
    assert card(title="INV-104").name == "Subcontractor invoice INV-104"


def test_documents_before_and_after_export():
    docs = (cards.Document("invoice.pdf"), cards.Document("setup <x>.exe"))
    before = cards.approval_card(card(documents=docs))
    validate_blocks(before.as_kwargs()["blocks"])
    text = str(before.as_kwargs()["blocks"])
    assert "2 document(s) go with it to QuickBooks: invoice.pdf, setup &lt;x&gt;.exe" in text
    done = (cards.Document("invoice.pdf", "attached"), cards.Document("drawings.pdf", "queued"),
            cards.Document("setup <x>.exe", "refused", "QuickBooks said: The file type is not supported"))
    after = cards.approval_card(card(state="synced", documents=done))
    validate_blocks(after.as_kwargs()["blocks"])
    text = str(after.as_kwargs()["blocks"])
    assert "Attached in QuickBooks: <https://app.qbo.intuit.com/app/bill?txnId=9|invoice.pdf>" in text
    assert "Attaching: drawings.pdf" in text
    assert ("setup &lt;x&gt;.exe was not attached: QuickBooks said: The file type is not supported. The Bill is in "
            "QuickBooks without it.") in text
    assert "paperclip" not in str(cards.approval_card(card(state="synced")).as_kwargs()["blocks"])

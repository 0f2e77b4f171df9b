"""QBO job-cost transactions → Procore direct costs: placement, signs, and the unsyncable reasons."""

from datetime import date
from decimal import Decimal

import pytest

from sync.mappers.direct_costs import READ_ONLY_NOTE, Lookups, qbo_txn_to_direct_costs

D = Decimal
P1, P2, P_OFF = 562949953421001, 562949953421002, 562949953421003  # Procore ids are 64-bit
LOOKUPS = Lookups(
    enabled_projects={"58": P1, "59": P2},
    linked_projects={"58": P1, "59": P2, "60": P_OFF},  # 60 is linked but its job-cost sync is off
    cost_items={"201": (P1, 11, 5), "202": (P1, 12, 6), "301": (P2, 21, 5)},
    vendors={"46": 9001},
)


def item_line(line_id, amount, item, customer="58", description=None):
    detail = {"ItemRef": {"value": item, "name": f"item {item}"}}
    if customer is not None:
        detail["CustomerRef"] = {"value": customer, "name": f"customer {customer}"}
    line = {"Id": line_id, "DetailType": "ItemBasedExpenseLineDetail", "Amount": D(amount),
            "ItemBasedExpenseLineDetail": detail}
    if description:
        line["Description"] = description
    return line


def account_line(line_id, amount, customer="58"):
    return {"Id": line_id, "DetailType": "AccountBasedExpenseLineDetail", "Amount": D(amount),
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "63", "name": "Job Materials"},
                                              "CustomerRef": {"value": customer, "name": "Riverside"}}}


def bill(lines, vendor="46", doc="NL-1001", **extra):
    return {"Id": "900", "SyncToken": "4", "TxnDate": "2026-02-03", "DocNumber": doc,
            "VendorRef": {"value": vendor, "name": f"vendor {vendor}"}, "Line": lines, **extra}


def test_bill_lines_become_one_direct_cost_per_project():
    placement = qbo_txn_to_direct_costs("Bill", bill([
        item_line("1", "1000.00", "201", description="Telehandler"), item_line("2", "250.255", "202"),
        item_line("3", "75.00", "301", customer="59")]), LOOKUPS)
    assert placement.relevant and not placement.unplaceable
    by_project = {c.project_id: c for c in placement.costs}
    assert set(by_project) == {P1, P2}
    p1 = by_project[P1]
    assert p1.key == f"Bill:900:{P1}" and p1.total == D("1250.26") and p1.vendor_id == 9001
    fields = p1.fields()
    assert fields["direct_cost_type"] == "invoice" and fields["invoice_number"] == "NL-1001"
    assert fields["direct_cost_date"] == date(2026, 2, 3) and fields["status"] == "approved"
    assert fields["origin_id"] == f"Bill:900:{P1}" and READ_ONLY_NOTE in fields["description"]
    assert "overwritten" in fields["description"]
    assert [(x["cost_code_id"], x["line_item_type_id"], x["amount"]) for x in fields["line_items"]] == [
        (11, 5, D("1000.00")), (12, 6, D("250.26"))]
    assert fields["line_items"][0]["description"] == "Telehandler"


@pytest.mark.parametrize(("entity", "extra", "sign", "kind"), [
    ("VendorCredit", {}, -1, "invoice"),  # vendor credits are negative
    ("Purchase", {}, 1, "expense"),
    ("Purchase", {"Credit": True}, -1, "expense"),  # a credit-card credit (refund)
])
def test_signs_and_types(entity, extra, sign, kind):
    txn = bill([item_line("1", "199.99", "201")], **extra)
    if entity == "Purchase":
        txn.pop("VendorRef")
        txn["EntityRef"] = {"value": "46", "type": "Vendor", "name": "vendor 46"}
    cost = qbo_txn_to_direct_costs(entity, txn, LOOKUPS).costs[0]
    assert cost.total == D("199.99") * sign and cost.fields()["direct_cost_type"] == kind


def test_purchase_without_a_vendor_payee_is_fine():
    txn = bill([item_line("1", "10.00", "201")])
    txn.pop("VendorRef")
    txn["EntityRef"] = {"value": "55", "type": "Employee", "name": "John Johnson"}
    placement = qbo_txn_to_direct_costs("Purchase", txn, LOOKUPS)
    assert placement.costs[0].vendor_id is None and not placement.unplaceable


def test_transactions_off_enabled_projects_are_not_job_costs():
    assert not qbo_txn_to_direct_costs("Bill", bill([item_line("1", "5.00", "201", customer=None)]), LOOKUPS).relevant
    assert not qbo_txn_to_direct_costs("Bill", bill([item_line("1", "5.00", "201", customer="60")]), LOOKUPS).relevant


@pytest.mark.parametrize(("line", "vendor", "reason", "fix"), [
    (item_line("2", "5.00", "201", customer=None), "46", "no project on the line", "Customer/Project column"),
    (item_line("2", "5.00", "201", customer="77"), "46", "is not a project linked to Procore", "link that QuickBooks"),
    (item_line("2", "5.00", "999"), "46", "matches no cost code", "add the cost code and cost type"),
    (item_line("2", "5.00", "301"), "46", "belongs to another project", "pick this project's cost-code item"),
    (account_line("2", "5.00"), "46", "booked to account 'Job Materials' with no cost code", "cost-code item"),
    (item_line("2", "5.00", "202"), "48", "is not linked to a Procore company", "Link the QuickBooks vendor"),
])
def test_unplaceable_lines_say_why_and_how_to_fix(line, vendor, reason, fix):
    placement = qbo_txn_to_direct_costs("Bill", bill([item_line("1", "1.00", "201"), line], vendor=vendor), LOOKUPS)
    bad = [u for u in placement.unplaceable if u.line_id == "2"]
    assert len(bad) == 1
    assert reason in bad[0].reason and fix in bad[0].fix and bad[0].amount == D("5.00")
    assert bad[0].txn_date == date(2026, 2, 3) and bad[0].vendor_name == f"vendor {vendor}"


def test_linked_but_disabled_project_lines_are_left_alone():
    placement = qbo_txn_to_direct_costs("Bill", bill([item_line("1", "1.00", "201"),
                                                      item_line("2", "9.00", "201", customer="60")]), LOOKUPS)
    assert not placement.unplaceable and placement.costs[0].total == D("1.00")


def test_unknown_vendor_makes_every_placeable_line_unsyncable():
    placement = qbo_txn_to_direct_costs("Bill", bill([item_line("1", "1.00", "201"), item_line("2", "2.00", "202")],
                                                     vendor="48"), LOOKUPS)
    assert not placement.costs and [u.line_id for u in placement.unplaceable] == ["1", "2"]


def test_vendor_credit_unplaceable_amount_is_negative_and_zero_lines_skipped():
    txn = bill([item_line("1", "0.00", "201"), item_line("2", "12.34", "999")])
    placement = qbo_txn_to_direct_costs("VendorCredit", txn, LOOKUPS)
    assert [(u.line_id, u.amount) for u in placement.unplaceable] == [("2", D("-12.34"))]


def test_missing_doc_number_gets_a_stable_invoice_number():
    cost = qbo_txn_to_direct_costs("Bill", bill([item_line("1", "1.00", "201")], doc=""), LOOKUPS).costs[0]
    assert cost.fields()["invoice_number"] == "QBO 900"

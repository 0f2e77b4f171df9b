"""Commitments, change orders and prime contracts → QBO PurchaseOrder / Estimate bodies, and the imports back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.mappers.commitments import (
    ChangeOrder,
    ExportContext,
    PrimeContract,
    amended_lines,
    change_order_lines,
    change_order_marker,
    commitment_to_qbo_purchase_order,
    prime_contract_to_qbo_estimate,
    procore_note,
    qbo_budget_to_procore_lines,
    qbo_estimate_to_procore_prime_contract,
)
from sync.mappers.errors import MappingError

CTX = ExportContext(customer_id="58", vendor_id="51", items={(11, 1): "101", (12, 2): "102"}, sales_item_id="1",
                    label="Subcontract SC-1")


def line(n: int, amount: str, code: int = 11, kind: int | None = 1, description: str = "Work") -> dict:
    return {"id": n, "amount": amount, "cost_code_id": code, "cost_code": f"03-{code}", "line_item_type_id": kind,
            "cost_type": "Subcontract", "description": description}


def commitment(*lines, **extra) -> dict:
    return {"id": 777, "kind": "work_order_contract", "number": "SC-2024-001-01", "title": "Cast-in-place concrete",
            "status": "Approved", "vendor_id": 9, "vendor_name": "ACME Concrete", "contract_date": "2024-02-01",
            "lines": list(lines), **extra}


def test_commitment_purchase_order_body():
    body = commitment_to_qbo_purchase_order(commitment(line(1, "420000.00"), line(2, "615000.5", 12, 2)), CTX)
    assert body["VendorRef"] == {"value": "51"} and body["DocNumber"] == "SC-2024-001-01"
    assert body["POStatus"] == "Open" and body["TxnDate"] == "2024-02-01" and body["Memo"] == "Cast-in-place concrete"
    assert body["PrivateNote"] == "Procore subcontract 777"
    first, second = body["Line"]
    assert first["Amount"] == Decimal("420000.00") and isinstance(first["Amount"], Decimal)
    assert first["ItemBasedExpenseLineDetail"] == {"ItemRef": {"value": "101"}, "CustomerRef": {"value": "58"},
                                                   "BillableStatus": "NotBillable", "Qty": Decimal(1),
                                                   "UnitPrice": Decimal("420000.00")}
    assert second["Amount"] == Decimal("615000.50") and second["Description"] == "03-12 · Work"


@pytest.mark.parametrize(("detail", "error"), [
    (commitment(line(1, "100"), status="Draft"), "only approved commitments"),
    (commitment(line(1, "100"), number="SC-" + "9" * 30), "QuickBooks allows 21"),
    (commitment(line(1, "100"), line(2, "-5")), "negative schedule-of-values line"),
    (commitment(line(1, "0.00"), line(2, "0")), "nothing to order"),
    (commitment(line(1, "100", code=99)), "has no QuickBooks item yet"),
])
def test_commitment_refusals_say_what_to_do(detail, error):
    with pytest.raises(MappingError, match=error):
        commitment_to_qbo_purchase_order(detail, CTX)


def test_commitment_without_a_linked_vendor():
    ctx = ExportContext(customer_id="58", vendor_id=None, items=CTX.items)
    with pytest.raises(MappingError, match="not linked to a QuickBooks vendor; link the company first"):
        commitment_to_qbo_purchase_order(commitment(line(1, "100")), ctx)


@pytest.mark.parametrize(("title", "description"), [
    ("O'Brien \"Steel\" package", "Beams & columns — 12\" W-flange"),
    ("Béton coulé · Phase 2", "Dalle: niveau 3"),
    ("T" * 5000, "D" * 5000),
])
def test_quotes_unicode_and_long_text_survive_within_qbo_limits(title, description):
    body = commitment_to_qbo_purchase_order(commitment(line(1, "12.34", description=description), title=title), CTX)
    assert body["Memo"] == title[:4000] and len(body["Line"][0]["Description"]) <= 4000
    assert body["Line"][0]["Description"].startswith("03-11 · " + description[:10])


def test_zero_lines_are_left_out():
    body = commitment_to_qbo_purchase_order(commitment(line(1, "0.00"), line(2, "10")), CTX)
    assert [x["Amount"] for x in body["Line"]] == [Decimal("10.00")]


def change_order(*lines, status: str = "approved", number: str = "3") -> dict:
    return {"id": 55, "number": number, "title": "Slab edge", "status": status, "lines": list(lines)}


def test_change_order_lines_carry_the_marker_and_may_be_negative():
    lines = change_order_lines(change_order(line(1, "1500"), line(2, "-250.10", 12, 2), line(3, "0")), CTX,
                               sales=False)
    assert [x["Amount"] for x in lines] == [Decimal("1500.00"), Decimal("-250.10")]
    assert all(x["Description"].startswith("CO 3:") for x in lines)
    assert change_order_marker("3", 55) == "CO 3:" and change_order_marker(None, 55) == "CO 55:"
    sales = change_order_lines(change_order(line(1, "99", kind=None)), CTX, sales=True)
    assert sales[0]["SalesItemLineDetail"]["ItemRef"] == {"value": "1"}  # no cost type: the sales item


@pytest.mark.parametrize(("detail", "error"), [
    (change_order(line(1, "5"), status="pending"), "only approved change orders"),
    (change_order(line(1, "0")), "changes no amounts"),
])
def test_change_order_refusals(detail, error):
    with pytest.raises(MappingError, match=error):
        change_order_lines(detail, CTX, sales=False)


def test_amended_lines_append_once_and_refuse_a_negative_total():
    current = [{"Id": "1", "Amount": Decimal("100"), "Description": "03-11 · Work", "DetailType": "X"},
               {"Id": "9", "Amount": Decimal("100"), "DetailType": "SubTotalLineDetail"}]
    added = change_order_lines(change_order(line(1, "-40")), CTX, sales=False)
    lines = amended_lines(current, added, "CO 3:", "CO 3")
    assert [x.get("Id") for x in lines] == ["1", None] and len(lines) == 2
    assert amended_lines(lines, added, "CO 3:", "CO 3") is None  # a rerun: already there
    too_much = change_order_lines(change_order(line(1, "-140"), number="4"), CTX, sales=False)
    with pytest.raises(MappingError, match="below zero"):
        amended_lines(current, too_much, "CO 4:", "CO 4")


def prime(*lines, **extra) -> dict:
    return {"id": 900, "kind": "prime_contract", "number": "1", "title": "Riverside MOB", "status": "Approved",
            "project_number": "2024-001", "contract_date": None, "lines": list(lines), **extra}


def test_prime_contract_estimate_body():
    body = prime_contract_to_qbo_estimate(prime(line(1, "620000", kind=None), line(2, "1480000.25", 12, 2)), CTX)
    assert body["CustomerRef"] == {"value": "58"} and body["TxnStatus"] == "Accepted"
    assert body["DocNumber"] == "2024-001-PC1" and body["PrivateNote"] == procore_note("prime_contract", 900)
    assert [x["SalesItemLineDetail"]["ItemRef"]["value"] for x in body["Line"]] == ["1", "102"]
    assert sum(x["Amount"] for x in body["Line"]) == Decimal("2100000.25")
    long_number = prime_contract_to_qbo_estimate(prime(line(1, "5"), project_number="X" * 30), CTX)
    assert "DocNumber" not in long_number  # QBO numbers it


@pytest.mark.parametrize(("detail", "ctx", "error"), [
    (prime(line(1, "5"), status="Draft"), CTX, "only approved prime contracts"),
    (prime(line(1, "-5")), CTX, "negative estimate"),
    (prime(line(1, "0")), CTX, "nothing to estimate"),
    (prime(line(1, "5", kind=None)), ExportContext("58", {}, None, None), "choose the sales item"),
])
def test_prime_contract_refusals(detail, ctx, error):
    with pytest.raises(MappingError, match=error):
        prime_contract_to_qbo_estimate(detail, ctx)


def test_procore_records_parse_money_as_decimal():
    co = ChangeOrder.from_api({"id": 5, "contract_id": 7, "status": "approved", "grand_total": "12500.00",
                               "line_items": [{"id": 1, "amount": "15000.00", "cost_code": {"id": 11, "full_code":
                                                                                             "03-300"},
                                               "line_item_type": {"id": 1, "name": "Subcontract"}}]})
    assert co.approved and co.contract_id == 7 and co.grand_total == Decimal("12500.00")
    assert co.lines[0].cost_code == "03-300" and co.lines[0].cost_type == "Subcontract"
    assert co.lines[0].snapshot()["amount"] == "15000.00"
    pc = PrimeContract.from_api({"id": 9, "vendor": {"id": None, "company": "Owner LLC"}, "grand_total": "1.50",
                                 "line_items": [{"id": 2, "total_amount": "1.5"}]})
    assert pc.owner == "Owner LLC" and pc.lines[0].amount == Decimal("1.5")


def test_estimate_import_places_lines_on_cost_codes_or_refuses():
    estimate = {"Id": "145", "DocNumber": "EST-1", "TxnStatus": "Accepted", "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": Decimal("125000.50"), "Description": "Podium",
         "SalesItemLineDetail": {"ItemRef": {"value": "101", "name": "2024-001-03-300.S"}}},
        {"DetailType": "SalesItemLineDetail", "Amount": Decimal("900"),
         "SalesItemLineDetail": {"ItemRef": {"value": "4", "name": "Design"}}},
        {"DetailType": "SubTotalLineDetail", "Amount": Decimal("125900.50")}]}
    with pytest.raises(MappingError, match="can't place on a cost code: Design"):
        qbo_estimate_to_procore_prime_contract(estimate, {"101": (11, 1)}, {})
    body = qbo_estimate_to_procore_prime_contract(estimate, {"101": (11, 1)}, {"Design": 13}, title="Owner deal")
    assert body["origin_id"] == "145" and body["status"] == "Approved" and body["title"] == "Owner deal"
    assert [(x["cost_code_id"], x.get("line_item_type_id"), x["amount"]) for x in body["line_items"]] == [
        (11, 1, Decimal("125000.50")), (13, None, Decimal("900.00"))]


def test_budget_import_sums_this_projects_rows_per_mapped_account():
    budget = {"Id": "3", "BudgetDetail": [
        {"Amount": 30000, "AccountRef": {"value": "90", "name": "Subcontractors"}, "CustomerRef": {"value": "58"}},
        {"Amount": 12500.25, "AccountRef": {"value": "90", "name": "Subcontractors"}, "CustomerRef": {"value": "58"}},
        {"Amount": -500, "AccountRef": {"value": "63", "name": "Job Materials"}, "CustomerRef": {"value": "58"}},
        {"Amount": 7, "AccountRef": {"value": "90"}, "CustomerRef": {"value": "1"}},
        {"Amount": 0, "AccountRef": {"value": "8", "name": "Bank Charges"}, "CustomerRef": {"value": "58"}}]}
    lines, unmapped = qbo_budget_to_procore_lines(budget, "58", {"90": (11, 1), "63": (12, 2)})
    assert [(x["cost_code_id"], x["original_budget_amount"]) for x in lines] == [(11, Decimal("42500.25")),
                                                                                (12, Decimal("-500.00"))]
    assert lines[0]["origin_id"] == "qbo-budget-3-11-1" and unmapped == ["Bank Charges"]

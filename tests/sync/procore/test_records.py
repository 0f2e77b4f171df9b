"""Typed records: money is Decimal (never float), optional fields may be missing, required ones are named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from sync.procore._core import jsonable
from sync.procore._parse import decode_json
from sync.procore.errors import ProcoreRecordError
from sync.procore.financials import (
    Commitment,
    ContractPayment,
    DirectCost,
    PaymentApplication,
    Requisition,
)
from sync.procore.records import BudgetLineItem, CostCode, LineItemType, Project, Vendor
from tests.sync.procore.fakes import FakeProcore

REQUISITION = b"""{
  "id": 88, "number": "3", "invoice_number": "INV-104", "status": "approved",
  "period": {"id": 5, "start_date": "2026-10-01", "end_date": "2026-10-31"}, "billing_date": "2026-10-31",
  "commitment_id": 12, "project": {"id": 7, "name": "Tower"}, "vendor": {"id": 31, "name": "ACME Steel"},
  "total_amount": "48250.00", "retainage_withheld": "2412.50", "retainage_released": "0.00",
  "line_items": [
    {"id": 1, "cost_code": {"id": 501, "full_code": "03-300"}, "line_item_type_id": 2,
     "description": "Concrete", "amount": "30000.10", "retainage_withheld": "1500.01"},
    {"id": 2, "cost_code_id": 502, "work_completed_this_period": 18000.4, "materials_presently_stored": "249.5"}
  ]
}"""


def test_requisition_money_is_decimal_and_exact():
    req = Requisition.from_api(decode_json(REQUISITION))
    assert req.total_amount == Decimal("48250.00") and isinstance(req.total_amount, Decimal)
    assert req.retainage_withheld == Decimal("2412.50") and req.retainage_released == Decimal("0.00")
    assert (req.period_start, req.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert (req.commitment_id, req.vendor_id, req.vendor_name, req.project_id) == (12, 31, "ACME Steel", 7)
    assert req.status == "approved" and req.exportable
    first, second = req.lines
    assert (first.cost_code_id, first.cost_code, first.amount) == (501, "03-300", Decimal("30000.10"))
    assert first.retainage_withheld == Decimal("1500.01")
    assert second.cost_code_id == 502 and second.amount == Decimal("18249.9")  # 18000.4 + 249.5, no float error
    assert type(second.amount) is Decimal


def test_decode_json_never_makes_floats():
    assert decode_json(b'{"a": 0.1, "b": 3, "c": [1.10]}') == {"a": Decimal("0.1"), "b": 3, "c": [Decimal("1.10")]}


def test_budget_amount_numbers_become_decimal():
    item = BudgetLineItem.from_api(decode_json(b'{"id": 4, "amount": 1250.05, "cost_code": {"id": 9, '
                                               b'"full_code": "01-100"}, '
                                               b'"line_item_type": {"id": 2, "name": "Labor"}}'))
    assert item.amount == Decimal("1250.05") and (item.cost_code_id, item.cost_code) == (9, "01-100")
    assert (item.line_item_type_id, item.line_item_type) == (2, "Labor")


@pytest.mark.parametrize(("cls", "data"), [
    (Project, {"id": 1, "name": "Tower"}),
    (Vendor, {"id": 1, "name": "ACME"}),
    (CostCode, {"id": 1}),
    (LineItemType, {"id": 1, "name": "Labor"}),
    (BudgetLineItem, {"id": 1}),
    (Commitment, {"id": 1}),
    (Requisition, {"id": 1}),
    (PaymentApplication, {"id": 1}),
    (ContractPayment, {"id": 1, "amount": "10"}),
    (DirectCost, {"id": 1}),
])
def test_only_required_fields_present_is_fine(cls, data):
    record = cls.from_api(data)
    assert record.id == 1


def test_nulls_in_optional_fields_are_fine():
    v = Vendor.from_api({"id": 3, "name": "X", "origin_id": None, "email_address": None, "updated_at": None})
    assert v.origin_id is None and v.email_address is None
    req = Requisition.from_api({"id": 2, "period": None, "line_items": None, "vendor": None, "total_amount": None})
    assert req.lines == () and req.total_amount is None and req.vendor_id is None


@pytest.mark.parametrize(("cls", "data", "words"), [
    (Vendor, {"name": "ACME"}, ["vendor (no id)", "'id'"]),
    (Vendor, {"id": 9}, ["vendor 9", "'name'"]),
    (ContractPayment, {"id": 4, "date": "2026-01-01"}, ["contract payment 4", "'amount'"]),
    (Requisition, {"id": 5, "total_amount": "twelve"}, ["requisition 5", "total_amount", "not an amount"]),
    (Project, {"id": "x", "name": "T"}, ["project x", "not an integer"]),
])
def test_missing_or_bad_required_fields_name_the_record(cls, data, words):
    with pytest.raises(ProcoreRecordError) as info:
        cls.from_api(data)
    for word in words:
        assert word in str(info.value)


def test_direct_cost_lines_and_total():
    cost = DirectCost.from_api(decode_json(b'{"id": 6, "direct_cost_type": "invoice", "direct_cost_date": '
                                           b'"2026-09-30", "vendor": {"id": 3, "name": "Home Depot"}, "line_items": '
                                           b'[{"id": 1, "amount": "10.10", "cost_code_id": 5}, {"amount": "0.20"}]}'))
    assert cost.grand_total == Decimal("10.30") and len(cost.lines) == 2 and cost.lines[1].id is None
    assert cost.vendor_name == "Home Depot" and cost.direct_cost_date == date(2026, 9, 30)


def test_commitment_sov_lines():
    c = Commitment.from_api({"id": 12, "number": "SC-001", "vendor": {"id": 31, "name": "ACME"}, "grand_total":
                             "100000.00", "line_items": [{"id": 1, "amount": "60000.00", "cost_code_id": 501}]},
                            kind="work_order_contract")
    assert c.grand_total == Decimal("100000.00") and c.lines[0].amount == Decimal("60000.00")
    assert c.vendor_id == 31 and c.kind == "work_order_contract"


def test_request_bodies_send_money_as_strings():
    assert jsonable({"amount": Decimal("1250.00"), "date": date(2026, 1, 2), "lines": [{"x": Decimal("0.1")}]}) == \
        {"amount": "1250.00", "date": "2026-01-02", "lines": [{"x": "0.1"}]}


def test_create_contract_payment_sends_decimal_as_string_and_parses_back():
    fake = FakeProcore()
    sent = {}

    def create(request):
        sent.update(decode_json(request.content))
        payment = dict(sent["contract_payment"], id=77)
        return httpx.Response(201, json=payment)

    fake.routes[("POST", "/rest/v1.0/contract_payments")] = create
    payment = fake.client().create_contract_payment(project_id=7, contract_id=12, amount=Decimal("1250.00"),
                                                    payment_date=date(2026, 11, 1), check_number="1001")
    assert sent["contract_payment"]["amount"] == "1250.00" and sent["contract_payment"]["date"] == "2026-11-01"
    assert (sent["project_id"], sent["contract_id"]) == (7, 12)
    assert fake.requests[0].url.params["project_id"] == "7"
    assert payment.id == 77 and payment.amount == Decimal("1250.00") and payment.check_number == "1001"

"""Sub invoice → Bill and owner invoice → Invoice, table-driven, to the cent."""

from datetime import date
from decimal import Decimal

import pytest

from sync.mappers.bills import BillContext, bill_summary, procore_requisition_to_qbo_bill
from sync.mappers.errors import MappingError
from sync.mappers.invoices import InvoiceContext, procore_payment_application_to_qbo_invoice
from sync.mappers.money import cents
from sync.procore.financials import PaymentApplication, Requisition, RequisitionLine

D = Decimal
CTX = BillContext(vendor_id="56", customer_id="58", retainage_account_id="94",
                  items={(1, 10): "101", (2, 10): "102", (3, 11): "103"}, label="ACME #12")


def req(status="approved", lines=(("1000.00", 1, 10),), withheld=None, released=None, number="2024-117"):
    return Requisition(id=7, status=status, invoice_number=number, billing_date=date(2026, 11, 1),
                       retainage_withheld=None if withheld is None else D(withheld),
                       retainage_released=None if released is None else D(released),
                       lines=tuple(RequisitionLine(id=i, amount=D(a), cost_code_id=c, line_item_type_id=t,
                                                   cost_code=f"0{c}-100") for i, (a, c, t) in enumerate(lines)))


@pytest.mark.parametrize(("lines", "withheld", "released", "total"), [
    ((("1000.00", 1, 10),), None, None, D("1000.00")),
    ((("1000.00", 1, 10), ("2500.50", 2, 10)), "350.05", None, D("3150.45")),
    ((("0.005", 1, 10),), None, None, D("0.01")),  # half-up to the cent
    ((("10000", 1, 10), ("-500", 3, 11)), "950", "200", D("8750.00")),  # credit line, released retainage
])
def test_bill_totals(lines, withheld, released, total):
    body = procore_requisition_to_qbo_bill(req(lines=lines, withheld=withheld, released=released), CTX)
    assert sum(Decimal(x["Amount"]) for x in body["Line"]) == total
    assert all(isinstance(x["Amount"], Decimal) for x in body["Line"])


def test_bill_shape():
    body = procore_requisition_to_qbo_bill(req(lines=(("48250.00", 1, 10),), withheld="4825.00"), CTX)
    assert body["VendorRef"] == {"value": "56"} and body["DocNumber"] == "2024-117"
    assert body["TxnDate"] == "2026-11-01"
    item, ret = body["Line"]
    assert item["ItemBasedExpenseLineDetail"]["ItemRef"] == {"value": "101"}
    assert item["ItemBasedExpenseLineDetail"]["CustomerRef"] == {"value": "58"}
    assert ret["AccountBasedExpenseLineDetail"]["AccountRef"] == {"value": "94"} and ret["Amount"] == D("-4825.00")
    assert bill_summary(body, "ACME Concrete") == (
        "Creates Bill 2024-117 for ACME Concrete, $43,425.00 across 1 cost code")


def test_retainage_from_lines_when_invoice_has_no_total():
    r = Requisition(id=1, status="approved", lines=(
        RequisitionLine(id=1, amount=D("100"), cost_code_id=1, line_item_type_id=10, retainage_withheld=D("10")),
        RequisitionLine(id=2, amount=D("200"), cost_code_id=2, line_item_type_id=10, retainage_withheld=D("20"))))
    body = procore_requisition_to_qbo_bill(r, CTX)
    assert body["Line"][-1]["Amount"] == D("-30.00")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"status": "draft"}, "'draft' in Procore; only invoices that are Approved"),
    ({"status": "under_review"}, "'under review'"),
    ({"lines": (("100", 1, 10),), "withheld": "500"}, "negative bill"),
    ({"lines": (("100", 9, 99),)}, "has no QuickBooks item yet"),
    ({"number": "INV-2024-000000000117-A"}, "QuickBooks allows 21"),
    ({"lines": (("0", 1, 10),)}, "no amounts to bill"),
])
def test_bill_refusals_say_why(kwargs, message):
    with pytest.raises(MappingError, match=message):
        procore_requisition_to_qbo_bill(req(**kwargs), CTX)


@pytest.mark.parametrize("status", ["approved", "approved_as_noted", "pending_owner_approval"])
def test_exportable_statuses(status):
    assert procore_requisition_to_qbo_bill(req(status=status), CTX)["Line"]


ICTX = InvoiceContext(customer_id="58", work_item_id="201", retainage_item_id="202", label="Pay app #3")


def app(**kw):
    base = {"id": 3, "status": "approved", "invoice_number": "PA-3", "period_start": date(2026, 10, 1),
            "period_end": date(2026, 10, 31), "work_completed_this_period": D("120000.00"),
            "materials_presently_stored": D("5000.00"), "retainage_held": D("12500.00")}
    return PaymentApplication(**(base | kw))


def test_owner_invoice_two_lines():
    body = procore_payment_application_to_qbo_invoice(app(), ICTX)
    work, ret = body["Line"]
    assert work["Amount"] == D("125000.00") and ret["Amount"] == D("-12500.00")
    assert "Oct 01 – Oct 31, 2026" in work["Description"] and ret["Description"] == "Retainage held this period"
    assert body["CustomerRef"] == {"value": "58"} and body["DocNumber"] == "PA-3" and body["TxnDate"] == "2026-10-31"


def test_owner_invoice_retainage_release():
    body = procore_payment_application_to_qbo_invoice(app(retainage_held=D("0"), retainage_released=D("30000")), ICTX)
    assert body["Line"][1]["Amount"] == D("30000.00") and body["Line"][1]["Description"] == "Retainage released"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"status": "draft"}, "only approved"),
    ({"work_completed_this_period": D("0"), "materials_presently_stored": None}, "negative invoice"),
    ({"invoice_number": "X" * 22}, "QuickBooks allows 21"),
])
def test_owner_invoice_refusals(kwargs, message):
    with pytest.raises(MappingError, match=message):
        procore_payment_application_to_qbo_invoice(app(**kwargs), ICTX)


@pytest.mark.parametrize(("value", "text"), [(D("48250"), "$48,250.00"), (D("-1200.5"), "-$1,200.50"),
                                             (D("0.005"), "$0.01")])
def test_cents(value, text):
    assert cents(value) == D(text.replace("$", "").replace(",", ""))

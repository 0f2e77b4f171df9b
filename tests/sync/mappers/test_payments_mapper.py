"""BillPayment → applications (per Bill) and a Bill's paid status, table-driven, to the cent."""

from datetime import date
from decimal import Decimal

import pytest

from sync.mappers.errors import MappingError
from sync.mappers.payments import (
    Application,
    applications,
    contract_payment_fields,
    from_json,
    is_deleted,
    is_voided,
    paid_status,
    same_payment,
    to_json,
)

D = Decimal


def bp(lines, *, total=None, note=None, doc="1042", pay_type="Check", token="0", bp_id="301"):
    body = {"Id": bp_id, "SyncToken": token, "TxnDate": "2026-03-14", "PayType": pay_type, "DocNumber": doc,
            "VendorRef": {"value": "46", "name": "Norton Lumber"},
            "TotalAmt": D(total) if total is not None else sum((D(a) for a, _ in lines), D(0)),
            "Line": [{"Amount": D(a), "LinkedTxn": links} for a, links in lines]}
    if note is not None:
        body["PrivateNote"] = note
    return body


def bill_link(bill_id):
    return [{"TxnId": bill_id, "TxnType": "Bill"}]


@pytest.mark.parametrize(("lines", "expected"), [
    # full payment of one bill
    ([("48250.00", bill_link("101"))], {"101": D("48250.00")}),
    # partial payment
    ([("10000.5", bill_link("101"))], {"101": D("10000.50")}),
    # one payment, two bills
    ([("100.00", bill_link("101")), ("250.25", bill_link("102"))], {"101": D("100.00"), "102": D("250.25")}),
    # two lines on the same bill add up
    ([("0.10", bill_link("101")), ("0.20", bill_link("101"))], {"101": D("0.30")}),
    # a vendor credit applied is not money paid
    ([("500.00", bill_link("101")), ("-120.00", [{"TxnId": "77", "TxnType": "VendorCredit"}])],
     {"101": D("500.00")}),
    # half a cent rounds half-up
    ([("0.005", bill_link("101"))], {"101": D("0.01")}),
    # zero lines are left out
    ([("0", bill_link("101"))], {}),
])
def test_applications(lines, expected):
    apps = applications(bp(lines))
    assert {a.bill_id: a.amount for a in apps} == expected
    for a in apps:
        assert isinstance(a.amount, Decimal) and a.amount == a.amount.quantize(D("0.01"))
        assert a.key == f"301:{a.bill_id}" and a.origin_id == f"301:{a.bill_id}:0"
        assert a.payment_date == date(2026, 3, 14) and a.reference == "1042"


def test_voided_and_deleted_payments_pay_nothing():
    voided = bp([], total="0", note="Voided - paid twice", token="2")  # QBO zeroes a voided payment
    assert is_voided(voided) and applications(voided) == []
    deleted = {"Id": "301", "status": "Deleted"}
    assert is_deleted(deleted) and applications(deleted) == []
    assert not is_voided(bp([("1.00", bill_link("101"))], note="Voided cheque replaced by this payment"))


def test_payment_without_a_date_is_refused_with_a_sentence():
    body = bp([("1.00", bill_link("101"))])
    body["TxnDate"] = "soon"
    with pytest.raises(MappingError, match="has no valid date"):
        applications(body)


@pytest.mark.parametrize(("total", "balance", "fully", "partly", "text"), [
    ("48250.00", "0", True, False, "Paid in full ($48,250.00)"),
    ("48250.00", "38249.50", False, True, "Partially paid $10,000.50 of $48,250.00"),
    ("48250.00", "48250.00", False, False, "Unpaid ($48,250.00 open)"),
    ("0.03", "0.01", False, True, "Partially paid $0.02 of $0.03"),
])
def test_paid_status(total, balance, fully, partly, text):
    status = paid_status({"TotalAmt": D(total), "Balance": D(balance)})
    assert (status.fully_paid, status.partially_paid, status.text()) == (fully, partly, text)
    assert status.paid == D(total) - D(balance)


def test_contract_payment_fields_and_json_round_trip():
    app = applications(bp([("1234.56", bill_link("101"))], token="3"))[0]
    fields = contract_payment_fields(app, invoice_number="INV-7")
    assert fields["amount"] == D("1234.56") and fields["payment_date"] == date(2026, 3, 14)
    assert fields["check_number"] == "1042" and fields["invoice_number"] == "INV-7"
    assert fields["origin_id"] == "301:101:3" and "QuickBooks" in fields["notes"]
    card = applications(bp([("5.00", bill_link("101"))], pay_type="CreditCard"))[0]
    assert contract_payment_fields(card)["check_number"] is None
    assert from_json(to_json(app)) == app
    assert all(not isinstance(v, Decimal) for v in to_json(app).values())  # JSON-safe


def test_same_payment_ignores_memo_and_token():
    a = Application("301", "101", D("10.00"), date(2026, 3, 14), "0", "1042", "Check")
    assert same_payment(a, Application("301", "101", D("10.00"), date(2026, 3, 14), "5", "1042", "Check"))
    assert not same_payment(a, Application("301", "101", D("10.01"), date(2026, 3, 14), "5", "1042", "Check"))
    assert not same_payment(a, Application("301", "101", D("10.00"), date(2026, 3, 15), "5", "1042", "Check"))

"""QBO BillPayment → Procore contract payments, and a Bill's paid status (pure).

A BillPayment can pay several Bills at once (one line per Bill, each with a `LinkedTxn` of type "Bill") and
can apply vendor credits too (lines linked to a VendorCredit, which are not money paid). Each Bill a payment
touches becomes one *application*: the amount paid on that Bill by that payment, which is what Procore records
as a payment issued against the commitment and the invoice. A voided BillPayment keeps its Id but has no
amounts left (QBO zeroes it), so it yields no applications; a deleted one is a `{"status": "Deleted"}` stub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.money import money
from sync.mappers.errors import MappingError
from sync.mappers.money import cents


@dataclass(frozen=True)
class Application:
    """The part of one BillPayment that paid one Bill."""

    bill_payment_id: str
    bill_id: str
    amount: Decimal
    payment_date: date
    sync_token: str
    reference: str | None = None  # DocNumber: the check number / payment reference
    pay_type: str | None = None  # Check | CreditCard

    @property
    def key(self) -> str:
        """How the binder and the item's detail name this application: `{BillPayment Id}:{Bill Id}`."""
        return f"{self.bill_payment_id}:{self.bill_id}"

    @property
    def origin_id(self) -> str:
        """Procore `origin_id` of the payment made from this version (a changed amount is a new payment)."""
        return f"{self.key}:{self.sync_token}"


@dataclass(frozen=True)
class PaidStatus:
    total: Decimal
    balance: Decimal

    @property
    def paid(self) -> Decimal:
        return cents(self.total - self.balance)

    @property
    def fully_paid(self) -> bool:
        return self.balance <= 0 and self.total > 0

    @property
    def partially_paid(self) -> bool:
        return not self.fully_paid and self.paid > 0

    def text(self) -> str:
        if self.fully_paid:
            return f"Paid in full ({money(self.total)})"
        if self.partially_paid:
            return f"Partially paid {money(self.paid)} of {money(self.total)}"
        return f"Unpaid ({money(self.balance)} open)"


def _objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a JSON list (a list of anything else, or no list, reads as none)."""
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def is_deleted(row: Mapping[str, Any]) -> bool:
    """A CDC stub for a record deleted in QBO."""
    return str(row.get("status", "")).lower() == "deleted"


def is_voided(bill_payment: Mapping[str, Any]) -> bool:
    """QBO voids by zeroing the amounts and prefixing the memo with "Voided"."""
    note = str(bill_payment.get("PrivateNote") or "")
    return cents(bill_payment.get("TotalAmt")) == 0 and note.lower().startswith("voided")


def _txn_date(bill_payment: Mapping[str, Any]) -> date:
    raw = bill_payment.get("TxnDate")
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise MappingError(f"QuickBooks bill payment {bill_payment.get('Id')} has no valid date ({raw!r}); "
                           "open it in QuickBooks and save it with a payment date.") from None


def applications(bill_payment: Mapping[str, Any], *, pays: str = "Bill") -> list[Application]:
    """The Bills this payment paid and how much each (vendor-credit lines and zero amounts left out).

    `pays="Invoice"` reads a customer Payment the same way: the owner Invoices it paid (credit-memo lines left
    out); `bill_id` then holds the Invoice Id and `bill_payment_id` the Payment Id.

    Several lines paying the same Bill are added up; a line linked to more than one Bill (QBO does not create
    these, but the API accepts them) is attributed to its first Bill.
    """
    if is_deleted(bill_payment):
        return []
    if bill_payment.get("Id") in (None, ""):
        raise MappingError("QuickBooks sent a bill payment without an Id")
    bp_id = str(bill_payment["Id"])
    per_bill: dict[str, Decimal] = {}
    for line in _objects(bill_payment.get("Line")):
        bill_ids = [str(x.get("TxnId")) for x in _objects(line.get("LinkedTxn")) if x.get("TxnType") == pays]
        if not bill_ids:
            continue
        per_bill[bill_ids[0]] = per_bill.get(bill_ids[0], Decimal(0)) + cents(line.get("Amount"))
    if not any(per_bill.values()):
        return []
    when = _txn_date(bill_payment)
    reference = str(bill_payment.get("DocNumber") or "").strip() or None
    return [Application(bill_payment_id=bp_id, bill_id=bill_id, amount=cents(amount), payment_date=when,
                        sync_token=str(bill_payment.get("SyncToken", "0")), reference=reference,
                        pay_type=bill_payment.get("PayType"))
            for bill_id, amount in sorted(per_bill.items()) if cents(amount) > 0]


def paid_status(bill: Mapping[str, Any]) -> PaidStatus:
    """How much of a QBO Bill is paid: TotalAmt less the open Balance."""
    total = cents(bill.get("TotalAmt"))
    balance = cents(bill.get("Balance") if bill.get("Balance") is not None else total)
    return PaidStatus(total=total, balance=balance)


def contract_payment_fields(app: Application, *, invoice_number: str | None = None) -> dict[str, Any]:
    """Keyword arguments for `ProcoreClient.create_contract_payment` (besides project, commitment, invoice)."""
    how = {"Check": "check", "CreditCard": "credit card"}.get(app.pay_type or "", "payment")
    ref = f" #{app.reference}" if app.reference else ""
    return {
        "amount": app.amount,
        "payment_date": app.payment_date,
        "check_number": app.reference if app.pay_type in (None, "Check") else None,
        "invoice_number": invoice_number,
        "notes": (f"Paid in QuickBooks by {how}{ref} (bill payment {app.bill_payment_id}). "
                  "Synced by Ledgerlink: change or void the payment in QuickBooks, not here."),
        "origin_id": app.origin_id,
    }


def to_json(app: Application) -> dict[str, str | None]:
    """What the item's detail and the outbox payload keep of an application (JSON: money as a string)."""
    return {"bill_payment_id": app.bill_payment_id, "bill_id": app.bill_id, "amount": str(app.amount),
            "date": app.payment_date.isoformat(), "sync_token": app.sync_token, "reference": app.reference,
            "pay_type": app.pay_type}


def from_json(data: Mapping[str, Any]) -> Application:
    return Application(bill_payment_id=str(data["bill_payment_id"]), bill_id=str(data["bill_id"]),
                       amount=cents(data["amount"]), payment_date=date.fromisoformat(str(data["date"])),
                       sync_token=str(data["sync_token"]), reference=data.get("reference"),
                       pay_type=data.get("pay_type"))


def same_payment(a: Application, b: Application) -> bool:
    """True when Procore's record of `a` still says what `b` says (memo-only edits don't matter)."""
    return (a.amount, a.payment_date, a.reference) == (b.amount, b.payment_date, b.reference)

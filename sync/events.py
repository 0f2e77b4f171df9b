"""Notification events for the Slack side: "paid" (and "payment reversed") notices, without a table of their own.

An event is an audit row (`action` = `notify.paid` / `notify.payment_reversed`, written by paid sync in the
same transaction as the payment it announces), so it exists exactly when the change does. Each consumer (the
Slack notifier) keeps how far it has read as a cursor row (`SyncCursor.job` = "events:<consumer>"):
`pending()` gives what it has not announced yet, oldest first, and `acknowledge()` moves its cursor on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from core.domain import audit
from core.domain.permissions import SYSTEM
from core.domain.settings import tenant_settings
from core.models import AuditEvent, Item
from core.money import money
from sync.jobs.base import cursor
from sync.mappers.payments import Application, PaidStatus

PAID, REVERSED = "notify.paid", "notify.payment_reversed"
RECEIVED, RECEIPT_REVERSED = "notify.received", "notify.receipt_reversed"  # money coming in: owner invoices
KINDS = {PAID: "paid", REVERSED: "payment_reversed", RECEIVED: "received", RECEIPT_REVERSED: "receipt_reversed"}


@dataclass(frozen=True)
class PaymentEvent:
    """What a channel notice says: invoice, vendor, amount, payment date (+ how much of the bill is paid)."""

    id: int
    tenant_id: int
    kind: str  # "paid" | "payment_reversed" | "received" | "receipt_reversed"
    item_id: int | None
    invoice: str
    vendor: str
    amount: Decimal
    payment_date: date | None
    reference: str | None
    fully_paid: bool
    status: str  # "Paid in full ($48,250.00)" / "Partially paid $10,000.00 of $48,250.00" / ...
    channel: str | None
    created_at: datetime
    invoice_number: str | None = None

    @property
    def incoming(self) -> bool:
        return self.kind in ("received", "receipt_reversed")

    @property
    def reversed(self) -> bool:
        return self.kind in ("payment_reversed", "receipt_reversed")

    def text(self) -> str:
        ref = f" (ref {self.reference})" if self.reference else ""
        when = f" on {self.payment_date.isoformat()}" if self.payment_date else ""
        number = self.invoice_number or self.invoice
        if self.kind == "received":
            return f"{self.vendor} paid {money(self.amount)} on invoice {number}{when}{ref}. {self.status}."
        if self.kind == "receipt_reversed":
            return (f"{self.vendor}'s payment of {money(self.amount)} on invoice {number}{when}{ref} was voided or "
                    f"deleted in QuickBooks. {self.status}.")
        if self.kind == "payment_reversed":
            return (f"Payment reversed: {self.invoice} from {self.vendor} — {money(self.amount)}{when}{ref} was "
                    f"voided or deleted in QuickBooks. {self.status}.")
        return f"Paid: {self.invoice} from {self.vendor} — {money(self.amount)}{when}{ref}. {self.status}."


def record_payment(session: Session, *, item: Item, app: Application, status: PaidStatus, vendor: str,
                   reversed_: bool = False, incoming: bool = False) -> AuditEvent:
    """Add the notice for one payment applied to (or taken off) one invoice, in the caller's transaction."""
    settings = tenant_settings(session, item.tenant_id)
    detail: dict[str, Any] = {
        "invoice": item.title, "vendor": vendor, "amount": str(app.amount),
        "payment_date": app.payment_date.isoformat(), "reference": app.reference,
        "bill_payment_id": app.bill_payment_id, "bill_id": app.bill_id, "fully_paid": status.fully_paid,
        "status": status.text(), "channel": settings.notify_channel or settings.approvers_channel,
        "invoice_number": (item.detail or {}).get("invoice_number"),
    }
    action = (RECEIPT_REVERSED if reversed_ else RECEIVED) if incoming else (REVERSED if reversed_ else PAID)
    return audit.record(session, tenant_id=item.tenant_id, actor=SYSTEM, action=action,
                        item_id=item.id, before=item.state, after=item.state, detail=detail)


def _event(row: AuditEvent) -> PaymentEvent:
    d = row.detail or {}
    return PaymentEvent(
        id=row.id or 0, tenant_id=row.tenant_id, kind=KINDS[row.action], item_id=row.item_id,
        invoice=str(d.get("invoice", "")), vendor=str(d.get("vendor", "")), amount=Decimal(str(d.get("amount", "0"))),
        payment_date=date.fromisoformat(d["payment_date"]) if d.get("payment_date") else None,
        reference=d.get("reference"), fully_paid=bool(d.get("fully_paid")), status=str(d.get("status", "")),
        channel=d.get("channel"), created_at=row.created_at, invoice_number=d.get("invoice_number"))


def _query(tenant_id: int):  # type: ignore[no-untyped-def]
    return select(AuditEvent).where(AuditEvent.tenant_id == tenant_id, AuditEvent.action.in_(tuple(KINDS)))


def recent(session: Session, tenant_id: int, *, limit: int = 50) -> list[PaymentEvent]:
    """The newest events first (for a report or a test)."""
    rows = session.exec(_query(tenant_id).order_by(AuditEvent.id.desc()).limit(limit))
    return [_event(r) for r in rows]


def pending(session: Session, tenant_id: int, *, consumer: str = "slack", limit: int = 100) -> list[PaymentEvent]:
    """Events `consumer` has not acknowledged yet, oldest first."""
    seen = int(cursor(session, tenant_id, f"events:{consumer}").cursor or 0)
    rows = session.exec(_query(tenant_id).where(AuditEvent.id > seen).order_by(AuditEvent.id).limit(limit))
    return [_event(r) for r in rows]


def acknowledge(session: Session, tenant_id: int, event_id: int, *, consumer: str = "slack") -> None:
    """`consumer` has announced everything up to `event_id` (in the caller's transaction; never moves back)."""
    row = cursor(session, tenant_id, f"events:{consumer}")
    if event_id > int(row.cursor or 0):
        row.cursor = str(event_id)
        session.add(row)

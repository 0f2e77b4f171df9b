"""Procore owner invoice (prime contract payment application) → QBO Invoice (pure).

As Procore's QBO connector does: two `SalesItemLineDetail` lines against the project's customer — work
completed this period (plus materials presently stored), and retainage (held this period as a negative
amount, released as a positive one) — with the detail on the PDF summary sheet attached to the Invoice.
Retainage held this period is taken from the G702 figures when Procore sends them (work + stored materials −
current payment due + released, which also counts retainage on stored materials), else from the G703 lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.money import money
from sync.mappers.bills import doc_number
from sync.mappers.errors import MappingError
from sync.mappers.money import cents
from sync.procore.financials import PaymentApplication

EXPORTABLE_OWNER_INVOICE_STATUSES = frozenset({"approved"})


@dataclass(frozen=True)
class InvoiceContext:
    customer_id: str  # QBO project (Customer) Id
    work_item_id: str  # Service item for progress billing
    retainage_item_id: str  # Service item for retainage
    label: str = ""


def _period(app: PaymentApplication) -> str:
    if app.period_start and app.period_end:
        return f" ({app.period_start:%b %d} – {app.period_end:%b %d, %Y})"
    return ""


def procore_payment_application_to_qbo_invoice(app: PaymentApplication, ctx: InvoiceContext) -> dict[str, Any]:
    label = ctx.label or f"Owner invoice {app.number or app.id}"
    if (app.status or "") not in EXPORTABLE_OWNER_INVOICE_STATUSES:
        raise MappingError(f"{label} is '{(app.status or 'unknown').replace('_', ' ')}' in Procore; only approved "
                           "owner invoices can be exported.")
    work = cents(app.work_completed_this_period) + cents(app.materials_presently_stored)
    retainage = cents(app.retainage_released) - retainage_held(app)
    if work + retainage < 0:
        raise MappingError(f"{label} totals {money(work + retainage)}; QuickBooks can't hold a negative invoice. "
                           "Issue a credit memo in QuickBooks or correct the pay application in Procore.")
    if work == 0 and retainage == 0:
        raise MappingError(f"{label} has nothing billed this period.")
    lines = [_line(1, work, f"Work completed this period{_period(app)}", ctx.work_item_id),
             _line(2, retainage, "Retainage released" if retainage > 0 else "Retainage held this period",
                   ctx.retainage_item_id)]
    body: dict[str, Any] = {"CustomerRef": {"value": ctx.customer_id}, "Line": lines,
                            "PrivateNote": f"Procore payment application {app.id}"}
    if number := doc_number(app.invoice_number or app.number, label):
        body["DocNumber"] = number
    if txn_date := (app.billing_date or app.period_end):
        body["TxnDate"] = txn_date.isoformat()
    return body


def retainage_held(app: PaymentApplication) -> Decimal:
    """Retainage held this period (see the module docstring)."""
    if app.total_amount is not None and app.work_completed_this_period is not None:
        work = cents(app.work_completed_this_period) + cents(app.materials_presently_stored)
        return work - cents(app.total_amount) + cents(app.retainage_released)
    return cents(app.retainage_held)


def invoice_summary(body: dict[str, Any], customer_name: str) -> str:
    """'Creates Invoice 0001 for Riverside MOB, $153,900.00 (work $162,000.00, retainage −$8,100.00)'."""
    work, retainage = (Decimal(x["Amount"]) for x in body["Line"][:2])
    number = f" {body['DocNumber']}" if body.get("DocNumber") else ""
    kind = "retainage released" if retainage > 0 else "retainage held"
    return (f"Creates Invoice{number} for {customer_name}, {money(work + retainage)} "
            f"(work {money(work)}, {kind} {money(abs(retainage))})")


def _line(n: int, amount: Decimal, description: str, item_id: str) -> dict[str, Any]:
    return {"LineNum": n, "DetailType": "SalesItemLineDetail", "Amount": amount, "Description": description,
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": Decimal(1), "UnitPrice": amount}}

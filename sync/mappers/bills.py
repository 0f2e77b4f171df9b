"""Procore subcontractor invoice (requisition) → QBO Bill (pure).

Lines: one `ItemBasedExpenseLineDetail` per cost code × cost type (invoice lines sharing both are added up), with
the Service item created for that budget line and the project as the customer, at the gross amount billed this
period. Retainage: QBO has no
retainage field on a Bill, so — as contractors book it by hand in QBO — retainage withheld this period is a
negative `AccountBasedExpenseLineDetail` line to a *Retainage Payable* liability account and retainage
released is a positive line to the same account. The Bill's total is then the net amount due now, which is
what the subcontractor is paid against; the retainage owed accumulates in that account until released.

Retainage this period comes from Procore's G702 figures when they agree with the lines: withheld = gross claimed
this period − current payment due + released (this also counts retainage on stored materials, which Procore's
invoice lines do not carry per period); otherwise from the invoice's own fields or the sum of its lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.money import money
from sync.mappers.errors import MappingError
from sync.mappers.money import cents
from sync.mappers.names import DOC_NUMBER_MAX
from sync.procore.financials import EXPORTABLE_REQUISITION_STATUSES, Requisition

STATUS_LABELS = {"approved": "Approved", "approved_as_noted": "Approved as noted",
                 "pending_owner_approval": "Pending owner approval"}


@dataclass(frozen=True)
class BillContext:
    """The links a Bill needs, looked up by the job from the binder."""

    vendor_id: str  # QBO Vendor Id of the commitment's company
    customer_id: str  # QBO project (Customer) Id
    items: Mapping[tuple[int | None, int | None], str]  # (cost_code_id, line_item_type_id) → QBO Item Id
    retainage_account_id: str  # QBO Retainage Payable account
    label: str = ""  # how people know the invoice ("ACME Concrete #12")


def doc_number(raw: str | None, label: str) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if len(value) > DOC_NUMBER_MAX:
        raise MappingError(f"{label}: invoice number '{value}' is {len(value)} characters; QuickBooks allows "
                           f"{DOC_NUMBER_MAX}. Shorten it in Procore and send it again.")
    return value


def check_exportable(req: Requisition, label: str) -> None:
    if (req.status or "") not in EXPORTABLE_REQUISITION_STATUSES:
        allowed = ", ".join(STATUS_LABELS.values())
        raise MappingError(f"{label} is '{(req.status or 'unknown').replace('_', ' ')}' in Procore; only "
                           f"invoices that are {allowed} can be exported.")


def procore_requisition_to_qbo_bill(req: Requisition, ctx: BillContext) -> dict[str, Any]:
    label = ctx.label or f"Subcontractor invoice {req.number or req.id}"
    check_exportable(req, label)
    lines: list[dict[str, Any]] = []
    gross = Decimal(0)
    for (cost_code_id, type_id), (amount, cost_code, description) in _by_cost_item(req).items():
        if amount == 0:
            continue
        item_id = ctx.items.get((cost_code_id, type_id))
        if item_id is None:
            code = cost_code or f"cost code {cost_code_id}"
            raise MappingError(f"{label}: {code} (cost type {type_id}) has no QuickBooks item "
                               "yet — add the budget line to the project or refresh its cost codes, then resend.")
        gross += amount
        lines.append({
            "DetailType": "ItemBasedExpenseLineDetail",
            "Amount": amount,
            "Description": description[:4000],
            "ItemBasedExpenseLineDetail": {
                "ItemRef": {"value": item_id},
                "CustomerRef": {"value": ctx.customer_id},
                "BillableStatus": "NotBillable",
                "Qty": Decimal(1),
                "UnitPrice": amount,
            },
        })
    withheld, released = _retainage(req)
    for amount, text in ((-withheld, "Retainage withheld this period"), (released, "Retainage released")):
        if amount:
            lines.append({
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": amount,
                "Description": text,
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": ctx.retainage_account_id},
                                                  "CustomerRef": {"value": ctx.customer_id},
                                                  "BillableStatus": "NotBillable"},
            })
    net = gross - withheld + released
    if net < 0:
        raise MappingError(f"{label} totals {money(net)} after retainage; QuickBooks can't hold a negative bill. "
                           "Record it as a vendor credit or correct the invoice in Procore.")
    if not lines:
        raise MappingError(f"{label} has no amounts to bill this period.")
    body: dict[str, Any] = {"VendorRef": {"value": ctx.vendor_id}, "Line": lines,
                            "PrivateNote": f"Procore requisition {req.id}"[:4000]}
    if number := doc_number(req.invoice_number or req.number, label):
        body["DocNumber"] = number
    if txn_date := (req.billing_date or req.period_end):
        body["TxnDate"] = txn_date.isoformat()
    return body


def _by_cost_item(req: Requisition) -> dict[tuple[int | None, int | None], tuple[Decimal, str | None, str]]:
    """Invoice lines added up per (cost code, cost type), in first-seen order: amount, code, description."""
    out: dict[tuple[int | None, int | None], tuple[Decimal, str | None, str]] = {}
    for line in req.lines:
        key = (line.cost_code_id, line.line_item_type_id)
        amount, code, text = out.get(key, (Decimal(0), line.cost_code, ""))
        words = line.description or line.cost_code or ""
        if words and words not in text.split("; "):
            text = f"{text}; {words}" if text else words
        out[key] = (amount + cents(line.amount), code or line.cost_code, text)
    return out


def _retainage(req: Requisition) -> tuple[Decimal, Decimal]:
    """This period's retainage withheld and released (see the module docstring for the order of sources)."""
    released = req.retainage_released
    if released is None:
        released = sum((x.retainage_released or Decimal(0) for x in req.lines), Decimal(0))
    gross = sum((cents(x.amount) for x in req.lines), Decimal(0))
    if (req.total_claimed_amount is not None and req.total_amount is not None
            and cents(req.total_claimed_amount) == gross):
        return cents(gross - cents(req.total_amount) + cents(released)), cents(released)
    withheld = req.retainage_withheld
    if withheld is None:
        withheld = sum((x.retainage_withheld or Decimal(0) for x in req.lines), Decimal(0))
    return cents(withheld), cents(released)


def bill_summary(body: Mapping[str, Any], vendor_name: str) -> str:
    """'Creates Bill 2024-117 for ACME Concrete, $48,250.00 across 3 cost codes' (for the approval card)."""
    item_lines = [x for x in body["Line"] if x["DetailType"] == "ItemBasedExpenseLineDetail"]
    total = sum((Decimal(x["Amount"]) for x in body["Line"]), Decimal(0))
    number = f" {body['DocNumber']}" if body.get("DocNumber") else ""
    n = len(item_lines)
    return f"Creates Bill{number} for {vendor_name}, {money(total)} across {n} cost code{'s' if n != 1 else ''}"

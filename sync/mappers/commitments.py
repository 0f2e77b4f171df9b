"""Commitments, change orders and prime contracts → QBO PurchaseOrder / Estimate bodies (pure).

Procore's QBO connector moves none of these; Ledgerlink does, after acceptance:
- a commitment (subcontract or purchase order) → a PurchaseOrder to the commitment's company, one
  `ItemBasedExpenseLineDetail` line per schedule-of-values line with that line's cost-code item and the project as
  customer (not billable);
- an approved commitment change order → the same PurchaseOrder amended: its lines appended, each described
  "CO <number>: …" — that prefix is how a rerun sees the amendment is already there;
- a prime contract → an Estimate to the project (customer), one `SalesItemLineDetail` per line, with the cost-code
  item when the line has a cost type and that item exists, else the tenant's sales item;
- an approved prime contract change order → the Estimate amended the same way.

Input records are snapshots (item `detail`), JSON-safe with money as strings; bodies carry Decimal money.
The typed change-order and prime-contract records the jobs read from Procore live in sync/procore/financials.py
(re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.money import money
from sync.mappers.errors import MappingError
from sync.mappers.money import cents
from sync.mappers.names import DOC_NUMBER_MAX
from sync.procore.financials import (  # noqa: F401 - re-exported: the records moved to the client
    APPROVED_CHANGE_ORDER,
    ChangeOrder,
    ContractLine,
    PrimeContract,
)

EXPORTABLE_COMMITMENT_STATUSES = frozenset({"Approved", "Complete", "Partially Received", "Received", "Closed"})
EXPORTABLE_PRIME_STATUSES = frozenset({"Approved", "Complete"})
KIND_LABELS = {"work_order_contract": "subcontract", "purchase_order_contract": "purchase order",
               "prime_contract": "prime contract", "cco": "commitment change order",
               "pcco": "prime contract change order"}


# --- the QBO side --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportContext:
    """The links a body needs, looked up by the service from the binder."""

    customer_id: str  # QBO project (Customer) Id
    items: Mapping[tuple[int | None, int | None], str]  # (cost code id, cost type id) → QBO Item Id
    vendor_id: str | None = None  # QBO Vendor Id (purchase orders)
    sales_item_id: str | None = None  # the item for estimate lines without a cost-code item
    label: str = ""


def procore_note(kind: str, procore_id: int | str) -> str:
    """The PrivateNote that names the Procore record (and lets a retry recognise its own QBO record)."""
    return f"Procore {KIND_LABELS.get(kind, kind)} {procore_id}"


def change_order_marker(number: str | None, procore_id: int | str) -> str:
    return f"CO {number or procore_id}:"


def _doc_number(raw: str | None, label: str) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) > DOC_NUMBER_MAX:
        raise MappingError(f"{label}: number '{value}' is {len(value)} characters; QuickBooks allows "
                           f"{DOC_NUMBER_MAX}. Shorten it in Procore and send it again.")
    return value


def _line_amounts(lines: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], Decimal]]:
    return [(line, cents(Decimal(str(line.get("amount") or 0)))) for line in lines]


def _item_for(line: Mapping[str, Any], ctx: ExportContext, label: str) -> str:
    key = (line.get("cost_code_id"), line.get("line_item_type_id"))
    item_id = ctx.items.get(key)
    if item_id is None:
        code = line.get("cost_code") or f"cost code {line.get('cost_code_id')}"
        kind = line.get("cost_type") or f"cost type {line.get('line_item_type_id')}"
        raise MappingError(f"{label}: {code} × {kind} has no QuickBooks item yet — add it to the project's budget "
                           "and sync its cost codes (or send the budget), then send this again.")
    return item_id


def _description(line: Mapping[str, Any], prefix: str = "") -> str:
    text = " · ".join(str(p) for p in (line.get("cost_code"), line.get("description")) if p)
    return f"{prefix} {text}".strip()[:4000]


def _expense_lines(lines: Sequence[Mapping[str, Any]], ctx: ExportContext, label: str, prefix: str = ""
                   ) -> list[dict[str, Any]]:
    return _qbo_lines(lines, prefix, "ItemBasedExpenseLineDetail", lambda line, amount: {
        "ItemRef": {"value": _item_for(line, ctx, label)}, "CustomerRef": {"value": ctx.customer_id},
        "BillableStatus": "NotBillable", "Qty": Decimal(1), "UnitPrice": amount})


def _qbo_lines(lines: Sequence[Mapping[str, Any]], prefix: str, kind: str,
               detail: Callable[[Mapping[str, Any], Decimal], dict[str, Any]]) -> list[dict[str, Any]]:
    """The schedule-of-values lines with an amount, as QBO lines of `kind` (`detail` builds the kind's part)."""
    return [{"DetailType": kind, "Amount": amount, "Description": _description(line, prefix),
             kind: detail(line, amount)} for line, amount in _line_amounts(lines) if amount != 0]


def commitment_to_qbo_purchase_order(detail: Mapping[str, Any], ctx: ExportContext) -> dict[str, Any]:
    """An accepted commitment → the PurchaseOrder body."""
    label = ctx.label or f"Commitment {detail.get('number') or detail.get('id')}"
    status = detail.get("status") or ""
    if status not in EXPORTABLE_COMMITMENT_STATUSES:
        raise MappingError(f"{label} is '{status or 'unknown'}' in Procore; only approved commitments are sent to "
                           "QuickBooks as purchase orders.")
    if not ctx.vendor_id:
        raise MappingError(f"{label}: its company {detail.get('vendor_name') or ''} is not linked to a QuickBooks "
                           "vendor; link the company first.".replace("  ", " "))
    negative = [line for line, amount in _line_amounts(detail.get("lines") or []) if amount < 0]
    if negative:
        raise MappingError(f"{label} has a negative schedule-of-values line ({negative[0].get('description') or ''}"
                           f" {money(Decimal(str(negative[0].get('amount'))))}); a purchase order can't start with a "
                           "credit — correct the commitment in Procore, or record the credit as a change order.")
    lines = _expense_lines(detail.get("lines") or [], ctx, label)
    if not lines:
        raise MappingError(f"{label} has no amounts on its schedule of values; nothing to order.")
    body: dict[str, Any] = {"VendorRef": {"value": ctx.vendor_id}, "Line": lines, "POStatus": "Open",
                            "PrivateNote": procore_note(detail.get("kind") or "commitment", detail["id"])}
    if number := _doc_number(detail.get("number"), label):
        body["DocNumber"] = number
    if detail.get("title"):
        body["Memo"] = str(detail["title"])[:4000]
    if detail.get("contract_date"):
        body["TxnDate"] = str(detail["contract_date"])[:10]
    return body


def change_order_lines(detail: Mapping[str, Any], ctx: ExportContext, *, sales: bool) -> list[dict[str, Any]]:
    """An approved change order's lines as QBO lines for the purchase order (`sales=False`) or estimate."""
    label = ctx.label or f"Change order {detail.get('number') or detail.get('id')}"
    if (detail.get("status") or "").lower() != APPROVED_CHANGE_ORDER:
        raise MappingError(f"{label} is '{detail.get('status') or 'unknown'}' in Procore; only approved change "
                           "orders amend QuickBooks.")
    prefix = change_order_marker(detail.get("number"), detail["id"])
    lines = (_sales_lines(detail.get("lines") or [], ctx, label, prefix) if sales
             else _expense_lines(detail.get("lines") or [], ctx, label, prefix))
    if not lines:
        raise MappingError(f"{label} changes no amounts; there is nothing to amend in QuickBooks.")
    return lines


def amended_lines(current: Sequence[Mapping[str, Any]], added: Sequence[Mapping[str, Any]], marker: str,
                  label: str) -> list[dict[str, Any]] | None:
    """The record's lines with the change order's appended; None when they are there already (a rerun). Existing
    lines keep their Id, so QBO keeps them; subtotal lines are left for QBO to recompute."""
    kept = [dict(line) for line in current if line.get("DetailType") != "SubTotalLineDetail"]
    if any(str(line.get("Description") or "").startswith(marker) for line in kept):
        return None
    total = sum((Decimal(str(line.get("Amount") or 0)) for line in kept), Decimal(0)) \
        + sum((Decimal(str(line["Amount"])) for line in added), Decimal(0))
    if total < 0:
        raise MappingError(f"{label} would take the total below zero ({money(total)}); QuickBooks can't hold that. "
                           "Check the change order in Procore.")
    return kept + [dict(line) for line in added]


def _sales_lines(lines: Sequence[Mapping[str, Any]], ctx: ExportContext, label: str, prefix: str = ""
                 ) -> list[dict[str, Any]]:
    return _qbo_lines(lines, prefix, "SalesItemLineDetail", lambda line, amount: {
        "ItemRef": {"value": _sales_item_for(line, ctx, label)}, "Qty": Decimal(1), "UnitPrice": amount})


def _sales_item_for(line: Mapping[str, Any], ctx: ExportContext, label: str) -> str:
    item_id = ctx.items.get((line.get("cost_code_id"), line.get("line_item_type_id"))) \
        if line.get("line_item_type_id") is not None else None
    item_id = item_id or ctx.sales_item_id
    if not item_id:
        raise MappingError(f"{label}: QuickBooks has no item to put {line.get('cost_code') or 'a line'} on; "
                           "choose the sales item for contract lines in the cost-code settings.")
    return item_id


def prime_contract_to_qbo_estimate(detail: Mapping[str, Any], ctx: ExportContext) -> dict[str, Any]:
    """An accepted prime contract → the Estimate body (Accepted once the contract is approved/executed)."""
    label = ctx.label or f"Prime contract {detail.get('number') or detail.get('id')}"
    status = detail.get("status") or ""
    if status not in EXPORTABLE_PRIME_STATUSES:
        raise MappingError(f"{label} is '{status or 'unknown'}' in Procore; only approved prime contracts are sent to "
                           "QuickBooks as estimates.")
    lines = _sales_lines(detail.get("lines") or [], ctx, label)
    if not lines:
        raise MappingError(f"{label} has no amounts on its schedule of values; nothing to estimate.")
    total = sum((line["Amount"] for line in lines), Decimal(0))
    if total < 0:
        raise MappingError(f"{label} totals {money(total)}; QuickBooks can't hold a negative estimate.")
    body: dict[str, Any] = {"CustomerRef": {"value": ctx.customer_id}, "Line": lines, "TxnStatus": "Accepted",
                            "PrivateNote": procore_note("prime_contract", detail["id"])}
    number = f"{detail.get('project_number') or ''}-PC{detail.get('number') or ''}".strip("-")
    if number and len(number) <= DOC_NUMBER_MAX:
        body["DocNumber"] = number
    if detail.get("contract_date"):
        body["TxnDate"] = str(detail["contract_date"])[:10]
    return body


def qbo_estimate_to_procore_prime_contract(estimate: Mapping[str, Any], items: Mapping[str, tuple[int, int]],
                                           cost_codes: Mapping[str, int], *, title: str | None = None
                                           ) -> dict[str, Any]:
    """Import a Prime Contract from QBO: an Estimate → the Procore prime contract body (origin_id = Estimate Id).

    `items` maps a QBO item to its (cost code id, cost type id) on this project (Ledgerlink's cost-code items);
    `cost_codes` maps other item names to a project cost code id (the caller's choice). Lines on other items are
    refused with the item's name, so nothing is imported half-way."""
    lines, unknown = [], []
    for n, line in enumerate(estimate.get("Line") or [], start=1):
        if line.get("DetailType") != "SalesItemLineDetail":
            continue
        ref = (line.get("SalesItemLineDetail") or {}).get("ItemRef") or {}
        placed = items.get(str(ref.get("value")))
        code_id = placed[0] if placed else cost_codes.get(str(ref.get("name") or ""))
        if code_id is None:
            unknown.append(str(ref.get("name") or ref.get("value")))
            continue
        out: dict[str, Any] = {"cost_code_id": code_id, "amount": cents(Decimal(str(line.get("Amount") or 0))),
                               "description": str(line.get("Description") or ref.get("name") or "")[:255],
                               "position": n}
        if placed:
            out["line_item_type_id"] = placed[1]
        lines.append(out)
    if unknown:
        raise MappingError(f"QuickBooks estimate {estimate.get('DocNumber') or estimate.get('Id')} has lines on items "
                           f"Ledgerlink can't place on a cost code: {', '.join(sorted(set(unknown)))}. Map them to "
                           "cost codes and import again.")
    if not lines:
        raise MappingError(f"QuickBooks estimate {estimate.get('DocNumber') or estimate.get('Id')} has no item lines "
                           "to import.")
    return {"title": (title or f"Estimate {estimate.get('DocNumber') or estimate['Id']}")[:255],
            "status": "Approved" if estimate.get("TxnStatus") in ("Accepted", "Closed", "Converted") else "Draft",
            "origin_id": str(estimate["Id"]), "origin_data": f"QuickBooks estimate {estimate.get('DocNumber') or ''}",
            "line_items": lines}


def qbo_budget_to_procore_lines(budget: Mapping[str, Any], customer_id: str,
                                accounts: Mapping[str, tuple[int, int]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Import a Budget from QBO: the budget's amounts for this project (customer), summed per account and placed on
    (cost code, cost type) by `accounts` (QBO account Id → the pair). Returns (Procore budget line bodies, the
    names of accounts left out because nobody mapped them)."""
    sums: dict[tuple[int, int], Decimal] = {}
    unmapped: set[str] = set()
    for row in budget.get("BudgetDetail") or []:
        if str((row.get("CustomerRef") or {}).get("value")) != str(customer_id):
            continue
        ref = row.get("AccountRef") or {}
        pair = accounts.get(str(ref.get("value")))
        if pair is None:
            unmapped.add(str(ref.get("name") or ref.get("value")))
            continue
        sums[pair] = sums.get(pair, Decimal(0)) + Decimal(str(row.get("Amount") or 0))
    lines = [{"cost_code_id": code, "line_item_type_id": kind, "original_budget_amount": cents(amount),
              "origin_id": f"qbo-budget-{budget['Id']}-{code}-{kind}"}
             for (code, kind), amount in sorted(sums.items())]
    return lines, sorted(unmapped)

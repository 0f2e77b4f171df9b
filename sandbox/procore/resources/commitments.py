"""Commitments: work order contracts (subcontracts) and purchase order contracts, with their SOV line items.

Both live under `/rest/v1.0/{work_order_contracts|purchase_order_contracts}?project_id=`; the list is the
compact view, show adds `line_items` and `payments_issued`. Contract money is strings ("1250.00").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint

from .. import billing, errors
from ..billing import ZERO, dec, money
from ..context import actor, in_project, json_body, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import filtered, origin_taken, page, pick, require_object
from .cost_codes import serialize_cost_code, serialize_type
from .prime_contracts import change_order_totals

bp = Blueprint("procore_commitments", __name__)

KINDS = {  # table -> (body key, type name, statuses)
    "work_order_contracts": ("work_order_contract", "WorkOrderContract",
                             ("Draft", "Out For Bid", "Out For Signature", "Approved", "Complete", "Terminated",
                              "Void")),
    "purchase_order_contracts": ("purchase_order_contract", "PurchaseOrderContract",
                                 ("Draft", "Processing", "Submitted", "Partially Received", "Received", "Approved",
                                  "Closed")),
}
WRITABLE = ("vendor_id", "number", "title", "status", "executed", "description", "retainage_percent",
            "contract_date", "accounting_method", "origin_id", "origin_data", "origin_code", "private",
            "issued_on_date", "letter_of_intent_date", "returned_date", "execution_date",
            "signed_contract_received_date", "approval_letter_date", "show_line_items_to_non_admins")
# What each kind adds: a subcontract has scope and schedule dates, a purchase order delivery and billing terms.
KIND_WRITABLE = {
    "work_order_contracts": ("contract_start_date", "contract_estimated_completion_date", "actual_completion_date",
                             "inclusions", "exclusions"),
    "purchase_order_contracts": ("assignee_id", "bill_to_address", "delivery_date", "payment_terms",
                                 "ship_to_address", "ship_via"),
}
LINE_WRITABLE = ("amount", "cost_code_id", "line_item_type_id", "description", "quantity", "unit_cost", "uom",
                 "origin_id", "origin_data", "position")
COMPACT = ("accounting_method", "approval_letter_date", "approved_change_orders", "contract_date", "created_at",
           "deleted_at", "description", "draft_change_orders_amount", "executed", "execution_date", "grand_total",
           "id", "issued_on_date", "letter_of_intent_date", "number", "origin_data", "origin_code", "origin_id",
           "pending_change_orders", "pending_revised_contract", "percentage_paid", "private", "project",
           "remaining_balance_outstanding", "requisitions_are_enabled", "retainage_percent", "returned_date",
           "revised_contract", "signed_contract_received_date", "show_line_items_to_non_admins", "status", "title",
           "total_draw_requests_amount", "total_payments", "total_requisitions_amount", "updated_at", "vendor",
           "currency_configuration")
KIND_FIELDS = {  # table -> (fields list and show add, fields only the list carries)
    "work_order_contracts": (("actual_completion_date", "contract_estimated_completion_date", "contract_start_date",
                              "exclusions", "inclusions"), ()),
    "purchase_order_contracts": (("assignee", "bill_to_address", "delivery_date", "payment_terms", "ship_to_address",
                                  "ship_via"), ("billing_schedule_of_values_status",)),
}
SHOW_ONLY = ("attachments", "change_order_packages", "change_order_requests", "created_by_id", "invoice_contacts",
             "line_items", "payments_issued", "potential_change_orders")
CURRENCY = {"currency_iso_code": "USD"}


def find(contract_id: Any) -> tuple[str, Record] | tuple[None, None]:
    store = current().store
    for table in KINDS:
        record = store.get(table, contract_id)
        if record is not None:
            return table, record
    return None, None


def grand_total(contract: Record) -> Decimal:
    return sum((dec(li.get("amount")) for li in contract.get("line_items") or []), ZERO)


def serialize_line(contract: Record, table: str, line: dict[str, Any]) -> dict[str, Any]:
    store = current().store
    code = store.get("cost_codes", line.get("cost_code_id"))
    lit = store.get("line_item_types", line.get("line_item_type_id"))
    vendor = store.get("vendors", contract.get("vendor_id")) or {}
    project = store.get("projects", contract["project_id"]) or {}
    amount = dec(line.get("amount"))
    return {
        "id": line["id"], "amount": money(amount), "company": {"id": vendor.get("id"), "name": vendor.get("name")},
        "wbs_code": None, "cost_code": serialize_cost_code(code) if code else None,
        "created_at": contract.get("created_at"), "description": line.get("description"), "extended_type": "manual",
        "holder": {"id": contract["id"], "holder_type": KINDS[table][1]},
        "line_item_type": serialize_type(lit) if lit else None, "origin_data": line.get("origin_data"),
        "origin_id": line.get("origin_id"), "position": line.get("position"),
        "project": {"id": project.get("id"), "name": project.get("name")}, "quantity": line.get("quantity"),
        "tax_code_id": None, "total_amount": float(amount), "extended_amount": float(amount),
        "unit_cost": line.get("unit_cost"), "uom": line.get("uom"), "updated_at": contract.get("updated_at"),
        "change_event_line_item": None, "currency_configuration": CURRENCY,
    }


def serialize_issued(payment: Record) -> dict[str, Any]:
    """A payment as the commitment's `payments_issued` lists it."""
    out = {k: payment.get(k) for k in ("id", "check_number", "created_at", "date", "draw_request_number",
                                       "invoice_number", "notes", "payment_number", "origin_id", "origin_data")}
    out.update(amount=money(payment.get("amount")), attachments=[], currency_configuration=CURRENCY)
    return out


def _full(table: str, contract: Record) -> dict[str, Any]:
    store = current().store
    vendor = store.get("vendors", contract.get("vendor_id")) or {}
    project = store.get("projects", contract["project_id"]) or {}
    total = grand_total(contract)
    payments = store.find("contract_payments", contract_id=contract["id"])
    paid = sum((dec(p.get("amount")) for p in payments), ZERO)
    reqs = store.find("requisitions", commitment_id=contract["id"])
    schedule = {li["id"]: dec(li.get("amount")) for li in contract.get("line_items") or []}
    billed = billing.progress(reqs, "items", schedule, dec(contract.get("retainage_percent")))
    invoiced = max((dec(b["g702"]["total_earned_less_retainage"]) for b in billed.values()), default=ZERO)
    both, list_only = KIND_FIELDS[table]
    out = {k: contract.get(k) for k in COMPACT + both + list_only + SHOW_ONLY}
    approved, pending = change_order_totals("commitment_change_orders", contract["id"])
    out.update({
        "accounting_method": contract.get("accounting_method") or "amount",
        "approved_change_orders": money(approved), "draft_change_orders_amount": "0.00",
        "pending_change_orders": money(pending), "grand_total": money(total),
        "revised_contract": money(total + approved), "pending_revised_contract": money(total + approved + pending),
        "total_payments": money(paid),
        "percentage_paid": money(billing.percent(paid, total + approved)),
        "remaining_balance_outstanding": money(total + approved - paid),
        "total_requisitions_amount": money(invoiced), "total_draw_requests_amount": "0.00",
        "requisitions_are_enabled": True, "private": bool(contract.get("private", False)),
        "show_line_items_to_non_admins": bool(contract.get("show_line_items_to_non_admins", False)),
        "executed": bool(contract.get("executed", False)),
        "retainage_percent": money(contract.get("retainage_percent")),
        "project": {"id": project.get("id"), "name": project.get("name")},
        "vendor": {"id": vendor.get("id"), "company": vendor.get("name"), "origin_data": vendor.get("origin_data"),
                   "origin_id": vendor.get("origin_id")} if vendor else None,
        "currency_configuration": CURRENCY, "attachments": [], "change_order_packages": [],
        "change_order_requests": [], "invoice_contacts": [], "potential_change_orders": [],
        "line_items": [serialize_line(contract, table, li) for li in contract.get("line_items") or []],
        "payments_issued": [serialize_issued(p) for p in payments],
    })
    if table == "purchase_order_contracts":
        assignee = contract.get("assignee_id")
        out["assignee"] = {"id": assignee} if assignee is not None else None
        out["billing_schedule_of_values_status"] = contract.get("billing_schedule_of_values_status") or "draft"
    return out


def serializer(table: str, full: bool):
    def serialize(contract: Record) -> dict[str, Any]:
        data = _full(table, contract)
        both, list_only = KIND_FIELDS[table]
        data = {k: data[k] for k in COMPACT + both + (SHOW_ONLY if full else list_only)}
        if not full:
            if data["vendor"]:
                data["vendor"] = {"id": data["vendor"]["id"], "company": data["vendor"]["company"]}
        return data
    return serialize


def _clean_lines(project: Record, raw_lines: Any, start: int = 1) -> list[dict[str, Any]]:
    store = current().store
    lines, problems = [], {}
    for n, raw in enumerate(raw_lines or [], start=start):
        line = pick(raw, LINE_WRITABLE)
        code = store.get("cost_codes", line.get("cost_code_id"))
        if code is None or code["project_id"] != project["id"]:
            problems["line_items.cost_code"] = ["must exist"]
        try:
            line["amount"] = money(line.get("amount") or dec(line.get("quantity")) * dec(line.get("unit_cost")))
        except ArithmeticError:
            problems["line_items.amount"] = ["is not a number"]
        line.setdefault("position", n)
        line["id"] = store.new_id()
        lines.append(line)
    if problems:
        raise errors.invalid(problems)
    return lines


def _save(table: str, project: Record, raw: dict[str, Any], contract: Record | None = None) -> Record:
    store = current().store
    fields = pick(raw, WRITABLE + KIND_WRITABLE[table])
    statuses = KINDS[table][2]
    problems: dict[str, list[str]] = {}
    if "status" in fields and fields["status"] not in statuses:
        problems["status"] = ["is not included in the list"]
    vendor_id = fields.get("vendor_id", contract.get("vendor_id") if contract else None)
    vendor = store.get("vendors", vendor_id) if vendor_id else None
    if vendor_id and (vendor is None or vendor["company_id"] != project["company_id"]):
        problems["vendor"] = ["must exist"]
    if problems:
        raise errors.invalid(problems)
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
    if origin_taken(table, project["company_id"], fields.get("origin_id"), contract["id"] if contract else None):
        raise errors.conflict()
    if contract is None:
        count = len(store.find(table, project_id=project["id"]))
        defaults = {"status": "Draft", "number": str(count + 1), "retainage_percent": "10.0", "executed": False,
                    "accounting_method": "amount", "created_by_id": actor()}
        record = dict(defaults, **fields, company_id=project["company_id"], project_id=project["id"],
                      line_items=_clean_lines(project, raw.get("line_items")))
        return store.insert(table, record, actor=actor())
    return store.update(table, contract["id"], fields, actor=actor())


def _register(table: str) -> None:
    key = KINDS[table][0]
    base = f"/rest/v1.0/{table}"

    def list_all():
        project = project_param()
        records = current().store.find(table, project_id=project["id"])
        return page(filtered(records, ("title", "number")), serializer(table, full=False))

    def show(contract_id: int):
        contract = in_project(table, contract_id, project_param(), "Commitment")
        return json_response(serializer(table, full=True)(contract))

    def create():
        body = json_body()
        project = project_param(body)
        contract = _save(table, project, require_object(body, key))
        return json_response(serializer(table, full=True)(contract), 201)

    def update(contract_id: int):
        body = json_body()
        project = project_param(body)
        contract = in_project(table, contract_id, project, "Commitment")
        return json_response(serializer(table, full=True)(_save(table, project, require_object(body, key), contract)))

    def list_lines(contract_id: int):
        contract = in_project(table, contract_id, project_param(), "Commitment")
        return page(contract.get("line_items") or [], lambda li: serialize_line(contract, table, li))

    def create_line(contract_id: int):
        body = json_body()
        project = project_param(body)
        contract = in_project(table, contract_id, project, "Commitment")
        if contract.get("status") in ("Approved", "Complete"):
            raise errors.business_rule("The Schedule of Values cannot be modified on an approved or complete "
                                       "commitment")
        existing = contract.get("line_items") or []
        line = _clean_lines(project, [require_object(body, "line_item")], start=len(existing) + 1)[0]
        current().store.update(table, contract["id"], {"line_items": existing + [line]}, actor=actor())
        return json_response(serialize_line(contract, table, line), 201)

    for rule, view, methods in ((base, list_all, ["GET"]), (base, create, ["POST"]),
                                (f"{base}/<int:contract_id>", show, ["GET"]),
                                (f"{base}/<int:contract_id>", update, ["PATCH"]),
                                (f"{base}/<int:contract_id>/line_items", list_lines, ["GET"]),
                                (f"{base}/<int:contract_id>/line_items", create_line, ["POST"])):
        bp.add_url_rule(rule, endpoint=f"{table}_{view.__name__}", view_func=view, methods=methods)


for _table in KINDS:
    _register(_table)

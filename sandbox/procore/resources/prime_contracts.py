"""Prime contracts (the owner contract of a project) with their schedule of values.

`/rest/v1.0/prime_contracts?project_id=` lists them, show adds `line_items`
(https://developers.procore.com/reference/rest/prime-contracts). Money is strings; `approved_change_orders`,
`pending_change_orders` and `revised_contract` follow the project's prime change orders.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from .. import errors
from ..billing import ZERO, dec, money
from ..context import actor, in_project, json_body, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import filtered, origin_taken, page, pick, require_object
from .cost_codes import serialize_cost_code, serialize_type
from .vendors import FIELDS as VENDOR_FIELDS
from .vendors import serialize as serialize_vendor

bp = Blueprint("procore_prime_contracts", __name__)

STATUSES = ("Draft", "Out For Bid", "Out For Signature", "Approved", "Complete", "Terminated")
WRITABLE = ("number", "title", "status", "executed", "description", "retainage_percent", "vendor_id",
            "owner_name", "contract_date", "contract_start_date", "contract_estimated_completion_date",
            "actual_completion_date", "origin_id", "origin_data", "origin_code", "private", "inclusions",
            "exclusions", "signed_contract_received_date", "execution_date")
LINE_WRITABLE = ("amount", "cost_code_id", "line_item_type_id", "description", "quantity", "unit_cost", "uom",
                 "origin_id", "origin_data", "position")
CURRENCY = {"currency_iso_code": "USD"}
APPROVED_CO = ("approved",)
PENDING_CO = ("pending", "pricing", "revised", "proceeding", "pending_billable")


def grand_total(contract: Record) -> Any:
    return sum((dec(li.get("amount")) for li in contract.get("line_items") or []), ZERO)


def change_order_totals(table: str, contract_id: int) -> tuple[Any, Any]:
    """(approved, pending) change order totals of one contract (`table` = the change-order table)."""
    approved = pending = ZERO
    for co in current().store.find(table, contract_id=contract_id):
        amount = sum((dec(li.get("amount")) for li in co.get("line_items") or []), ZERO)
        if co.get("status") in APPROVED_CO:
            approved += amount
        elif co.get("status") in PENDING_CO:
            pending += amount
    return approved, pending


def serialize_line(contract: Record, line: dict[str, Any], holder_type: str = "PrimeContract") -> dict[str, Any]:
    store = current().store
    code = store.get("cost_codes", line.get("cost_code_id"))
    lit = store.get("line_item_types", line.get("line_item_type_id"))
    project = store.get("projects", contract.get("project_id")) or {}
    amount = dec(line.get("amount"))
    return {
        "id": line["id"], "amount": money(amount), "description": line.get("description"),
        "cost_code": serialize_cost_code(code) if code else None,
        "line_item_type": serialize_type(lit) if lit else None, "holder": {"id": contract["id"],
                                                                             "holder_type": holder_type},
        "quantity": line.get("quantity"), "unit_cost": line.get("unit_cost"), "uom": line.get("uom"),
        "total_amount": float(amount), "extended_amount": float(amount), "extended_type": "manual",
        "position": line.get("position"), "origin_id": line.get("origin_id"), "origin_data": line.get("origin_data"),
        "created_at": contract.get("created_at"), "updated_at": contract.get("updated_at"),
        "currency_configuration": CURRENCY, "company": {"id": None, "name": contract.get("owner_name")},
        "project": {"id": project.get("id"), "name": project.get("name")}, "tax_code_id": None, "wbs_code": None,
        "change_event_line_item": None,
    }


LIST_FIELDS = ("id", "number", "title", "status", "description", "origin_id", "origin_data", "origin_code",
               "contract_date", "contract_start_date", "contract_estimated_completion_date", "actual_completion_date",
               "signed_contract_received_date", "execution_date", "inclusions", "exclusions", "created_at",
               "updated_at", "approval_letter_date", "contract_termination_date", "issued_on_date",
               "letter_of_intent_date", "returned_date")
# The owner as the list's `vendor` (and `contractor`): a directory company; the sandbox's owners are names only.
VENDOR_KEYS_NOT_LISTED = ("company_vendor", "business_id", "is_connected")


def _owner(contract: Record) -> dict[str, Any]:
    store = current().store
    vendor = store.get("vendors", contract.get("vendor_id"))
    if vendor is not None:
        out = serialize_vendor(vendor)
    else:
        out = {k: None for k in VENDOR_FIELDS}
        out.update(name=contract.get("owner_name"), company=contract.get("owner_name"), attachments=[],
                   bidding_distribution=[], project_ids=[], standard_cost_codes=[], trades=[])
    return {k: v for k, v in out.items() if k not in VENDOR_KEYS_NOT_LISTED}


def serializer(full: bool):
    """List: the reference's fields. Show (absent from Procore's v1.0 reference) adds the project, the change-order
    amounts and the schedule of values."""
    def serialize(contract: Record) -> dict[str, Any]:
        store = current().store
        project = store.get("projects", contract["project_id"]) or {}
        creator = store.get("users", contract.get("created_by_id")) or {}
        total = grand_total(contract)
        approved, pending = change_order_totals("prime_change_orders", contract["id"])
        out = {k: contract.get(k) for k in LIST_FIELDS}
        out.update({
            "executed": bool(contract.get("executed", False)), "private": bool(contract.get("private", False)),
            "retainage_percent": money(contract.get("retainage_percent")), "grand_total": money(total),
            "approved_change_orders": money(approved), "deleted_at": None, "currency_configuration": CURRENCY,
            "accounting_method": contract.get("accounting_method") or "amount", "attachments": [],
            "show_line_items_to_non_admins": bool(contract.get("show_line_items_to_non_admins", False)),
            "vendor": _owner(contract), "architect": None, "contractor": None,
            "created_by": {"id": creator["id"], "login": creator.get("email_address"),
                           "name": f"{creator.get('first_name', '')} {creator.get('last_name', '')}".strip()}
            if creator else None,
        })
        if full:
            out.update({
                "pending_change_orders": money(pending), "revised_contract": money(total + approved),
                "pending_revised_contract": money(total + approved + pending), "draft_change_orders_amount": "0.00",
                "project": {"id": project.get("id"), "name": project.get("name")},
                "line_items": [serialize_line(contract, li) for li in contract.get("line_items") or []],
            })
        return out
    return serialize


def clean_lines(project: Record, raw_lines: Any, start: int = 1) -> list[dict[str, Any]]:
    """Schedule-of-values lines: a cost code of this project, an amount (or quantity × unit cost)."""
    store = current().store
    lines, problems = [], {}
    for n, raw in enumerate(raw_lines or [], start=start):
        line = pick(raw, LINE_WRITABLE)
        code = store.get("cost_codes", line.get("cost_code_id"))
        if code is None or code["project_id"] != project["id"]:
            problems["line_items.cost_code"] = ["must exist"]
        if line.get("line_item_type_id") is not None:
            lit = store.get("line_item_types", line["line_item_type_id"])
            if lit is None or lit["company_id"] != project["company_id"]:
                problems["line_items.line_item_type"] = ["must exist"]
        try:
            line["amount"] = money(line.get("amount") if line.get("amount") not in (None, "")
                                   else dec(line.get("quantity")) * dec(line.get("unit_cost")))
        except ArithmeticError:
            problems["line_items.amount"] = ["is not a number"]
        line.setdefault("position", n)
        line["id"] = store.new_id()
        lines.append(line)
    if problems:
        raise errors.invalid(problems)
    return lines


def _save(project: Record, raw: dict[str, Any], contract: Record | None = None) -> Record:
    store = current().store
    fields = pick(raw, WRITABLE)
    if "status" in fields and fields["status"] not in STATUSES:
        raise errors.invalid({"status": ["is not included in the list"]})
    if fields.get("vendor_id") is not None:
        vendor = store.get("vendors", fields["vendor_id"])
        if vendor is None or vendor["company_id"] != project["company_id"]:
            raise errors.invalid({"vendor": ["must exist"]})
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
    if origin_taken("prime_contracts", project["company_id"], fields.get("origin_id"),
                    contract["id"] if contract else None):
        raise errors.conflict()
    if contract is None:
        count = len(store.find("prime_contracts", project_id=project["id"]))
        record = dict({"status": "Draft", "number": str(count + 1), "retainage_percent": "0.0", "executed": False},
                      **fields, company_id=project["company_id"], project_id=project["id"],
                      line_items=clean_lines(project, raw.get("line_items")))
        return store.insert("prime_contracts", record, actor=actor())
    return store.update("prime_contracts", contract["id"], fields, actor=actor())


@bp.get("/rest/v1.0/prime_contracts")
def list_prime_contracts():
    project = project_param()
    records = current().store.find("prime_contracts", project_id=project["id"])
    return page(filtered(records, ("title", "number")), serializer(full=False))


@bp.get("/rest/v1.0/prime_contracts/<int:contract_id>")
def show_prime_contract(contract_id: int):
    contract = in_project("prime_contracts", contract_id, project_param(), "Prime Contract")
    return json_response(serializer(full=True)(contract))


@bp.post("/rest/v1.0/prime_contracts")
def create_prime_contract():
    body = json_body()
    project = project_param(body)
    contract = _save(project, require_object(body, "prime_contract"))
    return json_response(serializer(full=True)(contract), 201)


@bp.patch("/rest/v1.0/prime_contracts/<int:contract_id>")
def update_prime_contract(contract_id: int):
    body = json_body()
    project = project_param(body)
    contract = in_project("prime_contracts", contract_id, project, "Prime Contract")
    return json_response(serializer(full=True)(_save(project, require_object(body, "prime_contract"), contract)))


@bp.get("/rest/v1.0/prime_contracts/<int:contract_id>/line_items")
def list_prime_contract_lines(contract_id: int):
    contract = in_project("prime_contracts", contract_id, project_param(), "Prime Contract")
    return page(contract.get("line_items") or [], lambda li: serialize_line(contract, li))


@bp.post("/rest/v1.0/prime_contracts/<int:contract_id>/line_items")
def create_prime_contract_line(contract_id: int):
    body = json_body()
    project = project_param(body)
    contract = in_project("prime_contracts", contract_id, project, "Prime Contract")
    if contract.get("status") in ("Approved", "Complete"):
        raise errors.business_rule("The Schedule of Values cannot be modified on an approved or complete contract")
    existing = contract.get("line_items") or []
    line = clean_lines(project, [require_object(body, "line_item")], start=len(existing) + 1)[0]
    current().store.update("prime_contracts", contract["id"], {"line_items": existing + [line]}, actor=actor())
    return json_response(serialize_line(contract, line), 201)

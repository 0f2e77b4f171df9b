"""Direct costs of a project (invoices, expenses, payroll) and their line items, v1.0 and v1.1.

Created with `{"item": {"direct_cost_type", "direct_cost_date", "vendor_id", "invoice_number", "status",
"origin_id", ..., "line_items": [{"amount", "cost_code_id", "line_item_type_id", "description"}]}}`.
v1.1 responses embed `line_items`; v1.0 serves them at `/direct_costs/{id}/line_items`. Money is strings.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from .. import errors
from ..billing import ZERO, dec, money
from ..context import actor, json_body, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import blank, filtered, origin_taken, page, pick, sync_action, sync_target
from .cost_codes import serialize_cost_code, serialize_type

bp = Blueprint("procore_direct_costs", __name__)

TYPES = ("invoice", "expense", "payroll")
STATUSES = ("draft", "pending", "revise_and_resubmit", "approved")
WRITABLE = ("description", "direct_cost_date", "employee_id", "invoice_number", "origin_data", "origin_id",
            "payment_date", "received_date", "status", "terms", "vendor_id", "direct_cost_type")
LINE_WRITABLE = ("amount", "cost_code_id", "line_item_type_id", "description", "quantity", "unit_cost", "uom",
                 "origin_id", "origin_data", "extended_type")
LIST_FIELDS = ("id", "amount", "created_at", "deleted_at", "description", "direct_cost_type", "direct_cost_date",
               "grand_total", "invoice_number", "origin_data", "origin_id", "payment_date", "received_date", "status",
               "terms", "updated_at", "vendor", "vendor_id", "vendor_name", "currency_configuration", "employee")
SHOW_FIELDS = ("id", "attachments", "attachments_count", "created_at", "deleted_at", "description", "direct_cost_type",
               "employee", "invoice_number", "direct_cost_date", "origin_data", "origin_id", "grand_total",
               "line_items_count", "payment_date", "received_date", "status", "terms", "updated_at", "vendor",
               "vendor_id", "vendor_name", "currency_configuration")
CURRENCY = {"currency_iso_code": "USD"}
# Lists and v1.1 also name the base currency and the exchange rate (a string on costs, a number on line items).
LISTED_CURRENCY = dict(CURRENCY, base_currency_iso_code="USD", currency_exchange_rate="1.0")
LINE_CURRENCY = dict(CURRENCY, base_currency_iso_code="USD", currency_exchange_rate=1.0)


def serialize_line(cost: Record, line: dict[str, Any], view: str = "cost") -> dict[str, Any]:
    """A direct cost's line item; `view` is "cost" (the cost's own lines), "v1.1" (embedded in a v1.1 direct
    cost: `ref` instead of holder and project) or "index" (the project-wide list: a compact cost code)."""
    out = _line(cost, line)
    if view == "v1.1":
        for key in ("holder", "project", "change_event_line_item"):
            del out[key]
        out["ref"] = line.get("ref")
    elif view == "index":
        for key in ("company", "tax_code_id", "origin_data", "change_event_line_item"):
            del out[key]
        code = out["cost_code"]
        out["cost_code"] = {k: code[k] for k in ("id", "full_code", "name", "origin_id")} if code else None
        out["currency_configuration"] = CURRENCY
    return out


def _line(cost: Record, line: dict[str, Any]) -> dict[str, Any]:
    store = current().store
    code = store.get("cost_codes", line.get("cost_code_id"))
    lit = store.get("line_item_types", line.get("line_item_type_id"))
    project = store.get("projects", cost["project_id"]) or {}
    vendor = store.get("vendors", cost.get("vendor_id")) or {}
    amount = dec(line.get("amount"))
    return {
        "id": line["id"], "amount": money(amount), "company": {"id": vendor.get("id"), "name": vendor.get("name")},
        "cost_code": serialize_cost_code(code) if code else None, "created_at": cost.get("created_at"),
        "description": line.get("description"), "extended_type": line.get("extended_type") or "manual",
        "holder": {"id": cost["id"], "holder_type": "DirectCostItem"},
        "line_item_type": serialize_type(lit) if lit else None, "origin_data": line.get("origin_data"),
        "origin_id": line.get("origin_id"), "position": line.get("position"),
        "project": {"id": project.get("id"), "name": project.get("name")}, "quantity": line.get("quantity"),
        "tax_code_id": None, "total_amount": float(amount), "extended_amount": float(amount),
        "unit_cost": line.get("unit_cost"), "uom": line.get("uom"), "updated_at": cost.get("updated_at"),
        "change_event_line_item": None, "wbs_code": None, "currency_configuration": LINE_CURRENCY,
    }


def _full(cost: Record) -> dict[str, Any]:
    store = current().store
    vendor = store.get("vendors", cost.get("vendor_id"))
    employee = store.get("users", cost.get("employee_id")) if cost.get("employee_id") else None
    total = money(sum((dec(li.get("amount")) for li in cost.get("line_items") or []), ZERO))
    out = {k: cost.get(k) for k in set(LIST_FIELDS) | set(SHOW_FIELDS)}
    out.update({"amount": total, "grand_total": total, "deleted_at": None, "attachments": [], "attachments_count": 0,
                "line_items_count": len(cost.get("line_items") or []),
                "vendor_name": vendor["name"] if vendor else None,
                "employee": {"id": employee["id"], "name": f"{employee.get('first_name')} {employee.get('last_name')}"}
                if employee else None, "currency_configuration": CURRENCY})
    return out


def serialize_list(cost: Record) -> dict[str, Any]:
    full = _full(cost)
    full["vendor"] = full["vendor_name"]  # the list's `vendor` is the vendor name
    full["currency_configuration"] = LISTED_CURRENCY
    return {k: full[k] for k in LIST_FIELDS}


def serializer(version: str):
    def serialize(cost: Record) -> dict[str, Any]:
        full = _full(cost)
        full["vendor"] = {"id": cost["vendor_id"], "name": full["vendor_name"]} if cost.get("vendor_id") else None
        out = {k: full[k] for k in SHOW_FIELDS}
        if version == "v1.1":
            project = current().store.get("projects", cost["project_id"]) or {}
            out["company"] = {"id": cost["company_id"], "name": None}
            out["project"] = {"id": project.get("id"), "name": project.get("name")}
            out["line_items"] = [serialize_line(cost, li, "v1.1") for li in cost.get("line_items") or []]
            out["currency_configuration"] = LISTED_CURRENCY
        return out
    return serialize


def _clean_lines(project: Record, raws: Any, first_position: int = 1) -> list[dict[str, Any]]:
    store = current().store
    if not isinstance(raws, list):
        raise errors.invalid({"line_items": ["is invalid"]})
    lines, problems = [], {}
    for n, raw in enumerate(raws, start=first_position):
        line = pick(raw if isinstance(raw, dict) else {}, LINE_WRITABLE)
        if "manual_amount" in (raw or {}) and "amount" not in line:
            line["amount"] = raw["manual_amount"]
        code = store.get("cost_codes", line.get("cost_code_id"))
        if code is None or code["project_id"] != project["id"]:
            problems["line_items.cost_code"] = ["must exist"]
        lit = store.get("line_item_types", line.get("line_item_type_id"))
        if lit is None or lit["company_id"] != project["company_id"]:
            problems["line_items.line_item_type"] = ["must exist"]
        try:
            line["amount"] = money(line["amount"] if not blank(line.get("amount"))
                                   else dec(line.get("quantity")) * dec(line.get("unit_cost")))
        except ArithmeticError:
            problems["line_items.amount"] = ["is not a number"]
        line.update(id=store.new_id(), position=n)
        lines.append(line)
    if problems:
        raise errors.invalid(problems)
    return lines


def save(project: Record, raw: dict[str, Any], cost: Record | None = None, conflict_status: int = 409) -> Record:
    store = current().store
    fields = pick(raw, WRITABLE)
    merged = {**(cost or {}), **fields}
    problems: dict[str, list[str]] = {}
    if cost is not None and "direct_cost_type" in fields and fields["direct_cost_type"] != cost["direct_cost_type"]:
        problems["direct_cost_type"] = ["can only be set when creating a direct cost"]
    if merged.get("direct_cost_type") not in TYPES:
        problems["direct_cost_type"] = ["is not included in the list"]
    if blank(merged.get("direct_cost_date")):
        problems["direct_cost_date"] = ["can't be blank"]
    if merged.get("direct_cost_type") == "invoice" and blank(merged.get("invoice_number")):
        problems["invoice_number"] = ["can't be blank"]
    if merged.get("status", "draft") not in STATUSES:
        problems["status"] = ["is not included in the list"]
    vendor = store.get("vendors", merged.get("vendor_id")) if merged.get("vendor_id") else None
    if merged.get("vendor_id") and (vendor is None or vendor["company_id"] != project["company_id"]):
        problems["vendor"] = ["must exist"]
    if problems:
        raise errors.invalid(problems)
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
    if origin_taken("direct_costs", project["company_id"], fields.get("origin_id"), cost["id"] if cost else None):
        raise errors.ApiError(conflict_status, {"errors": {"origin_id": ["has already been taken"]}})
    if "line_items" in raw:
        fields["line_items"] = _clean_lines(project, raw["line_items"])
    if cost is None:
        record = dict({"status": "draft", "line_items": []}, **fields, company_id=project["company_id"],
                      project_id=project["id"])
        return store.insert("direct_costs", record, actor=actor())
    return store.update("direct_costs", cost["id"], fields, actor=actor())


def _item(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("item", body.get("direct_cost"))
    if not isinstance(raw, dict):
        raise errors.missing_param("item")
    return raw


def _cost(project: Record, cost_id: int) -> Record:
    cost = current().store.get("direct_costs", cost_id)
    if cost is None or cost["project_id"] != project["id"]:
        raise errors.not_found("Direct Cost")
    return cost


def _register(version: str) -> None:
    base = f"/rest/{version}/projects/<int:project_id>/direct_costs"
    show_json = serializer(version)

    def list_all(project_id: int):
        project = project_param(raw=project_id)
        costs = current().store.find("direct_costs", project_id=project["id"])
        return page(filtered(costs, ("description", "invoice_number")), serialize_list)

    def show(project_id: int, cost_id: int):
        return json_response(show_json(_cost(project_param(raw=project_id), cost_id)))

    def create(project_id: int):
        body = json_body()
        return json_response(show_json(save(project_param(raw=project_id), _item(body))), 201)

    def update(project_id: int, cost_id: int):
        body = json_body()
        project = project_param(raw=project_id)
        return json_response(show_json(save(project, _item(body), _cost(project, cost_id))))

    def delete(project_id: int, cost_id: int):
        cost = _cost(project_param(raw=project_id), cost_id)
        current().store.delete("direct_costs", cost["id"], actor=actor())
        return json_response({"id": cost["id"]})

    for rule, view, methods in ((base, list_all, ["GET"]), (base, create, ["POST"]),
                                (f"{base}/<int:cost_id>", show, ["GET"]), (f"{base}/<int:cost_id>", update, ["PATCH"]),
                                (f"{base}/<int:cost_id>", delete, ["DELETE"])):
        bp.add_url_rule(rule, endpoint=f"{version.replace('.', '_')}_{view.__name__}", view_func=view, methods=methods)


_register("v1.0")
_register("v1.1")

LINES = "/rest/v1.0/projects/<int:project_id>/direct_costs"


@bp.get(f"{LINES}/line_items")
def list_project_lines(project_id: int):
    project = project_param(raw=project_id)
    rows = [(c, li) for c in current().store.find("direct_costs", project_id=project["id"]) for li in c["line_items"]]
    return page(rows, lambda row: serialize_line(*row, view="index"))


@bp.get(f"{LINES}/<int:cost_id>/line_items")
def list_lines(project_id: int, cost_id: int):
    cost = _cost(project_param(raw=project_id), cost_id)
    return page(cost.get("line_items") or [], lambda li: serialize_line(cost, li))


@bp.post(f"{LINES}/<int:cost_id>/line_items")
def create_line(project_id: int, cost_id: int):
    body = json_body()
    project = project_param(raw=project_id)
    cost = _cost(project, cost_id)
    raw = body.get("line_item")
    if not isinstance(raw, dict):
        raise errors.missing_param("line_item")
    line = _clean_lines(project, [raw], first_position=len(cost["line_items"]) + 1)[0]
    cost = current().store.update("direct_costs", cost["id"], {"line_items": cost["line_items"] + [line]},
                                  actor=actor())
    return json_response(serialize_line(cost, line), 201)


@bp.delete(f"{LINES}/<int:cost_id>/line_items/<int:line_id>")
def delete_line(project_id: int, cost_id: int, line_id: int):
    cost = _cost(project_param(raw=project_id), cost_id)
    remaining = [li for li in cost["line_items"] if li["id"] != line_id]
    if len(remaining) == len(cost["line_items"]):
        raise errors.not_found("Line Item")
    current().store.update("direct_costs", cost["id"], {"line_items": remaining}, actor=actor())
    return json_response({})


@bp.patch(f"{LINES}/sync")
def sync_direct_costs(project_id: int):
    body = json_body()
    project = project_param(raw=project_id)

    def apply_one(raw: dict[str, Any]) -> Record:
        target = sync_target("direct_costs", raw, project["company_id"], lambda c: c["project_id"] == project["id"])
        return save(project, raw, target, conflict_status=422)

    return sync_action(body.get("updates"), apply_one, serializer("v1.0"))

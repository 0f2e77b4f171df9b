"""Budget line items of a project. Budget amounts are JSON numbers (unlike contract money, which is strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint

from .. import errors
from ..billing import ZERO, dec
from ..context import actor, json_body, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import filtered, page, pick, require_object
from .cost_codes import full_code

bp = Blueprint("procore_budget", __name__)

WRITABLE = ("cost_code_id", "line_item_type_id", "original_budget_amount", "uom", "quantity", "unit_cost",
            "calculation_strategy", "origin_id", "origin_data", "wbs_code_id")


def _spent(project_id: int, cost_code_id: int, type_id: int) -> tuple[Decimal, Decimal]:
    """(committed costs, direct costs) booked against one cost code and cost type."""
    store = current().store
    committed = direct = ZERO
    for table in ("work_order_contracts", "purchase_order_contracts"):
        for contract in store.find(table, project_id=project_id):
            if contract.get("status") in ("Approved", "Complete"):
                committed += sum((dec(li.get("amount")) for li in contract.get("line_items") or []
                                  if li.get("cost_code_id") == cost_code_id
                                  and li.get("line_item_type_id") == type_id), ZERO)
    for cost in store.find("direct_costs", project_id=project_id):
        direct += sum((dec(li.get("amount")) for li in cost.get("line_items") or []
                       if li.get("cost_code_id") == cost_code_id and li.get("line_item_type_id") == type_id), ZERO)
    return committed, direct


def serialize(item: Record) -> dict[str, Any]:
    store = current().store
    code = store.get("cost_codes", item.get("cost_code_id")) or {}
    division = store.get("cost_codes", code["parent_id"]) if code.get("parent_id") else None
    lit = store.get("line_item_types", item.get("line_item_type_id")) or {}
    original = dec(item.get("original_budget_amount"))
    committed, direct = _spent(item["project_id"], item.get("cost_code_id"), item.get("line_item_type_id"))
    projected_costs = committed + direct
    return {
        "id": item["id"], "original_budget_amount": float(original), "uom": item.get("uom"),
        "quantity": item.get("quantity"), "unit_cost": item.get("unit_cost"),
        "calculation_strategy": item.get("calculation_strategy") or "manual", "approved_budget_changes": 0.0,
        "revised_budget": float(original), "pending_budget_changes": 0.0, "projected_budget": float(original),
        "committed_costs": float(committed), "direct_costs": float(direct), "pending_cost_changes": 0.0,
        "projected_costs": float(projected_costs), "budget_forecast": float(max(original, projected_costs)),
        "estimated_cost_at_completion": float(projected_costs),
        "projected_over_under": float(original - projected_costs),
        "cost_code": {"id": code.get("id"), "name": code.get("name"), "code": code.get("code"),
                      "full_code": full_code("cost_codes", code) if code else None},
        "division": {"id": division["id"], "name": division["name"],
                     "full_code": full_code("cost_codes", division)} if division else None,
        "line_item_type": {"id": lit.get("id"), "name": lit.get("name")},
        "currency_configuration": {"currency_iso_code": "USD"},
    }


def _item(project: Record, item_id: int) -> Record:
    item = current().store.get("budget_line_items", item_id)
    if item is None or item["project_id"] != project["id"]:
        raise errors.not_found("Budget Line Item")
    return item


def _validate(project: Record, fields: dict[str, Any]) -> None:
    store = current().store
    problems: dict[str, list[str]] = {}
    code = store.get("cost_codes", fields.get("cost_code_id"))
    if code is None or code["project_id"] != project["id"]:
        problems["cost_code"] = ["must exist"]
    lit = store.get("line_item_types", fields.get("line_item_type_id"))
    if lit is None or lit["company_id"] != project["company_id"]:
        problems["line_item_type"] = ["must exist"]
    try:
        dec(fields.get("original_budget_amount"))
    except ArithmeticError:
        problems["original_budget_amount"] = ["is not a number"]
    if problems:
        raise errors.invalid(problems)


@bp.get("/rest/v1.0/budget_line_items")
def list_budget_line_items():
    project = project_param()
    return page(filtered(current().store.find("budget_line_items", project_id=project["id"])), serialize)


@bp.get("/rest/v1.0/budget_line_items/<int:item_id>")
def show_budget_line_item(item_id: int):
    return json_response(serialize(_item(project_param(), item_id)))


@bp.post("/rest/v1.0/budget_line_items")
def create_budget_line_item():
    body = json_body()
    project = project_param(body)
    fields = pick(require_object(body, "budget_line_item"), WRITABLE)
    _validate(project, fields)
    item = current().store.insert("budget_line_items", dict(fields, company_id=project["company_id"],
                                                            project_id=project["id"]), actor=actor())
    return json_response(serialize(item), 201)


@bp.patch("/rest/v1.0/budget_line_items/<int:item_id>")
def update_budget_line_item(item_id: int):
    body = json_body()
    project = project_param(body)
    item = _item(project, item_id)
    fields = pick(require_object(body, "budget_line_item"), WRITABLE)
    _validate(project, {**item, **fields})
    return json_response(serialize(current().store.update("budget_line_items", item["id"], fields, actor=actor())))

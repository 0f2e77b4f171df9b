"""Standard cost code lists and codes (company), project cost codes, and line item types (cost types)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from .. import errors
from ..context import actor, company_param, json_body, param, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import blank, filtered, origin_taken, page, pick, require_object, sync_action, sync_target

bp = Blueprint("procore_cost_codes", __name__)

BASE_TYPES = ("labor", "equipment", "materials", "commitment", "owner_cost", "professional_services", "other")


# -- helpers -------------------------------------------------------------------------------------------------
def full_code(table: str, record: Record) -> str:
    parent = current().store.get(table, record["parent_id"]) if record.get("parent_id") else None
    return f"{full_code(table, parent)}-{record['code']}" if parent else str(record["code"])


def serialize_type(lit: Record) -> dict[str, Any]:
    return {k: lit.get(k) for k in ("id", "name", "code", "base_type", "origin_data", "origin_id")}


def _types(ids: list[int] | None) -> list[dict[str, Any]]:
    store = current().store
    return [serialize_type(t) for t in (store.get("line_item_types", i) for i in ids or []) if t]


def serialize_list(lst: Record) -> dict[str, Any]:
    return {"available_to_use_on_new_projects": lst.get("available_to_use_on_new_projects", True),
            "id": lst["id"], "is_erp_list": lst.get("is_erp_list", False), "name": lst["name"]}


def serialize_standard(code: Record) -> dict[str, Any]:
    return {"id": code["id"], "standard_cost_code_list_id": code["standard_cost_code_list_id"],
            "parent_id": code.get("parent_id"), "code": code["code"],
            "full_code": full_code("standard_cost_codes", code),
            "name": code["name"], "origin_data": code.get("origin_data"), "origin_id": code.get("origin_id")}


def serialize_cost_code(code: Record, listed: bool = False) -> dict[str, Any]:
    """A project cost code as show and embedding records render it; `listed` gives the list action's variant.

    Procore's list carries the biller's `biller_origin_id`; show and embedded codes carry the
    `standard_cost_code_list_id` instead.
    """
    store = current().store
    budgeted = bool(store.find("budget_line_items", cost_code_id=code["id"]))
    project = store.get("projects", code["project_id"]) or {}
    out = {
        "id": code["id"], "biller": project.get("name"), "biller_id": code["project_id"], "biller_type": "Project",
        "budgeted": budgeted, "code": code["code"],
        "created_at": code.get("created_at"), "deleted_at": None, "full_code": full_code("cost_codes", code),
        "name": code["name"], "origin_data": code.get("origin_data"), "origin_id": code.get("origin_id"),
        "parent": {"id": code["parent_id"]} if code.get("parent_id") else None, "position": code.get("position"),
        "sortable_code": full_code("cost_codes", code), "standard_cost_code_id": code.get("standard_cost_code_id"),
        "updated_at": code.get("updated_at"), "line_item_types": _types(code.get("line_item_type_ids")),
    }
    if listed:
        out["biller_origin_id"] = project.get("origin_id")
    else:
        standard = store.get("standard_cost_codes", code.get("standard_cost_code_id"))
        out["standard_cost_code_list_id"] = standard["standard_cost_code_list_id"] if standard else None
    return out


def _by_code(records: list[Record], table: str) -> list[Record]:
    return sorted(records, key=lambda r: (full_code(table, r), r["id"]))


# -- standard cost code lists and codes ---------------------------------------------------------------------
@bp.get("/rest/v1.0/standard_cost_code_lists")
def list_standard_lists():
    company = company_param()
    return page(current().store.find("standard_cost_code_lists", company_id=company["id"]), serialize_list)


@bp.get("/rest/v1.0/standard_cost_code_lists/<int:list_id>")
def show_standard_list(list_id: int):
    company = company_param()
    lst = current().store.get("standard_cost_code_lists", list_id)
    if lst is None or lst["company_id"] != company["id"]:
        raise errors.not_found("Standard Cost Code List")
    # show names the owning company where the list tells whether new projects may use it
    return json_response({"id": lst["id"], "is_erp_list": lst.get("is_erp_list", False), "name": lst["name"],
                          "company_id": lst["company_id"]})


@bp.get("/rest/v1.0/standard_cost_codes")
def list_standard_codes():
    company = company_param()
    list_id = param("standard_cost_code_list_id")
    if list_id in (None, ""):
        raise errors.missing_param("standard_cost_code_list_id")
    codes = [c for c in current().store.find("standard_cost_codes", company_id=company["id"])
             if str(c["standard_cost_code_list_id"]) == str(list_id)]
    return page(_by_code(filtered(codes, ("name", "code")), "standard_cost_codes"), serialize_standard)


@bp.get("/rest/v1.0/standard_cost_codes/<int:code_id>")
def show_standard_code(code_id: int):
    company = company_param()
    code = current().store.get("standard_cost_codes", code_id)
    if code is None or code["company_id"] != company["id"]:
        raise errors.not_found("Standard Cost Code")
    return json_response(serialize_standard(code))


# -- project cost codes -------------------------------------------------------------------------------------
CODE_FIELDS = ("code", "name", "parent_id", "standard_cost_code_id", "origin_id", "origin_data", "position",
               "line_item_type_ids")


def save_cost_code(project: Record, raw: dict[str, Any], code: Record | None = None,
                   conflict_status: int = 409) -> Record:
    fields = pick(raw, CODE_FIELDS)
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
    problems = {k: ["can't be blank"] for k in ("code", "name")
                if (code is None or k in fields) and blank(fields.get(k))}
    if problems:
        raise errors.invalid(problems)
    if origin_taken("cost_codes", project["company_id"], fields.get("origin_id"), code["id"] if code else None):
        raise errors.ApiError(conflict_status, {"errors": {"origin_id": ["has already been taken"]}})
    store = current().store
    if code is None:
        return store.insert("cost_codes", dict(fields, company_id=project["company_id"], project_id=project["id"]),
                            actor=actor())
    return store.update("cost_codes", code["id"], fields, actor=actor())


def _cost_code(project: Record, code_id: int) -> Record:
    code = current().store.get("cost_codes", code_id)
    if code is None or code["project_id"] != project["id"]:
        raise errors.not_found("Cost Code")
    return code


@bp.get("/rest/v1.0/cost_codes")
def list_cost_codes():
    project = project_param()
    codes = current().store.find("cost_codes", project_id=project["id"])
    return page(_by_code(filtered(codes, ("name", "code")), "cost_codes"),
                lambda code: serialize_cost_code(code, listed=True))


@bp.get("/rest/v1.0/cost_codes/<int:code_id>")
def show_cost_code(code_id: int):
    return json_response(serialize_cost_code(_cost_code(project_param(), code_id)))


@bp.post("/rest/v1.0/cost_codes")
def create_cost_code():
    body = json_body()
    project = project_param(body)
    return json_response(serialize_cost_code(save_cost_code(project, require_object(body, "cost_code"))), 201)


@bp.patch("/rest/v1.0/cost_codes/<int:code_id>")
def update_cost_code(code_id: int):
    body = json_body()
    project = project_param(body)
    code = _cost_code(project, code_id)
    return json_response(serialize_cost_code(save_cost_code(project, require_object(body, "cost_code"), code)))


@bp.delete("/rest/v1.0/cost_codes/<int:code_id>")
def delete_cost_code(code_id: int):
    project = project_param(json_body())
    code = _cost_code(project, code_id)
    store = current().store
    used = any(b.get("cost_code_id") == code["id"] for b in store.find("budget_line_items", project_id=project["id"]))
    for table in ("work_order_contracts", "purchase_order_contracts", "direct_costs"):
        for record in store.find(table, project_id=project["id"]):
            used = used or any(li.get("cost_code_id") == code["id"] for li in record.get("line_items") or [])
    if used:
        raise errors.business_rule("Cost code is in use and cannot be deleted")
    store.delete("cost_codes", code["id"], actor=actor())
    return Response(status=204)


@bp.patch("/rest/v1.0/cost_codes/sync")
def sync_cost_codes():
    body = json_body()
    project = project_param(body)

    def apply_one(raw: dict[str, Any]) -> Record:
        target = sync_target("cost_codes", raw, project["company_id"], lambda c: c["project_id"] == project["id"])
        return save_cost_code(project, raw, target, conflict_status=422)

    return sync_action(body.get("updates"), apply_one, lambda code: serialize_cost_code(code, listed=True))


# -- line item types (cost types) ---------------------------------------------------------------------------
def _type_company() -> Record:
    if param("project_id") not in (None, ""):
        return current().store.get("companies", project_param()["company_id"])
    if param("company_id") in (None, ""):
        raise errors.bad_request("company_id or project_id is missing")
    return company_param()


@bp.get("/rest/v1.0/line_item_types")
def list_line_item_types():
    company = _type_company()
    return page(filtered(current().store.find("line_item_types", company_id=company["id"]), ("name", "code")),
                serialize_type)


@bp.get("/rest/v1.0/line_item_types/<int:type_id>")
def show_line_item_type(type_id: int):
    company = _type_company()
    lit = current().store.get("line_item_types", type_id)
    if lit is None or lit["company_id"] != company["id"]:
        raise errors.not_found("Line Item Type")
    return json_response(serialize_type(lit))


@bp.post("/rest/v1.0/line_item_types")
def create_line_item_type():
    body = json_body()
    company = company_param(body)
    raw = require_object(body, "line_item_type")
    fields = pick(raw, ("name", "code", "base_type", "origin_id", "origin_data"))
    problems = {k: ["can't be blank"] for k in ("name", "code") if blank(fields.get(k))}
    if fields.get("base_type", "other") not in BASE_TYPES:
        problems["base_type"] = ["is not included in the list"]
    if problems:
        raise errors.invalid(problems)
    lit = current().store.insert("line_item_types", dict({"base_type": "other"}, **fields, company_id=company["id"]),
                                 actor=actor())
    return json_response(serialize_type(lit), 201)

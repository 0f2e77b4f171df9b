"""Company projects: list, show, create, update and the bulk `PATCH /projects/sync`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from .. import errors
from ..context import actor, company_param, json_body, param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import blank, filtered, origin_taken, page, pick, require_object, sync_action, sync_target

bp = Blueprint("procore_projects", __name__)

STAGES = {1: "Bidding", 2: "Pre-Construction", 3: "Course of Construction", 4: "Post-Construction", 5: "Warranty"}
WRITABLE = ("name", "project_number", "address", "city", "state_code", "country_code", "zip", "county", "phone",
            "active", "description", "square_feet", "start_date", "completion_date", "total_value", "origin_id",
            "origin_data", "origin_code", "project_stage_id", "flag", "public_notes", "actual_start_date",
            "projected_finish_date", "time_zone", "standard_cost_code_list_id", "store_number",
            "accounting_project_number", "code", "warranty_start_date", "warranty_end_date", "parent_job_id",
            "estimated_start_date", "estimated_completion_date", "estimated_value", "fax", "is_demo")
LIST_FIELDS = ("id", "name", "is_demo", "parent_job_id", "display_name", "project_number", "address", "city",
               "state_code", "country_code", "zip", "county", "time_zone", "latitude", "longitude", "stage",
               "project_stage", "project_template", "phone", "created_at", "updated_at", "active", "origin_id",
               "origin_data", "origin_code", "owners_project_id", "total_value", "store_number",
               "accounting_project_number", "designated_market_area", "project_region_id", "project_bid_type_id",
               "project_owner_type_id", "photo_id", "start_date", "completion_date", "estimated_value", "fax",
               "company", "custom_fields")
# v1.1's list is the v1.0 list without `stage`/`fax`, plus more of the project's details.
V11_LIST_FIELDS = tuple(k for k in LIST_FIELDS if k not in ("stage", "fax")) + (
    "actual_start_date", "departments", "description", "dictionary_type", "estimated_completion_date",
    "estimated_start_date", "flag", "inbound_email", "logo_url", "office", "persistent_message", "program",
    "project_bid_type", "project_owner_type", "project_region", "project_type", "projected_finish_date",
    "public_notes", "square_feet", "standard_cost_code_list_id", "tz_name", "warranty_end_date",
    "warranty_start_date")
# A sync action answers each project without its company, template and type ids, custom fields or ERP flags.
SYNC_FIELDS = ("id", "logo_url", "name", "display_name", "project_number", "address", "city", "state_code",
               "country_code", "zip", "time_zone", "latitude", "longitude", "description", "square_feet", "start_date",
               "completion_date", "total_value", "store_number", "accounting_project_number", "designated_market_area",
               "warranty_start_date", "warranty_end_date", "active", "flag", "phone", "public_notes",
               "actual_start_date", "projected_finish_date", "created_at", "updated_at", "origin_id", "origin_data",
               "origin_code", "estimated_start_date", "estimated_completion_date", "estimated_value", "office",
               "project_bid_type_id", "project_owner_type_id", "project_region_id", "project_stage", "project_type",
               "program", "departments")
SHOW_FIELDS = ("id", "logo_url", "name", "is_demo", "template", "display_name", "project_number", "address", "city",
               "state_code", "country_code", "zip", "time_zone", "tz_name", "latitude", "longitude", "county",
               "parent_job_id", "description", "square_feet", "start_date", "completion_date", "total_value",
               "store_number", "accounting_project_number", "designated_market_area", "warranty_start_date",
               "warranty_end_date", "active", "flag", "phone", "public_notes", "actual_start_date",
               "projected_finish_date", "created_at", "updated_at", "origin_id", "origin_data", "origin_code",
               "standard_cost_code_list_id", "is_erp_integrated", "owners_project_id", "photo_id", "inbound_email",
               "inbound_email_address", "estimated_start_date", "estimated_completion_date", "estimated_value",
               "code", "persistent_message", "office", "project_bid_type_id", "project_bid_type",
               "project_owner_type_id", "project_owner_type", "project_region_id", "project_region",
               "project_stage_id", "project_stage", "project_type", "program", "departments", "company",
               "dictionary_type", "custom_fields")


def _full(project: Record) -> dict[str, Any]:
    company = current().store.get("companies", project["company_id"]) or {}
    stage_id = project.get("project_stage_id") or 3
    number = project.get("project_number")
    full = {k: None for k in SHOW_FIELDS + V11_LIST_FIELDS + LIST_FIELDS}
    full.update({k: v for k, v in project.items() if k in full})
    full.update({
        "display_name": f"{number} - {project['name']}" if number else project["name"],
        "stage": STAGES.get(stage_id), "project_stage_id": stage_id,
        "project_stage": {"id": stage_id, "name": STAGES.get(stage_id)},
        "active": project.get("active", True), "is_demo": project.get("is_demo", False), "template": False,
        "is_erp_integrated": not blank(project.get("origin_id")), "departments": [], "custom_fields": {},
        "company": {"id": company.get("id"), "name": company.get("name")},
        "estimated_start_date": project.get("start_date"), "estimated_completion_date": project.get("completion_date"),
        "estimated_value": project.get("total_value"), "tz_name": project.get("time_zone"),
    })
    return full


def serialize_list(project: Record) -> dict[str, Any]:
    full = _full(project)
    return {k: full[k] for k in LIST_FIELDS}


def serialize_v11_list(project: Record) -> dict[str, Any]:
    full = _full(project)
    return {k: full[k] for k in V11_LIST_FIELDS}


def serialize_synced(project: Record) -> dict[str, Any]:
    full = _full(project)
    return {k: full[k] for k in SYNC_FIELDS}


def serialize(project: Record) -> dict[str, Any]:
    full = _full(project)
    return {k: full[k] for k in SHOW_FIELDS}


def _project(company: Record, project_id: int) -> Record:
    project = current().store.get("projects", project_id)
    if project is None or project["company_id"] != company["id"]:
        raise errors.not_found("Project")
    return project


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    fields = pick(raw, WRITABLE)
    if "origin_id" in fields and fields["origin_id"] is not None:
        fields["origin_id"] = str(fields["origin_id"])
    return fields


def save(company: Record, raw: dict[str, Any], project: Record | None = None,
         conflict_status: int = 409) -> Record:
    """Create (`project` None) or update a project, enforcing Procore's rules."""
    fields = _clean(raw)
    problems: dict[str, list[str]] = {}
    if (project is None or "name" in fields) and blank(fields.get("name")):
        problems["name"] = ["can't be blank"]
    if problems:
        raise errors.invalid(problems)
    if origin_taken("projects", company["id"], fields.get("origin_id"), project["id"] if project else None):
        raise errors.ApiError(conflict_status, {"errors": {"origin_id": ["has already been taken"]}})
    store = current().store
    if project is None:
        return store.insert("projects", dict({"active": True, "project_stage_id": 3}, **fields,
                                             company_id=company["id"]), actor=actor())
    return store.update("projects", project["id"], fields, actor=actor())


@bp.get("/rest/v1.0/projects")
@bp.get("/rest/v1.1/projects")
def list_projects():
    serialize_one = serialize_v11_list if request.path.startswith("/rest/v1.1/") else serialize_list
    company = company_param()
    projects = current().store.find("projects", company_id=company["id"])
    status = (request.args.get("filters[by_status]") or "Active").lower()
    if status != "all":
        projects = [p for p in projects if bool(p.get("active", True)) == (status == "active")]
    number = request.args.get("filters[project_number]")
    if number:
        projects = [p for p in projects if p.get("project_number") == number]
    return page(filtered(projects, ("name", "project_number")), serialize_one)


@bp.post("/rest/v1.0/projects")
def create_project():
    body = json_body()
    company = company_param(body)
    project = save(company, require_object(body, "project"))
    return json_response(serialize(project), 201)


@bp.get("/rest/v1.0/projects/<int:project_id>")
def show_project(project_id: int):
    company = company_param() if param("company_id") else _header_company()
    return json_response(serialize(_project(company, project_id)))


@bp.patch("/rest/v1.0/projects/<int:project_id>")
def update_project(project_id: int):
    body = json_body()
    company = company_param(body) if param("company_id", body) else _header_company()
    project = _project(company, project_id)
    return json_response(serialize(save(company, require_object(body, "project"), project)))


@bp.patch("/rest/v1.0/projects/sync")
def sync_projects():
    body = json_body()
    company = company_param(body)

    def apply_one(raw: dict[str, Any]) -> Record:
        target = sync_target("projects", raw, company["id"], lambda p: p["company_id"] == company["id"])
        return save(company, raw, target, conflict_status=422)

    return sync_action(body.get("updates"), apply_one, serialize_synced)


def _header_company() -> Record:
    return g.company

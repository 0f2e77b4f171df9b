"""Sub jobs of a project (Construction Financials / Work Breakdown Structure): list, show, create, update, delete,
and the bulk `PATCH /sub_jobs/sync`.

Procore's REST reference: `GET|POST /rest/v1.0/sub_jobs` (`project_id` in the query, or in the body next to
`sub_job: {code, name, origin_id, origin_data}`), `GET|PATCH|DELETE /rest/v1.0/sub_jobs/{id}?project_id=`; a sub job
shows `id, code, name, origin_id, origin_data, created_at, updated_at`. The code is unique within the project, and
`origin_id` (the ERP's id) is unique within the company like every other ERP-synced record.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from .. import errors
from ..context import actor, in_project, json_body, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import blank, filtered, origin_taken, page, pick, require_object, sync_action, sync_target

bp = Blueprint("procore_sub_jobs", __name__)

WRITABLE = ("code", "name", "origin_id", "origin_data")
FIELDS = ("id", "code", "name", "origin_id", "origin_data", "created_at", "updated_at")


def serialize(sub_job: Record) -> dict[str, Any]:
    return {k: sub_job.get(k) for k in FIELDS}


def save(project: Record, raw: dict[str, Any], sub_job: Record | None = None, conflict_status: int = 409) -> Record:
    fields = pick(raw, WRITABLE)
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
    problems = {k: ["can't be blank"] for k in ("code", "name")
                if (sub_job is None or k in fields) and blank(fields.get(k))}
    if problems:
        raise errors.invalid(problems)
    store = current().store
    if "code" in fields and any(s["code"] == str(fields["code"]) and (sub_job is None or s["id"] != sub_job["id"])
                                for s in store.find("sub_jobs", project_id=project["id"])):
        raise errors.invalid({"code": ["has already been taken"]})
    if "code" in fields:
        fields["code"] = str(fields["code"])
    if origin_taken("sub_jobs", project["company_id"], fields.get("origin_id"), sub_job["id"] if sub_job else None):
        raise errors.ApiError(conflict_status, {"errors": {"origin_id": ["has already been taken"]}})
    if sub_job is None:
        return store.insert("sub_jobs", dict(fields, company_id=project["company_id"], project_id=project["id"]),
                            actor=actor())
    return store.update("sub_jobs", sub_job["id"], fields, actor=actor())


@bp.get("/rest/v1.0/sub_jobs")
def list_sub_jobs():
    project = project_param()
    return page(filtered(current().store.find("sub_jobs", project_id=project["id"]), ("name", "code")), serialize)


@bp.get("/rest/v1.0/sub_jobs/<int:sub_job_id>")
def show_sub_job(sub_job_id: int):
    return json_response(serialize(in_project("sub_jobs", sub_job_id, project_param(), "Sub Job")))


@bp.post("/rest/v1.0/sub_jobs")
def create_sub_job():
    body = json_body()
    project = project_param(body)
    return json_response(serialize(save(project, require_object(body, "sub_job"))), 201)


@bp.patch("/rest/v1.0/sub_jobs/<int:sub_job_id>")
def update_sub_job(sub_job_id: int):
    body = json_body()
    project = project_param(body)
    sub_job = in_project("sub_jobs", sub_job_id, project, "Sub Job")
    return json_response(serialize(save(project, require_object(body, "sub_job"), sub_job)))


@bp.delete("/rest/v1.0/sub_jobs/<int:sub_job_id>")
def delete_sub_job(sub_job_id: int):
    project = project_param(json_body())
    sub_job = in_project("sub_jobs", sub_job_id, project, "Sub Job")
    current().store.delete("sub_jobs", sub_job["id"], actor=actor())
    return Response(status=204)


@bp.patch("/rest/v1.0/sub_jobs/sync")
def sync_sub_jobs():
    body = json_body()
    project = project_param(body)

    def apply_one(raw: dict[str, Any]) -> Record:
        target = sync_target("sub_jobs", raw, project["company_id"], lambda s: s["project_id"] == project["id"])
        return save(project, raw, target, conflict_status=422)

    return sync_action(body.get("updates"), apply_one, serialize)

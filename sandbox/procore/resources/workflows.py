"""Workflow instances: an approval workflow running on a Procore item (e.g. a subcontractor invoice).

`GET /rest/v1.0/workflow_instances?company_id=` with `filters[workflowed_object_type]` and
`filters[workflowed_object_id]` (https://developers.procore.com/documentation/tutorial-workflows). An item with
no instance has no workflow applied. The sandbox keeps the instance's `current_state` (`name`, and `terminal`:
true once the workflow reached its last step) and `completed_at`; tests set them through
`/_sandbox/records/workflow_instances`.
"""

from __future__ import annotations

from flask import Blueprint, request

from ..context import company_param
from ..state import current
from .common import page

bp = Blueprint("procore_workflows", __name__)

FIELDS = ("id", "company_id", "project_id", "workflowed_object_type", "workflowed_object_id", "current_state",
          "completed_at", "created_at", "updated_at")


def serialize(instance: dict) -> dict:
    return {k: instance.get(k) for k in FIELDS}


@bp.get("/rest/v1.0/workflow_instances")
def list_workflow_instances():
    company = company_param()
    records = current().store.find("workflow_instances", company_id=company["id"])
    for key in ("workflowed_object_type", "workflowed_object_id"):
        wanted = request.args.get(f"filters[{key}]")
        if wanted:
            records = [r for r in records if str(r.get(key)) == wanted]
    return page(records, serialize)

"""QBO projects and sub jobs (Customers) and Procore projects as Ledgerlink keeps them: what the projects job
caches and the project writes refresh after they change a record."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.jsonbody import parse_time, plain
from core.models import RemoteRecord
from sync import cache
from sync.procore.records import Project

QBO, QBO_CUSTOMER = "qbo", "Customer"
PROCORE, PROCORE_PROJECT, PROCORE_SUB_JOB = "procore", "project", "sub_job"
PROJECT, SUB_JOB = "project", "sub_job"  # binder entity types, and data["kind"] of cached QBO customers

_QBO_FIELDS = ("Id", "SyncToken", "DisplayName", "FullyQualifiedName", "CompanyName", "Active", "IsProject", "Job",
               "ParentRef", "Level", "BillAddr", "ShipAddr", "MetaData")
_PROCORE_FIELDS = ("id", "name", "display_name", "project_number", "active", "origin_id", "origin_code",
                   "address", "city", "state_code", "zip", "updated_at")
def customer_kind(customer: dict[str, Any]) -> str | None:
    """"project", "sub_job" or None (a plain customer). QBO's `Level` counts parents: a Job at level 1 sits under
    a customer (a project in older companies); deeper ones sit under a project or job (sub jobs)."""
    if customer.get("IsProject"):
        return PROJECT
    if not customer.get("Job") or not customer.get("ParentRef"):
        return None
    level = customer.get("Level")
    return SUB_JOB if isinstance(level, int) and level >= 2 else PROJECT


def qbo_customer_name(customer: dict[str, Any]) -> str:
    return str(customer.get("DisplayName") or str(customer.get("FullyQualifiedName", "")).split(":")[-1]
               or f"Customer {customer.get('Id')}")


def cache_qbo_customer(session: Session, tenant_id: int, customer: dict[str, Any],
                       kind: str) -> tuple[RemoteRecord, bool]:
    data = plain({k: customer[k] for k in _QBO_FIELDS if k in customer})
    data["kind"] = kind
    return cache.upsert(session, tenant_id, QBO, QBO_CUSTOMER, str(customer["Id"]), name=qbo_customer_name(customer),
                        data=data, active=customer.get("Active", True) is not False,
                        parent_id=(customer.get("ParentRef") or {}).get("value"), sync_token=customer.get("SyncToken"),
                        remote_updated_at=parse_time((customer.get("MetaData") or {}).get("LastUpdatedTime")))


def procore_project_data(project: Project) -> dict[str, Any]:
    raw = dict(project.raw or {})
    data = {k: raw[k] for k in _PROCORE_FIELDS if k in raw}
    data.update({"id": project.id, "name": project.name, "project_number": project.project_number,
                 "origin_id": project.origin_id, "active": project.active is not False})
    return plain(data)


def cache_procore_project(session: Session, tenant_id: int, project: Project) -> tuple[RemoteRecord, bool]:
    return cache.upsert(session, tenant_id, PROCORE, PROCORE_PROJECT, str(project.id), name=project.name,
                        data=procore_project_data(project), active=project.active is not False,
                        remote_updated_at=project.updated_at)

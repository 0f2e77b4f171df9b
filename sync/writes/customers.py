"""Outbox operation for projects and sub jobs exported to QuickBooks (seed: Accept or Reject a Project / a Sub Job
for Export to ERP).

    qbo.create_customer   an accepted `project` item becomes a QBO project (a Customer with `Job: true` under the
                          parent customer the sender chose); a `sub_job` item a sub-customer of its project's
                          Customer. Then the Procore record is linked (binder "project" / "sub_job"), so later
                          invoices on the project find their customer, and the QBO Id is stored as the Procore
                          record's origin_id (`procore.set_project_origin`, `procore.set_sub_job_origin`).
    procore.set_sub_job_origin   that PATCH for a sub job (repeating it is harmless)

QBO's REST API makes a project as a Job (sub-customer): `IsProject` is QBO's own flag, so it is not sent. Creates are
idempotent by requestid. When a retry may have lost the first answer, `reconcile` looks the customer up by
DisplayName and adopts it if QBO created it after our first attempt (as for vendors). A 6240 (duplicate name) meets a
customer that was there already: it is adopted when it is the very record asked for — a job under the same parent,
linked to no other Procore record — else the item fails with a sentence telling people to link it instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from core.domain import audit
from core.domain.permissions import SYSTEM
from core.models import Item, OutboxEntry
from sync import binder
from sync.copies.projects import PROJECT, cache_qbo_customer, customer_kind
from sync.outbox import PermanentError, RemoteResult, enqueue
from sync.procore.errors import ProcoreError, ProcoreNotFound
from sync.qbo.errors import QboDuplicate, QboError
from sync.writes.common import created_since, find_by_name, remote_failure
from sync.writes.projects import enqueue_set_project_origin
from sync.writes.registry import ContextFor, operation


def _result(customer: dict[str, Any], adopted: bool = False) -> RemoteResult:
    return RemoteResult(str(customer["Id"]), customer.get("SyncToken"), body={"customer": customer,
                                                                              "adopted": adopted},
                        summary=f"Customer {customer.get('FullyQualifiedName') or customer.get('DisplayName')}")


@operation("qbo.create_customer")
class CreateQboCustomer:
    """payload: kind (project | sub_job), procore_id, procore_project_id (sub jobs), name, body (QBO Customer),
    not_before, round."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, body = self.context_for(entry.tenant_id), entry.payload["body"]
        name, label = body["DisplayName"], _label(entry)
        try:
            return _result(ctx.qbo.create(entity="Customer", body=body, requestid=entry.requestid))
        except QboDuplicate:
            found = find_by_name(ctx, "Customer", name, label=label)
            if found is not None and self._is_ours_to_adopt(entry, found):
                return _result(found, adopted=True)
            raise PermanentError(self._duplicate_sentence(entry, found)) from None
        except (QboError, LookupError) as exc:
            raise remote_failure(exc, f"Creating the QuickBooks {label} '{name}'") from None

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        ctx = self.context_for(entry.tenant_id)
        found = find_by_name(ctx, "Customer", entry.payload["body"]["DisplayName"], label=_label(entry))
        if found is not None and created_since(found, entry.payload.get("not_before")):
            return _result(found)
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        p, customer = entry.payload, result.body.get("customer") or {}
        kind, procore_id = p["kind"], str(p["procore_id"])
        if customer.get("Id"):
            cache_qbo_customer(session, entry.tenant_id, customer, customer_kind(customer) or kind)
        if entry.item_id is not None:
            session.execute(update(Item).where(Item.id == entry.item_id).values(remote_id=result.remote_id))
        if result.body.get("adopted"):
            audit.record(session, tenant_id=entry.tenant_id, actor=SYSTEM, action="adopt_customer",
                         detail={"kind": kind, "procore_id": procore_id, "qbo_id": result.remote_id,
                                 "outbox_id": entry.id})
        if not self._bind_if_free(session, entry, kind, procore_id, result):
            return
        if kind == PROJECT:
            enqueue_set_project_origin(session, tenant_id=entry.tenant_id, project_id=procore_id,
                                       origin_id=result.remote_id, name=p.get("name") or "",
                                       reason=f"export-{entry.id}")
        else:
            enqueue(session, tenant_id=entry.tenant_id, target="procore", operation="procore.set_sub_job_origin",
                    record=f"sub_job:{procore_id}", version=f"{result.remote_id}:export-{entry.id}",
                    payload={"project_id": int(p["procore_project_id"]), "sub_job_id": int(procore_id),
                             "origin_id": result.remote_id, "name": p.get("name") or ""})

    @staticmethod
    def _bind_if_free(session: Session, entry: OutboxEntry, kind: str, procore_id: str,
                      result: RemoteResult) -> bool:
        mine = binder.to_external(session, entry.tenant_id, kind, procore_id)
        theirs = binder.to_internal(session, entry.tenant_id, kind, result.remote_id)
        if (mine is None or mine.qbo_id == result.remote_id) and (theirs is None or theirs.procore_id == procore_id):
            binder.bind(session, entry.tenant_id, kind, procore_id, result.remote_id, result.sync_token)
            return True
        audit.record(session, tenant_id=entry.tenant_id, actor=SYSTEM, action="link_conflict",
                     detail={"entity": kind, "procore_id": procore_id, "qbo_id": result.remote_id,
                             "outbox_id": entry.id})
        return False

    def _is_ours_to_adopt(self, entry: OutboxEntry, found: dict[str, Any]) -> bool:
        """The same-named customer is the record asked for: a job under the same parent, linked to nothing else."""
        wanted_parent = (entry.payload["body"].get("ParentRef") or {}).get("value")
        if not found.get("Job") or (found.get("ParentRef") or {}).get("value") != wanted_parent:
            return False
        with Session(self.context_for(entry.tenant_id).engine) as s:
            theirs = binder.to_internal(s, entry.tenant_id, entry.payload["kind"], str(found["Id"]))
        return theirs is None or theirs.procore_id == str(entry.payload["procore_id"])

    @staticmethod
    def _duplicate_sentence(entry: OutboxEntry, found: dict[str, Any] | None) -> str:
        p, name = entry.payload, entry.payload["body"]["DisplayName"]
        if found is not None and p["kind"] == PROJECT:
            return (f"QuickBooks already has a customer named '{found.get('FullyQualifiedName') or name}' (Id "
                    f"{found['Id']}), so Ledgerlink did not create a second one: link the project to it instead "
                    f"(`/ledgerlink link project {p['procore_id']} {found['Id']}`), or rename the project in "
                    "Procore and resend.")
        if found is not None:
            return (f"QuickBooks already has a customer named '{found.get('FullyQualifiedName') or name}' (Id "
                    f"{found['Id']}) that is not this sub job's; rename the sub job in Procore and resend.")
        return (f"'{name}' is already the name of a QuickBooks vendor or employee, and QuickBooks names must be "
                "unique across vendors, customers and employees: rename it in Procore and resend.")


def _label(entry: OutboxEntry) -> str:
    return "project" if entry.payload.get("kind") == PROJECT else "sub job"


@operation("procore.set_sub_job_origin")
class SetProcoreSubJobOrigin:
    """payload: project_id, sub_job_id, origin_id, name. The Procore side of an exported sub job's link (a PATCH:
    repeating it is harmless)."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, p = self.context_for(entry.tenant_id), entry.payload
        what = f"Storing QuickBooks id {p['origin_id']} on Procore sub job '{p.get('name')}'"
        try:
            sub_job = ctx.procore.update_sub_job(project_id=int(p["project_id"]), sub_job_id=int(p["sub_job_id"]),
                                                 origin_id=p["origin_id"])
        except ProcoreNotFound:
            raise PermanentError(f"{what} failed: the sub job is gone from Procore.") from None
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None
        return RemoteResult(str(sub_job.id), summary=f"Procore sub job {sub_job.code} {sub_job.name}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # setting a field twice is the same as once

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        return None

"""Outbox operations for projects and sub jobs (all Procore writes; QBO is where projects start).

    procore.create_project       add an ERP job to Procore (origin_id = QBO project Id), then bind "project"
    procore.update_project       import a Ready-to-update QBO project's changes, then refresh the link
    procore.set_project_origin   store (or clear) the QBO Id on an existing Procore project (link / unlink)
    procore.create_sub_job       import an ERP sub job under its linked Procore project, then bind "sub_job"

Procore has no idempotency key; `origin_id` is unique per company, so a create whose answer was lost is found
again by origin_id (`reconcile`) and a repeated create answers 409, which is resolved the same way.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.domain import audit
from core.domain.permissions import SYSTEM
from core.jsonbody import plain
from core.models import OutboxEntry
from sync import binder, cache
from sync.copies.projects import PROCORE, PROCORE_SUB_JOB, PROJECT, QBO, QBO_CUSTOMER, SUB_JOB, cache_procore_project
from sync.outbox import PermanentError, RemoteResult, enqueue
from sync.procore.errors import ProcoreConflict, ProcoreError, ProcoreNotFound
from sync.procore.records import Project
from sync.procore.sub_jobs import SubJob
from sync.writes.common import remote_failure
from sync.writes.registry import ContextFor, operation


def enqueue_set_project_origin(session: Session, *, tenant_id: int, project_id: str | int, origin_id: str | None,
                               name: str, reason: int | str) -> OutboxEntry:
    return enqueue(session, tenant_id=tenant_id, target="procore", operation="procore.set_project_origin",
                   record=f"project:{project_id}", version=f"{origin_id}:{reason}",
                   payload={"project_id": int(project_id), "origin_id": origin_id, "name": name})


def _bind_if_free(session: Session, tenant_id: int, entity: str, procore_id: str, qbo_id: str,
                  sync_token: str | None, entry: OutboxEntry) -> bool:
    mine = binder.to_external(session, tenant_id, entity, procore_id)
    theirs = binder.to_internal(session, tenant_id, entity, qbo_id)
    if (mine is None or mine.qbo_id == qbo_id) and (theirs is None or theirs.procore_id == procore_id):
        binder.bind(session, tenant_id, entity, procore_id, qbo_id, sync_token)
        return True
    audit.record(session, tenant_id=tenant_id, actor=SYSTEM, action="link_conflict",
                 detail={"entity": entity, "procore_id": procore_id, "qbo_id": qbo_id, "outbox_id": entry.id})
    return False


def _qbo_token(session: Session, entry: OutboxEntry, qbo_id: str) -> str | None:
    """The QBO SyncToken the write was made from (so a later QBO change still shows as Ready to update)."""
    if entry.payload.get("qbo_sync_token"):
        return str(entry.payload["qbo_sync_token"])
    row = cache.get(session, entry.tenant_id, QBO, QBO_CUSTOMER, qbo_id)
    return row.sync_token if row else None


def _project_result(project: Project) -> RemoteResult:
    return RemoteResult(str(project.id), body={"project": plain(dict(project.raw))},
                        summary=f"Procore project {project.display_name or project.name}")


class _ProjectOp:
    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def _by_origin(self, ctx: Any, origin_id: str, what: str) -> Project | None:
        try:
            return next(iter(ctx.procore.list_projects(filters={"origin_id": str(origin_id), "by_status": "All"})),
                        None)
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None

    def _update(self, entry: OutboxEntry, what: str, fields: dict[str, Any], *, gone: str = "",
                taken: str | None = None) -> RemoteResult:
        """PATCH the payload's Procore project; a project that is gone (then `gone` says what to do), or a value
        another project holds (`taken`, when that is a refusal), is a sentence that retrying won't change."""
        ctx = self.context_for(entry.tenant_id)
        try:
            return _project_result(ctx.procore.update_project(project_id=int(entry.payload["project_id"]), **fields))
        except ProcoreConflict as exc:
            if taken is None:
                raise remote_failure(exc, what) from None
            raise PermanentError(f"{what} was refused: {taken}") from None
        except ProcoreNotFound:
            raise PermanentError(f"{what} failed: the project is gone from Procore (or Ledgerlink may not see "
                                 f"it){gone}.") from None
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None

    @staticmethod
    def _cache(session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        raw = result.body.get("project") or {}
        if raw.get("id"):
            cache_procore_project(session, entry.tenant_id, Project.from_api(raw))


@operation("procore.create_project")
class CreateProcoreProject(_ProjectOp):
    """payload: qbo_project_id, qbo_sync_token, body (Procore project: name, origin_id, project_number?…)."""

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, body = self.context_for(entry.tenant_id), dict(entry.payload["body"])
        what = f"Adding the project '{body.get('name')}' to Procore"
        try:
            return _project_result(ctx.procore.create_project(**body))
        except ProcoreConflict:
            found = self._by_origin(ctx, body["origin_id"], what)
            if found is None:
                raise PermanentError(f"{what} was refused: a Procore project Ledgerlink can't see already carries "
                                     f"QuickBooks id {body['origin_id']}; ask a Procore admin to check inactive "
                                     "projects, then link that project instead.") from None
            return _project_result(found)
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        ctx = self.context_for(entry.tenant_id)
        found = self._by_origin(ctx, entry.payload["body"]["origin_id"], "Looking up the Procore project")
        return _project_result(found) if found else None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        self._cache(session, entry, result)
        qbo_id = str(entry.payload["qbo_project_id"])
        _bind_if_free(session, entry.tenant_id, PROJECT, result.remote_id, qbo_id,
                      _qbo_token(session, entry, qbo_id), entry)


@operation("procore.update_project")
class UpdateProcoreProject(_ProjectOp):
    """payload: project_id, qbo_project_id, qbo_sync_token, fields. A PATCH; re-running it is harmless."""

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p = entry.payload
        return self._update(entry, f"Updating Procore project {p['project_id']} from QuickBooks",
                            p["fields"], gone="; link the QuickBooks project to another Procore project")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        self._cache(session, entry, result)
        qbo_id = str(entry.payload["qbo_project_id"])
        link = binder.to_external(session, entry.tenant_id, PROJECT, result.remote_id)
        if link is not None and link.qbo_id == qbo_id:  # refresh last_synced_at: Synced again
            binder.bind(session, entry.tenant_id, PROJECT, result.remote_id, qbo_id,
                        _qbo_token(session, entry, qbo_id))


@operation("procore.set_project_origin")
class SetProcoreProjectOrigin(_ProjectOp):
    """payload: project_id, origin_id (None clears), name."""

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p = entry.payload
        what = (f"Storing QuickBooks id {p['origin_id']} on Procore project '{p.get('name')}'" if p["origin_id"]
                else f"Clearing the QuickBooks id on Procore project '{p.get('name')}'")
        return self._update(entry, what, {"origin_id": p["origin_id"]},
                            taken=f"another Procore project already carries QuickBooks id {p['origin_id']}; "
                                  "unlink that one first.")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        self._cache(session, entry, result)


@operation("procore.create_sub_job")
class CreateProcoreSubJob:
    """payload: qbo_sub_job_id, qbo_sync_token, project_id (Procore), code, name."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, p = self.context_for(entry.tenant_id), entry.payload
        what = f"Adding the sub job '{p['name']}' to Procore project {p['project_id']}"
        try:
            sub_job = ctx.procore.create_sub_job(project_id=int(p["project_id"]), code=p["code"], name=p["name"],
                                                 origin_id=str(p["qbo_sub_job_id"]))
        except ProcoreConflict:
            sub_job = self._by_origin(ctx, p, what)
            if sub_job is None:
                raise PermanentError(f"{what} was refused: another sub job already carries QuickBooks id "
                                     f"{p['qbo_sub_job_id']}.") from None
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None
        return self._result(sub_job)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        found = self._by_origin(self.context_for(entry.tenant_id), entry.payload, "Looking up the Procore sub job")
        return self._result(found) if found else None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        p = entry.payload
        raw = result.body.get("sub_job") or {}
        cache.upsert(session, entry.tenant_id, PROCORE, PROCORE_SUB_JOB, result.remote_id,
                     name=raw.get("name") or p["name"], data=raw, parent_id=str(p["project_id"]))
        qbo_id = str(p["qbo_sub_job_id"])
        _bind_if_free(session, entry.tenant_id, SUB_JOB, result.remote_id, qbo_id,
                      _qbo_token(session, entry, qbo_id), entry)

    @staticmethod
    def _by_origin(ctx: Any, p: dict[str, Any], what: str) -> SubJob | None:
        try:
            listing = ctx.procore.list_sub_jobs(project_id=int(p["project_id"]),
                                                filters={"origin_id": str(p["qbo_sub_job_id"])})
            return next((s for s in listing if s.origin_id == str(p["qbo_sub_job_id"])), None)
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None

    @staticmethod
    def _result(sub_job: SubJob) -> RemoteResult:
        return RemoteResult(str(sub_job.id), body={"sub_job": plain(dict(sub_job.raw))},
                            summary=f"Procore sub job {sub_job.code} {sub_job.name}")

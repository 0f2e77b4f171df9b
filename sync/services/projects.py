"""Projects and sub jobs: Add an ERP Job to Procore, Link ERP Projects to Existing Procore Projects, Import an ERP Sub
Job to a Procore Project, View a List of Synced Sub Jobs, and "Why is my Procore project missing from the ERP
Integrations tool?".

Projects start in QBO (domain.md). Each function takes the tenant's `TenantContext` and the acting `Actor`, checks
the seed permission, and writes its link / outbox row / audit row in one transaction; they read the cache that
`sync projects` fills, never a remote API.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.domain import audit
from core.domain.errors import InvalidInput
from core.domain.permissions import Actor, Perm
from core.models import ExternalLink, OutboxEntry, RemoteRecord
from sync import binder, cache
from sync.context import TenantContext
from sync.copies.projects import PROCORE, PROCORE_PROJECT, PROJECT, QBO, QBO_CUSTOMER, SUB_JOB
from sync.duplicates import normalise_name
from sync.jobs.projects import STATE_LABELS, import_state
from sync.mappers.names import clean_name
from sync.mappers.projects import qbo_project_to_procore_project
from sync.outbox import OutboxStatus, enqueue
from sync.reports.lists import SubJobRow
from sync.reports.lists import synced_sub_jobs as _synced_sub_jobs_report
from sync.services.companies import authorize
from sync.services.hooks import live_entry
from sync.writes.projects import enqueue_set_project_origin

REFRESH_HINT = "refresh the projects list (`/ledgerlink refresh projects`) and try again"
LINK_HINT = "`/ledgerlink link project {procore_id} <QuickBooks project>`"


@dataclass(frozen=True)
class ErpJobRow:
    """A QBO project or sub job with its import state and Procore counterpart."""

    qbo_id: str
    name: str
    kind: str  # project | sub_job
    parent_qbo_id: str | None
    parent_name: str | None
    active: bool
    state: str  # ready_to_import | synced | ready_to_update
    procore_id: str | None = None
    procore_name: str | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _qbo_record(s: Session, tenant_id: int, qbo_id: str | int, kind: str) -> RemoteRecord:
    row = cache.get(s, tenant_id, QBO, QBO_CUSTOMER, str(qbo_id))
    label = "project" if kind == PROJECT else "sub job"
    if row is None or row.data.get("kind") != kind:
        raise InvalidInput(f"Ledgerlink doesn't know a QuickBooks {label} with id {qbo_id}: {REFRESH_HINT}.")
    if not row.active:
        raise InvalidInput(f"QuickBooks {label} '{row.name}' is inactive in QuickBooks; reactivate it there and "
                           f"{REFRESH_HINT}.")
    return row


def _procore_project(s: Session, tenant_id: int, procore_project_id: str | int) -> RemoteRecord:
    row = cache.get(s, tenant_id, PROCORE, PROCORE_PROJECT, str(procore_project_id))
    if row is None:
        raise InvalidInput(f"Ledgerlink doesn't know Procore project {procore_project_id}: {REFRESH_HINT}.")
    return row


def _project_title(row: RemoteRecord) -> str:
    number = row.data.get("project_number")
    return f"{number} {row.name}" if number else row.name


# --- lists ----------------------------------------------------------------------------------------------------
def list_erp_jobs(ctx: TenantContext, actor: Actor, *, include_sub_jobs: bool = True,
                  include_inactive: bool = False) -> list[ErpJobRow]:
    """QBO projects (and sub jobs) with their states: Ready to import / Synced / Ready to update."""
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        recs = list(s.exec(select(RemoteRecord).where(RemoteRecord.tenant_id == ctx.tenant_id,
                                                      RemoteRecord.system == QBO,
                                                      RemoteRecord.entity == QBO_CUSTOMER)))
        names = {r.remote_id: r.name for r in recs}
        links = {(lk.entity_type, lk.qbo_id): lk for lk in s.exec(select(ExternalLink).where(
            ExternalLink.tenant_id == ctx.tenant_id, ExternalLink.entity_type.in_([PROJECT, SUB_JOB])))}
        procore_names = {r.remote_id: _project_title(r) for r in cache.listing(
            s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, archived=None)}
        out = []
        for r in recs:
            kind = r.data.get("kind", PROJECT)
            if (kind == SUB_JOB and not include_sub_jobs) or (not r.active and not include_inactive):
                continue
            link = links.get((kind, r.remote_id))
            out.append(ErpJobRow(r.remote_id, r.name, kind, r.parent_id, names.get(r.parent_id or ""), r.active,
                                 import_state(r, link), link.procore_id if link else None,
                                 procore_names.get(link.procore_id) if link else None))
    out.sort(key=lambda row: (row.kind != PROJECT, row.name.casefold()))
    return out


def synced_sub_jobs(ctx: TenantContext, actor: Actor, *,
                    procore_project_id: str | int | None = None) -> list[SubJobRow]:
    """View a List of Synced Sub Jobs (optionally of one Procore project)."""
    authorize(ctx, actor, Perm.VIEW_SYNCED_SUB_JOBS)
    with ctx.session() as s:
        rows = _synced_sub_jobs_report(s, actor, tenant_id=ctx.tenant_id)
        if procore_project_id is None:
            return rows
        link = binder.to_external(s, ctx.tenant_id, PROJECT, procore_project_id)
        return [r for r in rows if link is not None and r.parent_qbo_id == link.qbo_id]


# --- add / update an ERP job in Procore -----------------------------------------------------------------------
def add_erp_job_to_procore(ctx: TenantContext, actor: Actor, *, qbo_project_id: str | int,
                           project_number: str | None = None, allow_similar: bool = False) -> OutboxEntry:
    """Add an ERP job to Procore (a new project carrying origin_id = QBO Id, linked when Procore answers), or, for
    a Ready-to-update project, import QBO's changes into its linked Procore project."""
    authorize(ctx, actor, Perm.ADD_ERP_JOB)
    qid = str(qbo_project_id)
    number = clean_name(project_number) or None
    with ctx.session() as s:
        rec = _qbo_record(s, ctx.tenant_id, qid, PROJECT)
        for operation in ("procore.create_project", "procore.update_project"):
            if (queued := live_entry(s, ctx.tenant_id, operation, qbo_project_id=qid)) is not None:
                return queued  # already on its way (a second click)
        link = binder.to_internal(s, ctx.tenant_id, PROJECT, qid)
        state = import_state(rec, link)
        try:
            body = qbo_project_to_procore_project(rec.data, project_number=number)
        except ValueError as exc:
            raise InvalidInput(f"{exc}.") from None
        if state == "synced":
            procore = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, link.procore_id)
            raise InvalidInput(f"QuickBooks project '{rec.name}' is already synced with Procore project "
                               f"{_project_title(procore) if procore else link.procore_id}; nothing to import.")
        event = audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="add_erp_job", detail={
            "qbo_project_id": qid, "name": rec.name, "state": state, "procore_project_id": link.procore_id if link
            else None})
        s.flush()
        if state == "ready_to_update":
            fields = {k: v for k, v in body.items() if k not in ("origin_id", "active")}
            entry = enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.update_project",
                            record=f"qbo_project:{qid}", version=f"{rec.sync_token}:{event.id}",
                            payload={"project_id": int(link.procore_id), "qbo_project_id": qid, "fields": fields,
                                     "qbo_sync_token": rec.sync_token})
            s.commit()
            return entry
        if not allow_similar:
            wanted = normalise_name(body["name"])
            same = [p for p in cache.listing(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, archived=None)
                    if normalise_name(p.name) == wanted and binder.to_external(s, ctx.tenant_id, PROJECT, p.remote_id)
                    is None]
            if same:
                s.rollback()
                raise InvalidInput(f"Procore already has a project named '{same[0].name}': link it instead "
                                   f"(`/ledgerlink link project {same[0].remote_id} {qid}`), so Procore doesn't get "
                                   "a second one.")
        payload = {"qbo_project_id": qid, "body": body, "qbo_sync_token": rec.sync_token}
        entry = enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_project",
                        record=f"qbo_project:{qid}", version=1, payload=payload)
        if entry.status in (OutboxStatus.FAILED, OutboxStatus.DONE):  # asked again after it ended: a new request
            entry = enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_project",
                            record=f"qbo_project:{qid}", version=f"again-{event.id}", payload=payload)
        s.commit()
        return entry


def link_erp_job(ctx: TenantContext, actor: Actor, *, qbo_project_id: str | int,
                 procore_project_id: str | int) -> ExternalLink:
    """Link a QBO project to an existing Procore project (stores origin_id on the Procore project)."""
    authorize(ctx, actor, Perm.ADD_ERP_JOB)
    qid, pid = str(qbo_project_id), str(procore_project_id)
    with ctx.session() as s:
        rec = _qbo_record(s, ctx.tenant_id, qid, PROJECT)
        project = _procore_project(s, ctx.tenant_id, pid)
        current = binder.to_external(s, ctx.tenant_id, PROJECT, pid)
        if current is not None and current.qbo_id == qid:
            return current
        if current is not None:
            other = cache.get(s, ctx.tenant_id, QBO, QBO_CUSTOMER, current.qbo_id)
            raise InvalidInput(f"Procore project {_project_title(project)} is already linked to QuickBooks project "
                               f"'{other.name if other else current.qbo_id}'.")
        try:
            binder.bind(s, ctx.tenant_id, PROJECT, pid, qid, rec.sync_token)
        except IntegrityError:
            s.rollback()
            other = binder.to_internal(s, ctx.tenant_id, PROJECT, qid)
            linked = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, other.procore_id) if other else None
            raise InvalidInput(f"QuickBooks project '{rec.name}' is already linked to Procore project "
                               f"{_project_title(linked) if linked else (other.procore_id if other else '?')}; a "
                               "QuickBooks project links to one Procore project.") from None
        event = audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="link_project",
                             detail={"qbo_project_id": qid, "procore_project_id": pid})
        s.flush()
        enqueue_set_project_origin(s, tenant_id=ctx.tenant_id, project_id=pid, origin_id=qid, name=project.name,
                                   reason=event.id)
        link = binder.to_external(s, ctx.tenant_id, PROJECT, pid)
        s.commit()
        return link


# --- sub jobs -------------------------------------------------------------------------------------------------
def import_sub_job(ctx: TenantContext, actor: Actor, *, qbo_sub_job_id: str | int,
                   code: str | None = None) -> OutboxEntry:
    """Import an ERP sub job (a QBO sub-customer under a project) into its linked Procore project."""
    authorize(ctx, actor, Perm.IMPORT_SUB_JOB)
    qid = str(qbo_sub_job_id)
    with ctx.session() as s:
        rec = _qbo_record(s, ctx.tenant_id, qid, SUB_JOB)
        if (queued := live_entry(s, ctx.tenant_id, "procore.create_sub_job", qbo_sub_job_id=qid)) is not None:
            return queued
        done = binder.to_internal(s, ctx.tenant_id, SUB_JOB, qid)
        if done is not None:
            raise InvalidInput(f"Sub job '{rec.name}' is already in Procore (sub job {done.procore_id}).")
        parent = binder.to_internal(s, ctx.tenant_id, PROJECT, rec.parent_id or "")
        if parent is None:
            project = cache.get(s, ctx.tenant_id, QBO, QBO_CUSTOMER, rec.parent_id or "")
            raise InvalidInput(f"Sub job '{rec.name}' belongs to QuickBooks project "
                               f"'{project.name if project else rec.parent_id}', which is not in Procore yet: add or "
                               "link that project first, then import its sub jobs.")
        name = clean_name(rec.name)[:255]
        sub_code = clean_name(code) or qid  # QBO sub-customers have no code; their Id is stable and unique
        event = audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="import_sub_job",
                             detail={"qbo_sub_job_id": qid, "procore_project_id": parent.procore_id, "code": sub_code})
        s.flush()
        entry = enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_sub_job",
                        record=f"qbo_sub_job:{qid}", version=1,
                        payload={"qbo_sub_job_id": qid, "project_id": int(parent.procore_id), "code": sub_code,
                                 "name": name, "qbo_sync_token": rec.sync_token})
        if entry.status in (OutboxStatus.FAILED, OutboxStatus.DONE):  # asked again after it ended: a new request
            entry = enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_sub_job",
                            record=f"qbo_sub_job:{qid}", version=f"again-{event.id}",
                            payload={**entry.payload, "code": sub_code})
        s.commit()
        return entry


# --- why a Procore project is not in the ERP lists -------------------------------------------------------------
def why_missing_from_erp(ctx: TenantContext, *, procore_project_id: str | int) -> str | None:
    """The reason a Procore project is missing from the ERP lists (and what to do), or None when it is there."""
    pid = str(procore_project_id)
    with ctx.session() as s:
        project = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, pid)
        if project is None:
            return f"Ledgerlink hasn't seen Procore project {pid} yet: {REFRESH_HINT}."
        title = _project_title(project)
        if not project.active:
            return (f"{title} is inactive in Procore, and the ERP lists show active projects only: reactivate it in "
                    "Procore's project Admin tool, then refresh.")
        link = binder.to_external(s, ctx.tenant_id, PROJECT, pid)
        if link is None:
            origin = project.data.get("origin_id")
            if origin:
                return (f"{title} carries QuickBooks id {origin}, which is not a project in this QuickBooks company: "
                        f"link it to the right one with {LINK_HINT.format(procore_id=pid)}.")
            wanted = normalise_name(project.name)
            twin = next((r for r in cache.listing(s, ctx.tenant_id, QBO, QBO_CUSTOMER, archived=None, active=True)
                         if r.data.get("kind") == PROJECT and normalise_name(r.name) == wanted), None)
            hint = (f" — QuickBooks project '{twin.name}' looks like it: `/ledgerlink link project {pid} "
                    f"{twin.remote_id}`" if twin else "")
            return (f"{title} is not linked to a QuickBooks project — link it with "
                    f"{LINK_HINT.format(procore_id=pid)}{hint}. Projects start in QuickBooks: one created in Procore "
                    "only shows up once it is linked.")
        qbo = cache.get(s, ctx.tenant_id, QBO, QBO_CUSTOMER, link.qbo_id)
        if qbo is None or qbo.data.get("deleted"):
            return (f"{title} is linked to QuickBooks project {link.qbo_id}, which no longer exists in QuickBooks: "
                    f"link it to another with {LINK_HINT.format(procore_id=pid)}.")
        if not qbo.active:
            return (f"{title} is linked to QuickBooks project '{qbo.name}', which is inactive in QuickBooks: "
                    "reactivate it there, then refresh.")
        if not project.data.get("project_number"):
            return (f"{title} has no project number: cost code items are named [project number]-[cost code].[cost "
                    "type], so give it a number in Procore's project Admin tool, then refresh.")
        return None

"""Refresh the projects lists: QBO projects and sub jobs, and Procore projects, into the local cache.

QBO side: Customers that are projects — `IsProject` (newer companies) or a `Job` sub-customer directly under a
customer (older ones) — and sub jobs, sub-customers under a project; cached as `RemoteRecord(system="qbo",
entity="Customer")` with `data["kind"]` "project" | "sub_job" and `parent_id` = ParentRef (other customers are not
kept). Full scan first, then CDC (`qbo_lists.py`). Procore side: every project, active or not, as
`RemoteRecord(system="procore", entity="project")`. A Procore project whose `origin_id` names a cached QBO project
is linked on the Procore side: the refresh adopts that link (binder entity "project").

Per QBO project the report says its state: Ready to import (no Procore project), Synced, or Ready to update (QBO
changed since it was imported or linked: its SyncToken moved past the link's); sub jobs likewise, once their
project is linked.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from core.jsonbody import parse_time
from core.models import ExternalLink, RemoteRecord
from sync import binder, cache
from sync.context import TenantContext
from sync.copies.projects import (
    PROCORE,
    PROCORE_PROJECT,
    PROJECT,
    QBO,
    QBO_CUSTOMER,
    SUB_JOB,
    cache_procore_project,
    cache_qbo_customer,
    customer_kind,
    procore_project_data,
    qbo_customer_name,
)
from sync.jobs.base import JobReport, register
from sync.jobs.origin import OriginLink, adopt_origin
from sync.jobs.qbo_lists import QboListRefresh
from sync.mappers.projects import project_import_state
from sync.procore.records import Project

ORIGIN = OriginLink(PROJECT, "Procore project", "QBO project",
                    "is not a project in this QuickBooks company — link it to the right QuickBooks project",
                    "link_project", "procore_project_id", "qbo_project_id")
STATE_LABELS = {"ready_to_import": "Ready to import", "synced": "Synced", "ready_to_update": "Ready to update"}


def _utc_text(when: datetime | str | None) -> str | None:
    """Both sides of the 'changed since' comparison in one form (UTC, seconds) so strings compare as times."""
    moment = parse_time(when) if isinstance(when, str) else when
    if moment is None:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


def import_state(record: RemoteRecord, link: ExternalLink | None) -> str:
    """Ready to import / Synced / Ready to update for a cached QBO project or sub job.

    "Changed since the link" compares QBO's SyncToken (bumped on every update) with the one the link was made
    from — exact, where LastUpdatedTime has whole seconds; links made without a token fall back to the times."""
    if link is not None and link.sync_token and record.sync_token:
        return "synced" if link.sync_token == record.sync_token else "ready_to_update"
    changed = (record.data.get("MetaData") or {}).get("LastUpdatedTime")
    return project_import_state(_utc_text(changed), _utc_text(link.last_synced_at) if link else None,
                                link is not None)


def _label(name: str, remote_id: str | int, system: str) -> str:
    return f"{name} ({'QBO' if system == QBO else 'Procore'} {remote_id})"


class QboProjectRefresh(QboListRefresh):
    entity = QBO_CUSTOMER
    cursor_job = "projects"

    def __init__(self, page_size: int | None = None) -> None:
        if page_size:
            self.page_size = page_size
        self.would_cache: dict[str, tuple[str, str]] = {}  # dry run: id → (name, kind)

    def apply(self, session, tenant_id, record, report, dry_run):
        rid, name, kind = str(record["Id"]), qbo_customer_name(record), customer_kind(record)
        existing = cache.get(session, tenant_id, QBO, QBO_CUSTOMER, rid)
        if kind is None:
            if existing is not None:  # it was a project or sub job and is not any more
                self.apply_deleted(session, tenant_id, rid, report, dry_run, why="no longer a project in QuickBooks")
            return
        what = "QBO project" if kind == PROJECT else "QBO sub job"
        active = record.get("Active", True) is not False
        if existing is None:
            report.add("create", what, _label(name, rid, QBO), "new" + ("" if active else " (inactive)"))
        elif existing.sync_token != record.get("SyncToken") or existing.data.get("kind") != kind:
            said = [w for w, cond in (("made inactive", existing.active and not active),
                                      ("reactivated", active and not existing.active),
                                      (f"renamed from '{existing.name}'",
                                       existing.name.removesuffix(" (deleted)") != name.removesuffix(" (deleted)")))
                    if cond]
            report.add("update", what, _label(name, rid, QBO), ", ".join(said) or "details changed")
        else:
            return
        if dry_run:
            self.would_cache[rid] = (name, kind)
        else:
            cache_qbo_customer(session, tenant_id, record, kind)

    def apply_deleted(self, session, tenant_id, remote_id, report, dry_run, why="deleted in QuickBooks"):
        row = cache.get(session, tenant_id, QBO, QBO_CUSTOMER, remote_id)
        if row is None or row.data.get("deleted"):
            return
        kind = row.data.get("kind", PROJECT)
        what = "QBO project" if kind == PROJECT else "QBO sub job"
        link = binder.to_internal(session, tenant_id, kind, remote_id)
        if link is None:
            report.add("remove", what, _label(row.name, remote_id, QBO), why)
            if not dry_run:
                cache.remove(session, tenant_id, QBO, QBO_CUSTOMER, remote_id)
            return
        report.add("deactivate", what, _label(row.name, remote_id, QBO),
                   f"{why} but still linked to Procore {kind.replace('_', ' ')} {link.procore_id} — link that to the "
                   "QuickBooks project that remains")
        if not dry_run:
            row.active, row.data = False, {**row.data, "deleted": True}
            session.add(row)


@register
class ProjectsJob:
    name = "projects"
    description = "Refresh QBO projects and sub jobs (CDC after the first run) and Procore projects; report states"
    page_size: int | None = None

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        qbo = QboProjectRefresh(self.page_size)
        qbo.refresh(ctx, report, dry_run=dry_run)
        projects = list(ctx.procore.list_projects(filters={"by_status": "All"}))
        report.stats["procore_projects_read"] = len(projects)
        with ctx.session() as s:
            for project in projects:
                existing = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, str(project.id))
                if existing is None or existing.data != procore_project_data(project):
                    report.add("create" if existing is None else "update", "Procore project",
                               _label(project.name, project.id, PROCORE),
                               "new" if existing is None else "details changed")
                    if not dry_run:
                        cache_procore_project(s, ctx.tenant_id, project)
            listed = {str(p.id) for p in projects}
            for row in cache.listing(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, archived=None, active=True):
                if row.remote_id not in listed:  # the list holds inactive projects too: this one was deleted
                    report.add("deactivate", "Procore project", _label(row.name, row.remote_id, PROCORE),
                               "no longer in Procore")
                    if not dry_run:
                        row.active = False
                        s.add(row)
            for project in projects:
                if project.origin_id:
                    self._adopt(s, ctx.tenant_id, project, report, dry_run, qbo.would_cache)
            self._states(s, ctx.tenant_id, report, qbo.would_cache)
            if dry_run:
                s.rollback()
            else:
                s.commit()
        return report

    @staticmethod
    def _adopt(s: Session, tenant_id: int, project: Project, report: JobReport, dry_run: bool,
               would_cache: dict[str, tuple[str, str]]) -> None:
        """Procore says this project came from QBO project `origin_id`: take that link when both sides are free."""
        origin = str(project.origin_id)
        row = cache.get(s, tenant_id, QBO, QBO_CUSTOMER, origin)
        name, kind = (row.name, row.data.get("kind")) if row else would_cache.get(origin, (None, None))
        what = _label(project.name, project.id, PROCORE)
        adopt_origin(s, tenant_id, ORIGIN, report, procore_id=project.id, what=what,
                     origin=origin, qbo_name=name if kind == PROJECT else None,
                     sync_token=row.sync_token if row else None, dry_run=dry_run)

    @staticmethod
    def _states(s: Session, tenant_id: int, report: JobReport, would_cache: dict[str, tuple[str, str]]) -> None:
        rows = list(s.exec(select(RemoteRecord).where(
            RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == QBO, RemoteRecord.entity == QBO_CUSTOMER,
            RemoteRecord.active == True)).all())  # noqa: E712
        names = {r.remote_id: r.name for r in rows} | {k: v[0] for k, v in would_cache.items()}
        for rid, (name, kind) in would_cache.items():  # dry run: what the refresh would have cached
            if not any(r.remote_id == rid for r in rows):
                report.add("state", "QBO project" if kind == PROJECT else "QBO sub job", _label(name, rid, QBO),
                           STATE_LABELS["ready_to_import"])
        for row in sorted(rows, key=lambda r: (r.data.get("kind") != PROJECT, r.name.casefold())):
            kind = row.data.get("kind", PROJECT)
            link = binder.to_internal(s, tenant_id, kind, row.remote_id)
            state = import_state(row, link)
            what = "QBO project" if kind == PROJECT else "QBO sub job"
            detail = STATE_LABELS[state]
            if kind == SUB_JOB and link is None:
                parent = binder.to_internal(s, tenant_id, PROJECT, row.parent_id or "")
                if parent is None:
                    detail = (f"waits for its project {names.get(row.parent_id or '', row.parent_id)} to be linked "
                              "to Procore")
            elif link is not None:
                detail += f" with Procore {kind.replace('_', ' ')} {link.procore_id}"
            report.add("state", what, _label(row.name, row.remote_id, QBO), detail)


"""People's actions on the money syncs: the paid-sync schedule, "sync now", and job-cost sync per project.

Each takes the acting `Actor`, checks the seed's permission row (Configure the Sync Schedule…, Sync Paid Invoice
Notifications…, Sync Job Cost Transactions… — all Admin), and writes an audit row in the same transaction as
the change. Slack handlers, the CLI and the scheduler call these same functions.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.domain import audit
from core.domain.errors import InvalidInput, PermissionDenied
from core.domain.permissions import Actor, Perm, check
from core.domain.settings import PaidSyncSchedule, tenant_settings
from core.models import ProjectSettings, SyncRequest, utcnow
from sync import binder
from sync.context import TenantContext
from sync.jobs.base import JobReport, cursor, run_job

logger = logging.getLogger(__name__)

SCHEDULE_LABELS = {
    PaidSyncSchedule.HOURLY: "Hourly", PaidSyncSchedule.EVERY_2H: "Every 2 h", PaidSyncSchedule.EVERY_4H: "Every 4 h",
    PaidSyncSchedule.DAILY: "Daily", PaidSyncSchedule.NEVER: "Never",
}
_SPELLINGS = {"1h": PaidSyncSchedule.HOURLY, "every_1h": PaidSyncSchedule.HOURLY, "2h": PaidSyncSchedule.EVERY_2H,
              "4h": PaidSyncSchedule.EVERY_4H, "24h": PaidSyncSchedule.DAILY, "off": PaidSyncSchedule.NEVER}
#: which permission row governs "sync now" of each job
SYNC_NOW_PERMS = {"paid": Perm.SYNC_PAID_INVOICES, "job-costs": Perm.SYNC_JOB_COSTS}
# a queued "sync now" is a SyncRequest whose entity is the job's name, as the scheduler reads it (bot/scheduler.py)


def _own_tenant(actor: Actor, tenant_id: int) -> None:
    if actor.tenant_id is not None and actor.tenant_id != tenant_id:
        raise PermissionDenied("You can only change the settings of your own company's Ledgerlink.")


def parse_schedule(value: str | PaidSyncSchedule) -> PaidSyncSchedule:
    """"Every 2 h", "every_2h", "2h", "Daily"… → PaidSyncSchedule; anything else is a sentence listing the choices."""
    text = str(value).strip().lower().replace("every ", "every_").replace(" ", "").replace("-", "_")
    for option in PaidSyncSchedule:
        if text in (option.value, SCHEDULE_LABELS[option].lower().replace("every ", "every_").replace(" ", "")):
            return option
    if text in _SPELLINGS:
        return _SPELLINGS[text]
    choices = ", ".join(SCHEDULE_LABELS.values())
    raise InvalidInput(f"'{value}' is not a paid-sync schedule; choose one of: {choices}.")


def set_paid_sync_schedule(engine: Engine, actor: Actor, *, tenant_id: int,
                           schedule: str | PaidSyncSchedule) -> PaidSyncSchedule:
    """Configure the Sync Schedule (Admin): how often paid sync runs on its own."""
    check(actor, Perm.CONFIGURE_SYNC_SCHEDULE)
    _own_tenant(actor, tenant_id)
    new = parse_schedule(schedule)
    with Session(engine) as s:
        row = tenant_settings(s, tenant_id)
        before = row.paid_sync_schedule
        if before != new.value:
            row.paid_sync_schedule = new.value
            s.add(row)
            audit.record(s, tenant_id=tenant_id, actor=actor, action="set_paid_sync_schedule",
                         detail={"before": before, "after": new.value})
        s.commit()
    return new


def paid_sync_schedule(engine: Engine, tenant_id: int) -> PaidSyncSchedule:
    with Session(engine) as s:
        return PaidSyncSchedule(tenant_settings(s, tenant_id).paid_sync_schedule)


def next_paid_sync_at(engine: Engine, tenant_id: int) -> datetime | None:
    """When paid sync is next due (None: the schedule is Never); a job that never ran is due now."""
    with Session(engine) as s:
        hours = PaidSyncSchedule(tenant_settings(s, tenant_id).paid_sync_schedule).interval_hours
        last = cursor(s, tenant_id, "paid").last_run_at
        s.rollback()  # cursor() may have added an empty row: reading must not write
    if hours is None:
        return None
    if last is None:
        return utcnow()
    if last.tzinfo is None:
        last = last.replace(tzinfo=utcnow().tzinfo)
    return last + timedelta(hours=hours)


def paid_sync_due(engine: Engine, tenant_id: int, *, now: datetime | None = None) -> bool:
    """For the scheduler: should paid sync run for this tenant now?"""
    due = next_paid_sync_at(engine, tenant_id)
    return due is not None and due <= (now or utcnow())


def sync_now(ctx: TenantContext, actor: Actor, *, job: str = "paid", inline: bool = True) -> JobReport | SyncRequest:
    """"Sync now" (Admin): run `job` right away (`inline`), or queue it for the worker (a web request should not
    wait on QuickBooks) — the queued request is what `run_requested` picks up."""
    perm = SYNC_NOW_PERMS.get(job)
    if perm is None:
        raise InvalidInput(f"'{job}' can't be synced on demand here; choose one of: {', '.join(SYNC_NOW_PERMS)}.")
    check(actor, perm)
    _own_tenant(actor, ctx.tenant_id)
    with ctx.session() as s:
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="sync_now",
                     detail={"job": job, "inline": inline})
        request = None
        if not inline:
            request = SyncRequest(tenant_id=ctx.tenant_id, source="slack", entity=job, operation="sync_now")
            s.add(request)
        s.commit()
    if request is not None:
        return request
    return run_job(ctx, job)


def run_requested(ctx: TenantContext) -> list[JobReport]:
    """Run the tenant's queued "sync now" requests of these jobs (several asks for one job run it once). The
    worker's scheduler does the same for every job; this is for the CLI and tests."""
    with ctx.session() as s:
        pending = list(s.exec(select(SyncRequest).where(
            SyncRequest.tenant_id == ctx.tenant_id, SyncRequest.status == "pending",
            SyncRequest.entity.in_(tuple(SYNC_NOW_PERMS))).order_by(SyncRequest.id)))
    reports: list[JobReport] = []
    for job in dict.fromkeys(r.entity for r in pending):
        ids = [r.id for r in pending if r.entity == job]
        try:
            reports.append(run_job(ctx, job))
            status = "done"
        except Exception:
            logger.exception("sync now of %s for tenant %s failed", job, ctx.tenant_id)
            status = "failed"
        with ctx.session() as s:
            for row in s.exec(select(SyncRequest).where(SyncRequest.id.in_(ids))):
                row.status, row.done_at = status, utcnow()
                s.add(row)
            s.commit()
    return reports


def set_job_cost_sync(engine: Engine, actor: Actor, *, tenant_id: int, procore_project_id: int,
                      enabled: bool) -> ProjectSettings:
    """Enable ERP Job Cost Transaction Syncing on a Procore project (Admin), or turn it off.

    Turning it on makes the next run read the project's history; turning it off leaves the direct costs already
    in Procore as they are."""
    check(actor, Perm.SYNC_JOB_COSTS)
    _own_tenant(actor, tenant_id)
    with Session(engine, expire_on_commit=False) as s:
        if enabled and binder.to_external(s, tenant_id, "project", procore_project_id) is None:
            raise InvalidInput(f"Procore project {procore_project_id} is not linked to a QuickBooks project yet, "
                               "so there are no job costs to sync: link it first (`/ledgerlink link project` or "
                               "`/ledgerlink add project`), then turn job-cost sync on.")
        row = s.exec(select(ProjectSettings).where(ProjectSettings.tenant_id == tenant_id,
                                                   ProjectSettings.procore_project_id == procore_project_id)).first()
        if row is None:
            row = ProjectSettings(tenant_id=tenant_id, procore_project_id=procore_project_id)
        if row.job_cost_sync_enabled != enabled or row.id is None:
            row.job_cost_sync_enabled = enabled
            if enabled:
                row.last_job_cost_sync_at = None  # read the project's whole history on the next run
            s.add(row)
            audit.record(s, tenant_id=tenant_id, actor=actor,
                         action="enable_job_cost_sync" if enabled else "disable_job_cost_sync",
                         detail={"procore_project_id": procore_project_id})
        s.commit()
        return row


def job_cost_projects(engine: Engine, tenant_id: int) -> list[int]:
    """Procore project ids with job-cost sync on."""
    with Session(engine) as s:
        return sorted(r.procore_project_id for r in s.exec(select(ProjectSettings).where(
            ProjectSettings.tenant_id == tenant_id, ProjectSettings.job_cost_sync_enabled == True)))  # noqa: E712

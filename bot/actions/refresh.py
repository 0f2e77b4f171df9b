"""`/ledgerlink refresh …` and `/ledgerlink sync … [now]`: which job, who may run it, and running it.

"Sync now" of paid and job-cost syncs goes through the engine's `sync.services.schedule.sync_now` (it checks the
seed's Admin rows and audits); the list refreshes run the registered job after the permission check here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from bot.identity import Identity
from bot.services.runtime import Services
from core.domain import audit
from core.domain.errors import InvalidInput
from core.domain.permissions import Perm, check
from core.models import SyncCursor
from sync.jobs import base as jobs_base
from sync.jobs.base import run_job
from sync.jobs.linked_projects import Window
from sync.services import schedule

# what a person types → (job names to try, in order; permission; what it does)
REFRESH = {
    "companies": (("vendors",), Perm.REFRESH_COMPANIES, "the companies list (QBO vendors and the Procore directory)"),
    "cost-codes": (("cost-codes",), Perm.REFRESH_COST_CODES, "cost codes and their QuickBooks items"),
    "projects": (("projects", "qbo-projects"), Perm.REFRESH_COMPANIES, "the QuickBooks projects list"),
    # Procore items (a full read: the job's incremental cursor is reset first)
    "invoices": (("sub-invoices",), Perm.REFRESH_COMPANIES, "subcontractor invoices from Procore"),
    "owner-invoices": (("owner-invoices",), Perm.REFRESH_COMPANIES, "owner invoices from Procore"),
    "commitments": (("commitments",), Perm.REFRESH_COMPANIES, "commitments and their change orders from Procore"),
    "change-orders": (("commitments",), Perm.REFRESH_COMPANIES, "commitments and their change orders from Procore"),
    "prime-contracts": (("prime-contracts",), Perm.REFRESH_COMPANIES,
                        "prime contracts and their change orders from Procore"),
    "budgets": (("budget",), Perm.REFRESH_COMPANIES, "project budgets from Procore"),
    "webhook": (("procore-webhook",), Perm.REFRESH_COMPANIES, "Ledgerlink's Procore webhook"),
}
SYNC = {
    "paid": (("paid",), Perm.SYNC_PAID_INVOICES, "paid invoices from QuickBooks"),
    "job-costs": (("job-costs",), Perm.SYNC_JOB_COSTS, "job costs from QuickBooks into Procore"),
    "vendors": (("vendors",), Perm.REFRESH_COMPANIES, "vendors (the companies list)"),
}


@dataclass(frozen=True)
class Plan:
    job: str
    perm: Perm
    what: str


def plan(table: dict[str, tuple[tuple[str, ...], Perm, str]], word: str) -> Plan:
    """The registered job behind a word, or a sentence saying it isn't available (yet)."""
    names, perm, what = table[word]
    jobs = jobs_base.load_jobs()
    for name in names:
        if name in jobs:
            return Plan(job=name, perm=perm, what=what)
    raise InvalidInput(f"Refreshing {what} is not available yet in this Ledgerlink.")


def last_run(svc: Services, tenant_id: int, job: str) -> Any:
    with Session(svc.engine) as s:
        return s.exec(select(SyncCursor).where(SyncCursor.tenant_id == tenant_id, SyncCursor.job == job)).first()


def run(svc: Services, me: Identity, p: Plan, *, progress: Callable[[dict[str, int]], None] | None = None) -> Any:
    """Run the job now for the person's tenant; returns its JobReport."""
    check(me.actor, p.perm)
    if svc.context_for is None:
        raise InvalidInput("Syncs need QuickBooks and Procore connections, which aren't configured here.")
    ctx = svc.context_for(me.tenant_id)
    if p.job in schedule.SYNC_NOW_PERMS:
        return schedule.sync_now(ctx, me.actor, job=p.job, inline=True)
    with Session(svc.engine) as s:
        audit.record(s, tenant_id=me.tenant_id, actor=me.actor, action="sync_now", detail={"job": p.job})
        s.commit()
    Window.reset(ctx, p.job)  # a person's refresh reads everything, not just what changed since the last poll

    return run_job(ctx, p.job, factory=_with_progress(progress))


def _with_progress(progress: Callable[[dict[str, int]], None] | None) -> Callable[[type], Any] | None:
    """A job whose run() takes `progress=` gets ours (counts so far); others run as they are."""
    if progress is None:
        return None

    def factory(cls: type) -> Any:
        job = cls()
        if "progress" not in inspect.signature(job.run).parameters:
            return job
        inner = job.run

        class _Job:
            name = job.name

            def run(self, ctx: Any, *, dry_run: bool = False) -> Any:
                return inner(ctx, dry_run=dry_run, progress=progress)
        return _Job()
    return factory

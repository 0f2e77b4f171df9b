"""The loop the Procore item polls share (invoices, commitments, prime contracts, budgets): every Procore project
linked to a QBO project, the records changed in it since the job's cursor (Procore's `filters[updated_at]` range).

Incremental: the cursor (`sync_cursors.cursor`, ISO time of the last successful run's start) narrows each list to
what changed since, less `OVERLAP` for clock skew between Procore and us; a project linked since the last run
(not in the last run's `linked_projects`) is read in full once. A run that fails keeps the old cursor, so the
next one reads the same window again (ingesting is idempotent). Cheap when nothing changed: one list of projects
and one filtered list per linked project and record kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from sync import binder
from sync.context import TenantContext
from sync.jobs.base import JobReport, cursor
from sync.procore.records import Project

OVERLAP = timedelta(seconds=60)
#: a full read this often anyway: it re-evaluates items whose Procore record did not change but whose links did
#: (a company linked since), and catches what a missed webhook and a skewed clock could both have let through
FULL_EVERY = timedelta(hours=6)
LINKED = "linked_projects"  # report.stats key: the projects this run covered (the next run's "already read")
FULL_AT = "full_read_at"  # report.stats key: when the last full read started


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Window:
    """The `filters[updated_at]` range of one run of `job`, and moving the cursor when the run succeeded."""

    def __init__(self, ctx: TenantContext, job: str) -> None:
        self.ctx, self.job = ctx, job
        self.started = datetime.now(UTC)
        with ctx.session() as s:
            row = cursor(s, ctx.tenant_id, job)
            since, stats = row.cursor, row.last_stats or {}
        full_at = _parse(stats.get(FULL_AT))
        self.full = since is None or full_at is None or self.started - full_at >= FULL_EVERY
        self.since = None if self.full else _parse(since) - OVERLAP  # type: ignore[operator]
        self.known = {int(p) for p in stats.get(LINKED) or []}
        self.full_at = _iso(self.started) if self.full else stats.get(FULL_AT)

    def filters(self, project_id: int) -> Mapping[str, str] | None:
        """None (read everything) on the first run or for a newly linked project."""
        if self.since is None or project_id not in self.known:
            return None
        return {"updated_at": f"{_iso(self.since)}...{_iso(self.started + timedelta(days=1))}"}

    @staticmethod
    def reset(ctx: TenantContext, job: str) -> None:
        """The next run reads everything (a person's "refresh")."""
        with ctx.session() as s:
            cursor(s, ctx.tenant_id, job).cursor = None
            s.commit()

    def advance(self) -> None:
        with self.ctx.session() as s:
            cursor(s, self.ctx.tenant_id, self.job).cursor = _iso(self.started)
            s.commit()


def changed_projects(ctx: TenantContext, report: JobReport, *, dry_run: bool, what: str | None = None
                     ) -> Iterator[tuple[Project, str, Mapping[str, str] | None]]:
    """Each Procore project linked to a QBO project with its QBO customer id and its `filters[updated_at]` range
    (None: read it in full). Projects without a QBO link are reported with the fix when `what` names what they
    hold that would be exported (the invoice jobs); the other jobs pass them by silently. Once the caller has been
    through every project, the run's stats are set and (not on a dry run) the cursor moves; a run that raised
    midway keeps the old cursor."""
    window, linked = Window(ctx, report.job), []
    for project in ctx.procore.list_projects():
        with ctx.session() as s:
            link = binder.to_external(s, ctx.tenant_id, "project", project.id)
            customer_id = link.qbo_id if link is not None else None
        if customer_id is None and what:
            report.add("skip", "Procore project", f"{project.name} ({project.id})",
                       f"not linked to a QuickBooks project: link it to export its {what}")
        if customer_id is None:
            continue
        linked.append(project.id)
        yield project, customer_id, window.filters(project.id)
    report.stats[LINKED], report.stats[FULL_AT] = linked, window.full_at
    if not dry_run:
        window.advance()


def ingest_linked_projects(ctx: TenantContext, report: JobReport, *, what: str, dry_run: bool,
                           records: Callable[[Project, Mapping[str, str] | None], Iterable[Any]],
                           ingest: Callable[[Session, Project, Any, JobReport], Any]) -> int:
    """Ingest each changed record of each linked project in its own transaction (none on a dry run); projects
    without a QBO link are reported with the fix. Returns how many records were seen."""
    seen = 0
    for project, _customer, changed in changed_projects(ctx, report, what=what, dry_run=dry_run):
        for record in records(project, changed):
            seen += 1
            with ctx.session() as s:
                ingest(s, project, record, report)
                if not dry_run:
                    s.commit()
    return seen

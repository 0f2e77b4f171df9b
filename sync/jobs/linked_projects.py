"""The loop the invoice jobs share: every Procore project linked to a QBO project, every record in it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import Session

from sync import binder
from sync.context import TenantContext
from sync.jobs.base import JobReport
from sync.procore.records import Project


def ingest_linked_projects(ctx: TenantContext, report: JobReport, *, what: str, dry_run: bool,
                           records: Callable[[Project], Iterable[Any]],
                           ingest: Callable[[Session, Project, Any, JobReport], Any]) -> int:
    """Ingest each record of each linked project in its own transaction (none on a dry run); projects without
    a QBO link are reported with the fix. Returns how many records were seen."""
    seen = 0
    for project in ctx.procore.list_projects():
        with ctx.session() as s:
            linked = binder.to_external(s, ctx.tenant_id, "project", project.id) is not None
        if not linked:
            report.add("skip", "Procore project", f"{project.name} ({project.id})",
                       f"not linked to a QuickBooks project: link it to export its {what}")
            continue
        for record in records(project):
            seen += 1
            with ctx.session() as s:
                ingest(s, project, record, report)
                if not dry_run:
                    s.commit()
    return seen

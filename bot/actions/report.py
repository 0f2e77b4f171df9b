"""`/ledgerlink report …`: the engine's report rows (sync/reports) as a `blocks.reports.Report` plus their CSV.

The data layer checks permissions (each report's seed row) and tenancy; this module only picks columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from blocks.reports import Report
from bot.identity import Identity
from bot.services.runtime import Services
from core.domain.errors import InvalidInput
from core.models import RemoteRecord
from sync import reports
from sync.services import schedule

REPORT_NAMES = ("accountant", "job-costs", "unsyncable", "archived", "sub-jobs")


@dataclass
class Built:
    report: Report
    csv: str


def _accountant(svc: Services, me: Identity, s: Session, reports, project: int | None) -> Built:
    rows = reports.accountant_report(s, me.actor, tenant_id=me.tenant_id, project_id=project)
    summary = reports.accountant_summary(rows)
    note = "; ".join(f"{r.count} {r.type} {r.state}" for r in summary[:12])
    report = Report(title="Accountant report", columns=["Type", "State", "Item", "Amount", "Days", "Holding"],
                    rows=[[r.type, r.state, r.title, r.amount, r.age_days, r.holding] for r in rows],
                    money_columns=frozenset({3}), note=note, filename="accountant-report.csv",
                    totals={"Items": len(rows), "Amount": sum((r.amount or Decimal(0) for r in rows), Decimal(0))})
    return Built(report, reports.to_csv(rows, reports.AccountantRow))


def _job_costs(svc: Services, me: Identity, s: Session, reports, project: int | None) -> Built:
    projects = [project] if project else schedule.job_cost_projects(svc.engine, me.tenant_id)
    if project is None:  # the company-wide report needs Admin: let the data layer say so before reading Procore
        reports.job_costs_report(s, me.actor, tenant_id=me.tenant_id, budgets={}, project_id=None)
    if svc.context_for is None:
        raise InvalidInput("The job costs report reads budgets from Procore, which isn't connected here.")
    ctx = svc.context_for(me.tenant_id)
    budgets = reports.fetch_budgets(ctx, projects)
    names = _names(s, me.tenant_id, "project")
    for pid in {project, *projects} - {None} - set(names):  # not cached yet: ask Procore, never show a bare id
        names[pid] = ctx.procore.get_project(project_id=pid).name  # type: ignore[arg-type]
    rows = reports.job_costs_report(s, me.actor, tenant_id=me.tenant_id, budgets=budgets, project_id=project,
                                    project_names=names, code_names=_names(s, me.tenant_id, "cost_code"),
                                    type_names=_names(s, me.tenant_id, "line_item_type"))
    report = Report(title="ERP job costs" + (f" — {names.get(project, project)}" if project else ""),
                    columns=["Project", "Cost code", "Cost type", "Budget", "Actual", "Remaining"],
                    rows=[[r.project, r.cost_code, r.cost_type, r.budget, r.actual, r.remaining] for r in rows],
                    money_columns=frozenset({3, 4, 5}), filename="job-costs.csv",
                    note="" if projects else "No project has job-cost sync turned on yet.")
    return Built(report, reports.to_csv(rows, reports.JobCostRow))


def _names(s: Session, tenant_id: int, entity: str) -> dict[int, str]:
    """Procore names from the local copies (projects, cost codes, cost types), by id."""
    return {int(r.remote_id): r.name for r in s.exec(select(RemoteRecord).where(
        RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == "procore", RemoteRecord.entity == entity))
        if r.remote_id.isdigit()}


def _unsyncable(svc: Services, me: Identity, s: Session, reports, project: int | None) -> Built:
    rows = reports.unsyncable_report(s, me.actor, tenant_id=me.tenant_id)
    report = Report(title="Unsyncable direct costs", columns=["Date", "QBO", "Vendor", "Amount", "Why", "Fix"],
                    rows=[[r.txn_date, f"{r.qbo_entity} {r.qbo_id}", r.vendor, r.amount, r.reason, r.fix]
                          for r in rows], money_columns=frozenset({3}), filename="unsyncable-direct-costs.csv")
    return Built(report, reports.to_csv(rows, reports.UnsyncableRow))


def _archived(svc: Services, me: Identity, s: Session, reports, project: int | None) -> Built:
    rows = reports.archived_companies(s, me.actor, tenant_id=me.tenant_id)
    report = Report(title="Archived companies", columns=["Name", "Where", "Id", "Active there", "Linked to"],
                    rows=[[r.name, "QuickBooks" if r.system == "qbo" else "Procore", r.remote_id,
                           "yes" if r.active else "no", r.linked_to or "—"] for r in rows],
                    filename="archived-companies.csv",
                    note="An admin restores one with `/ledgerlink restore company <QuickBooks id>`.")
    return Built(report, reports.to_csv(rows, reports.ArchivedCompanyRow))


def _sub_jobs(svc: Services, me: Identity, s: Session, reports, project: int | None) -> Built:
    rows = reports.synced_sub_jobs(s, me.actor, tenant_id=me.tenant_id)
    report = Report(title="Synced sub jobs", columns=["Sub job", "QBO id", "Project", "Procore id", "Last synced"],
                    rows=[[r.name, r.qbo_id, r.parent_name, r.procore_id, r.last_synced_at] for r in rows],
                    filename="synced-sub-jobs.csv")
    return Built(report, reports.to_csv(rows, reports.SubJobRow))


_BUILDERS: dict[str, Callable[..., Built]] = {"accountant": _accountant, "job-costs": _job_costs,
                                               "unsyncable": _unsyncable, "archived": _archived,
                                               "sub-jobs": _sub_jobs}


def build(svc: Services, me: Identity, name: str, *, project: int | None = None) -> Built:
    with Session(svc.engine) as s:
        return _BUILDERS[name](svc, me, s, reports, project)

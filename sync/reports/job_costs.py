"""The ERP job costs report: per project and cost code × cost type, QBO actuals against the Procore budget.

Actuals are the QBO lines job-cost sync placed on the project (what the direct costs hold, read from the cache
the job keeps — no QBO call); the budget is Procore's budget line items, which `fetch_budgets` reads (one
Procore call per project) so the report itself stays a pure function of what it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from core.domain.errors import PermissionDenied
from core.domain.permissions import Actor, Level, Perm, check
from sync.context import TenantContext
from sync.jobs.job_costs import placed_lines
from sync.mappers.money import cents
from sync.procore.records import BudgetLineItem
from sync.reports.csvfile import own_tenant

Key = tuple[int, int, int]  # project, cost code, cost type


@dataclass(frozen=True)
class JobCostRow:
    project_id: int
    project: str
    cost_code_id: int
    cost_code: str
    cost_type_id: int
    cost_type: str
    budget: Decimal
    actual: Decimal  # QBO job costs synced as direct costs (vendor credits subtract)
    remaining: Decimal  # budget − actual
    percent_spent: Decimal | None  # None when there is no budget


def fetch_budgets(ctx: TenantContext, project_ids: Iterable[int]) -> dict[int, list[BudgetLineItem]]:
    """Procore's budget line items per project (reads only)."""
    return {pid: list(ctx.procore.list_budget_line_items(project_id=pid)) for pid in sorted(set(project_ids))}


def job_costs_report(session: Session, actor: Actor, *, tenant_id: int,
                     budgets: Mapping[int, Iterable[BudgetLineItem]], project_id: int | None = None,
                     project_names: Mapping[int, str] | None = None, code_names: Mapping[int, str] | None = None,
                     type_names: Mapping[int, str] | None = None) -> list[JobCostRow]:
    """View an ERP Job Costs Report: Read only for one project; the whole company (`project_id=None`) needs Admin."""
    check(actor, Perm.VIEW_JOB_COSTS_REPORT)
    own_tenant(actor, tenant_id)
    if project_id is None and not actor.is_system and actor.level < Level.ADMIN:
        raise PermissionDenied("The company-wide job costs report needs Admin permission on the ERP Integrations "
                               "tool; pick a project to see its report instead.")
    budget: dict[Key, Decimal] = {}
    labels: dict[Key, tuple[str, str]] = {}
    for pid, lines in budgets.items():
        if project_id is not None and pid != project_id:
            continue
        for line in lines:
            if line.cost_code_id is None or line.line_item_type_id is None:
                continue
            key = (pid, line.cost_code_id, line.line_item_type_id)
            budget[key] = budget.get(key, Decimal(0)) + cents(line.amount)
            labels.setdefault(key, (line.cost_code or f"cost code {line.cost_code_id}",
                                    line.line_item_type or f"cost type {line.line_item_type_id}"))
    actual: dict[Key, Decimal] = {}
    for line in placed_lines(session, tenant_id):
        key = (int(line["project_id"]), int(line["cost_code_id"]), int(line["line_item_type_id"]))
        if project_id is not None and key[0] != project_id:
            continue
        actual[key] = actual.get(key, Decimal(0)) + cents(line["amount"])
    names = project_names or {}
    rows = []
    for key in sorted(set(budget) | set(actual)):
        b, a = cents(budget.get(key, 0)), cents(actual.get(key, 0))
        code, kind = labels.get(key, ((code_names or {}).get(key[1], f"cost code {key[1]}"),
                                      (type_names or {}).get(key[2], f"cost type {key[2]}")))
        rows.append(JobCostRow(
            project_id=key[0], project=names.get(key[0], f"project {key[0]}"), cost_code_id=key[1], cost_code=code,
            cost_type_id=key[2], cost_type=kind, budget=b, actual=a, remaining=cents(b - a),
            percent_spent=cents(a * 100 / b) if b else None))
    rows.sort(key=lambda r: (r.project, r.cost_code, r.cost_type))
    return rows

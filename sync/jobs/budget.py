"""`ledgerlink sync budget`: each QBO-linked project's Procore budget becomes a `budget` item to send for acceptance.

The item's detail is a snapshot of the budget lines (cost code × cost type, amounts, names): what the approver
sees and what `qbo.export_budget` turns into QBO items once accepted (sync/writes/cost_items.py). After that the
project counts as budget-synced and `sync cost-codes` keeps its items in step with Procore. An item that is with
accounting or synced is locked: a later budget change is flagged on it, not copied in (sync/items.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.domain.states import ItemType
from core.money import money
from sync.context import TenantContext
from sync.items import find_item, upsert_item
from sync.jobs.base import JobReport, register
from sync.jobs.cost_codes import full_codes, project_label
from sync.jobs.linked_projects import changed_projects
from sync.mappers.money import cents
from sync.procore.records import BudgetLineItem, CostCode, LineItemType, Project


def budget_snapshot(project: Project, customer_id: str, codes: list[CostCode], lines: list[BudgetLineItem],
                    types: list[LineItemType], erp_standard: set[int]) -> dict[str, Any]:
    """The budget as the item carries it (JSON-safe; money as strings)."""
    full = full_codes(codes)
    by_code = {c.id: c for c in codes}
    by_type = {t.id: t for t in types}
    rows = []
    for line in sorted(lines, key=lambda b: (full.get(b.cost_code_id or -1, ""), b.id)):
        code = by_code.get(line.cost_code_id) if line.cost_code_id is not None else None
        kind = by_type.get(line.line_item_type_id) if line.line_item_type_id is not None else None
        rows.append({
            "id": line.id, "cost_code_id": line.cost_code_id,
            "cost_code": full.get(line.cost_code_id) if line.cost_code_id is not None else line.cost_code,
            "cost_code_name": code.name if code else None,
            "standard_cost_code_id": code.standard_cost_code_id if code else None,
            "type_ids": list(code.line_item_type_ids) if code else [],
            "erp": bool(code and (code.origin_id or code.standard_cost_code_id in erp_standard)),
            "line_item_type_id": line.line_item_type_id, "cost_type": kind.name if kind else line.line_item_type,
            "cost_type_code": kind.code if kind else None, "amount": str(cents(line.amount)),
        })
    total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
    return {"project_id": project.id, "project_number": project.project_number or customer_id,
            "project_name": project.name, "customer_id": customer_id, "lines": rows, "total": str(total)}


@register
class BudgetJob:
    name = "budget"
    description = "Each QBO-linked project's Procore budget as an item to send for acceptance (→ its QBO items)"

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        """Incremental: a project whose budget lines did not change since the last run costs one filtered list
        (a deleted line shows at the next full read, linked_projects.FULL_EVERY)."""
        report = JobReport(self.name, dry_run=dry_run)
        shared = _CompanyLists(ctx)
        for project, customer_id, changed in changed_projects(ctx, report, dry_run=dry_run):
            project_id = project.id
            if changed is not None and next(iter(ctx.procore.list_budget_line_items(
                    project_id=project_id, filters=changed)), None) is None:
                continue  # no budget line changed since the last run
            lines = list(ctx.procore.list_budget_line_items(project_id=project_id))
            codes = list(ctx.procore.list_cost_codes(project_id=project_id))
            title = f"Budget {project_label(project)}"
            if not lines:
                report.add("skip", "budget", title, "no budget lines yet")
                continue
            snap = budget_snapshot(project, customer_id, codes, lines, shared.types(), shared.erp_standard())
            with ctx.session() as s:
                existing = find_item(s, ctx.tenant_id, ItemType.BUDGET.value, project_id)
                if dry_run:
                    action = "create" if existing is None else ("update" if existing.detail != snap else "")
                    if action:
                        report.add(action, "budget item", title, f"{len(lines)} lines, {money(Decimal(snap['total']))}")
                    continue
                result = upsert_item(s, tenant_id=ctx.tenant_id, item_type=ItemType.BUDGET.value,
                                     procore_id=project_id, title=title, amount=Decimal(snap["total"]),
                                     procore_project_id=project_id, detail=snap, raw=snap)
                s.commit()
            if result.created or result.changed:
                report.add("create" if result.created else "update", "budget item", title,
                           f"{len(lines)} lines, {money(Decimal(snap['total']))}")
            elif result.locked_change:
                report.add("flag", "budget item", title, "changed in Procore while with accounting or synced; "
                           "the change will not reach QuickBooks unless it is retrieved or rejected and resent")
        return report


class _CompanyLists:
    """The company-wide lists a budget snapshot needs, read once per run and only if a budget changed."""

    def __init__(self, ctx: TenantContext) -> None:
        self.ctx = ctx
        self._types: list[LineItemType] | None = None
        self._erp: set[int] | None = None

    def types(self) -> list[LineItemType]:
        if self._types is None:
            self._types = list(self.ctx.procore.list_line_item_types())
        return self._types

    def erp_standard(self) -> set[int]:
        if self._erp is None:
            self._erp = set()
            for lst in self.ctx.procore.list_standard_cost_code_lists():
                codes = list(self.ctx.procore.list_standard_cost_codes(standard_cost_code_list_id=lst.id))
                self._erp |= {c.id for c in codes if lst.raw.get("is_erp_list") or c.origin_id}
        return self._erp

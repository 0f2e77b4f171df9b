"""`ledgerlink sync budget`: each QBO-linked project's Procore budget becomes a `budget` item to send for acceptance.

The item's detail is a snapshot of the budget lines (cost code × cost type, amounts, names): what the approver
sees and what `qbo.export_budget` turns into QBO items once accepted (sync/writes/cost_items.py). After that the
project counts as budget-synced and `sync cost-codes` keeps its items in step with Procore. An item that is with
accounting or synced is locked: a later budget change is flagged on it, not copied in (sync/items.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import select

from core.domain.states import ItemType
from core.models import ExternalLink
from core.money import money
from sync.context import TenantContext
from sync.items import find_item, upsert_item
from sync.jobs.base import JobReport, register
from sync.jobs.cost_codes import PROJECT_LINK, full_codes, project_label
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
        report = JobReport(self.name, dry_run=dry_run)
        with ctx.session() as s:
            links = {int(lk.procore_id): lk.qbo_id for lk in s.exec(select(ExternalLink).where(
                ExternalLink.tenant_id == ctx.tenant_id, ExternalLink.entity_type == PROJECT_LINK))
                if lk.procore_id.isdigit()}
        if not links:
            return report
        types = list(ctx.procore.list_line_item_types())
        erp_standard: set[int] = set()
        for lst in ctx.procore.list_standard_cost_code_lists():
            codes = list(ctx.procore.list_standard_cost_codes(standard_cost_code_list_id=lst.id))
            erp_standard |= {c.id for c in codes if lst.raw.get("is_erp_list") or c.origin_id}
        for project_id, customer_id in sorted(links.items()):
            project = ctx.procore.get_project(project_id=project_id)
            lines = list(ctx.procore.list_budget_line_items(project_id=project_id))
            codes = list(ctx.procore.list_cost_codes(project_id=project_id))
            snap = budget_snapshot(project, customer_id, codes, lines, types, erp_standard)
            title = f"Budget {project_label(project)}"
            with ctx.session() as s:
                existing = find_item(s, ctx.tenant_id, ItemType.BUDGET.value, project_id)
                if not lines:
                    report.add("skip", "budget", title, "no budget lines yet")
                    continue
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

"""`ledgerlink sync commitments`: approved commitments and commitment change orders on QBO-linked projects become
items to send for acceptance (→ a QBO PurchaseOrder, and its amendments; sync/writes/commitments.py).

Each item's detail is a snapshot of the record (lines with cost code × cost type, amounts as strings): what the
approver sees and what is exported. Draft or otherwise unapproved records are reported and left in Procore. Also
here: the Procore reads the client has no method for yet — prime contracts and change orders (v1.0 paths as
https://developers.procore.com/reference/rest/prime-contracts, …/commitment-change-orders, …/prime-change-orders).
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from core.domain.states import ItemType
from core.money import money
from sync.autosend import note_change
from sync.context import TenantContext
from sync.items import find_item, upsert_item
from sync.jobs.base import JobReport, register
from sync.jobs.linked_projects import changed_projects
from sync.mappers.commitments import (
    EXPORTABLE_COMMITMENT_STATUSES,
    KIND_LABELS,
    ChangeOrder,
    ContractLine,
)
from sync.mappers.money import cents
from sync.procore.contracts import PURCHASE_ORDER, WORK_ORDER
from sync.procore.financials import Commitment
from sync.procore.records import Project

PROJECT_LINK = "project"


# --- snapshots -------------------------------------------------------------------------------------------------
def project_facts(project: Project, customer_id: str) -> dict[str, Any]:
    return {"project_id": project.id, "project_name": project.name,
            "project_number": project.project_number or customer_id, "customer_id": customer_id}


def _ref_name(raw: Any, key: str) -> str | None:
    ref = raw.get(key) if isinstance(raw, dict) else None
    return ref.get("name") if isinstance(ref, dict) else None


def commitment_snapshot(c: Commitment, facts: dict[str, Any]) -> dict[str, Any]:
    lines = [ContractLine(x.id, x.amount or Decimal(0), x.description, x.cost_code_id, x.cost_code,
                          _ref_name(x.raw, "cost_code"), x.line_item_type_id,
                          _ref_name(x.raw, "line_item_type")).snapshot() for x in c.lines]
    total = sum((Decimal(x["amount"]) for x in lines), Decimal(0))
    return {"id": c.id, "kind": c.kind, "number": c.number, "title": c.title, "status": c.status,
            "vendor_id": c.vendor_id, "vendor_name": c.vendor_name,
            "contract_date": c.raw.get("contract_date"), "lines": lines, "total": str(total), **facts}


def change_order_snapshot(co: ChangeOrder, facts: dict[str, Any], *, kind: str, parent: dict[str, Any]
                          ) -> dict[str, Any]:
    lines = [x.snapshot() for x in co.lines]
    total = sum((Decimal(x["amount"]) for x in lines), Decimal(0))
    return {"id": co.id, "kind": kind, "contract_id": co.contract_id, "number": co.number, "title": co.title,
            "status": co.status, "lines": lines, "total": str(total), "parent": parent, **facts}


def ingest(ctx: TenantContext, report: JobReport, *, item_type: str, procore_id: str, title: str,
           snapshot: dict[str, Any], project_id: int, dry_run: bool, changed_at: str | None = None) -> None:
    """Create or refresh one item from its snapshot (locked items only get flagged) and report it. A move into
    an approved status may queue an auto-send (sync/autosend.py; `changed_at` is the record's updated_at)."""
    amount = cents(Decimal(snapshot.get("total") or 0))
    with ctx.session() as s:
        existing = find_item(s, ctx.tenant_id, item_type, procore_id)
        if dry_run:
            if existing is None:
                report.add("create", f"{item_type} item", title, money(amount))
            elif existing.detail != snapshot:
                report.add("update", f"{item_type} item", title, money(amount))
            return
        before = (existing.detail or {}).get("status") if existing is not None else None
        result = upsert_item(s, tenant_id=ctx.tenant_id, item_type=item_type, procore_id=procore_id, title=title,
                             amount=amount, procore_project_id=project_id, detail=snapshot, raw=snapshot)
        if result.changed:
            note_change(s, tenant_id=ctx.tenant_id, item_type=item_type, procore_id=procore_id, before=before,
                        after=snapshot.get("status"), changed_at=changed_at, item=result.item)
        s.commit()
    if result.created or result.changed:
        report.add("create" if result.created else "update", f"{item_type} item", title, money(amount))
    elif result.locked_change:
        report.add("flag", f"{item_type} item", title, "changed in Procore while with accounting or synced; the "
                   "change reaches QuickBooks only if it is retrieved or rejected and resent")


def known_parent(ctx: TenantContext, item_type: str, procore_id: str,
                 approved: Collection[str]) -> dict[str, Any] | None:
    """The snapshot of a change order's contract from its item, when this (incremental) run did not read the
    contract: it did not change since it was last ingested. None if it is not an approved contract we know."""
    with ctx.session() as s:
        item = find_item(s, ctx.tenant_id, item_type, procore_id)
        detail = dict(item.detail or {}) if item is not None else {}
    return detail if detail.get("status") in approved else None


def commitment_title(c: Commitment | dict[str, Any]) -> str:
    get = c.get if isinstance(c, dict) else (lambda k: getattr(c, k))
    label = KIND_LABELS.get(get("kind") or "", "commitment").capitalize()
    who = f" — {get('vendor_name')}" if get("vendor_name") else ""
    return f"{label} {get('number') or get('id')} {get('title') or ''}".strip() + who


@register
class CommitmentsJob:
    name = "commitments"
    description = ("Approved commitments and commitment change orders on QBO-linked projects as items to send for "
                   "acceptance (→ QBO purchase orders and their amendments)")

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        """Incremental: only the commitments and change orders updated since the last run are read in full."""
        report = JobReport(self.name, dry_run=dry_run)
        for project, customer_id, changed in changed_projects(ctx, report, dry_run=dry_run):
            project_id, facts = project.id, project_facts(project, customer_id)
            commitments: dict[int, dict[str, Any]] = {}
            for lister, getter, kind in (
                    (ctx.procore.list_work_order_contracts, ctx.procore.get_work_order_contract, WORK_ORDER),
                    (ctx.procore.list_purchase_order_contracts, ctx.procore.get_purchase_order_contract,
                     PURCHASE_ORDER)):
                for compact in lister(project_id=project_id, filters=changed):
                    if (compact.status or "") not in EXPORTABLE_COMMITMENT_STATUSES:
                        report.add("skip", KIND_LABELS[kind], commitment_title(compact),
                                   f"'{compact.status}' in Procore; only approved commitments are exported")
                        continue
                    full = getter(project_id=project_id, contract_id=compact.id)
                    snap = commitment_snapshot(full, facts)
                    commitments[full.id] = snap
                    ingest(ctx, report, item_type=ItemType.COMMITMENT.value, procore_id=str(full.id),
                           title=commitment_title(full), snapshot=snap, project_id=project_id, dry_run=dry_run,
                           changed_at=full.raw.get("updated_at"))
            for compact in list(ctx.procore.list_change_orders(project_id=project_id, kind="commitment",
                                                               filters=changed)):
                label = f"Change order {compact.number or compact.id} {compact.title or ''}".strip()
                if not compact.approved:
                    report.add("skip", "commitment change order", label,
                               f"'{compact.status}' in Procore; only approved change orders amend QuickBooks")
                    continue
                parent = commitments.get(compact.contract_id or -1) or known_parent(
                    ctx, ItemType.COMMITMENT.value, str(compact.contract_id), EXPORTABLE_COMMITMENT_STATUSES)
                if parent is None:
                    report.add("skip", "commitment change order", label, "its commitment is not an approved "
                               "commitment on this project")
                    continue
                co = ctx.procore.get_change_order(project_id=project_id, kind="commitment", change_order_id=compact.id)
                snap = change_order_snapshot(co, facts, kind="cco", parent={
                    "id": parent["id"], "kind": parent["kind"], "number": parent["number"],
                    "vendor_name": parent["vendor_name"]})
                ingest(ctx, report, item_type=ItemType.CCO.value, procore_id=str(co.id),
                       title=f"{label} on {parent['number']}", snapshot=snap, project_id=project_id,
                       dry_run=dry_run, changed_at=co.raw.get("updated_at"))
        return report

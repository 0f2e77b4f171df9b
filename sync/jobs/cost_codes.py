"""`ledgerlink sync cost-codes`: Procore's cost structure, and a QBO Service item for each synced budget line.

Steps, each idempotent (run it twice, get the same state; a dry run reads everything and writes nothing):
1. cost types (line item types) and standard cost code lists/codes from Procore → the local cache; each
   standard cost code (leaf) becomes a `cost_code` item — "unsynced" (ready to export) until it is accepted into
   the ERP standard cost code list, or already synced when its list is the ERP list or it came from the ERP;
2. QBO items → the local cache (full scan first, then CDC), for names, states and SyncTokens;
3. for every Procore project linked to a QBO project (binder entity "project"): its cost codes and budget lines →
   the cache, then `plan_cost_items` (sync/mappers/cost_items.py) decides per budget line (cost code × cost type)
   whether its item is created, renamed, reactivated or deactivated, and the outbox gets one write for each
   (`qbo.create_item` / `qbo.update_item`, sync/writes/cost_items.py). Deleted lines, project cost codes and
   cost-type assignments deactivate their items — unless a live record (a commitment, an invoice not yet
   synced) still uses the item (sync/jobs/cost_items_in_use.py); nothing is ever deleted in QBO.

As Procore's QBO connector does, the item appears once a budget line uses an ERP standard cost code (see
"Add QuickBooks Online Standard Cost Codes to the Company Level Admin Tool"); Ledgerlink also syncs every line of a
project whose budget was accepted. Cost-code preferences leave codes and cost types out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from core.domain.states import ItemState, ItemType
from core.models import ExternalLink, Item, RemoteRecord
from sync import cache
from sync.context import TenantContext
from sync.items import upsert_item
from sync.jobs.base import JobReport, register
from sync.jobs.cost_items_in_use import items_in_use
from sync.jobs.qbo_lists import QboListRefresh
from sync.mappers.cost_items import (
    BudgetLine,
    CostType,
    ItemPlan,
    LinkedItem,
    Preferences,
    ProjectCostCode,
    ProjectScope,
    cost_item_body,
    plan_cost_items,
)
from sync.mappers.errors import MappingError
from sync.procore.records import BudgetLineItem, CostCode, LineItemType, Project
from sync.writes.cost_items import (
    OP_CREATE,
    OP_UPDATE,
    QBO_ITEM,
    cache_item,
    cached_item_names,
    enqueue_item_write,
    item_accounts,
    linked_items,
    live_item_writes,
    load_preferences,
)

logger = logging.getLogger(__name__)

PROCORE = "procore"
PROJECT_LINK = "project"  # binder entity: Procore project id ⇄ QBO project (Customer) Id
E_TYPE, E_LIST, E_STANDARD = "line_item_type", "standard_cost_code_list", "standard_cost_code"
E_CODE, E_BUDGET = "cost_code", "budget_line_item"
ACCEPTED = frozenset({ItemState.SYNCED.value, ItemState.PAID.value})


# --- Procore → cache ------------------------------------------------------------------------------------------
def _sync_cache(session: Session, tenant_id: int, entity: str, records: dict[str, dict[str, Any]],
                report: JobReport, dry_run: bool, *, parent_id: str | None = None, label: str = "") -> None:
    """Make the cache of `entity` (within `parent_id`) hold exactly `records` (remote id → name, data, parent)."""
    stmt = select(RemoteRecord).where(RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == PROCORE,
                                      RemoteRecord.entity == entity)
    if parent_id is not None:
        stmt = stmt.where(RemoteRecord.parent_id == parent_id)
    existing = {r.remote_id: r for r in session.exec(stmt)}
    changed = [rid for rid, rec in records.items() if (row := existing.get(rid)) is None
               or (row.name, row.data, row.parent_id) != (rec["name"], rec["data"], rec.get("parent"))]
    for rid in changed:
        if rid in existing:
            report.stats[f"{entity}_updated"] = report.stats.get(f"{entity}_updated", 0) + 1
    if changed and not dry_run:
        cache.prefetch(session, tenant_id, PROCORE, entity, changed)  # `upsert` reads its row: all in one query
        try:
            for rid in changed:
                rec = records[rid]
                cache.upsert(session, tenant_id, PROCORE, entity, rid, name=rec["name"], data=rec["data"],
                             parent_id=rec.get("parent"))
        finally:
            cache.forget_prefetched(session)
    for rid, row in existing.items():
        if rid not in records:
            report.add("remove", f"cached Procore {label or entity.replace('_', ' ')}", f"{row.name} ({rid})",
                       "deleted in Procore")
            if not dry_run:
                session.delete(row)


def _type_record(t: LineItemType) -> dict[str, Any]:
    return {"name": t.name, "data": {"code": t.code, "base_type": t.base_type, "origin_id": t.origin_id}}


def _code_record(c: CostCode, full_code: str, project_id: int | None) -> dict[str, Any]:
    return {"name": f"{full_code} {c.name or ''}".strip(), "parent": str(project_id) if project_id else None,
            "data": {"code": c.code, "full_code": full_code, "name": c.name, "parent_id": c.parent_id,
                     "standard_cost_code_id": c.standard_cost_code_id,
                     "standard_cost_code_list_id": c.standard_cost_code_list_id, "origin_id": c.origin_id,
                     "type_ids": list(c.line_item_type_ids)}}


def full_codes(codes: list[CostCode]) -> dict[int, str]:
    """Procore's full code ("03-300") of each code, from `full_code` or by walking its parents."""
    by_id = {c.id: c for c in codes}

    def full(c: CostCode, depth: int = 0) -> str:
        if c.raw.get("full_code"):
            return str(c.raw["full_code"])
        parent = by_id.get(c.parent_id) if c.parent_id is not None else None
        own = c.code or str(c.id)
        return f"{full(parent, depth + 1)}-{own}" if parent is not None and depth < 10 else own
    return {c.id: full(c) for c in codes}


def _leaves(codes: list[CostCode]) -> list[CostCode]:
    parents = {c.parent_id for c in codes if c.parent_id is not None}
    return [c for c in codes if c.id not in parents]


# --- the QBO item list → cache ------------------------------------------------------------------------------
class QboItems(QboListRefresh):
    """QBO items into the cache (full scan, then CDC); `seen` keeps what this run read, for dry runs."""

    entity = "Item"
    cursor_job = "cost-codes:qbo-items"

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, Any]] = {}

    def apply(self, session, tenant_id, record, report, dry_run):  # type: ignore[no-untyped-def]
        self.seen[str(record["Id"])] = record
        if not dry_run:
            cache_item(session, tenant_id, record)

    def apply_deleted(self, session, tenant_id, remote_id, report, dry_run):  # type: ignore[no-untyped-def]
        self.seen.pop(remote_id, None)
        if not dry_run:
            cache.remove(session, tenant_id, "qbo", QBO_ITEM, remote_id)


@dataclass
class Run:
    """What one run has read so far (shared by the projects it refreshes)."""

    types: dict[int, CostType] = field(default_factory=dict)
    standard: dict[int, dict[str, Any]] = field(default_factory=dict)  # standard code id → cached data
    erp_lists: set[int] = field(default_factory=set)
    qbo_items: dict[str, dict[str, Any]] = field(default_factory=dict)  # read this run (dry runs)
    accounts: list[dict[str, Any]] | None = None
    names: set[str] = field(default_factory=set)  # every QBO item name (and names planned this run)


# --- the job -------------------------------------------------------------------------------------------------
@register
class CostCodesJob:
    name = "cost-codes"
    description = ("Cost types and standard cost codes from Procore; a QBO Service item per synced budget line on "
                   "QBO-linked projects (created once, renamed, deactivated)")

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        run = self.read_structure(ctx, report, dry_run=dry_run)
        self.read_qbo_items(ctx, report, run, dry_run=dry_run)
        with ctx.session() as s:
            projects = [int(lk.procore_id) for lk in s.exec(select(ExternalLink).where(
                ExternalLink.tenant_id == ctx.tenant_id, ExternalLink.entity_type == PROJECT_LINK))
                if lk.procore_id.isdigit()]
        report.stats["linked_projects"] = len(projects)
        for project_id in sorted(projects):
            self.refresh_project(ctx, project_id, report, run, dry_run=dry_run)
        return report

    # -- company level -------------------------------------------------------------------------------------
    def read_structure(self, ctx: TenantContext, report: JobReport, *, dry_run: bool) -> Run:
        """Cost types and standard cost codes → cache; each standard cost code → a `cost_code` item."""
        run = Run()
        types = list(ctx.procore.list_line_item_types())
        lists = list(ctx.procore.list_standard_cost_code_lists())
        codes_by_list = {lst.id: list(ctx.procore.list_standard_cost_codes(standard_cost_code_list_id=lst.id))
                         for lst in lists}
        run.types = {t.id: CostType(t.id, t.name, t.code) for t in types}
        run.erp_lists = {lst.id for lst in lists if lst.raw.get("is_erp_list")}
        with ctx.session() as s:
            prefs, _ = load_preferences(s, ctx.tenant_id)
            _sync_cache(s, ctx.tenant_id, E_TYPE, {str(t.id): _type_record(t) for t in types}, report, dry_run,
                        label="cost type")
            _sync_cache(s, ctx.tenant_id, E_LIST, {str(lst.id): {"name": lst.name, "data": dict(lst.raw)}
                                                   for lst in lists}, report, dry_run, label="cost code list")
            standard: dict[str, dict[str, Any]] = {}
            for list_id, codes in codes_by_list.items():
                full = full_codes(codes)
                leaves = {c.id for c in _leaves(codes)}
                for c in codes:
                    rec = _code_record(c, full[c.id], None)
                    rec["data"].update(standard_cost_code_list_id=list_id, leaf=c.id in leaves,
                                       erp=list_id in run.erp_lists or bool(c.origin_id))
                    standard[str(c.id)] = rec
            _sync_cache(s, ctx.tenant_id, E_STANDARD, standard, report, dry_run, label="standard cost code")
            run.standard = {int(k): v["data"] for k, v in standard.items()}
            items = {i.procore_id: i for i in s.exec(select(Item).where(  # one query, not two per code
                Item.tenant_id == ctx.tenant_id, Item.type == ItemType.COST_CODE.value))}
            for sid, rec in sorted(standard.items(), key=lambda kv: kv[1]["data"]["full_code"]):
                if rec["data"]["leaf"]:
                    self._cost_code_item(s, ctx.tenant_id, int(sid), rec, prefs, report, dry_run,
                                         existing=items.get(sid))
            if dry_run:
                s.rollback()
            else:
                s.commit()
        report.stats.update(cost_types=len(types), standard_cost_codes=len(standard))
        return run

    @staticmethod
    def _cost_code_item(s: Session, tenant_id: int, sid: int, rec: dict[str, Any], prefs: Preferences,
                        report: JobReport, dry_run: bool, *, existing: Item | None) -> None:
        data = rec["data"]
        if sid in prefs.excluded_codes:
            return
        if existing is None:
            why = "already an ERP standard cost code" if data["erp"] else "ready to send for acceptance"
            report.add("create", "cost code item", rec["name"], why)
        if dry_run:
            return
        upsert_item(s, tenant_id=tenant_id, item_type=ItemType.COST_CODE.value, procore_id=sid,
                    title=f"Cost code {rec['name']}", amount=None, procore_project_id=None,
                    detail={"full_code": data["full_code"], "name": data["name"],
                            "standard_cost_code_list_id": data["standard_cost_code_list_id"],
                            "erp": data["erp"]},
                    raw={k: v for k, v in data.items() if k != "leaf"},
                    initial_state=ItemState.SYNCED.value if data["erp"] else ItemState.READY_TO_EXPORT.value,
                    existing=existing)

    def read_qbo_items(self, ctx: TenantContext, report: JobReport, run: Run, *, dry_run: bool) -> None:
        items = QboItems()
        items.refresh(ctx, report, dry_run=dry_run)
        run.qbo_items = items.seen
        with ctx.session() as s:
            run.names = cached_item_names(s, ctx.tenant_id) | {str(i.get("Name", "")) for i in items.seen.values()}

    # -- one project ----------------------------------------------------------------------------------------
    def refresh_project(self, ctx: TenantContext, project_id: int, report: JobReport, run: Run, *,
                        dry_run: bool) -> list[ItemPlan]:
        """Cache the project's cost codes and budget lines and queue its item writes (see the module doc)."""
        project = ctx.procore.get_project(project_id=project_id)
        codes = list(ctx.procore.list_cost_codes(project_id=project_id))
        lines = list(ctx.procore.list_budget_line_items(project_id=project_id))
        with ctx.session() as s:
            link = s.exec(select(ExternalLink).where(
                ExternalLink.tenant_id == ctx.tenant_id, ExternalLink.entity_type == PROJECT_LINK,
                ExternalLink.procore_id == str(project_id))).first()
            if link is None:
                report.add("skip", "Procore project", project_label(project),
                           "not linked to a QuickBooks project: link it first")
                return []
            plans = self._plan(s, ctx.tenant_id, project, link.qbo_id, codes, lines, run, report, dry_run)
            self._apply(s, ctx, project, plans, run, report, dry_run)
            if dry_run:
                s.rollback()
            else:
                s.commit()
        return plans

    def _plan(self, s: Session, tenant_id: int, project: Project, customer_id: str, codes: list[CostCode],
              lines: list[BudgetLineItem], run: Run, report: JobReport, dry_run: bool) -> list[ItemPlan]:
        full = full_codes(codes)
        pid = str(project.id)
        _sync_cache(s, tenant_id, E_CODE, {str(c.id): _code_record(c, full[c.id], project.id) for c in codes},
                    report, dry_run, parent_id=pid, label="project cost code")
        budget_rows = {str(b.id): {"name": f"{b.cost_code or b.cost_code_id}.{b.line_item_type}", "parent": pid,
                                   "data": _budget_data(b)} for b in lines}
        _sync_cache(s, tenant_id, E_BUDGET, budget_rows, report, dry_run, parent_id=pid, label="budget line")
        prefs, _ = load_preferences(s, tenant_id)
        accepted = frozenset(int(i.procore_id) for i in s.exec(select(Item).where(
            Item.tenant_id == tenant_id, Item.type == ItemType.COST_CODE.value, Item.state.in_(ACCEPTED))))
        budget = s.exec(select(Item).where(Item.tenant_id == tenant_id, Item.type == ItemType.BUDGET.value,
                                           Item.procore_id == pid)).first()
        scope = ProjectScope(project.id, project.project_number or customer_id, accepted,
                             budget is not None and budget.state in ACCEPTED)
        plan_codes = {}
        for c in codes:
            standard = run.standard.get(c.standard_cost_code_id or -1, {})
            plan_codes[c.id] = ProjectCostCode(c.id, full[c.id], c.name or "", c.standard_cost_code_id,
                                               tuple(c.line_item_type_ids),
                                               bool(c.origin_id) or bool(standard.get("erp")))
        linked = linked_items(s, tenant_id, project.id)
        linked = {k: _fresh(v, run.qbo_items) for k, v in linked.items()}
        plan_lines = [BudgetLine(b.id, b.cost_code_id, b.line_item_type_id) for b in lines]
        plans = plan_cost_items(scope, plan_lines, plan_codes, run.types, prefs, linked, run.names,
                                in_use=items_in_use(s, tenant_id, project.id))
        run.names |= {p.name for p in plans if p.action in ("create", "rename", "reactivate")}
        return plans

    def _apply(self, s: Session, ctx: TenantContext, project: Project, plans: list[ItemPlan], run: Run,
               report: JobReport, dry_run: bool) -> None:
        _, settings = load_preferences(s, ctx.tenant_id)
        waiting = live_item_writes(s, ctx.tenant_id)
        label = project_label(project)
        for plan in plans:
            counter = f"items_{plan.action}"
            report.stats[counter] = report.stats.get(counter, 0) + 1
            if plan.action == "keep":
                continue
            record = f"{plan.name} ({label}, {plan.cost_code} × {plan.cost_type or 'cost type'})"
            if plan.action == "skip":
                report.add("skip", "QBO Item", record, plan.reason)
                continue
            if plan.key in waiting:
                report.add("waiting", "QBO Item", record, f"already queued (outbox #{waiting[plan.key][0].id})")
                continue
            if plan.action == "create":
                try:
                    if run.accounts is None:
                        run.accounts = list(ctx.qbo.query_all(entity="Account"))
                    income, expense = item_accounts(run.accounts, settings, plan.cost_type_id)
                except MappingError as exc:
                    report.add("error", "QBO Item", record, exc.sentence)
                    continue
                report.add("create", "QBO Item", record, plan.description)
                if not dry_run:
                    body = cost_item_body(plan.name, description=plan.description, income_account_id=income,
                                          expense_account_id=expense)
                    enqueue_item_write(s, tenant_id=ctx.tenant_id, operation=OP_CREATE, key=plan.key,
                                       version="create", again_if_done=True,
                                       payload={"body": body, "base_name": plan.base_name,
                                                "project_id": project.id})
                continue
            fields: dict[str, Any] = {"Active": False} if plan.action == "deactivate" else {"Name": plan.name,
                                                                                          "Active": True}
            if plan.description and plan.action != "deactivate":
                fields["Description"] = fields["PurchaseDesc"] = plan.description
            report.add(plan.action, "QBO Item", f"{record} [QBO {plan.qbo_id}]", plan.reason)
            if not dry_run:
                token = _token(s, ctx.tenant_id, plan.qbo_id)
                enqueue_item_write(s, tenant_id=ctx.tenant_id, operation=OP_UPDATE, key=plan.key,
                                   version=f"{token}:{plan.action}:{plan.name}",
                                   payload={"qbo_id": plan.qbo_id, "fields": fields, "base_name": plan.base_name,
                                            "action": plan.action, "project_id": project.id})


def _budget_data(b: BudgetLineItem) -> dict[str, Any]:
    return {"cost_code_id": b.cost_code_id, "cost_code": b.cost_code, "line_item_type_id": b.line_item_type_id,
            "line_item_type": b.line_item_type, "amount": str(b.amount) if b.amount is not None else None,
            "description": b.description}


def _fresh(link: LinkedItem, seen: dict[str, dict[str, Any]]) -> LinkedItem:
    item = seen.get(link.qbo_id)
    if item is None:
        return link
    return LinkedItem(link.qbo_id, str(item.get("Name", link.name)), item.get("Active", True) is not False,
                      item.get("SyncToken", link.sync_token), item.get("Description", link.description))


def _token(s: Session, tenant_id: int, qbo_id: str | None) -> str:
    row = cache.get(s, tenant_id, "qbo", QBO_ITEM, str(qbo_id)) if qbo_id else None
    return (row.sync_token if row else None) or "-"


def project_label(project: Project) -> str:
    return f"{project.project_number} {project.name}" if project.project_number else project.name


def refresh_one_project(ctx: TenantContext, project_id: int, *, dry_run: bool = False) -> JobReport:
    """The job's steps for one project only ("Refresh the Cost Codes on an ERP Integrated Project")."""
    job = CostCodesJob()
    report = JobReport(f"{job.name} (project {project_id})", dry_run=dry_run)
    run = job.read_structure(ctx, report, dry_run=dry_run)
    job.read_qbo_items(ctx, report, run, dry_run=dry_run)
    job.refresh_project(ctx, project_id, report, run, dry_run=dry_run)
    return report


__all__ = ["CostCodesJob", "Run", "refresh_one_project", "PROJECT_LINK"]

"""Job-cost sync: QBO Bills, expenses (Purchase) and VendorCredits on projects ⇒ read-only Procore direct costs.

Runs for the Procore projects whose job-cost sync is on (`ProjectSettings.job_cost_sync_enabled`) and that are
linked to a QBO project (binder `project`). Each run reads what changed — one CDC call for the three entities
since the cursor; a full query of them when there is no cursor yet, it is older than CDC's 30 days, CDC hit its
1,000-row cap, or a project was just enabled (its history is needed) — and places every line
(`sync.mappers.direct_costs`). Per transaction and project, a direct cost is written through the outbox (created,
or overwritten when QBO changed it — so edits made in Procore don't last) or deleted when the transaction was
deleted in QBO or no longer has lines on that project. Bills that Ledgerlink exported from Procore (binder
`bill`) are subcontractor invoices, not job costs, and are skipped so nothing is counted twice.

What was placed is kept in the remote-record cache (`qbo`/`job_cost`, one row per transaction: the lines per
project, the SyncToken, the outbox request), so a run knows what Procore should hold without asking it, and the
ERP job costs report sums actuals from it. Lines that can't be placed become `UnsyncableCost` rows with the reason
and the fix; those transactions are kept in the cache and placed again on the next run after the links change
(`lookups_digest`), so linking the missing vendor or cost code resolves them without waiting for QBO to change
(`resolved_at` is set) — and a run when nothing was linked costs nothing, however many are cached. A first run
streams the full query page by page (never a list of every transaction).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from core.models import ExternalLink, ProjectSettings, RemoteRecord, UnsyncableCost, utcnow
from core.money import money
from sync import cache
from sync.context import TenantContext
from sync.jobs.base import JobReport, cursor, register
from sync.jobs.qbo_lists import chunked
from sync.mappers.direct_costs import (
    ENTITIES,
    LABELS,
    DirectCostPlan,
    Lookups,
    Placement,
    jsonable,
    qbo_txn_to_direct_costs,
)
from sync.mappers.payments import is_deleted
from sync.outbox import enqueue, make_requestid
from sync.writes.direct_costs import DELETE, DIRECT_COST, PUT

CDC_OVERLAP = timedelta(minutes=5)
CDC_MAX_AGE = timedelta(days=29)
CDC_CAP = 1000
CACHE_ENTITY = "job_cost"
COMMIT_EVERY = 200
EXPORT_NOTE = "Procore requisition "
LINKS_CURSOR = "job-costs:links"  # the `lookups_digest` of the last run


def lookups_for(session: Session, tenant_id: int) -> tuple[Lookups, set[str], list[int]]:
    """The binder as maps, the QBO Ids of Bills Ledgerlink exported, and enabled projects with no QBO link."""
    enabled = {row.procore_project_id for row in session.exec(select(ProjectSettings).where(
        ProjectSettings.tenant_id == tenant_id, ProjectSettings.job_cost_sync_enabled == True))}  # noqa: E712
    links: dict[str, list[ExternalLink]] = {}
    for link in session.exec(select(ExternalLink).where(ExternalLink.tenant_id == tenant_id)):
        links.setdefault(link.entity_type, []).append(link)
    linked = {x.qbo_id: int(x.procore_id) for x in links.get("project", []) if x.procore_id.isdigit()}
    cost_items: dict[str, tuple[int, int, int]] = {}
    for x in links.get("cost_item", []):
        parts = x.procore_id.split(":")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            cost_items[x.qbo_id] = (int(parts[0]), int(parts[1]), int(parts[2]))
    vendors = {x.qbo_id: int(x.procore_id) for x in links.get("company", []) if x.procore_id.isdigit()}
    lookups = Lookups(enabled_projects={q: p for q, p in linked.items() if p in enabled}, linked_projects=linked,
                      cost_items=cost_items, vendors=vendors)
    exported = {x.qbo_id for x in links.get("bill", [])}
    unlinked = sorted(enabled - set(linked.values()))
    return lookups, exported, unlinked


def lookups_digest(lookups: Lookups, exported: set[str]) -> str:
    """A fingerprint of everything that decides where a line goes: when it is unchanged since the last run, a
    transaction QBO did not change is placed exactly as before, so its unsyncable lines need no second look."""
    return _digest([sorted(lookups.enabled_projects.items()), sorted(lookups.linked_projects.items()),
                    sorted(lookups.cost_items.items()), sorted(lookups.vendors.items()), sorted(exported)])


def exported_note(txn: dict[str, Any]) -> bool:
    """The memo the Bill export writes (`sync.mappers.bills`): catches a Bill exported a moment ago, before the
    outbox bound it."""
    return str(txn.get("PrivateNote") or "").startswith(EXPORT_NOTE)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


@register
class JobCostsJob:
    name = "job-costs"
    description = "QBO bills, expenses and vendor credits on projects → read-only Procore direct costs"

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        started = utcnow()
        with ctx.session() as s:
            lookups, exported, unlinked = lookups_for(s, ctx.tenant_id)
            since = cursor(s, ctx.tenant_id, self.name).cursor
            fresh = [row.procore_project_id for row in s.exec(select(ProjectSettings).where(
                ProjectSettings.tenant_id == ctx.tenant_id, ProjectSettings.job_cost_sync_enabled == True,  # noqa: E712
                ProjectSettings.last_job_cost_sync_at == None))]  # noqa: E711
        for pid in unlinked:
            report.add("skip", "Procore project", str(pid), "job-cost sync is on, but the project is not linked to a "
                       "QuickBooks project yet (`/ledgerlink link project` or `/ledgerlink add project`)")
        if not lookups.enabled_projects:
            report.stats["enabled_projects"] = 0
            return report
        report.stats["enabled_projects"] = len(lookups.enabled_projects)
        since_at = datetime.fromisoformat(since) if since else None
        rows: dict[str, list[dict[str, Any]]] | None = None
        if since_at is not None and started - since_at <= CDC_MAX_AGE and not fresh:
            rows = ctx.qbo.cdc(entities=list(ENTITIES), changed_since=since_at - CDC_OVERLAP)
            if any(len(v) >= CDC_CAP for v in rows.values()):
                rows = None  # CDC was cut off: read everything instead, once
            report.stats["mode"] = "cdc"
        if rows is None:  # streamed page by page: a first run over 50,000 transactions never holds them all
            seen: Iterable[tuple[str, dict[str, Any]]] = ((e, t) for e in ENTITIES for t in ctx.qbo.query_all(entity=e))
            report.stats["mode"] = "full query"
        else:
            seen = ((e, t) for e in ENTITIES for t in rows.get(e) or [])
        report.stats["transactions_seen"] = 0
        with Session(ctx.engine, expire_on_commit=False) as s:
            links = cursor(s, ctx.tenant_id, LINKS_CURSOR)
            retry = links.cursor != lookups_digest(lookups, exported)
            report.stats["unsyncable_replaced"] = 0
            done: set[str] = set()
            n = 0
            # a page at a time: one query for the page's cached transactions and one for their unsyncable lines,
            # not two per transaction (most of a first run over 50,000 transactions was those reads)
            for page in chunked(self._with_retries(s, ctx.tenant_id, seen, retry=retry), COMMIT_EVERY):
                unsyncable = self._prefetch(s, ctx.tenant_id, page)
                for entity, txn, again in page:
                    rid = f"{entity}:{txn['Id']}"
                    if rid in done:
                        continue
                    done.add(rid)
                    n += 1
                    report.stats["unsyncable_replaced" if again else "transactions_seen"] += 1
                    self._one(s, ctx.tenant_id, entity, txn, lookups, exported, report, dry_run=dry_run,
                              unsyncable=unsyncable.get((entity, str(txn["Id"])), []))
                if not dry_run:
                    s.commit()
            if not dry_run:
                cur = cursor(s, ctx.tenant_id, self.name)
                cur.cursor = started.isoformat()
                s.add(cur)
                links.cursor = lookups_digest(lookups, exported)
                s.add(links)
                for ps in s.exec(select(ProjectSettings).where(ProjectSettings.tenant_id == ctx.tenant_id,
                                                               ProjectSettings.job_cost_sync_enabled == True)):  # noqa: E712
                    ps.last_job_cost_sync_at = started
                    s.add(ps)
                s.commit()
        return report

    @staticmethod
    def _with_retries(s: Session, tenant_id: int, seen: Iterable[tuple[str, dict[str, Any]]], *,
                      retry: bool) -> Iterable[tuple[str, dict[str, Any], bool]]:
        """What QBO sent, then — only when the links changed since the last run (nothing else can place them) —
        the cached transactions that still have unsyncable lines, placed again locally."""
        for entity, txn in seen:
            yield entity, txn, False
        if not retry:
            return
        for rec in cache.listing(s, tenant_id, "qbo", CACHE_ENTITY, archived=None):
            if rec.data.get("txn") is not None:
                yield rec.data["entity"], rec.data["txn"], True

    @staticmethod
    def _prefetch(s: Session, tenant_id: int, page: list[tuple[str, dict[str, Any], bool]],
                  ) -> dict[tuple[str, str], list[UnsyncableCost]]:
        """Load the page's cached transactions (for `cache.get`) and return their unsyncable lines by (entity, id)."""
        cache.prefetch(s, tenant_id, "qbo", CACHE_ENTITY, [f"{entity}:{txn['Id']}" for entity, txn, _ in page])
        ids = {str(txn["Id"]) for _, txn, _ in page}
        rows: dict[tuple[str, str], list[UnsyncableCost]] = {}
        for row in s.exec(select(UnsyncableCost).where(UnsyncableCost.tenant_id == tenant_id,
                                                       UnsyncableCost.qbo_id.in_(ids))):  # type: ignore[attr-defined]
            rows.setdefault((row.qbo_entity, row.qbo_id), []).append(row)
        return rows

    # --- one transaction --------------------------------------------------------------------------------------
    def _one(self, s: Session, tenant_id: int, entity: str, txn: dict[str, Any], lookups: Lookups,
             exported: set[str], report: JobReport, *, dry_run: bool, unsyncable: list[UnsyncableCost]) -> None:
        txn_id = str(txn["Id"])
        rid = f"{entity}:{txn_id}"
        cached = cache.get(s, tenant_id, "qbo", CACHE_ENTITY, rid)
        before: dict[str, dict[str, Any]] = dict((cached.data.get("placed") if cached else None) or {})
        label = f"QBO {LABELS[entity].lower()} {txn.get('DocNumber') or txn_id}"
        if is_deleted(txn):
            placement = Placement(relevant=False)
        elif entity == "Bill" and (txn_id in exported or exported_note(txn)):
            placement = Placement(relevant=False)
            report.add("skip", "QBO Bill", label, "exported from Procore by Ledgerlink (a subcontractor invoice), "
                       "not a job cost")
        else:
            placement = qbo_txn_to_direct_costs(entity, txn, lookups)
        enabled = set(lookups.enabled_projects.values())
        after: dict[str, dict[str, Any]] = {}
        for plan in placement.costs:
            fields = jsonable(plan.fields())
            version = f"{plan.sync_token}.{_digest(fields)}"
            old = before.get(plan.key)
            after[plan.key] = {"project_id": plan.project_id, "version": version, "total": str(plan.total),
                               "lines": [jsonable({"cost_code_id": x.cost_code_id, "line_item_type_id":
                                                   x.line_item_type_id, "amount": x.amount}) for x in plan.lines],
                               "requestid": make_requestid(tenant_id, PUT, f"{DIRECT_COST}:{plan.key}", version)}
            if old is not None and old.get("version") == version:
                continue
            report.add("update" if old else "create", "Procore direct cost", f"{label} on project {plan.project_id}",
                       f"{money(plan.total)}, {len(plan.lines)} line(s)")
            if not dry_run:
                self._put(s, tenant_id, plan, fields, version)
        for key, old in before.items():
            if key in after:
                continue
            if old["project_id"] not in enabled:
                after[key] = old  # that project's sync was turned off: leave its direct costs as they are
                continue
            report.add("delete", "Procore direct cost", f"{label} on project {old['project_id']}",
                       "deleted in QuickBooks" if is_deleted(txn) else "no longer has lines on this project")
            if not dry_run:
                enqueue(s, tenant_id=tenant_id, operation=DELETE, target="procore", record=f"{DIRECT_COST}:{key}",
                        version=f"delete:{old['version']}",
                        payload={"key": key, "project_id": old["project_id"], "after_requestid": old.get("requestid")})
        for bad in placement.unplaceable:
            report.add("unsyncable", "QBO line", f"{label} line {bad.line_id}", bad.reason)
        if dry_run:
            return
        self._unsyncable(s, tenant_id, entity, txn_id, placement, unsyncable)
        if after or placement.unplaceable:
            data = {"entity": entity, "placed": after,
                    "txn": jsonable(txn) if placement.unplaceable else None,
                    "vendor": ((txn.get("VendorRef") or txn.get("EntityRef") or {}).get("name")),
                    "date": str(txn.get("TxnDate") or "")[:10]}
            cache.upsert(s, tenant_id, "qbo", CACHE_ENTITY, rid, name=label, data=data,
                         sync_token=str(txn.get("SyncToken", "")) or None)
        elif cached is not None:
            cache.remove(s, tenant_id, "qbo", CACHE_ENTITY, rid)

    @staticmethod
    def _put(s: Session, tenant_id: int, plan: DirectCostPlan, fields: dict[str, Any], version: str) -> None:
        enqueue(s, tenant_id=tenant_id, operation=PUT, target="procore", record=f"{DIRECT_COST}:{plan.key}",
                version=version, payload={"key": plan.key, "project_id": plan.project_id,
                                          "sync_token": plan.sync_token, "fields": fields})

    @staticmethod
    def _unsyncable(s: Session, tenant_id: int, entity: str, txn_id: str, placement: Placement,
                    existing: list[UnsyncableCost]) -> None:
        """Upsert this transaction's unplaceable lines (`existing`: its stored ones); the ones now placed (or gone)
        are resolved."""
        rows = {r.line_id: r for r in existing}
        now = utcnow()
        current = set()
        for bad in placement.unplaceable:
            current.add(bad.line_id)
            row = rows.get(bad.line_id) or UnsyncableCost(tenant_id=tenant_id, qbo_entity=entity, qbo_id=txn_id,
                                                           line_id=bad.line_id, reason="", fix="")
            row.txn_date = datetime.combine(bad.txn_date, time(), tzinfo=UTC) if bad.txn_date else None
            row.vendor_name = (bad.vendor_name or "")[:500] or None
            row.amount, row.reason, row.fix, row.resolved_at = bad.amount, bad.reason[:500], bad.fix[:500], None
            s.add(row)
        for line_id, row in rows.items():
            if line_id not in current and row.resolved_at is None:
                row.resolved_at = now
                s.add(row)


def placed_lines(session: Session, tenant_id: int) -> Iterable[dict[str, Any]]:
    """Every line job-cost sync has placed, as `{"project_id", "cost_code_id", "line_item_type_id", "amount"}`
    (amount a string) — the QBO actuals of the ERP job costs report."""
    for rec in session.exec(select(RemoteRecord).where(RemoteRecord.tenant_id == tenant_id,
                                                       RemoteRecord.system == "qbo",
                                                       RemoteRecord.entity == CACHE_ENTITY)):
        for placed in (rec.data.get("placed") or {}).values():
            for line in placed.get("lines") or []:
                yield {"project_id": placed["project_id"], **line}

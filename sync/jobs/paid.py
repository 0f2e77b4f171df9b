"""Paid sync: QBO bill payments against Bills Ledgerlink exported ⇒ Procore payments issued, invoices marked paid.

Watched: subcontractor invoices that are synced (or paid) and whose QBO Bill is known (binder `bill`, keyed by
the Procore requisition id, else `Item.remote_id`). Each run reads what changed in QBO — CDC on BillPayment
since the cursor (the first run, one more than 29 days late, or one where CDC hit its 1,000-row cap queries the
Bills and the BillPayments dated on or after the earliest of them instead) — then reads those Bills for their
Balance. Per invoice, in one transaction: each new payment becomes a Procore contract payment (outbox), a
payment changed in QBO replaces its Procore payment, one voided or deleted in QBO removes it; the item is `paid`
only when the Bill's Balance is 0 (a partial payment is recorded and the item says "Partially paid $X of $Y"),
and goes back to `synced` when it no longer is; a notice for the Slack side is recorded for every payment and
reversal.

Requests: an incremental run makes 1 QBO call when no watched Bill is touched and 2 when some are (CDC + one
Bill query per 200 Bills); the first run makes 2 (+ paging).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from core.domain import audit
from core.domain.permissions import SYSTEM
from core.domain.states import Action, ItemState, ItemType
from core.models import ExternalLink, Item, utcnow
from core.money import money
from sync import events
from sync.context import TenantContext
from sync.jobs.base import JobReport, cursor, register
from sync.mappers.payments import (
    Application,
    PaidStatus,
    applications,
    from_json,
    is_deleted,
    is_voided,
    paid_status,
    same_payment,
    to_json,
)
from sync.outbox import enqueue
from sync.qbo.query import select as qbo_select
from sync.writes.payments import CREATE, DELETE, PAYMENT, known_payment

logger = logging.getLogger(__name__)

CDC_OVERLAP = timedelta(minutes=5)  # re-read a little: clocks differ, and seeing a change twice is harmless
CDC_MAX_AGE = timedelta(days=29)  # QBO's CDC looks back 30 days at most
CDC_CAP = 1000  # and returns at most this many rows per entity
BILL_IDS_PER_QUERY = 200
WATCHED = (ItemState.SYNCED.value, ItemState.PAID.value)
CAS_ATTEMPTS = 5


class Counted:
    """An iterable that counts what went through it (a stream has no len)."""

    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        self.items, self.n = items, 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self.items:
            self.n += 1
            yield item


@dataclass
class Watched:
    item_id: int
    bill_id: str
    title: str
    recorded: dict[str, dict[str, Any]]  # key → application JSON (+ create_requestid, procore_payment_id)


@dataclass
class Changes:
    """What one run learnt about one Bill: the applications of each BillPayment seen (None = gone)."""

    bill_id: str
    seen: dict[str, Application | None] = field(default_factory=dict)  # key → application, or None if removed
    vendor: str = ""
    voided: set[str] = field(default_factory=set)  # keys whose payment was voided (not just edited)


def commitment_id(detail: dict[str, Any]) -> int | None:
    value = detail.get("commitment_id") or (detail.get("commitment") or {}).get("id")
    return int(value) if value not in (None, "") else None


def watched_items(session: Session, tenant_id: int, *, link_entity: str = "bill",
                  item_type: ItemType = ItemType.SUB_INVOICE) -> dict[str, Watched]:
    """QBO Bill (or Invoice) Id → the synced/paid subcontractor (or owner) invoice it belongs to."""
    links = {link.procore_id: link.qbo_id for link in session.exec(select(ExternalLink).where(
        ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == link_entity))}
    out: dict[str, Watched] = {}
    for item in session.exec(select(Item).where(Item.tenant_id == tenant_id, Item.type == item_type.value,
                                                Item.state.in_(WATCHED))):
        bill_id = links.get(item.procore_id) or item.remote_id
        if bill_id:
            out[str(bill_id)] = Watched(item.id, str(bill_id), item.title,
                                        dict((item.detail or {}).get("qbo_payments") or {}))
    return out


@register
class PaidJob:
    name = "paid"
    description = "QBO bill payments on exported Bills → Procore payments issued; invoices marked paid"
    # what is watched, what pays it, and whose name the notice carries (ReceiptsJob: Invoice / Payment)
    item_type, link_entity = ItemType.SUB_INVOICE, "bill"
    document, payer, party_ref = "Bill", "BillPayment", "VendorRef"
    incoming = False

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        started = utcnow()
        with ctx.session() as s:
            watched = watched_items(s, ctx.tenant_id, link_entity=self.link_entity, item_type=self.item_type)
            since = cursor(s, ctx.tenant_id, self.name).cursor
        report.stats["watched_bills"] = len(watched)
        if not watched:
            return report
        since_at = datetime.fromisoformat(since) if since else None
        payments: Iterable[dict[str, Any]] | None = None
        if since_at is not None and started - since_at <= CDC_MAX_AGE:
            cdc = ctx.qbo.cdc(entities=[self.payer], changed_since=since_at - CDC_OVERLAP)[self.payer]
            report.stats["mode"] = "cdc"
            payments = cdc if len(cdc) < CDC_CAP else None  # cut off at its cap: read the payments instead, once
        if payments is None:  # streamed page by page: a first run never holds every payment (nor every Bill)
            payments = self._payments_since_earliest(ctx, watched)
            report.stats["mode"] = "initial query"
        counted = Counted(payments)
        changes = self._changes(counted, watched)
        bills = self._read_bills(ctx, changes)  # only the Bills some payment touched
        report.stats["payments_seen"] = counted.n
        for bill_id, change in sorted(changes.items()):
            bill = bills.get(bill_id)
            if bill is None:
                report.add("skip", f"QBO {self.document}", bill_id, "not found in QuickBooks (deleted?)")
                continue
            self._apply(ctx, watched[bill_id], change, bill, report, dry_run=dry_run)
        if not dry_run:
            with ctx.session() as s:
                row = cursor(s, ctx.tenant_id, self.name)
                row.cursor = started.isoformat()
                s.add(row)
                s.commit()
        return report

    # --- reading QBO --------------------------------------------------------------------------------------
    def _read_bills(self, ctx: TenantContext, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(ids), key=lambda x: (len(x), x))
        out: dict[str, dict[str, Any]] = {}
        for n in range(0, len(wanted), BILL_IDS_PER_QUERY):
            chunk = wanted[n:n + BILL_IDS_PER_QUERY]
            for bill in ctx.qbo.query_all(select_=qbo_select(self.document).where_in("Id", chunk)):
                out[str(bill["Id"])] = bill
        return out

    def _earliest_date(self, ctx: TenantContext, ids: Iterable[str]) -> str | None:
        """The earliest TxnDate of the watched Bills (Invoices): one Bill per query of 200 Ids, never all of them."""
        wanted = sorted(set(ids), key=lambda x: (len(x), x))
        dates = []
        for n in range(0, len(wanted), BILL_IDS_PER_QUERY):
            q = (qbo_select(self.document).where_in("Id", wanted[n:n + BILL_IDS_PER_QUERY]).order_by("TxnDate")
                 .page(1, 1))
            dates += [str(b["TxnDate"])[:10] for b in ctx.qbo.query(q=q).get(self.document) or [] if b.get("TxnDate")]
        return min(dates, default=None)

    def _payments_since_earliest(self, ctx: TenantContext, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        earliest = self._earliest_date(ctx, ids)
        if earliest is None:
            return iter(())
        return ctx.qbo.query_all(select_=qbo_select(self.payer).filter("TxnDate", ">=", earliest).order_by("Id"))

    def _changes(self, payments: Iterable[dict[str, Any]], watched: dict[str, Watched]) -> dict[str, Changes]:
        recorded_by_payment: dict[str, list[tuple[str, str]]] = {}  # BillPayment Id → [(bill id, key)]
        for bill_id, w in watched.items():
            for key, rec in w.recorded.items():
                recorded_by_payment.setdefault(str(rec["bill_payment_id"]), []).append((bill_id, key))
        changes: dict[str, Changes] = {}
        for bp in payments:
            bp_id = str(bp["Id"])
            apps = {a.bill_id: a for a in applications(bp, pays=self.document) if a.bill_id in watched}
            gone = is_deleted(bp) or is_voided(bp)
            for bill_id, app in apps.items():
                change = changes.setdefault(bill_id, Changes(bill_id))
                change.seen[app.key] = app
                change.vendor = (bp.get(self.party_ref) or {}).get("name") or change.vendor
            for bill_id, key in recorded_by_payment.get(bp_id, []):
                if bill_id not in apps:  # deleted, voided, or no longer paying this Bill
                    change = changes.setdefault(bill_id, Changes(bill_id))
                    change.seen[key] = None
                    if gone:
                        change.voided.add(key)
        return changes

    # --- one invoice ----------------------------------------------------------------------------------------
    def _apply(self, ctx: TenantContext, w: Watched, change: Changes, bill: dict[str, Any], report: JobReport, *,
               dry_run: bool) -> None:
        status = paid_status(bill)
        vendor = change.vendor or (bill.get(self.party_ref) or {}).get("name") or ""
        for _ in range(CAS_ATTEMPTS):
            with Session(ctx.engine, expire_on_commit=False) as s:
                item = s.get(Item, w.item_id)
                if item is None or item.state not in WATCHED:
                    return
                done = self._apply_in(ctx, s, item, change, status, vendor, report, dry_run=dry_run)
                if done is None:  # lost a compare-and-set to a concurrent change: read again
                    continue
                if not dry_run:
                    s.commit()
                return
        logger.warning("paid sync: item %s kept changing under us; it is retried on the next run", w.item_id)

    def _apply_in(self, ctx: TenantContext, s: Session, item: Item, change: Changes, status: PaidStatus,
                  vendor: str, report: JobReport, *, dry_run: bool) -> bool | None:
        detail = dict(item.detail or {})
        recorded: dict[str, dict[str, Any]] = dict(detail.get("qbo_payments") or {})
        added: list[Application] = []
        removed: list[tuple[str, dict[str, Any]]] = []
        for key, app in sorted(change.seen.items()):
            old = recorded.get(key)
            if app is not None and old is not None and same_payment(from_json(old), app):
                continue  # e.g. only the memo changed: Procore's record still says the same
            if old is not None:
                removed.append((key, old))
                recorded.pop(key)
            if app is not None:
                added.append(app)
                recorded[key] = to_json(app)
        label = f"{item.title} (QBO {self.document} {change.bill_id})"
        action = None
        if status.fully_paid and item.state == ItemState.SYNCED.value:
            action = Action.MARK_PAID
        elif not status.fully_paid and item.state == ItemState.PAID.value:
            action = Action.REVERSE_PAYMENT
        for key, old in removed:
            why = "voided or deleted in QuickBooks" if key in change.voided else "changed in QuickBooks"
            report.add("reverse", "Procore payment", f"{label}: {money(from_json(old).amount)}", why)
        for app in added:
            report.add("create", "Procore payment", f"{label}: {money(app.amount)} on {app.payment_date.isoformat()}",
                       f"bill payment {app.bill_payment_id}")
        if action is not None:
            report.add("mark_paid" if action is Action.MARK_PAID else "unpay", "item", label, status.text())
        elif added or removed:
            report.add("update", "item", label, status.text())
        if not (added or removed or action) and recorded == (detail.get("qbo_payments") or {}):
            return True
        in_procore = item.procore_project_id is not None and str(item.procore_id).isdigit()
        if not in_procore and (added or removed):
            report.add("skip", "Procore payment", label, "the invoice has no Procore project or id on record, so "
                       "payments are recorded here only; refresh the invoice from Procore")
        if dry_run:
            return True
        for key, old in removed if in_procore else ():
            self._enqueue_delete(s, item, key, old)
        for app in added if in_procore else ():
            recorded[app.key]["create_requestid"] = self._enqueue_create(s, item, app).requestid
        detail |= {"qbo_payments": recorded, "payment_status": status.text(),
                   "qbo_bill_total": str(status.total), "qbo_bill_balance": str(status.balance)}
        note = {"bill_id": change.bill_id, "status": status.text(),
                "payments_added": [a.key for a in added], "payments_removed": [k for k, _ in removed]}
        if action is not None:
            moved = ctx.workflow.transition_in(s, item.id, SYSTEM, action, mutate=lambda _s, _i: {"detail": detail},
                                               detail=note)
            if moved is None:
                return None
            item = moved
        else:
            stmt = (update(Item).where(Item.id == item.id, Item.version == item.version)
                    .values(detail=detail, version=item.version + 1))
            if s.execute(stmt).rowcount != 1:
                s.rollback()
                return None
            audit.record(s, tenant_id=item.tenant_id, actor=SYSTEM,
                         action="payment_reversed" if removed and not added else "payment_recorded",
                         item_id=item.id, before=item.state, after=item.state, detail=note)
        for _key, old in removed:
            events.record_payment(s, item=item, app=from_json(old), status=status, vendor=vendor, reversed_=True,
                                  incoming=self.incoming)
        for app in added:
            events.record_payment(s, item=item, app=app, status=status, vendor=vendor, incoming=self.incoming)
        return True

    def _enqueue_create(self, s: Session, item: Item, app: Application) -> Any:
        detail = item.detail or {}
        payload = {"key": app.key, "project_id": item.procore_project_id, "requisition_id": item.procore_id,
                   "commitment_id": commitment_id(detail), "invoice_number": detail.get("invoice_number"),
                   "application": to_json(app), "item": item.id}
        return enqueue(s, tenant_id=item.tenant_id, operation=CREATE, target="procore", record=f"{PAYMENT}:{app.key}",
                       version=app.sync_token, payload=payload)

    def _enqueue_delete(self, s: Session, item: Item, key: str, old: dict[str, Any]) -> None:
        known = known_payment(s, item.tenant_id, PAYMENT, key, old)
        payload = {"key": key, "project_id": item.procore_project_id, "procore_payment_id": known,
                   "create_requestid": old.get("create_requestid"), "item": item.id}
        enqueue(s, tenant_id=item.tenant_id, operation=DELETE, target="procore", record=f"{PAYMENT}:{key}",
                version=f"delete:{old.get('sync_token')}", payload=payload)

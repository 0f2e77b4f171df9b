"""Procore subcontractor invoices (requisitions) → `sub_invoice` items, ready to be sent and exported as QBO Bills.

Per project linked to QBO: the invoices with their lines (v1.1, one call) and each commitment once (its SOV gives
every line its cost type, and its company is the Bill's vendor). Invoices that are Approved, Approved as noted or
Pending owner approval become items; one that is already an item and moves to another status is refreshed, so
a send is refused with the reason. Each item's detail is a snapshot of the invoice plus what it would become
in QBO (`qbo_summary`) or why it can't yet (`blocked`: "Link company ACME Concrete to a QuickBooks vendor first").

Once sent, an invoice is locked in Ledgerlink: a later edit in Procore is not copied (the item keeps what was
sent) and `detail["locked_note"]` says so and how to include it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.settings import DirectExports, tenant_settings
from core.domain.states import ItemType
from core.models import Item
from sync.autosend import note_change
from sync.context import TenantContext
from sync.invoice_rules import RETAINAGE_PAYABLE, evaluate_sub_invoice, resolve_role
from sync.items import find_item, upsert_item
from sync.jobs.base import JobReport, register
from sync.jobs.linked_projects import ingest_linked_projects
from sync.procore.errors import ProcoreNotFound
from sync.procore.financials import EXPORTABLE_REQUISITION_STATUSES, Commitment, Requisition
from sync.procore.records import LineItemType, Project
from sync.writes.bills import requisition_snapshot

KIND = ItemType.SUB_INVOICE.value
KEEP = ("unlinked",)  # detail keys an ingest carries over


def title_for(detail: Mapping[str, Any]) -> str:
    vendor = (detail.get("vendor") or {}).get("name") or "Subcontractor"
    number = detail.get("invoice_number") or f"#{detail.get('number') or detail.get('requisition_id')}"
    return f"{vendor} invoice {number}"


def locked_note(item: Item) -> str:
    sent = item.sent_at.strftime("%b %d, %Y") if item.sent_at else "earlier"
    return (f"Locked since it was sent to accounting ({sent}): edits made in Procore after that are not copied to "
            "Ledgerlink or QuickBooks. To include them, retrieve the invoice (or ask an approver to reject it), "
            "then send it again.")


class Ingest:
    """Turns Procore invoices into items for one tenant (shared by the job and single-record refreshes)."""

    def __init__(self, ctx: TenantContext, *, dry_run: bool = False) -> None:
        self.ctx, self.dry_run = ctx, dry_run
        self._types: dict[int, LineItemType] | None = None
        self._commitments: dict[tuple[int, int], Commitment | None] = {}
        self._retainage: list[str | None] = []  # the retainage payable account, looked up once per run
        self._gated: bool | None = None

    def cost_types(self) -> dict[int, LineItemType]:
        if self._types is None:  # once per run or batch of sends (the context keeps it), not per invoice
            self._types = self.ctx.reference("procore.line_item_types",
                                             lambda: {t.id: t for t in self.ctx.procore.list_line_item_types()})
        return self._types

    def workflow_gated(self, session: Session) -> bool:
        """Direct exports wait for the Procore workflow: only then is each invoice's workflow read (a request)."""
        if self._gated is None:
            mode = tenant_settings(session, self.ctx.tenant_id).direct_exports
            self._gated = mode == DirectExports.ENABLED_WITH_WORKFLOW.value
        return self._gated

    def workflow_complete(self, req: Requisition) -> bool:
        """The invoice's approval workflow reached its last step; with no workflow applied, its own approval is
        the workflow (an approved status)."""
        done = self.ctx.procore.requisition_workflow_complete(requisition_id=req.id)
        return req.status in EXPORTABLE_REQUISITION_STATUSES if done is None else done

    def commitment(self, project_id: int, req: Requisition) -> Commitment | None:
        if req.commitment_id is None:
            return None
        key = (project_id, req.commitment_id)
        if key not in self._commitments:
            get = (self.ctx.procore.get_purchase_order_contract if req.commitment_type == "PurchaseOrderContract"
                   else self.ctx.procore.get_work_order_contract)
            try:
                self._commitments[key] = get(project_id=project_id, contract_id=req.commitment_id)
            except ProcoreNotFound:
                self._commitments[key] = None
        return self._commitments[key]

    def one(self, session: Session, project: Project, req: Requisition, report: JobReport | None) -> Item | None:
        """Create or refresh the item of one invoice; None when it is not (and never was) exportable."""
        existing = find_item(session, self.ctx.tenant_id, KIND, req.id)
        if req.status not in EXPORTABLE_REQUISITION_STATUSES and existing is None:
            if report:
                report.add("skip", "Procore invoice", f"{req.vendor_name} #{req.number} ({req.id})",
                           f"'{(req.status or 'unknown').replace('_', ' ')}' in Procore: only Approved, Approved as "
                           "noted or Pending owner approval invoices are exported")
            return None
        commitment = self.commitment(project.id, req)
        if commitment is not None:
            req = req.with_commitment(commitment)
        detail = requisition_snapshot(req, project=project, commitment=commitment, cost_types=self.cost_types())
        if self.workflow_gated(session):
            detail["workflow_complete"] = self.workflow_complete(req)
        raw = dict(detail)  # the Procore side only: what decides "changed while locked"
        title = title_for(detail)
        if not self._retainage and _has_retainage(detail):
            self._retainage.append(resolve_role(self.ctx, session, RETAINAGE_PAYABLE, dry_run=self.dry_run))
        ev = evaluate_sub_invoice(session, self.ctx.tenant_id, detail, title,
                                  retainage_account=self._retainage[0] if self._retainage else None)
        detail |= {"qbo_summary": ev.summary, "blocked": ev.blocked}
        amount = ev.total if ev.total is not None else (Decimal(detail["due"]) if detail.get("due") else None)
        label = f"{title} ({req.id})"
        return store_invoice_item(session, self.ctx, kind=KIND, noun="sub invoice item", procore_id=req.id,
                                  project_id=project.id, title=title, amount=amount, detail=detail, raw=raw,
                                  ev=ev, label=label, existing=existing, report=report, dry_run=self.dry_run,
                                  changed_at=req.raw.get("updated_at"))


_OPEN = ("ready_to_export", "awaiting_acceptance", "rejected", "failed_to_export")


def _has_retainage(detail: Mapping[str, Any]) -> bool:
    if detail.get("due") and detail.get("claimed") and Decimal(detail["due"]) != Decimal(detail["claimed"]):
        return True
    return any(Decimal(x.get("retainage_withheld") or 0) or Decimal(x.get("retainage_released") or 0)
               for x in detail.get("lines") or [])


def _evaluation_moved(item: Item, detail: Mapping[str, Any]) -> bool:
    """Links changed since the last ingest (e.g. the company got linked): the blocked/summary text differs."""
    old = item.detail or {}
    return old.get("blocked") != detail.get("blocked") or old.get("qbo_summary") != detail.get("qbo_summary")


def store_invoice_item(session: Session, ctx: TenantContext, *, kind: str, noun: str, procore_id: int,
                       project_id: int, title: str, amount: Decimal | None, detail: dict[str, Any],
                       raw: dict[str, Any], ev: Any, label: str, existing: Item | None,
                       report: JobReport | None, dry_run: bool, changed_at: str | None = None) -> Item | None:
    """Upsert an invoice item (both invoice jobs): keep what the sender did, say when a locked item changed in
    Procore, and refresh an open item whose export evaluation moved (e.g. its company just got linked). A move
    into an approved status may queue an auto-send (sync/autosend.py; `changed_at` is the record's updated_at)."""
    before = (existing.detail or {}).get("status") if existing is not None else None
    if dry_run:
        if report:
            report.add("create" if existing is None else "update", noun, label, ev.blocked or ev.summary or "")
        return existing
    if existing is not None:
        detail |= {k: existing.detail[k] for k in KEEP if k in (existing.detail or {})}
    out = upsert_item(session, tenant_id=ctx.tenant_id, item_type=kind, procore_id=procore_id, title=title,
                      amount=amount, procore_project_id=project_id, detail=detail, raw=raw, existing=existing)
    item = out.item
    if out.locked_change:
        item.detail = {**(item.detail or {}), "locked_note": locked_note(item)}
        session.add(item)
        if report:
            report.add("locked", noun, label, locked_note(item))
    elif not out.changed and _evaluation_moved(item, detail) and item.state in _OPEN:
        item.detail = {**(item.detail or {}), "qbo_summary": ev.summary, "blocked": ev.blocked}
        item.amount, item.version = amount, item.version + 1
        session.add(item)
        if report:
            report.add("update", noun, label, ev.blocked or "ready to export")
    elif report and (out.changed or ev.blocked):
        action = "blocked" if ev.blocked else "create" if out.created else "update"
        report.add(action, noun, label, ev.blocked or ev.summary or "")
    if out.changed:
        session.flush()
        note_change(session, tenant_id=ctx.tenant_id, item_type=kind, procore_id=procore_id, before=before,
                    after=detail.get("status"), changed_at=changed_at, item=item)
    session.flush()
    return item


@register
class SubInvoicesJob:
    name = "sub-invoices"
    description = ("Procore subcontractor invoices (Approved, Approved as noted, Pending owner approval) → items "
                   "to send and export as QBO Bills")

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        ingest = Ingest(ctx, dry_run=dry_run)
        seen = ingest_linked_projects(
            ctx, report, what="invoices", dry_run=dry_run, ingest=ingest.one,
            records=lambda project, changed: ctx.procore.list_requisitions(project_id=project.id, with_items=True,
                                                                          filters=changed))
        report.stats["invoices_seen"] = seen
        return report


def refresh_item(ctx: TenantContext, item: Item) -> Item:
    """Re-read one sub invoice from Procore and refresh its item (used before a send or resend)."""
    return ingest_one(ctx, project_id=int(item.procore_project_id), requisition_id=int(item.procore_id))


def ingest_one(ctx: TenantContext, *, project_id: int, requisition_id: int) -> Item:
    """One invoice by its Procore ids → its item; a status that can't be exported is refused with the reason."""
    try:
        req = ctx.procore.get_requisition(project_id=project_id, requisition_id=requisition_id,
                                          with_commitment=False)
        project = ctx.procore.get_project(project_id=project_id)
    except ProcoreNotFound:
        raise ItemNotFound(f"Procore has no subcontractor invoice {requisition_id} in project {project_id} "
                           "(or Ledgerlink's Procore user can't see it).") from None
    with ctx.session() as s:
        item = Ingest(ctx).one(s, project, req, None)
        if item is None:
            status = (req.status or "unknown").replace("_", " ")
            raise InvalidInput(f"{req.vendor_name or 'This'} invoice #{req.number} is '{status}' in Procore; only "
                               "invoices that are Approved, Approved as noted or Pending owner approval can be "
                               "sent to accounting.")
        s.commit()
        s.refresh(item)
        return item

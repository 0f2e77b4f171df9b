"""Procore owner invoices (prime contract payment applications) → `owner_invoice` items, exported as QBO Invoices
with two lines and a PDF summary sheet attached.

Per project linked to QBO: the payment applications (v1.0 list), and for each approved one its G703 lines (one
GET). Approved pay apps become items; one that is already an item and changes status is refreshed, so a send is
refused with the reason. The detail holds the snapshot the summary sheet is drawn from (project, period, G702
summary, schedule of values), what it becomes in QBO (`qbo_summary`) or why it can't yet (`blocked`). The two QBO
items it uses are roles (see `sync.services.invoices.ROLES`), looked up once per run.

Once sent, the invoice is locked in Ledgerlink exactly as subcontractor invoices are (`detail["locked_note"]`).
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.states import ItemType
from core.models import Item
from sync.context import TenantContext
from sync.invoice_rules import OWNER_RETAINAGE_ITEM, OWNER_WORK_ITEM, evaluate_owner_invoice, resolve_role
from sync.items import find_item
from sync.jobs.base import JobReport, register
from sync.jobs.linked_projects import ingest_linked_projects
from sync.jobs.sub_invoices import store_invoice_item
from sync.mappers.invoices import EXPORTABLE_OWNER_INVOICE_STATUSES
from sync.procore.errors import ProcoreNotFound
from sync.procore.financials import PaymentApplication
from sync.procore.records import Project
from sync.writes.invoices import payment_application_snapshot

KIND = ItemType.OWNER_INVOICE.value


def title_for(detail: dict) -> str:
    project = (detail.get("project") or {}).get("name") or "Project"
    number = detail.get("invoice_number") or f"#{detail.get('number') or detail.get('payment_application_id')}"
    return f"{project} owner invoice {number}"


class Ingest:
    def __init__(self, ctx: TenantContext, *, dry_run: bool = False) -> None:
        self.ctx, self.dry_run = ctx, dry_run
        self._roles_checked = False

    def one(self, session: Session, project: Project, app: PaymentApplication,
            report: JobReport | None) -> Item | None:
        existing = find_item(session, self.ctx.tenant_id, KIND, app.id)
        label = f"pay application #{app.number} of {project.name} ({app.id})"
        if app.status not in EXPORTABLE_OWNER_INVOICE_STATUSES and existing is None:
            if report:
                report.add("skip", "Procore owner invoice", label,
                           f"'{(app.status or 'unknown').replace('_', ' ')}' in Procore: only approved owner "
                           "invoices are exported")
            return None
        if not app.raw.get("g703") and not app.raw.get("line_items"):  # list results carry no lines
            app = self.ctx.procore.get_payment_application(project_id=project.id, payment_application_id=app.id)
        if not self._roles_checked:
            for role in (OWNER_WORK_ITEM, OWNER_RETAINAGE_ITEM):
                resolve_role(self.ctx, session, role, dry_run=self.dry_run)
            self._roles_checked = True
        detail = payment_application_snapshot(app, project=project)
        raw = dict(detail)
        title = title_for(detail)
        ev = evaluate_owner_invoice(session, self.ctx.tenant_id, detail, title)
        detail |= {"qbo_summary": ev.summary, "blocked": ev.blocked}
        amount = ev.total if ev.total is not None else (Decimal(detail["due"]) if detail.get("due") else None)
        return store_invoice_item(session, self.ctx, kind=KIND, noun="owner invoice item", procore_id=app.id,
                                  project_id=project.id, title=title, amount=amount, detail=detail, raw=raw,
                                  ev=ev, label=label, existing=existing, report=report, dry_run=self.dry_run,
                                  changed_at=app.raw.get("updated_at"))


@register
class OwnerInvoicesJob:
    name = "owner-invoices"
    description = "Procore owner invoices (approved pay applications) → items to export as QBO Invoices + PDF sheet"

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        ingest = Ingest(ctx, dry_run=dry_run)
        seen = ingest_linked_projects(
            ctx, report, what="owner invoices", dry_run=dry_run, ingest=ingest.one,
            records=lambda project, changed: ctx.procore.list_payment_applications(project_id=project.id,
                                                                                filters=changed))
        report.stats["pay_applications_seen"] = seen
        return report


def refresh_item(ctx: TenantContext, item: Item) -> Item:
    """Re-read one owner invoice from Procore and refresh its item (used before a send or resend)."""
    return ingest_one(ctx, project_id=int(item.procore_project_id), payment_application_id=int(item.procore_id))


def ingest_one(ctx: TenantContext, *, project_id: int, payment_application_id: int) -> Item:
    try:
        app = ctx.procore.get_payment_application(project_id=project_id, payment_application_id=payment_application_id)
        project = ctx.procore.get_project(project_id=project_id)
    except ProcoreNotFound:
        raise ItemNotFound(f"Procore has no owner invoice {payment_application_id} in project {project_id} "
                           "(or Ledgerlink's Procore user can't see it).") from None
    with ctx.session() as s:
        item = Ingest(ctx).one(s, project, app, None)
        if item is None:
            raise InvalidInput(f"Owner invoice #{app.number} is '{(app.status or 'unknown').replace('_', ' ')}' in "
                               "Procore; only approved owner invoices can be sent to accounting.")
        s.commit()
        s.refresh(item)
        return item

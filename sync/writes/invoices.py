"""Outbox operations for owner invoices: the QBO Invoice, then its PDF summary sheet, each exactly once.

    qbo.create_invoice   an accepted owner invoice (pay application) → QBO Invoice with two lines; on_done binds
                         it and queues qbo.attach_pdf in the same transaction
    qbo.attach_pdf       render the summary sheet and POST /upload it with AttachableRef → that Invoice

Both carry their outbox row's requestid. `reconcile` (a retry that may have lost the first answer) finds the
Invoice by DocNumber + CustomerRef + the `Procore payment application <id>` note, created after our first
attempt; and the Attachable by the Invoice it points at and its file name.

The sheet is rendered by the presentation layer (`blocks/pdf.py`), which the engine must not import: whoever
builds the worker installs it once with `use_sheet_renderer(blocks.pdf.render_summary_sheet)`. The data the
sheet shows is frozen into the payload at acceptance (`summary_sheet`), so a retry draws the same page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from core.models import Item, OutboxEntry
from core.money import money
from sync import binder
from sync.context import NotConnected
from sync.mappers.money import cents
from sync.outbox import PermanentError, RemoteResult, enqueue
from sync.procore.financials import PaymentApplication
from sync.procore.records import Project
from sync.qbo.errors import QboError
from sync.qbo.query import select
from sync.writes.attachments import Attach
from sync.writes.bills import _day, _dec, classify, day_text, money_text, record_on_item, thaw
from sync.writes.common import created_since
from sync.writes.registry import ContextFor, operation

OP_CREATE_INVOICE = "qbo.create_invoice"
OP_ATTACH_PDF = "qbo.attach_pdf"
INVOICE_LINK = "invoice"  # binder entity: Procore payment application id ⇄ QBO Invoice Id
#: G702 rows in the order of the AIA form
G702_ROWS = (
    ("original_contract_sum", "1. Original contract sum"),
    ("net_change_by_change_orders", "2. Net change by change orders"),
    ("contract_sum_to_date", "3. Contract sum to date"),
    ("total_completed_and_stored_to_date", "4. Total completed and stored to date"),
    ("total_retainage", "5. Retainage"),
    ("total_earned_less_retainage", "6. Total earned less retainage"),
    ("less_previous_certificates_for_payment", "7. Less previous certificates for payment"),
    ("current_payment_due", "8. Current payment due"),
    ("balance_to_finish_including_retainage", "9. Balance to finish, including retainage"),
)
SOV_COLUMNS = ("scheduled_value", "previous", "this_period", "materials_stored", "completed_to_date",
               "balance_to_finish", "retainage")

SheetRenderer = Callable[[Mapping[str, Any]], bytes]
_renderer: list[SheetRenderer] = []


def use_sheet_renderer(render: SheetRenderer) -> None:
    """Install the function that draws the summary sheet (the worker's wiring does this once)."""
    _renderer[:] = [render]


# --- the item's snapshot of a Procore payment application ------------------------------------------------
def payment_application_snapshot(app: PaymentApplication, *, project: Project) -> dict[str, Any]:
    """JSON-safe detail for an owner invoice item: project, period, this period's figures, G702 and G703 rows."""
    raw = app.raw or {}
    g702 = raw.get("g702") or raw.get("summary") or {}
    contract = raw.get("contract") or raw.get("prime_contract") or {}
    sov = []
    for n, row in enumerate(raw.get("g703") or raw.get("line_items") or [], start=1):
        code = row.get("cost_code") if isinstance(row.get("cost_code"), Mapping) else {}
        sov.append({
            "item": str(row.get("item_number") or n), "cost_code": code.get("full_code"),
            "description": row.get("description_override") or row.get("description_of_work") or "",
            "scheduled_value": row.get("scheduled_value"),
            "previous": row.get("work_completed_from_previous_application"),
            "this_period": row.get("work_completed_this_period"),
            "materials_stored": row.get("materials_presently_stored"),
            "completed_to_date": row.get("total_completed_and_stored_to_date"),
            "percent": row.get("total_completed_and_stored_to_date_percent"),
            "balance_to_finish": row.get("balance_to_finish"),
            "retainage": row.get("total_retainage_currently_retained"),
        })
    status = app.status or "unknown"
    return {
        "payment_application_id": app.id, "number": app.number, "invoice_number": app.invoice_number,
        "status": status, "status_label": status.replace("_", " ").capitalize(),
        "project": {"id": project.id, "name": project.name, "number": project.project_number},
        "prime_contract": {"id": app.prime_contract_id, "title": contract.get("title")},
        "owner": raw.get("formatted_contract_company"),
        "period": {"start": day_text(app.period_start), "end": day_text(app.period_end)},
        "billing_date": day_text(app.billing_date),
        "work_completed_this_period": money_text(app.work_completed_this_period),
        "materials_presently_stored": money_text(app.materials_presently_stored),
        "retainage_held": money_text(app.retainage_held), "retainage_released": money_text(app.retainage_released),
        "due": money_text(app.total_amount),
        "g702": {key: g702.get(key) for key, _ in G702_ROWS if g702.get(key) is not None},
        "sov": sov,
    }


def payment_application_from_detail(detail: Mapping[str, Any]) -> PaymentApplication:
    period = detail.get("period") or {}
    return PaymentApplication(
        id=int(detail.get("payment_application_id") or 0), status=detail.get("status"), number=detail.get("number"),
        invoice_number=detail.get("invoice_number"), project_id=(detail.get("project") or {}).get("id"),
        prime_contract_id=(detail.get("prime_contract") or {}).get("id"),
        period_start=_day(period.get("start")), period_end=_day(period.get("end")),
        billing_date=_day(detail.get("billing_date")),
        work_completed_this_period=_dec(detail.get("work_completed_this_period")),
        materials_presently_stored=_dec(detail.get("materials_presently_stored")),
        retainage_held=_dec(detail.get("retainage_held")), retainage_released=_dec(detail.get("retainage_released")),
        total_amount=_dec(detail.get("due")),
    )


def summary_sheet(detail: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """What the PDF shows (strings only): header, the invoice's two lines and total, G702 summary, SOV rows."""
    lines = [{"description": x.get("Description", ""), "amount": str(cents(Decimal(str(x["Amount"]))))}
             for x in body.get("Line") or []]
    total = sum((Decimal(x["amount"]) for x in lines), Decimal(0))
    sov = list(detail.get("sov") or [])
    totals = {col: str(sum((Decimal(str(r[col])) for r in sov if r.get(col) not in (None, "")), Decimal(0)))
              for col in SOV_COLUMNS}
    g702 = detail.get("g702") or {}
    return {
        "invoice_number": body.get("DocNumber") or detail.get("invoice_number"),
        "application_number": detail.get("number"), "owner": detail.get("owner"),
        "project": detail.get("project") or {}, "contract": (detail.get("prime_contract") or {}).get("title"),
        "period": detail.get("period") or {}, "billing_date": detail.get("billing_date"),
        "lines": lines, "total": str(total),
        "retainage": {"held_this_period": str(cents(_dec(detail.get("retainage_held")) or 0)),
                      "released_this_period": str(cents(_dec(detail.get("retainage_released")) or 0)),
                      "total_retained": g702.get("total_retainage")},
        "g702": [{"label": label, "amount": g702[key]} for key, label in G702_ROWS if key in g702],
        "sov": sov, "sov_totals": totals,
    }


def sheet_filename(sheet: Mapping[str, Any]) -> str:
    number = re.sub(r"[^A-Za-z0-9._-]+", "-", str(sheet.get("invoice_number") or "invoice")).strip("-")
    return f"owner-invoice-{number}-summary.pdf"


# --- operations -----------------------------------------------------------------------------------------
@operation(OP_CREATE_INVOICE)
class CreateInvoice:
    """POST /invoice with the row's requestid; then queue the PDF attachment (same transaction as the bind)."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    @staticmethod
    def _label(entry: OutboxEntry) -> str:
        return entry.payload.get("label") or f"Owner invoice {entry.payload.get('procore_id')}"

    @staticmethod
    def _result(entry: OutboxEntry, invoice: Mapping[str, Any]) -> RemoteResult:
        number = f" {invoice['DocNumber']}" if invoice.get("DocNumber") else ""
        customer = entry.payload.get("customer_name") or "the project"
        total = Decimal(str(invoice.get("TotalAmt", "0")))
        return RemoteResult(str(invoice["Id"]), str(invoice.get("SyncToken", "0")),
                            body={"DocNumber": invoice.get("DocNumber"), "TotalAmt": str(total)},
                            summary=f"Invoice{number} for {customer}, {money(total)} (QuickBooks Id {invoice['Id']})")

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        try:
            invoice = self.context_for(entry.tenant_id).qbo.create(
                entity="Invoice", body=thaw(entry.payload["invoice"]), requestid=entry.requestid)
        except (QboError, NotConnected) as err:
            raise classify(err, self._label(entry), entry.payload.get("refs")) from err
        return self._result(entry, invoice)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        body = entry.payload["invoice"]
        q = select("Invoice").where(CustomerRef=str(body["CustomerRef"]["value"]))
        if body.get("DocNumber"):
            q = q.where(DocNumber=body["DocNumber"])
        try:
            rows = self.context_for(entry.tenant_id).qbo.query(q=q).get("Invoice") or []
        except (QboError, NotConnected) as err:
            raise classify(err, self._label(entry), entry.payload.get("refs")) from err
        for invoice in rows:
            if invoice.get("PrivateNote") == body.get("PrivateNote") and created_since(
                    invoice, entry.payload.get("not_before")):
                return self._result(entry, invoice)
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        binder.bind(session, entry.tenant_id, INVOICE_LINK, entry.payload["procore_id"], result.remote_id,
                    result.sync_token)
        sheet = entry.payload.get("sheet") or {}
        attach = enqueue(session, tenant_id=entry.tenant_id, target="qbo", operation=OP_ATTACH_PDF,
                         record=f"invoice:{result.remote_id}", version=entry.requestid,
                         payload={"invoice_id": result.remote_id, "item_id": entry.item_id, "sheet": sheet,
                                  "filename": sheet_filename(sheet), "label": self._label(entry)})
        record_on_item(session, entry.item_id, result.remote_id,
                       {"entity": "Invoice", "id": result.remote_id, "summary": result.summary, **result.body},
                       extra={"pdf": {"status": "queued", "outbox_id": attach.id}})


@operation(OP_ATTACH_PDF)
class AttachPdf(Attach):
    """Draw the summary sheet and attach it to the Invoice (the shared `Attach` upload and reconcile)."""

    def __init__(self, context_for: ContextFor, renderer: SheetRenderer | None = None) -> None:
        super().__init__(context_for)
        self.renderer = renderer

    def _render(self, entry: OutboxEntry) -> bytes:
        render = self.renderer or (_renderer[0] if _renderer else None)
        if render is None:
            raise PermanentError(f"The summary sheet of {entry.payload.get('label')} was not attached: this "
                                 "Ledgerlink worker has no PDF renderer installed — restart it with the standard "
                                 "wiring, then retry the attachment.")
        return render(entry.payload["sheet"])

    def failure(self, entry: OutboxEntry, err: Exception) -> Exception:
        return classify(err, f"The summary sheet of {entry.payload.get('label')}")

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        content = self._render(entry)
        try:
            return self.upload(entry, content, "application/pdf")
        except (QboError, NotConnected) as err:
            raise self.failure(entry, err) from err

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        item_id = entry.payload.get("item_id")
        item = session.get(Item, item_id) if item_id else None
        if item is None:
            return
        qbo = (item.detail or {}).get("qbo")
        record_on_item(session, item.id, item.remote_id, qbo,
                       extra={"pdf": {"status": "attached", "attachable_id": result.remote_id,
                                      "filename": entry.payload["filename"]}})

"""Outbox operation `qbo.create_bill`: an accepted subcontractor invoice becomes one QBO Bill, exactly once.

The payload is the Bill body mapped at acceptance (what the approver saw), plus how people name the vendor and
project for error sentences. `execute` creates it with the outbox row's requestid (QBO replays the first answer
on a resend); `reconcile` — used on a retry, when the replay window may have passed — finds a Bill a previous
attempt created by its natural key: DocNumber (or TxnDate) + VendorRef, and the `Procore requisition <id>` note
the mapper writes. `on_done` binds requisition ⇄ Bill, records the Bill on the item and queues the invoice's
backup documents onto it (`sync.writes.attachments`).

The same operation also serves `sync.writes.batching` (many rows as one /batch request): `batch_body`,
`result_from` and `sentence_for` are the per-row halves of `execute`.

Shared by the money writes: `thaw` (payload strings back to Decimal; `sync.writes.common.plain` is the other
way) and `sentence_for` (a QBO error → one sentence a person can act on).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from core.models import Item, OutboxEntry, utcnow
from core.money import money
from sync import binder
from sync.context import NotConnected
from sync.mappers.bills import STATUS_LABELS
from sync.outbox import PermanentError, RemoteResult, RetryableError
from sync.procore.financials import Commitment, Requisition, RequisitionLine
from sync.procore.records import LineItemType, Project
from sync.qbo.errors import QboApiError, QboAuthError, QboError, QboRateLimited, QboServerError, QboTransportError
from sync.qbo.query import Select, select
from sync.writes.attachments import documents_of, queue_bill_attachments
from sync.writes.common import created_since, unauthorized_for_now
from sync.writes.registry import ContextFor, operation

OP_CREATE_BILL = "qbo.create_bill"
BILL_LINK = "bill"  # binder entity: Procore requisition id ⇄ QBO Bill Id
MONEY_KEYS = frozenset({"Amount", "UnitPrice", "Qty", "TotalAmt", "Balance"})
#: what each QBO reference in a Bill is, for sentences ("the vendor ACME Concrete is inactive…")
REF_WORDS = {"VendorRef": "vendor", "CustomerRef": "project", "ItemRef": "cost code item",
             "AccountRef": "retainage payable account", "APAccountRef": "accounts payable account"}


# --- payload codec -------------------------------------------------------------------------------------
def thaw(value: Any, key: str | None = None) -> Any:
    """The body back with money as Decimal (sent to QBO as exact JSON numbers, never float)."""
    if isinstance(value, Mapping):
        return {k: thaw(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [thaw(v) for v in value]
    if key in MONEY_KEYS and isinstance(value, str | int):
        return Decimal(str(value))
    return value


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def day_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


# --- the item's snapshot of a Procore requisition (what is sent is what was seen) ------------------------
def requisition_snapshot(req: Requisition, *, project: Project, commitment: Commitment | None,
                         cost_types: Mapping[int, LineItemType]) -> dict[str, Any]:
    """JSON-safe detail for a sub invoice item: vendor (the commitment's company), project, lines, totals."""
    def type_name(type_id: int | None) -> str | None:
        kind = cost_types.get(type_id) if type_id is not None else None
        return kind.name if kind else None

    vendor_id = (commitment.vendor_id if commitment else None) or req.vendor_id
    vendor_name = (commitment.vendor_name if commitment else None) or req.vendor_name
    status = req.status or "unknown"
    # only when there are any: an item snapshotted before documents were read must not look changed in Procore
    documents = {"attachments": docs} if (docs := documents_of(req.raw or {})) else {}
    return documents | {
        "requisition_id": req.id, "number": req.number, "invoice_number": req.invoice_number,
        "status": status, "status_label": STATUS_LABELS.get(status, status.replace("_", " ").capitalize()),
        "project": {"id": project.id, "name": project.name, "number": project.project_number},
        "commitment": {"id": req.commitment_id, "type": req.commitment_type,
                       "number": commitment.number if commitment else None,
                       "title": commitment.title if commitment else None},
        "vendor": {"id": vendor_id, "name": vendor_name},
        "period": {"start": day_text(req.period_start), "end": day_text(req.period_end)},
        "billing_date": day_text(req.billing_date),
        "claimed": money_text(req.total_claimed_amount), "due": money_text(req.total_amount),
        "retainage_withheld": money_text(req.retainage_withheld),
        "retainage_released": money_text(req.retainage_released),
        "lines": [{"id": x.id, "cost_code_id": x.cost_code_id, "cost_code": x.cost_code,
                   "line_item_type_id": x.line_item_type_id, "cost_type": type_name(x.line_item_type_id),
                   "description": x.description, "amount": money_text(x.amount),
                   "retainage_withheld": money_text(x.retainage_withheld),
                   "retainage_released": money_text(x.retainage_released),
                   "commitment_line_id": x.commitment_line_id} for x in req.lines],
    }


def requisition_from_detail(detail: Mapping[str, Any]) -> Requisition:
    """The Requisition the mapper takes, rebuilt from an item's snapshot."""
    period = detail.get("period") or {}
    return Requisition(
        id=int(detail.get("requisition_id") or 0), status=detail.get("status"), number=detail.get("number"),
        invoice_number=detail.get("invoice_number"), project_id=(detail.get("project") or {}).get("id"),
        commitment_id=(detail.get("commitment") or {}).get("id"),
        commitment_type=(detail.get("commitment") or {}).get("type"),
        vendor_id=(detail.get("vendor") or {}).get("id"), vendor_name=(detail.get("vendor") or {}).get("name"),
        period_start=_day(period.get("start")), period_end=_day(period.get("end")),
        billing_date=_day(detail.get("billing_date")), total_amount=_dec(detail.get("due")),
        total_claimed_amount=_dec(detail.get("claimed")), retainage_withheld=_dec(detail.get("retainage_withheld")),
        retainage_released=_dec(detail.get("retainage_released")),
        lines=tuple(RequisitionLine(
            id=x.get("id"), amount=_dec(x.get("amount")), description=x.get("description"),
            cost_code_id=x.get("cost_code_id"), cost_code=x.get("cost_code"),
            line_item_type_id=x.get("line_item_type_id"), commitment_line_id=x.get("commitment_line_id"),
            retainage_withheld=_dec(x.get("retainage_withheld")), retainage_released=_dec(x.get("retainage_released")))
            for x in detail.get("lines") or []),
    )


# --- errors → sentences --------------------------------------------------------------------------------
def sentence_for(err: QboApiError, label: str, refs: Mapping[str, str] | None = None) -> str:
    """'<label> could not be exported: <what QBO refused, in words> — <the client's hint>.'"""
    refs = refs or {}
    element = (err.element or "").split(".")[-1]
    what = refs.get(element) or REF_WORDS.get(element)
    if err.code in ("610", "2500") and what:
        problem = f"the {what} is inactive or no longer exists in QuickBooks"
        hint = ("reactivate it in QuickBooks or relink it in Ledgerlink, then press Retry"
                if element != "AccountRef" else "reactivate it or choose another account in Ledgerlink's "
                                                "settings, then press Retry")
        return f"{label} could not be exported: {problem} — {hint}."
    said = err.detail or err.message
    return f"{label} could not be exported: {err.hint}. (QuickBooks said: {said})"


def classify(err: Exception, label: str, refs: Mapping[str, str] | None = None) -> Exception:
    """The outbox error for a client error: retry what may pass, stop on what a person must fix."""
    if isinstance(err, NotConnected):
        return PermanentError(f"{label} could not be exported: {err}")
    if isinstance(err, QboRateLimited | QboServerError | QboTransportError):
        return RetryableError(f"{type(err).__name__}: {err}")
    if unauthorized_for_now(err):
        return RetryableError(f"{type(err).__name__}: {err}")
    if isinstance(err, QboAuthError):
        return PermanentError(f"{label} could not be exported: {err.hint}.")
    if isinstance(err, QboApiError):
        return PermanentError(sentence_for(err, label, refs))
    return RetryableError(str(err))


def record_on_item(session: Session, item_id: int | None, remote_id: str | None, qbo: dict[str, Any] | None,
                   *, extra: Mapping[str, Any] | None = None) -> None:
    """Store (or clear) the QBO record on the item: remote_id and detail["qbo"] for the card (+ `extra` keys)."""
    if item_id is None:
        return
    item = session.get(Item, item_id)
    if item is None:
        return
    detail = {**(item.detail or {}), **(extra or {})}
    if qbo is None:
        detail.pop("qbo", None)
    else:
        detail["qbo"] = qbo
    session.execute(update(Item).where(Item.id == item_id).values(
        remote_id=remote_id, detail=detail, version=Item.version + 1, updated_at=utcnow()))
    session.expire(item)


# --- the operation -------------------------------------------------------------------------------------
@operation(OP_CREATE_BILL)
class CreateBill:
    """POST /bill with the row's requestid; reconcile by DocNumber/TxnDate + VendorRef + the Procore note."""

    entity = "Bill"

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    # per-row halves (also used by the batch runner)
    @staticmethod
    def batch_body(entry: OutboxEntry) -> dict[str, Any]:
        return thaw(entry.payload["bill"])

    @staticmethod
    def label(entry: OutboxEntry) -> str:
        return entry.payload.get("label") or f"Subcontractor invoice {entry.payload.get('procore_id')}"

    def sentence_for(self, entry: OutboxEntry, err: Exception) -> Exception:
        return classify(err, self.label(entry), entry.payload.get("refs"))

    @staticmethod
    def result_from(entry: OutboxEntry, bill: Mapping[str, Any]) -> RemoteResult:
        number = f" {bill['DocNumber']}" if bill.get("DocNumber") else ""
        vendor = entry.payload.get("vendor_name") or (bill.get("VendorRef") or {}).get("name") or "the vendor"
        total = Decimal(str(bill.get("TotalAmt", "0")))
        return RemoteResult(str(bill["Id"]), str(bill.get("SyncToken", "0")),
                            body={"DocNumber": bill.get("DocNumber"), "TotalAmt": str(total),
                                  "TxnDate": bill.get("TxnDate")},
                            summary=f"Bill{number} for {vendor}, {money(total)} (QuickBooks Id {bill['Id']})")

    def natural_key(self, entry: OutboxEntry) -> Select:
        """The query that finds this row's Bill if a previous attempt created it."""
        body = entry.payload["bill"]
        q = select("Bill").where(VendorRef=str(body["VendorRef"]["value"]))
        if body.get("DocNumber"):
            return q.where(DocNumber=body["DocNumber"])
        return q.where(TxnDate=body["TxnDate"]) if body.get("TxnDate") else q

    def match(self, entry: OutboxEntry, bills: list[Mapping[str, Any]]) -> RemoteResult | None:
        """The Bill among `bills` this row made: same Procore note, created after our first attempt (so not a
        Bill an earlier, since unlinked export left behind)."""
        note = entry.payload["bill"].get("PrivateNote")
        for bill in bills:
            if (note and bill.get("PrivateNote") != note) or not created_since(bill, entry.payload.get("not_before")):
                continue
            return self.result_from(entry, bill)
        return None

    # the Operation protocol
    def execute(self, entry: OutboxEntry) -> RemoteResult:
        qbo = self.context_for(entry.tenant_id).qbo
        try:
            bill = qbo.create(entity="Bill", body=self.batch_body(entry), requestid=entry.requestid)
        except (QboError, NotConnected) as err:
            raise self.sentence_for(entry, err) from err
        return self.result_from(entry, bill)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        qbo = self.context_for(entry.tenant_id).qbo
        try:
            page = qbo.query(q=self.natural_key(entry))
        except (QboError, NotConnected) as err:
            raise self.sentence_for(entry, err) from err
        return self.match(entry, page.get("Bill") or [])

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        binder.bind(session, entry.tenant_id, BILL_LINK, entry.payload["procore_id"], result.remote_id,
                    result.sync_token)
        record_on_item(session, entry.item_id, result.remote_id,
                       {"entity": "Bill", "id": result.remote_id, "summary": result.summary, **result.body},
                       extra=queue_bill_attachments(session, entry, result.remote_id))

"""Files on QuickBooks records, each exactly once: the shared upload (`Attach`) and the subcontractor invoice's
backup documents (`qbo.attach_file`).

    qbo.attach_file   one document attached to a Procore subcontractor invoice → POST /upload with
                      AttachableRef → the Bill it became; queued by `qbo.create_bill`'s on_done, one row per
                      document, in the same transaction as the Bill's bind

Exactly once: each row is keyed by (Bill, Procore attachment id, the Bill row's requestid), so a retried or
double-clicked export queues the same rows again, which `enqueue` ignores; the upload carries the row's requestid
(QBO replays the first answer), and `reconcile` (a retry that may have lost the first answer) finds the
Attachable by the Bill it points at and its file name, which `queue_bill_attachments` keeps unique per Bill.

Big files stream: the document is fetched from its signed Procore link 64 KB at a time into a temporary file on
disk, then httpx sends that file 64 KB at a time — neither side holds the whole file in memory. QuickBooks takes
attachments up to 100 MB: a bigger one is not fetched past that. A document QuickBooks (or Procore) refuses is
recorded on the item with the reason — the row is done, the Bill stands — and the card names it.
"""

from __future__ import annotations

import mimetypes
import tempfile
from collections.abc import Mapping
from typing import IO, Any

from sqlalchemy import update
from sqlmodel import Session

from core.models import Item, OutboxEntry, utcnow
from sync.context import NotConnected
from sync.http.base import TooLarge
from sync.http.errors import ClientError, RemoteError
from sync.outbox import RemoteResult, RetryableError, enqueue
from sync.qbo.errors import QboError, QboValidationError
from sync.qbo.query import select
from sync.writes.common import remote_failure
from sync.writes.registry import ContextFor, operation

OP_ATTACH_FILE = "qbo.attach_file"
QBO_MAX_BYTES = 100 * 1024 * 1024  # QuickBooks' limit per attachment


class Attach:
    """Put one file on one QuickBooks record (POST /upload, AttachableRef → that record) with the row's
    requestid; `reconcile` finds it by the record and the file name. Subclasses say where the bytes come from."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    @staticmethod
    def target(entry: OutboxEntry) -> dict[str, str]:
        """The record the file goes on; rows queued before `entity` existed name an Invoice by `invoice_id`."""
        return dict(entry.payload.get("entity") or {"type": "Invoice", "value": str(entry.payload["invoice_id"])})

    def failure(self, entry: OutboxEntry, err: Exception) -> Exception:
        return remote_failure(err, f"Attaching {entry.payload.get('filename')} in QuickBooks")

    @staticmethod
    def result(attachable: Mapping[str, Any]) -> RemoteResult:
        return RemoteResult(str(attachable["Id"]), str(attachable.get("SyncToken", "0")),
                            body={"FileName": attachable.get("FileName"), "Size": attachable.get("Size")},
                            summary=f"Attached {attachable.get('FileName')}")

    def upload(self, entry: OutboxEntry, content: bytes | IO[bytes], content_type: str) -> RemoteResult:
        attachable = self.context_for(entry.tenant_id).qbo.upload(
            entity_ref=self.target(entry), filename=entry.payload["filename"], content=content,
            content_type=content_type, requestid=entry.requestid)
        return self.result(attachable)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        q = select("Attachable").filter("AttachableRef.EntityRef.value", "=", str(self.target(entry)["value"]))
        try:
            rows = self.context_for(entry.tenant_id).qbo.query(q=q).get("Attachable") or []
        except (QboError, NotConnected) as err:
            raise self.failure(entry, err) from err
        found = next((a for a in rows if a.get("FileName") == entry.payload["filename"]), None)
        return self.result(found) if found else None


# --- the subcontractor invoice's documents ----------------------------------------------------------------
def documents_of(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The attachments of a Procore record (`attachments: [{id, name|filename, url, ...}]`), without their
    signed links, which change on every read: the upload asks Procore for a fresh one."""
    out = []
    for att in raw.get("attachments") or []:
        if isinstance(att, Mapping) and att.get("id") is not None:
            out.append({"id": att["id"], "name": str(att.get("name") or att.get("filename") or f"file-{att['id']}"),
                        "content_type": att.get("content_type"), "size": att.get("size")})
    return out


def _unique(names: list[str]) -> list[str]:
    """File names unique on one Bill ("a.pdf", "a (2).pdf"): reconcile tells the Attachables apart by name."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            stem, dot, ext = name.rpartition(".")
            name = f"{stem} ({seen[name]}).{ext}" if dot and stem else f"{name} ({seen[name]})"
        out.append(name)
    return out


def queue_bill_attachments(session: Session, entry: OutboxEntry, bill_id: str) -> dict[str, Any]:
    """Queue one `qbo.attach_file` per document of the exported invoice (in the caller's transaction); returns
    the item's `attachments` detail, each document marked queued, for the card."""
    item = session.get(Item, entry.item_id) if entry.item_id is not None else None
    docs = documents_of(item.detail or {}) if item is not None else []
    if item is None or not docs:
        return {}
    detail = item.detail or {}
    names = _unique([d["name"] for d in docs])
    shown = []
    for doc, filename in zip(docs, names, strict=True):
        row = enqueue(session, tenant_id=entry.tenant_id, target="qbo", operation=OP_ATTACH_FILE,
                      record=f"bill:{bill_id}:procore-file:{doc['id']}", version=entry.requestid,
                      payload={"entity": {"type": "Bill", "value": str(bill_id)}, "item_id": item.id,
                               "filename": filename, "document": doc,
                               "project_id": (detail.get("project") or {}).get("id"),
                               "requisition_id": detail.get("requisition_id")})
        shown.append({**doc, "filename": filename, "status": "queued", "outbox_id": row.id})
    return {"attachments": shown}


@operation(OP_ATTACH_FILE)
class AttachFile(Attach):
    """Fetch one document from Procore (streamed) and attach it to the Bill; a refusal is an outcome, not a
    failure: the item records QuickBooks' (or Procore's) reason."""

    def _fresh_url(self, entry: OutboxEntry) -> str | None:
        p = entry.payload
        req = self.context_for(entry.tenant_id).procore.get_requisition(
            project_id=int(p["project_id"]), requisition_id=int(p["requisition_id"]), with_commitment=False)
        found = next((a for a in (req.raw or {}).get("attachments") or []
                      if isinstance(a, Mapping) and str(a.get("id")) == str(p["document"]["id"])), None)
        return found.get("url") if found else None

    @staticmethod
    def refused(reason: str) -> RemoteResult:
        return RemoteResult("", body={"refused": reason}, summary=f"Not attached: {reason}")

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        name = entry.payload["filename"]
        doc = entry.payload["document"]
        kind = doc.get("content_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            url = self._fresh_url(entry)
            if url is None:
                return self.refused("it is no longer attached to the invoice in Procore")
            with tempfile.TemporaryFile() as spool:  # on disk: a 50 MB file never sits in memory whole
                try:
                    self.context_for(entry.tenant_id).procore.download(url, spool, max_bytes=QBO_MAX_BYTES)
                except TooLarge:
                    return self.refused(f"it is larger than the {QBO_MAX_BYTES // (1024 * 1024)} MB QuickBooks "
                                        "takes for an attachment")
                except ClientError as err:
                    return self.refused(f"Procore did not give the file ({err})")
                return self.upload(entry, spool, kind)
        except QboValidationError as err:
            return self.refused(f"QuickBooks said: {err.detail or err.message}")
        except (RemoteError, NotConnected) as err:
            verdict = self.failure(entry, err)
            if isinstance(verdict, RetryableError):
                raise verdict from err
            return self.refused(getattr(verdict, "sentence", str(verdict)))

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        outcome = ({"status": "refused", "reason": result.body["refused"]} if result.body.get("refused")
                   else {"status": "attached", "attachable_id": result.remote_id})
        note_attachment(session, entry.payload.get("item_id"), entry.payload["document"]["id"], outcome)


def note_attachment(session: Session, item_id: int | None, doc_id: Any, outcome: Mapping[str, Any]) -> None:
    """Record one document's outcome on the item (row locked: its siblings may finish in another worker)."""
    item = session.get(Item, item_id, with_for_update=True) if item_id is not None else None
    if item is None:
        return
    detail = dict(item.detail or {})
    detail["attachments"] = [{**d, **outcome} if str(d.get("id")) == str(doc_id) else d
                             for d in detail.get("attachments") or []]
    session.execute(update(Item).where(Item.id == item.id).values(
        detail=detail, version=Item.version + 1, updated_at=utcnow()))
    session.expire(item)


"""Outbox operations for companies: QBO Vendor creation and the Procore directory side of a link.

    qbo.create_vendor          export a Procore company (an accepted `company` item) as a QBO Vendor, then bind
    procore.create_vendor      add an ERP (QBO) company to the Procore directory with origin_id = QBO Id, then bind
    procore.set_vendor_origin  store (or clear) the QBO Id on a Procore company: the Procore side of a link

QBO creates are idempotent by requestid; when a retry may have lost the first answer, `reconcile` looks the vendor
up by DisplayName and adopts it only if QBO created it after our first attempt (a same-named vendor that was
there before is a person's duplicate, not ours). A 6240 (duplicate name) on a create is therefore someone else's
vendor: the item fails with a sentence telling people to link to it instead. Procore has no idempotency key, but
`origin_id` is unique per company, so a lost answer is found again by origin_id and a repeat create answers 409.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from core.domain import audit
from core.domain.permissions import SYSTEM
from core.jsonbody import plain
from core.models import Item, OutboxEntry
from sync import binder, cache
from sync.copies.vendors import LINK, PROCORE, PROCORE_VENDOR, cache_procore_vendor, cache_qbo_vendor, qbo_vendor_data
from sync.outbox import PermanentError, RemoteResult, enqueue
from sync.procore.errors import ProcoreConflict, ProcoreError, ProcoreNotFound
from sync.procore.records import Vendor
from sync.qbo.errors import QboDuplicate, QboError
from sync.writes.common import created_since, find_by_name, remote_failure
from sync.writes.registry import ContextFor, operation

logger = logging.getLogger(__name__)
_CLASH_ID = re.compile(r"Id=(\d+)")


def enqueue_set_vendor_origin(session: Session, *, tenant_id: int, vendor_id: str | int, origin_id: str | None,
                              name: str, reason: int | str) -> OutboxEntry:
    """Queue writing `origin_id` (None clears it) on a Procore company; `reason` makes the request unique
    (e.g. the audit event id of the link or unlink that asked for it)."""
    return enqueue(session, tenant_id=tenant_id, target="procore", operation="procore.set_vendor_origin",
                   record=f"vendor:{vendor_id}", version=f"{origin_id}:{reason}",
                   payload={"vendor_id": int(vendor_id), "origin_id": origin_id, "name": name})


def _vendor_result(vendor: dict[str, Any]) -> RemoteResult:
    return RemoteResult(str(vendor["Id"]), vendor.get("SyncToken"), body={"vendor": qbo_vendor_data(vendor)},
                        summary=f"Vendor {vendor.get('DisplayName')}")


def _bind_if_free(session: Session, tenant_id: int, procore_id: str, qbo_id: str, sync_token: str | None,
                  why: dict[str, Any]) -> bool:
    """Bind unless either side got linked elsewhere meanwhile (then say so in the audit trail)."""
    mine = binder.to_external(session, tenant_id, LINK, procore_id)
    theirs = binder.to_internal(session, tenant_id, LINK, qbo_id)
    if (mine is None or mine.qbo_id == qbo_id) and (theirs is None or theirs.procore_id == procore_id):
        binder.bind(session, tenant_id, LINK, procore_id, qbo_id, sync_token)
        return True
    audit.record(session, tenant_id=tenant_id, actor=SYSTEM, action="link_conflict",
                 detail={**why, "procore_vendor_id": procore_id, "qbo_vendor_id": qbo_id,
                         "linked_meanwhile": (mine.qbo_id if mine else None, theirs.procore_id if theirs else None)})
    return False


@operation("qbo.create_vendor")
class CreateQboVendor:
    """payload: procore_vendor_id, body (QBO Vendor), not_before (first attempt), round."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, body = self.context_for(entry.tenant_id), entry.payload["body"]
        name = body["DisplayName"]
        try:
            return _vendor_result(ctx.qbo.create(entity="Vendor", body=body, requestid=entry.requestid))
        except QboDuplicate as exc:
            # never ours: a lost answer to this requestid would be replayed, and `reconcile` (run first on every
            # retry) adopts what an earlier attempt created — so this name belongs to someone else's record
            found = find_by_name(ctx, "Vendor", name, label="vendor")
            raise PermanentError(self._duplicate_sentence(name, found, exc, entry)) from None
        except (QboError, LookupError) as exc:
            raise remote_failure(exc, f"Creating the QuickBooks vendor '{name}'") from None

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        ctx = self.context_for(entry.tenant_id)
        found = find_by_name(ctx, "Vendor", entry.payload["body"]["DisplayName"], label="vendor")
        if found is not None and created_since(found, entry.payload.get("not_before")):
            return _vendor_result(found)
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        procore_id = str(entry.payload["procore_vendor_id"])
        vendor = result.body.get("vendor") or {"Id": result.remote_id, "SyncToken": result.sync_token}
        if vendor.get("DisplayName"):
            cache_qbo_vendor(session, entry.tenant_id, vendor)
        if entry.item_id is not None:
            session.execute(update(Item).where(Item.id == entry.item_id).values(remote_id=result.remote_id))
        if _bind_if_free(session, entry.tenant_id, procore_id, result.remote_id, result.sync_token,
                         {"operation": entry.operation, "outbox_id": entry.id}):
            enqueue_set_vendor_origin(session, tenant_id=entry.tenant_id, vendor_id=procore_id,
                                      origin_id=result.remote_id, name=vendor.get("DisplayName") or "",
                                      reason=f"export-{entry.id}")

    @staticmethod
    def _duplicate_sentence(name: str, found: dict[str, Any] | None, exc: QboDuplicate, entry: OutboxEntry) -> str:
        company = entry.payload.get("procore_vendor_id")
        if found is not None:
            return (f"QuickBooks already has a vendor named '{found.get('DisplayName', name)}' (Id {found['Id']}), "
                    "so Ledgerlink did not create a second one: link this company to it instead "
                    f"(`/ledgerlink link company {company} {found['Id']}`), or rename the company in Procore "
                    "and resend.")
        clash = _CLASH_ID.search(exc.detail or "")
        which = f" (Id {clash.group(1)})" if clash else ""
        return (f"'{name}' is already the name of a QuickBooks customer or employee{which}, and QuickBooks names "
                "must be unique across vendors, customers and employees: rename the company in Procore "
                "(e.g. add 'Vendor' or the city) and resend.")


@operation("procore.create_vendor")
class CreateProcoreVendor:
    """payload: qbo_vendor_id, body (Procore vendor, origin_id = QBO Id)."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, body = self.context_for(entry.tenant_id), dict(entry.payload["body"])
        what = f"Adding '{body.get('name')}' to the Procore directory"
        try:
            vendor = ctx.procore.create_vendor(**body)
        except ProcoreConflict:
            found = self._by_origin(ctx, body["origin_id"], what)
            if found is None:
                raise PermanentError(f"{what} was refused: Procore says another company already carries QuickBooks "
                                     f"id {body['origin_id']} but does not show it to Ledgerlink; ask a Procore "
                                     "directory admin to check inactive companies.") from None
            vendor = found
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None
        return RemoteResult(str(vendor.id), body={"vendor": plain(dict(vendor.raw))},
                            summary=f"Procore company {vendor.name}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        ctx = self.context_for(entry.tenant_id)
        found = self._by_origin(ctx, entry.payload["body"]["origin_id"], "Looking up the Procore company")
        if found is None:
            return None
        return RemoteResult(str(found.id), body={"vendor": plain(dict(found.raw))},
                            summary=f"Procore company {found.name}")

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        qbo_id = str(entry.payload["qbo_vendor_id"])
        raw = result.body.get("vendor") or {}
        if raw.get("id"):
            cache_procore_vendor(session, entry.tenant_id, Vendor.from_api(raw))
        qbo_row = cache.get(session, entry.tenant_id, "qbo", "Vendor", qbo_id)
        _bind_if_free(session, entry.tenant_id, result.remote_id, qbo_id, qbo_row.sync_token if qbo_row else None,
                      {"operation": entry.operation, "outbox_id": entry.id})

    @staticmethod
    def _by_origin(ctx: Any, origin_id: str, what: str) -> Vendor | None:
        try:
            return next(iter(ctx.procore.list_vendors(filters={"origin_id": str(origin_id)})), None)
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None


@operation("procore.set_vendor_origin")
class SetProcoreVendorOrigin:
    """payload: vendor_id, origin_id (None clears), name. A PATCH: repeating it is harmless.

    Procore keeps origin_id unique per company. When another company still carries the QBO id (a stale stamp
    from an earlier ERP or link; Ledgerlink's binder says whose the id is now), it is cleared first.
    """

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, p = self.context_for(entry.tenant_id), entry.payload
        what = (f"Storing QuickBooks id {p['origin_id']} on Procore company '{p.get('name')}'" if p["origin_id"]
                else f"Clearing the QuickBooks id on Procore company '{p.get('name')}'")
        cleared: list[int] = []
        try:
            try:
                vendor = ctx.procore.update_vendor(vendor_id=int(p["vendor_id"]), origin_id=p["origin_id"])
            except ProcoreConflict:
                # another company carries this QBO id: stale (Ledgerlink's link says the id is this company's)
                cleared = self._clear_stale(ctx, p)
                if not cleared:
                    raise
                vendor = ctx.procore.update_vendor(vendor_id=int(p["vendor_id"]), origin_id=p["origin_id"])
        except ProcoreConflict:
            raise PermanentError(f"{what} was refused: another Procore company already carries QuickBooks id "
                                 f"{p['origin_id']} (one Ledgerlink can't see or change). Ask a Procore admin to "
                                 "clear it, then link again.") from None
        except ProcoreNotFound:
            raise PermanentError(f"{what} failed: the company is no longer in Procore's directory (or Ledgerlink "
                                 "may not see it); unlink it in Ledgerlink.") from None
        except (ProcoreError, LookupError) as exc:
            raise remote_failure(exc, what) from None
        return RemoteResult(str(vendor.id), body={"vendor": plain(dict(vendor.raw)), "cleared_stale_on": cleared},
                            summary=f"Procore company {vendor.name}")

    @staticmethod
    def _clear_stale(ctx: Any, p: dict[str, Any]) -> list[int]:
        """Clear `origin_id` on the other companies that carry it; returns their ids (none when not visible)."""
        others = [v for v in ctx.procore.list_vendors(filters={"origin_id": str(p["origin_id"])})
                  if v.id != int(p["vendor_id"])]
        for other in others:
            ctx.procore.update_vendor(vendor_id=other.id, origin_id=None)
        return [o.id for o in others]

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # setting a field twice is the same as once

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        raw = result.body.get("vendor") or {}
        row = cache.get(session, entry.tenant_id, PROCORE, PROCORE_VENDOR, result.remote_id)
        if raw.get("id") and row is not None:
            cache_procore_vendor(session, entry.tenant_id, Vendor.from_api(raw))
        for other in result.body.get("cleared_stale_on") or []:
            stale = cache.get(session, entry.tenant_id, PROCORE, PROCORE_VENDOR, str(other))
            if stale is not None:
                stale.data = {**stale.data, "origin_id": None}
                session.add(stale)
            audit.record(session, tenant_id=entry.tenant_id, actor=SYSTEM, action="clear_stale_origin",
                         detail={"procore_vendor_id": other, "origin_id": entry.payload["origin_id"],
                                 "now_on": result.remote_id})

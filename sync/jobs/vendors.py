"""Refresh the companies list: QBO Vendors and the Procore company directory into the local cache.

QBO side: `RemoteRecord(system="qbo", entity="Vendor")`, a full scan the first time and CDC afterwards (see
`qbo_lists.py`). Procore side: `RemoteRecord(system="procore", entity="vendor")` from the directory (Procore has
no change feed for vendors; one page holds 100). A Procore company whose `origin_id` names a QBO vendor is linked
on the Procore side already: the refresh adopts that link into the binder when neither side is linked yet.
Archiving (a person's choice) survives every refresh.
"""

from __future__ import annotations

from sqlmodel import Session

from core.models import RemoteRecord, TenantSettings
from sync import binder, cache
from sync.autosend import note_change
from sync.context import TenantContext
from sync.copies.vendors import (
    LINK,
    PROCORE,
    PROCORE_VENDOR,
    QBO,
    QBO_VENDOR,
    cache_procore_vendor,
    cache_qbo_vendor,
    procore_vendor_data,
    qbo_vendor_name,
)
from sync.jobs.base import JobReport, register
from sync.jobs.origin import OriginLink, adopt_origin
from sync.jobs.qbo_lists import QboListRefresh
from sync.procore.records import Vendor

ORIGIN = OriginLink(LINK, "Procore company", "QBO vendor",
                    "is not a vendor in this QuickBooks company — link it to the right vendor",
                    "link_company", "procore_vendor_id", "qbo_vendor_id")


def label(row_or_name: RemoteRecord | str, remote_id: str | int, system: str) -> str:
    name = row_or_name.name if isinstance(row_or_name, RemoteRecord) else row_or_name
    return f"{name} ({'QBO' if system == QBO else 'Procore'} {remote_id})"


def _change(existing: RemoteRecord | None, name: str, active: bool, same: bool) -> tuple[str, str] | None:
    """(action, detail) for the report, or None when the cached copy is current."""
    if existing is None:
        return "create", "new" + ("" if active else " (inactive)")
    if same and existing.name == name and existing.active == active and not existing.data.get("deleted"):
        return None
    said = []
    if existing.active != active:
        said.append("reactivated" if active else "made inactive")
    # QBO appends " (deleted)" to an inactive name-list record's name: that is not a rename
    if existing.name.removesuffix(" (deleted)") != name.removesuffix(" (deleted)"):
        said.append(f"renamed from '{existing.name}'")
    return "update", ", ".join(said) or "details changed"


class QboVendorRefresh(QboListRefresh):
    entity = QBO_VENDOR
    cursor_job = "vendors"

    def __init__(self, page_size: int | None = None) -> None:
        if page_size:
            self.page_size = page_size
        self.would_cache: dict[str, str] = {}  # dry run: vendors a real run would have cached (id → name)

    def apply(self, session, tenant_id, record, report, dry_run):
        rid, name = str(record["Id"]), qbo_vendor_name(record)
        existing = cache.get(session, tenant_id, QBO, QBO_VENDOR, rid)
        active = record.get("Active", True) is not False
        same = existing is not None and existing.sync_token == record.get("SyncToken")
        change = _change(existing, name, active, same)
        if change is None:
            return
        report.add(change[0], "QBO vendor", label(name, rid, QBO), change[1])
        if dry_run:
            self.would_cache[rid] = name
        else:
            cache_qbo_vendor(session, tenant_id, record)

    def apply_deleted(self, session, tenant_id, remote_id, report, dry_run):
        row = cache.get(session, tenant_id, QBO, QBO_VENDOR, remote_id)
        if row is None or row.data.get("deleted"):
            return
        link = binder.to_internal(session, tenant_id, LINK, remote_id)
        if link is None:
            report.add("remove", "QBO vendor", label(row, remote_id, QBO), "deleted or merged in QuickBooks")
            if not dry_run:
                cache.remove(session, tenant_id, QBO, QBO_VENDOR, remote_id)
            return
        company = cache.get(session, tenant_id, PROCORE, PROCORE_VENDOR, link.procore_id)
        who = company.name if company else f"Procore company {link.procore_id}"
        report.add("deactivate", "QBO vendor", label(row, remote_id, QBO),
                   f"deleted or merged in QuickBooks but still linked to {who} — link {who} to the vendor "
                   "that remains")
        if not dry_run:
            row.active, row.data = False, {**row.data, "deleted": True}
            session.add(row)


@register
class VendorsJob:
    name = "vendors"
    description = "Refresh the companies list: QBO vendors (CDC after the first run) and the Procore directory"
    page_size: int | None = None  # QBO page size (default 1000, QBO's maximum); tests page smaller

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        qbo = QboVendorRefresh(self.page_size)
        qbo.refresh(ctx, report, dry_run=dry_run)
        self._procore(ctx, report, dry_run, qbo.would_cache)
        return report

    def _procore(self, ctx: TenantContext, report: JobReport, dry_run: bool, would_cache: dict[str, str]) -> None:
        vendors = list(ctx.procore.list_vendors())
        report.stats["procore_vendors_read"] = len(vendors)
        with ctx.session() as s:
            # one query for every vendor's cached row, not one per vendor (`get` and `upsert` read it)
            cache.prefetch(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, [str(v.id) for v in vendors])
            # read once for the loop: read by `note_change` per new vendor, each was a SELECT (the session holds
            # rows weakly) and an autoflush of the rows added so far
            settings = s.get(TenantSettings, ctx.tenant_id)
            listed = set()
            for vendor in vendors:
                listed.add(str(vendor.id))
                existing = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, str(vendor.id))
                same = existing is not None and existing.data == procore_vendor_data(vendor)
                change = _change(existing, vendor.name, vendor.is_active is not False, same)
                if change:
                    report.add(change[0], "Procore company", label(vendor.name, vendor.id, PROCORE), change[1])
                    if not dry_run:
                        cache_procore_vendor(s, ctx.tenant_id, vendor)
                        if (existing is None and not vendor.origin_id and vendor.is_active is not False
                                and vendor.raw.get("created_at")):
                            # new in the directory and not from QuickBooks: auto-send may export it
                            note_change(s, tenant_id=ctx.tenant_id, item_type="company", procore_id=vendor.id,
                                        before=None, after="created", changed_at=vendor.raw.get("created_at"),
                                        settings=settings)
            for row in cache.listing(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, archived=None, active=True):
                if row.remote_id not in listed:
                    report.add("deactivate", "Procore company", label(row, row.remote_id, PROCORE),
                               "no longer active in the Procore directory")
                    if not dry_run:
                        row.active = False
                        s.add(row)
            for vendor in vendors:
                if vendor.origin_id:
                    self._adopt(s, ctx.tenant_id, vendor, report, dry_run, would_cache)
            cache.forget_prefetched(s)
            if dry_run:
                s.rollback()
            else:
                s.commit()

    @staticmethod
    def _adopt(s: Session, tenant_id: int, vendor: Vendor, report: JobReport, dry_run: bool,
               would_cache: dict[str, str]) -> None:
        """Procore says this company came from QBO vendor `origin_id`: take that link when both sides are free."""
        origin = str(vendor.origin_id)
        qbo_row = cache.get(s, tenant_id, QBO, QBO_VENDOR, origin)
        adopt_origin(s, tenant_id, ORIGIN, report, procore_id=vendor.id, what=label(vendor.name, vendor.id, PROCORE),
                     origin=origin, qbo_name=qbo_row.name if qbo_row else would_cache.get(origin),
                     sync_token=qbo_row.sync_token if qbo_row else None, dry_run=dry_run)

"""The list reports: unsyncable direct costs, archived companies, synced sub jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, select

from core.domain.permissions import Actor, Perm, check
from core.models import ExternalLink, RemoteRecord, UnsyncableCost
from sync import cache
from sync.reports.csvfile import own_tenant

COMPANY_ENTITIES = ("vendor", "company")  # QBO Vendor / Procore vendor (a directory company)


@dataclass(frozen=True)
class UnsyncableRow:
    qbo_entity: str
    qbo_id: str
    line_id: str
    txn_date: date | None
    vendor: str
    amount: Decimal | None
    reason: str
    fix: str
    first_seen_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class ArchivedCompanyRow:
    system: str  # qbo | procore
    remote_id: str
    name: str
    active: bool  # still active on its own side (archiving only hides it in Ledgerlink)
    linked_to: str  # the other side's id when linked


@dataclass(frozen=True)
class SubJobRow:
    procore_id: str
    qbo_id: str
    name: str
    parent_qbo_id: str
    parent_name: str
    last_synced_at: datetime | None


def unsyncable_report(session: Session, actor: Actor, *, tenant_id: int,
                      include_resolved: bool = False) -> list[UnsyncableRow]:
    """View an ERP Unsyncable Direct Costs Report: QBO job-cost lines that could not become direct costs, why, and
    the fix (needs no ERP-tool level; Procore asks for Direct Costs access, which Ledgerlink does not model)."""
    check(actor, Perm.VIEW_UNSYNCABLE_REPORT)
    own_tenant(actor, tenant_id)
    stmt = select(UnsyncableCost).where(UnsyncableCost.tenant_id == tenant_id)
    if not include_resolved:
        stmt = stmt.where(UnsyncableCost.resolved_at == None)  # noqa: E711
    rows = [UnsyncableRow(
        qbo_entity=r.qbo_entity, qbo_id=r.qbo_id, line_id=r.line_id,
        txn_date=r.txn_date.date() if r.txn_date else None, vendor=r.vendor_name or "", amount=r.amount,
        reason=r.reason, fix=r.fix, first_seen_at=r.first_seen_at, resolved_at=r.resolved_at)
        for r in session.exec(stmt)]
    rows.sort(key=lambda r: (r.txn_date or date.min, r.qbo_entity, r.qbo_id, r.line_id))
    return rows


def archived_companies(session: Session, actor: Actor, *, tenant_id: int) -> list[ArchivedCompanyRow]:
    """View the Archived Companies List for ERP: companies a person archived (hidden from lists, restorable)."""
    check(actor, Perm.VIEW_ARCHIVED_COMPANIES)
    own_tenant(actor, tenant_id)
    links = {(link.qbo_id, link.procore_id) for link in session.exec(select(ExternalLink).where(
        ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == "company"))}
    by_qbo = dict(links)
    by_procore = {p: q for q, p in links}
    rows = []
    for rec in session.exec(select(RemoteRecord).where(RemoteRecord.tenant_id == tenant_id,
                                                       RemoteRecord.archived == True)):  # noqa: E712
        if rec.entity.lower() not in COMPANY_ENTITIES:
            continue
        other = by_qbo.get(rec.remote_id) if rec.system == "qbo" else by_procore.get(rec.remote_id)
        rows.append(ArchivedCompanyRow(system=rec.system, remote_id=rec.remote_id, name=rec.name, active=rec.active,
                                       linked_to=other or ""))
    rows.sort(key=lambda r: (r.name.lower(), r.system, r.remote_id))
    return rows


def synced_sub_jobs(session: Session, actor: Actor, *, tenant_id: int) -> list[SubJobRow]:
    """View a List of Synced Sub Jobs: QBO sub-customers under a project, linked to Procore (binder `sub_job`)."""
    check(actor, Perm.VIEW_SYNCED_SUB_JOBS)
    own_tenant(actor, tenant_id)
    rows = []
    for link in session.exec(select(ExternalLink).where(ExternalLink.tenant_id == tenant_id,
                                                        ExternalLink.entity_type == "sub_job")):
        rec = cache.get(session, tenant_id, "qbo", "Customer", link.qbo_id)
        parent_id = (rec.parent_id if rec else None) or ""
        parent = cache.get(session, tenant_id, "qbo", "Customer", parent_id) if parent_id else None
        rows.append(SubJobRow(procore_id=link.procore_id, qbo_id=link.qbo_id, name=rec.name if rec else "",
                              parent_qbo_id=parent_id, parent_name=parent.name if parent else "",
                              last_synced_at=link.last_synced_at))
    rows.sort(key=lambda r: (r.parent_name.lower(), r.name.lower(), r.qbo_id))
    return rows

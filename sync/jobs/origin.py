"""A Procore record that says which QBO record it came from (`origin_id`): the vendors and projects jobs take that
link when both sides are free, and say in the report why not otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core.domain import audit
from core.domain.permissions import SYSTEM
from sync import binder
from sync.jobs.base import JobReport


@dataclass(frozen=True)
class OriginLink:
    link: str  # binder entity type
    procore_noun: str  # "Procore company"
    qbo_noun: str  # "QBO vendor"
    not_there: str  # "is not a vendor in this QuickBooks company — link it to the right vendor"
    audit_action: str  # "link_company"
    procore_key: str  # audit detail key of the Procore id
    qbo_key: str  # audit detail key of the QBO id


def adopt_origin(s: Session, tenant_id: int, kind: OriginLink, report: JobReport, *, procore_id: int, what: str,
                 origin: str, qbo_name: str | None, sync_token: str | None, dry_run: bool) -> None:
    """Link Procore record `procore_id` to QBO record `origin` (named `qbo_name`, None when the QBO company has no
    such record of this kind), unless either side is linked already."""
    link = binder.to_external(s, tenant_id, kind.link, procore_id)
    if link is not None:
        if link.qbo_id != origin:
            report.add("skip", kind.procore_noun, what,
                       f"its origin_id says {kind.qbo_noun} {origin} but Ledgerlink links it to {kind.qbo_noun} "
                       f"{link.qbo_id}; Ledgerlink's link stands")
        return
    if qbo_name is None:
        report.add("skip", kind.procore_noun, what, f"its origin_id {origin} {kind.not_there}")
        return
    other = binder.to_internal(s, tenant_id, kind.link, origin)
    if other is not None:
        report.add("skip", kind.procore_noun, what,
                   f"its origin_id names {qbo_name}, which is linked to {kind.procore_noun} {other.procore_id}")
        return
    report.add("link", kind.procore_noun, what, f"to {kind.qbo_noun} {qbo_name} (named by its origin_id)")
    if not dry_run:
        binder.bind(s, tenant_id, kind.link, procore_id, origin, sync_token)
        audit.record(s, tenant_id=tenant_id, actor=SYSTEM, action=kind.audit_action,
                     detail={kind.procore_key: procore_id, kind.qbo_key: origin, "source": "origin_id"})

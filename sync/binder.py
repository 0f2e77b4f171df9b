"""The binder: which QBO record a Procore record is linked to (and back), per tenant and entity type.

Unique on both sides, so a QBO vendor links to at most one Procore company and vice versa. A missing
link is a `MissingLink` naming the record and what to link, never a KeyError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from core.models import ExternalLink, utcnow


class MissingLink(LookupError):
    def __init__(self, entity_type: str, procore_id: str, hint: str | None = None) -> None:
        self.entity_type, self.procore_id = entity_type, procore_id
        super().__init__(hint or f"Procore {entity_type} {procore_id} is not linked to QuickBooks yet: "
                                 f"link it first (`/ledgerlink link {entity_type} …`).")


def to_external(session: Session, tenant_id: int, entity_type: str, procore_id: str | int) -> ExternalLink | None:
    return session.exec(select(ExternalLink).where(
        ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == entity_type,
        ExternalLink.procore_id == str(procore_id))).first()


def qbo_ids_of(session: Session, tenant_id: int,
               wanted: Mapping[str, Iterable[str | int | None]]) -> dict[str, dict[str, str]]:
    """The QBO ids linked to records of several entity types, in one query: entity type → Procore id → QBO id (a
    record without a link is absent; a None id is skipped). What an invoice's evaluation reads on every Accept:
    columns, not link objects (building those cost more than the query)."""
    ids = {kind: sorted({str(i) for i in procore_ids if i is not None}) for kind, procore_ids in wanted.items()}
    found: dict[str, dict[str, str]] = {kind: {} for kind in wanted}
    # `==` for one id: SQLAlchemy expands an IN's values anew on every run (most types here have one id)
    by_type = [and_(ExternalLink.entity_type == kind,
                    ExternalLink.procore_id == some[0] if len(some) == 1 else ExternalLink.procore_id.in_(some))  # type: ignore[union-attr]
               for kind, some in ids.items() if some]
    if by_type:
        for kind, procore_id, qbo_id in session.exec(select(  # type: ignore[call-overload]
                ExternalLink.entity_type, ExternalLink.procore_id, ExternalLink.qbo_id).where(
                ExternalLink.tenant_id == tenant_id, or_(*by_type))):
            found[kind][procore_id] = qbo_id
    return found


def require_external(session: Session, tenant_id: int, entity_type: str, procore_id: str | int) -> ExternalLink:
    link = to_external(session, tenant_id, entity_type, procore_id)
    if link is None:
        raise MissingLink(entity_type, str(procore_id))
    return link


def to_internal(session: Session, tenant_id: int, entity_type: str, qbo_id: str) -> ExternalLink | None:
    return session.exec(select(ExternalLink).where(
        ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == entity_type,
        ExternalLink.qbo_id == str(qbo_id))).first()


def bind(session: Session, tenant_id: int, entity_type: str, procore_id: str | int, qbo_id: str,
         sync_token: str | None = None) -> ExternalLink:
    """Create or refresh the link. Re-binding the same pair updates the SyncToken; binding a record that is
    linked elsewhere raises IntegrityError at flush (the unique constraints are the rule)."""
    link = to_external(session, tenant_id, entity_type, procore_id)
    if link is None:
        link = ExternalLink(tenant_id=tenant_id, entity_type=entity_type, procore_id=str(procore_id),
                            qbo_id=str(qbo_id))
        session.add(link)
    link.qbo_id, link.sync_token, link.last_synced_at = str(qbo_id), sync_token, utcnow()
    session.flush()
    return link


def unbind(session: Session, tenant_id: int, entity_type: str, procore_id: str | int) -> bool:
    link = to_external(session, tenant_id, entity_type, procore_id)
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True

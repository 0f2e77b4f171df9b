"""Audit trail: one append-only row per change, written inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from core.domain.permissions import Actor
from core.models import AuditEvent


def record(session: Session, *, tenant_id: int, actor: Actor, action: str, item_id: int | None = None,
           before: str | None = None, after: str | None = None, request_id: str | None = None,
           detail: dict[str, Any] | None = None) -> AuditEvent:
    event = AuditEvent(tenant_id=tenant_id, actor_id=actor.user_id, actor_label=actor.name, action=action,
                       item_id=item_id, before_state=before, after_state=after, request_id=request_id,
                       detail=detail)
    session.add(event)
    return event


#: built once (every card drawn reads it; building a statement costs more than running it)
LAST_EVENT = select(AuditEvent).where(AuditEvent.item_id == bindparam("item_id")).order_by(
    AuditEvent.id.desc()).limit(1)  # type: ignore[union-attr]


def last_event(session: Session, item_id: int) -> AuditEvent | None:
    return session.exec(LAST_EVENT, params={"item_id": item_id}).first()


def history(session: Session, item_id: int) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.item_id == item_id).order_by(AuditEvent.id)))

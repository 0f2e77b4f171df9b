"""The local copy of remote list records (`remote_records`): upsert from a sync, read for pickers and lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from core.models import RemoteRecord, utcnow


def get(session: Session, tenant_id: int, system: str, entity: str, remote_id: str) -> RemoteRecord | None:
    return session.exec(select(RemoteRecord).where(
        RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == system, RemoteRecord.entity == entity,
        RemoteRecord.remote_id == str(remote_id))).first()


def upsert(session: Session, tenant_id: int, system: str, entity: str, remote_id: str | int, *, name: str,
           data: dict[str, Any], active: bool = True, parent_id: str | None = None, sync_token: str | None = None,
           remote_updated_at: datetime | None = None) -> tuple[RemoteRecord, bool]:
    """Insert or refresh one record; returns (row, changed). `archived` is a person's choice and is kept."""
    row = get(session, tenant_id, system, entity, str(remote_id))
    created = row is None
    if row is None:
        row = RemoteRecord(tenant_id=tenant_id, system=system, entity=entity, remote_id=str(remote_id))
        session.add(row)
    changed = created or (row.name, row.active, row.parent_id, row.sync_token, row.data) != (
        name, active, parent_id, sync_token, data)
    row.name, row.active, row.parent_id, row.sync_token, row.data = name[:500], active, parent_id, sync_token, data
    row.remote_updated_at, row.fetched_at = remote_updated_at, utcnow()
    return row, changed


def remove(session: Session, tenant_id: int, system: str, entity: str, remote_id: str) -> bool:
    row = get(session, tenant_id, system, entity, remote_id)
    if row is None:
        return False
    session.delete(row)
    return True


def listing(session: Session, tenant_id: int, system: str, entity: str, *, archived: bool | None = False,
            active: bool | None = None, name_prefix: str | None = None, limit: int | None = None) -> list[RemoteRecord]:
    stmt = select(RemoteRecord).where(RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == system,
                                      RemoteRecord.entity == entity)
    if archived is not None:
        stmt = stmt.where(RemoteRecord.archived == archived)
    if active is not None:
        stmt = stmt.where(RemoteRecord.active == active)
    if name_prefix:
        stmt = stmt.where(RemoteRecord.name.ilike(f"{name_prefix.replace('%', '').replace('_', '')}%"))
    stmt = stmt.order_by(RemoteRecord.name)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))

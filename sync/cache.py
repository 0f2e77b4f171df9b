"""The local copy of remote list records (`remote_records`): upsert from a sync, read for pickers and lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from core.models import RemoteRecord, utcnow

#: `session.info` key of the rows `prefetch` loaded: (tenant, system, entity) → {remote_id: row or None}
_PREFETCHED = "cache.prefetched"
_PREFETCH_CHUNK = 900  # ids per query: under SQLite's oldest bound parameter limit (999), whatever the directory's size


def prefetch(session: Session, tenant_id: int, system: str, entity: str, remote_ids: Iterable[str]) -> None:
    """Load these records in one query, so `get` answers for them from memory (a refresh reads one row per record
    it applies: one SELECT per record was most of a first run's time). Holds until `forget_prefetched`."""
    ids = sorted({str(r) for r in remote_ids})
    known: dict[str, RemoteRecord | None] = dict.fromkeys(ids)
    for start in range(0, len(ids), _PREFETCH_CHUNK):
        for row in session.exec(select(RemoteRecord).where(
                RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == system, RemoteRecord.entity == entity,
                RemoteRecord.remote_id.in_(ids[start:start + _PREFETCH_CHUNK]))):  # type: ignore[attr-defined]
            known[row.remote_id] = row
    session.info.setdefault(_PREFETCHED, {})[(tenant_id, system, entity)] = known


def forget_prefetched(session: Session) -> None:
    """`get` queries again (after a rollback the prefetched rows may no longer be what the database holds)."""
    session.info.pop(_PREFETCHED, None)


def _known(session: Session, tenant_id: int, system: str, entity: str) -> dict[str, RemoteRecord | None] | None:
    return session.info.get(_PREFETCHED, {}).get((tenant_id, system, entity))


def get(session: Session, tenant_id: int, system: str, entity: str, remote_id: str) -> RemoteRecord | None:
    known = _known(session, tenant_id, system, entity)
    if known is not None and str(remote_id) in known:
        return known[str(remote_id)]
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
        known = _known(session, tenant_id, system, entity)
        if known is not None:
            known[str(remote_id)] = row
    changed = created or (row.name, row.active, row.parent_id, row.sync_token, row.data) != (
        name, active, parent_id, sync_token, data)
    row.name, row.active, row.parent_id, row.sync_token, row.data = name[:500], active, parent_id, sync_token, data
    row.remote_updated_at, row.fetched_at = remote_updated_at, utcnow()
    return row, changed


def remove(session: Session, tenant_id: int, system: str, entity: str, remote_id: str) -> bool:
    row = get(session, tenant_id, system, entity, remote_id)
    if row is None:
        return False
    known = _known(session, tenant_id, system, entity)
    if known is not None:
        known[str(remote_id)] = None
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

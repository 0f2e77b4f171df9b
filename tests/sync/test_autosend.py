"""Queuing auto-sends where the engine ingests a status change: once per change however often it is seen, again
for a later genuine re-approval, attributed to the Procore user a webhook named (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from core.models import AutoSend, Item, SyncRequest, TenantSettings
from sync.autosend import note_change
from tests.support.factories import World

ON_AT = datetime.now(UTC) - timedelta(hours=1)


def _world(engine, *types: str) -> World:
    w = World(engine)
    with Session(engine) as s:
        row = s.get(TenantSettings, w.tenant.id)
        row.autosend = {t: ON_AT.isoformat() for t in types}
        s.add(row)
        s.commit()
    return w


def _note(engine, w: World, item: Item | None, before, after, changed_at, *, kind="sub_invoice", pid="88"):
    with Session(engine) as s:
        row = note_change(s, tenant_id=w.tenant.id, item_type=kind, procore_id=pid, before=before, after=after,
                          changed_at=changed_at, item=s.get(Item, item.id) if item else None)
        s.commit()
        return row.id if row else None


def _rows(engine) -> list[AutoSend]:
    with Session(engine) as s:
        return list(s.exec(select(AutoSend).order_by(AutoSend.id)))


def test_one_row_per_status_change_and_another_for_a_reapproval(engine):
    w = _world(engine, "sub_invoice")
    item = w.item("SC-1")
    first = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _note(engine, w, item, "under_review", "approved", first) is not None
    for _ in range(2):  # the same change seen again (another delivery, a poll, a second worker)
        assert _note(engine, w, item, "under_review", "approved", first) is None
    assert _note(engine, w, item, "approved", "approved", first) is None  # no change at all
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _note(engine, w, item, "revise_and_resubmit", "approved", later) is not None
    assert [(r.from_status, r.to_status, r.change_key, r.state) for r in _rows(engine)] == [
        ("under_review", "approved", first, "pending"), ("revise_and_resubmit", "approved", later, "pending")]


def test_nothing_is_queued_when_off_or_old(engine):
    w = _world(engine, "owner_invoice")
    item = w.item("SC-2")
    assert _note(engine, w, item, "under_review", "approved", None) is None  # off for sub invoices
    old = (ON_AT - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _note(engine, w, item, "under_review", "approved", old, kind="owner_invoice") is None
    assert _rows(engine) == []


def test_the_webhook_names_who_made_the_change(engine):
    w = _world(engine, "sub_invoice", "company")
    changed = datetime.now(UTC)
    with Session(engine) as s:
        s.add(SyncRequest(tenant_id=w.tenant.id, source="procore", entity="Requisitions", entity_id="88",
                          procore_user_id=4242, created_at=changed - timedelta(hours=2)))  # older: another change
        s.add(SyncRequest(tenant_id=w.tenant.id, source="procore", entity="Requisitions", entity_id="88",
                          procore_user_id=5151, created_at=changed + timedelta(seconds=1)))
        s.add(SyncRequest(tenant_id=w.tenant.id, source="procore", entity="Company Vendors", entity_id="88",
                          procore_user_id=6161, created_at=changed + timedelta(seconds=2)))  # same id, other kind
        s.commit()
    stamp = changed.strftime("%Y-%m-%dT%H:%M:%SZ")
    _note(engine, w, w.item("SC-3"), "under_review", "approved", stamp)
    later = (changed + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # a poll found it; no webhook since
    _note(engine, w, None, None, "created", later, kind="company", pid="99")
    assert [(r.item_type, r.procore_user_id) for r in _rows(engine)] == [("sub_invoice", 5151), ("company", None)]

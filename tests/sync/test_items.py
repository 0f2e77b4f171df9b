"""Ingesting Procore records as items: create, refresh, and the lock once sent."""

from decimal import Decimal

from sqlmodel import Session

from core.domain.workflow import Workflow
from sync.items import upsert_item
from tests.support.factories import World


def _ingest(engine, world, raw, amount="100.00"):
    with Session(engine, expire_on_commit=False) as s:
        out = upsert_item(s, tenant_id=world.tenant.id, item_type="sub_invoice", procore_id=7, title="ACME #12",
                          amount=Decimal(amount), procore_project_id=3, detail={"raw": raw}, raw=raw)
        s.commit()
        return out


def test_create_then_unchanged_then_refresh(engine):
    w = World(engine)
    first = _ingest(engine, w, {"id": 7, "total": "100.00"})
    assert first.created and first.item.state == "ready_to_export"
    assert not _ingest(engine, w, {"total": "100.00", "id": 7}).changed  # key order does not matter
    refreshed = _ingest(engine, w, {"id": 7, "total": "120.00"}, amount="120.00")
    assert refreshed.changed and refreshed.item.amount == Decimal("120.00")


def test_locked_item_keeps_what_was_sent(engine):
    w = World(engine)
    item = _ingest(engine, w, {"id": 7, "total": "100.00"}).item
    Workflow(engine).send(item.id, w.actor("sam"))
    out = _ingest(engine, w, {"id": 7, "total": "999.00"}, amount="999.00")
    assert out.locked_change and not out.changed
    assert out.item.amount == Decimal("100.00") and "changed_while_locked" in out.item.detail

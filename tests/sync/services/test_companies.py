"""Company services on the database alone (both SQLite and PostgreSQL): links, archive, permissions, hooks."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from core.domain.errors import DomainError, InvalidInput, ItemNotFound, PermissionDenied
from core.models import AuditEvent, ExternalLink, Item, OutboxEntry
from sync import cache
from sync.context import TenantContext
from sync.outbox import OutboxStatus
from sync.services import companies, exports
from tests.support import decide
from tests.support.factories import World


def _world(engine, name="Summit Builders"):
    w = World(engine, name=name)
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id)
    with Session(engine) as s:
        for qid, vname in (("31", "Books by Bessie"), ("42", "Hicks Hardware"), ("56", "Bob's Burger Joint")):
            cache.upsert(s, w.tenant.id, "qbo", "Vendor", qid, name=vname, sync_token="0",
                         data={"Id": qid, "DisplayName": vname, "Active": True})
        for pid, pname in (("900", "Hicks Hardware Inc."), ("901", "Books & More"), ("902", "Bayside Builders")):
            cache.upsert(s, w.tenant.id, "procore", "vendor", pid, name=pname,
                         data={"id": int(pid), "name": pname, "email_address": f"ap{pid}@example.com"})
        s.commit()
    return w, ctx


def test_one_qbo_vendor_links_to_one_procore_company(engine):
    w, ctx = _world(engine)
    link = companies.link_company(ctx, w.actor("sam"), procore_vendor_id=900, qbo_vendor_id=42)
    assert (link.procore_id, link.qbo_id) == ("900", "42")
    # the same link again is a no-op, not an error
    assert companies.link_company(ctx, w.actor("sam"), procore_vendor_id=900, qbo_vendor_id=42).id == link.id
    with pytest.raises(InvalidInput) as err:
        companies.link_company(ctx, w.actor("sam"), procore_vendor_id=901, qbo_vendor_id=42)
    assert err.value.sentence.startswith("QuickBooks vendor 'Hicks Hardware' is already linked to Hicks Hardware Inc.")
    with pytest.raises(InvalidInput, match="already linked to QuickBooks vendor 'Hicks Hardware'"):
        companies.link_company(ctx, w.actor("sam"), procore_vendor_id=900, qbo_vendor_id=31)
    with Session(engine) as s:
        assert len(s.exec(select(ExternalLink)).all()) == 1
        ops = s.exec(select(OutboxEntry)).all()
        assert [(o.operation, o.payload["origin_id"]) for o in ops] == [("procore.set_vendor_origin", "42")]
        assert [e.action for e in s.exec(select(AuditEvent))] == ["link_company"]


def test_concurrent_links_of_one_vendor_let_exactly_one_win(engine):
    w, ctx = _world(engine)
    results: list[object] = []
    barrier = threading.Barrier(3)

    def link(pid):
        barrier.wait()
        try:
            results.append(companies.link_company(ctx, w.actor("sam"), procore_vendor_id=pid, qbo_vendor_id=56))
        except DomainError as exc:
            results.append(exc)

    threads = [threading.Thread(target=link, args=(pid,)) for pid in ("900", "901", "902")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wins = [r for r in results if isinstance(r, ExternalLink)]
    losses = [r for r in results if isinstance(r, InvalidInput)]
    assert len(wins) == 1 and len(losses) == 2
    assert all("is already linked to" in e.sentence for e in losses)
    with Session(engine) as s:
        assert len(s.exec(select(ExternalLink)).all()) == 1
        assert len(s.exec(select(OutboxEntry)).all()) == 1


def test_permissions_and_tenants(engine):
    w, ctx = _world(engine)
    other, _ = _world(engine, name="Harbor Point")
    with pytest.raises(PermissionDenied, match="Standard permission"):
        companies.link_company(ctx, w.actor("riley"), procore_vendor_id=900, qbo_vendor_id=42)
    with pytest.raises(PermissionDenied):
        companies.archive_company(ctx, w.actor("dana"), qbo_vendor_id=42)  # approver, but Standard
    with pytest.raises(ItemNotFound):
        companies.list_erp_companies(ctx, other.actor("erin"))
    assert len(companies.list_erp_companies(ctx, w.actor("riley"))) == 3
    with pytest.raises(PermissionDenied):
        companies.archived_companies(ctx, w.actor("nora"))


def test_archive_restore_round_trip_and_linked_vendors_stay(engine):
    w, ctx = _world(engine)
    companies.link_company(ctx, w.actor("sam"), procore_vendor_id=900, qbo_vendor_id=42)
    with pytest.raises(InvalidInput, match="is linked to Hicks Hardware Inc.; archiving only hides"):
        companies.archive_company(ctx, w.actor("alex"), qbo_vendor_id=42)
    row = companies.archive_company(ctx, w.actor("alex"), qbo_vendor_id=31)
    assert row.archived
    assert companies.archive_company(ctx, w.actor("alex"), qbo_vendor_id=31).archived  # twice: no error
    assert [r.remote_id for r in companies.list_erp_companies(ctx, w.actor("riley"))] == ["56", "42"]
    assert [r.name for r in companies.archived_companies(ctx, w.actor("riley"))] == ["Books by Bessie"]
    with pytest.raises(InvalidInput, match="restore it"):
        companies.add_company_to_procore(ctx, w.actor("sam"), qbo_vendor_id=31)
    companies.restore_company(ctx, w.actor("erin"), qbo_vendor_id=31)
    assert companies.archived_companies(ctx, w.actor("riley")) == []
    with Session(engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["link_company", "archive_company", "restore_company"]


def test_send_accept_queues_one_create_and_a_retry_gets_a_new_requestid(engine):
    w, ctx = _world(engine)
    sent = companies.send_company(ctx, w.actor("sam"), procore_vendor_id=902)
    assert sent.item.state == "awaiting_acceptance" and sent.item.detail["qbo_body"]["DisplayName"] == \
        "Bayside Builders"
    with pytest.raises(PermissionDenied):
        decide.accept(ctx, w.actor("sam"), sent.item.id)
    decide.accept(ctx, w.actor("dana"), sent.item.id)
    with Session(engine) as s:
        first = s.exec(select(OutboxEntry)).one()
        assert first.operation == "qbo.create_vendor" and first.item_id == sent.item.id
        assert first.payload["not_before"] and first.payload["body"]["DisplayName"] == "Bayside Builders"
        first.status = OutboxStatus.FAILED.value  # as if QBO refused it
        item = s.get(Item, sent.item.id)
        item.state = "failed_to_export"
        s.add_all([first, item])
        s.commit()
    decide.retry(ctx, w.actor("erin"), sent.item.id)
    with Session(engine) as s:
        entries = s.exec(select(OutboxEntry).order_by(OutboxEntry.id)).all()
    assert len(entries) == 2 and entries[0].requestid != entries[1].requestid
    assert entries[1].payload["not_before"] == entries[0].payload["not_before"]


def test_the_export_hook_registry():
    assert exports.export_hook("company") is companies.enqueue_export
    with pytest.raises(InvalidInput, match="can't export a no_such_type to QuickBooks yet"):
        exports.export_hook("no_such_type")


def test_duplicates_offer_link_consolidate_and_remove(engine):
    w, ctx = _world(engine)
    with Session(engine) as s:
        cache.upsert(s, w.tenant.id, "qbo", "Vendor", "60", name="Hicks Hardware LLC",
                     data={"Id": "60", "DisplayName": "Hicks Hardware LLC"})
        s.commit()
    found = companies.duplicate_suggestions(ctx, w.actor("sam"))
    kinds = {frozenset((f.a.name, f.b.name)): sorted(a.kind for a in f.actions) for f in found}
    assert kinds[frozenset(("Hicks Hardware Inc.", "Hicks Hardware"))] == ["link"]
    assert kinds[frozenset(("Hicks Hardware", "Hicks Hardware LLC"))] == ["remove", "remove"]
    companies.link_company(ctx, w.actor("sam"), procore_vendor_id=900, qbo_vendor_id=42)
    found = companies.duplicate_suggestions(ctx, w.actor("sam"))
    pair = next(f for f in found if {f.a.name, f.b.name} == {"Hicks Hardware Inc.", "Hicks Hardware LLC"})
    remove = pair.actions[0]
    assert remove.kind == "remove" and remove.qbo_vendor_id == "60"
    assert "Archived QuickBooks vendor Hicks Hardware LLC" in companies.apply_suggestion(ctx, w.actor("alex"), remove)
    assert "look like the same company" in found[0].sentence

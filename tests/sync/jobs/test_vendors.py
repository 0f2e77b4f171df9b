"""The companies-list refresh: a paged first run, then CDC; deletions, fall-backs and dry runs."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from core.models import AuditEvent, ExternalLink, OutboxEntry, RemoteRecord, SyncCursor, utcnow
from sync import binder, cache
from sync.context import TenantContext
from sync.jobs.base import run_job
from sync.jobs.vendors import VendorsJob
from sync.procore.records import Vendor
from sync.qbo.errors import QboValidationError
from tests.support.factories import World


def _small_pages(cls):
    job = cls()
    job.page_size = 5
    return job


def _qbo_requests(world) -> int:
    return world.sandboxes.qbo_requests(world.realm_id)["total"]


def test_first_run_pages_then_cdc_costs_one_request(remote_world):
    w = remote_world
    start = _qbo_requests(w)
    first = run_job(w.ctx, "vendors", factory=_small_pages)
    first_cost = _qbo_requests(w) - start
    assert first.stats["vendor_mode"] == "full" and first.stats["vendor_records_read"] == 26
    assert first_cost == 6  # 26 vendors, 5 a page: five full pages and a last one of 1
    assert first.counts() == {"create": 66, "skip": 3}

    start = _qbo_requests(w)
    quiet = run_job(w.ctx, "vendors", factory=_small_pages)
    quiet_cost = _qbo_requests(w) - start
    assert quiet.stats["vendor_mode"] == "cdc" and quiet_cost <= 3
    assert "create" not in quiet.counts() and "update" not in quiet.counts()

    # changes in QBO: a new vendor, a rename, a deactivation
    qbo = w.ctx.qbo
    qbo.create(entity="Vendor", body={"DisplayName": "Summit Crane Service"})
    hall = qbo.read(entity="Vendor", id="41")
    qbo.update(entity="Vendor", body={"Id": "41", "SyncToken": hall["SyncToken"], "DisplayName": "Hall Properties LLC"})
    lee = qbo.read(entity="Vendor", id="43")
    qbo.deactivate(entity="Vendor", id="43", sync_token=lee["SyncToken"])
    start = _qbo_requests(w)
    changed = run_job(w.ctx, "vendors", factory=_small_pages)
    changed_cost = _qbo_requests(w) - start
    assert changed.stats["vendor_mode"] == "cdc" and changed_cost <= 3
    lines = [line for line in changed.lines() if "QBO vendor" in line]
    assert any(line.startswith("create") and "Summit Crane Service" in line for line in lines)
    assert any("Hall Properties LLC (QBO 41) — renamed from 'Hall Properties'" in line for line in lines)
    assert any("(QBO 43) — made inactive" in line for line in lines)
    print(f"\nQBO requests: first run {first_cost} (page size 5), incremental {quiet_cost}, "
          f"incremental with 3 changes {changed_cost}")
    with Session(w.engine) as s:
        assert cache.get(s, w.tenant.id, "qbo", "Vendor", "43").active is False
        cur = s.exec(select(SyncCursor).where(SyncCursor.job == "vendors")).one()
        assert cur.last_status == "ok" and cur.cursor


def test_cursor_older_than_the_cdc_window_scans_everything(remote_world):
    w = remote_world
    run_job(w.ctx, "vendors")
    with Session(w.engine) as s:
        cur = s.exec(select(SyncCursor).where(SyncCursor.job == "vendors")).one()
        cur.cursor = (utcnow() - timedelta(days=31)).isoformat()
        s.add(cur)
        s.commit()
    start = _qbo_requests(w)
    report = run_job(w.ctx, "vendors")
    assert report.stats["vendor_mode"] == "full"
    assert "beyond CDC's 30 days" in report.stats["vendor_full_scan_because"]
    assert _qbo_requests(w) - start == 1  # one page of 1000 holds them all; no CDC call that QBO would refuse


def test_dry_run_reports_per_record_and_writes_nothing(remote_world):
    w = remote_world
    report = run_job(w.ctx, "vendors", dry_run=True)
    assert report.dry_run and report.counts()["create"] == 66
    assert "create     QBO vendor: Books by Bessie (QBO 31) — new" in report.lines()
    with Session(w.engine) as s:
        for table in (RemoteRecord, SyncCursor, ExternalLink, OutboxEntry, AuditEvent):
            assert s.exec(select(table)).all() == [], table.__name__
    # and after a real run, a dry run sees nothing to do
    run_job(w.ctx, "vendors")
    again = run_job(w.ctx, "vendors", dry_run=True)
    assert set(again.counts()) <= {"skip"}


# --- the same loop against fakes: deletions and fall-backs ---------------------------------------------------
class FakeQbo:
    def __init__(self, vendors):
        self.vendors = vendors
        self.cdc_rows: list[dict] | Exception = []
        self.calls: list[str] = []

    def query_all(self, *, select_, page_size):
        self.calls.append("query")
        return iter(self.vendors)

    def cdc(self, *, entities, changed_since):
        self.calls.append("cdc")
        if isinstance(self.cdc_rows, Exception):
            raise self.cdc_rows
        return {"Vendor": self.cdc_rows}


class FakeProcore:
    def __init__(self, vendors):
        self.vendors = vendors

    def list_vendors(self, **_):
        return iter(self.vendors)


class TooOld(QboValidationError):
    def __init__(self):
        Exception.__init__(self, "changedSince older than fixed days")
        self.code = "6000"


def _vendor(vid, name, token="0", active=True):
    return {"Id": str(vid), "DisplayName": name, "SyncToken": token, "Active": active,
            "MetaData": {"LastUpdatedTime": "2026-01-05T10:00:00-08:00"}}


def _fake_world(engine):
    w = World(engine)
    qbo = FakeQbo([_vendor(1, "Alder Paving"), _vendor(2, "Birch Electric"), _vendor(3, "Cedar Glass")])
    procore = FakeProcore([Vendor(id=900, name="Birch Electric", raw={"id": 900, "name": "Birch Electric"})])
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id, qbo_client=qbo, procore_client=procore)
    run_job(ctx, "vendors")
    return w, ctx, qbo


def test_deleted_vendors_leave_the_list_unless_linked(engine):
    w, ctx, qbo = _fake_world(engine)
    with Session(engine) as s:
        binder.bind(s, w.tenant.id, "company", "900", "2")
        s.commit()
    qbo.cdc_rows = [{"Id": "1", "status": "Deleted"}, {"Id": "2", "status": "Deleted"}]
    report = run_job(ctx, "vendors")
    lines = report.lines()
    assert "remove     QBO vendor: Alder Paving (QBO 1) — deleted or merged in QuickBooks" in lines
    assert any(line.startswith("deactivate QBO vendor: Birch Electric (QBO 2)") and "still linked to Birch Electric"
               in line for line in lines)
    with Session(engine) as s:
        assert cache.get(s, w.tenant.id, "qbo", "Vendor", "1") is None
        kept = cache.get(s, w.tenant.id, "qbo", "Vendor", "2")
        assert kept.active is False and kept.data["deleted"] is True
    # a full scan that no longer sees vendor 3 treats it as deleted too, once
    qbo.vendors = [_vendor(2, "Birch Electric")]
    qbo.cdc_rows = TooOld()
    report = run_job(ctx, "vendors")
    assert report.stats["vendor_mode"] == "full" and "refused" in report.stats["vendor_full_scan_because"]
    assert [line for line in report.lines() if "QBO vendor" in line] == [
        "update     QBO vendor: Birch Electric (QBO 2) — reactivated",
        "remove     QBO vendor: Cedar Glass (QBO 3) — deleted or merged in QuickBooks",
    ]


def test_a_capped_cdc_answer_falls_back_to_a_full_scan(engine):
    _w, ctx, qbo = _fake_world(engine)
    qbo.cdc_rows = [_vendor(n, f"Vendor {n}", token="1") for n in range(1000)]
    qbo.calls.clear()
    report = run_job(ctx, "vendors")
    assert qbo.calls == ["cdc", "query"]
    assert report.stats["vendor_full_scan_because"] == "CDC returned its cap of 1000 changes"


def test_procore_origin_id_links_are_adopted(engine):
    w = World(engine)
    qbo = FakeQbo([_vendor(7, "Dogwood Drywall"), _vendor(8, "Elm Steel")])
    procore = FakeProcore([
        Vendor(id=501, name="Dogwood Drywall", origin_id="7", raw={"id": 501, "name": "Dogwood Drywall"}),
        Vendor(id=502, name="Elm Steel Co", origin_id="99", raw={"id": 502, "name": "Elm Steel Co"}),
    ])
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id, qbo_client=qbo, procore_client=procore)
    dry = run_job(ctx, "vendors", dry_run=True)
    assert "link       Procore company: Dogwood Drywall (Procore 501) — to QBO vendor Dogwood Drywall " \
           "(named by its origin_id)" in dry.lines()
    report = VendorsJob().run(ctx)
    assert report.counts()["link"] == 1
    assert any("origin_id 99 is not a vendor in this QuickBooks company" in line for line in report.lines())
    with Session(engine) as s:
        assert binder.to_external(s, w.tenant.id, "company", 501).qbo_id == "7"
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "link_company")).one().detail["source"] == \
            "origin_id"


def test_one_unstorable_vendor_is_skipped_and_its_chunk_neighbours_are_stored_once(engine):
    """A chunk is stored in one savepoint; a record that can't be stored makes that chunk go again a record at a
    time: the others are cached and reported exactly once, the bad one is skipped with its name."""
    w = World(engine)
    bad = {**_vendor(2, "Birch Electric"), "MetaData": "not an object"}
    qbo = FakeQbo([_vendor(1, "Alder Paving"), bad, _vendor(3, "Cedar Glass")])
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id, qbo_client=qbo, procore_client=FakeProcore([]))
    report = run_job(ctx, "vendors")
    lines = [line for line in report.lines() if "QBO vendor" in line]
    assert lines == ["create     QBO vendor: Alder Paving (QBO 1) — new",
                     "skip       QBO vendor: Birch Electric (QBO 2) — a field holds a value Ledgerlink can't store; "
                     "it is left out",
                     "create     QBO vendor: Cedar Glass (QBO 3) — new"]
    with Session(engine) as s:
        assert [r.remote_id for r in cache.listing(s, w.tenant.id, "qbo", "Vendor")] == ["1", "3"]

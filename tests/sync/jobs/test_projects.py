"""The projects refresh against fakes: which customers are projects or sub jobs, states, deletions, dry runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from core.models import ExternalLink, RemoteRecord, SyncCursor
from sync import binder, cache
from sync.context import TenantContext
from sync.copies.projects import customer_kind
from sync.jobs.base import run_job
from sync.jobs.projects import import_state
from sync.procore.records import Project
from tests.support.factories import World


@pytest.mark.parametrize(("customer", "kind"), [
    ({"Id": "1", "DisplayName": "Cool Cars"}, None),
    ({"Id": "58", "IsProject": True, "Job": True, "ParentRef": {"value": "3"}, "Level": 1}, "project"),
    ({"Id": "8", "Job": True, "ParentRef": {"value": "7"}, "Level": 1}, "project"),  # older companies' jobs
    ({"Id": "70", "Job": True, "ParentRef": {"value": "58"}, "Level": 2}, "sub_job"),
    ({"Id": "71", "Job": True, "ParentRef": {"value": "70"}, "Level": 3}, "sub_job"),
    ({"Id": "72", "Job": True, "ParentRef": {"value": "7"}}, "project"),  # no Level: treated as a job
    ({"Id": "73", "Job": False, "ParentRef": {"value": "7"}, "Level": 1}, None),
])
def test_customer_kind(customer, kind):
    assert customer_kind(customer) == kind


def _rec(token="3", updated="2026-02-01T10:00:00-08:00"):
    return RemoteRecord(tenant_id=1, system="qbo", entity="Customer", remote_id="58", sync_token=token,
                        data={"kind": "project", "MetaData": {"LastUpdatedTime": updated}})


@pytest.mark.parametrize(("record", "link", "state"), [
    (_rec(), None, "ready_to_import"),
    (_rec("3"), ExternalLink(tenant_id=1, entity_type="project", procore_id="9", qbo_id="58", sync_token="3"),
     "synced"),
    (_rec("4"), ExternalLink(tenant_id=1, entity_type="project", procore_id="9", qbo_id="58", sync_token="3"),
     "ready_to_update"),
    # no token on the link: QBO's LastUpdatedTime (Pacific) against the link time (UTC)
    (_rec(updated="2026-02-01T10:00:00-08:00"),
     ExternalLink(tenant_id=1, entity_type="project", procore_id="9", qbo_id="58",
                  last_synced_at=datetime(2026, 2, 1, 17, 30, tzinfo=UTC)), "ready_to_update"),
    (_rec(updated="2026-02-01T10:00:00-08:00"),
     ExternalLink(tenant_id=1, entity_type="project", procore_id="9", qbo_id="58",
                  last_synced_at=datetime(2026, 2, 1, 18, 30)), "synced"),  # naive = UTC
])
def test_import_state(record, link, state):
    assert import_state(record, link) == state


class FakeQbo:
    def __init__(self, customers):
        self.customers = customers
        self.cdc_rows: list[dict] = []

    def query_all(self, *, select_, page_size):
        return iter(self.customers)

    def cdc(self, *, entities, changed_since):
        return {"Customer": self.cdc_rows}


class FakeProcore:
    def __init__(self, projects):
        self.projects = projects

    def list_projects(self, **_):
        return iter(self.projects)


def _customer(cid, name, token="0", **extra):
    return {"Id": cid, "DisplayName": name, "SyncToken": token, "Active": True,
            "MetaData": {"LastUpdatedTime": "2026-01-05T10:00:00-08:00"}, **extra}


CUSTOMERS = [_customer("3", "Cool Cars"),
             _customer("58", "Showroom Remodel", IsProject=True, Job=True, ParentRef={"value": "3"}, Level=1),
             _customer("70", "Showroom - Electrical", Job=True, ParentRef={"value": "58"}, Level=2)]


def test_dry_run_then_real_run_then_deletion(engine):
    w = World(engine)
    qbo = FakeQbo(list(CUSTOMERS))
    procore = FakeProcore([Project(id=901, name="Showroom", project_number="25-1", origin_id="58",
                                   raw={"id": 901, "name": "Showroom"})])
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id, qbo_client=qbo, procore_client=procore)
    dry = run_job(ctx, "projects", dry_run=True)
    assert dry.lines()[:2] == ["create     QBO project: Showroom Remodel (QBO 58) — new",
                               "create     QBO sub job: Showroom - Electrical (QBO 70) — new"]
    assert "link       Procore project: Showroom (Procore 901) — to QBO project Showroom Remodel (named by its " \
           "origin_id)" in dry.lines()
    with Session(engine) as s:
        assert s.exec(select(RemoteRecord)).all() == [] and s.exec(select(SyncCursor)).all() == []
    report = run_job(ctx, "projects")
    assert "state      QBO project: Showroom Remodel (QBO 58) — Synced with Procore project 901" in report.lines()
    assert "state      QBO sub job: Showroom - Electrical (QBO 70) — Ready to import" in report.lines()
    with Session(engine) as s:
        assert {r.remote_id for r in cache.listing(s, w.tenant.id, "qbo", "Customer", archived=None)} == {"58", "70"}
        assert binder.to_external(s, w.tenant.id, "project", 901).qbo_id == "58"
    # QBO deletes the sub job (unlinked: leaves the cache) and the project (linked: kept, marked)
    qbo.cdc_rows = [{"Id": "70", "status": "Deleted"}, {"Id": "58", "status": "Deleted"}]
    report = run_job(ctx, "projects")
    assert "remove     QBO sub job: Showroom - Electrical (QBO 70) — deleted in QuickBooks" in report.lines()
    assert any(x.startswith("deactivate QBO project: Showroom Remodel (QBO 58) — deleted in QuickBooks but still "
                            "linked to Procore project 901") for x in report.lines())
    procore.projects = []  # deleted in Procore
    report = run_job(ctx, "projects")
    assert "deactivate Procore project: Showroom (Procore 901) — no longer in Procore" in report.lines()

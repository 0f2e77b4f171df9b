"""Project services on the database alone (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.models import AuditEvent, ExternalLink, OutboxEntry
from sync import cache
from sync.context import TenantContext
from sync.services import projects
from tests.support.factories import World


def _world(engine):
    w = World(engine)
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id)
    with Session(engine) as s:
        for cid, name, kind, parent, active in (("58", "Showroom Remodel", "project", "3", True),
                                                ("59", "Medical Office Fit-Out", "project", "17", True),
                                                ("60", "Old Warehouse", "project", "17", False),
                                                ("70", "Showroom - Electrical", "sub_job", "58", True)):
            cache.upsert(s, w.tenant.id, "qbo", "Customer", cid, name=name, parent_id=parent, active=active,
                         sync_token="1", data={"Id": cid, "DisplayName": name, "kind": kind, "Active": active})
        for pid, name, number, active in (("901", "Riverside Medical", "2024-001", True),
                                          ("902", "Summit Ridge", "2024-014", True),
                                          ("903", "Cedar Garage", None, False)):
            cache.upsert(s, w.tenant.id, "procore", "project", pid, name=name, active=active,
                         data={"id": int(pid), "name": name, "project_number": number, "active": active})
        s.commit()
    return w, ctx


def test_a_qbo_project_links_to_one_procore_project(engine):
    w, ctx = _world(engine)
    projects.link_erp_job(ctx, w.actor("erin"), qbo_project_id=59, procore_project_id=901)
    with pytest.raises(InvalidInput, match="'Medical Office Fit-Out' is already linked to Procore project "
                                           "2024-001 Riverside Medical"):
        projects.link_erp_job(ctx, w.actor("erin"), qbo_project_id=59, procore_project_id=902)
    with pytest.raises(InvalidInput, match="already linked to QuickBooks project 'Medical Office Fit-Out'"):
        projects.link_erp_job(ctx, w.actor("erin"), qbo_project_id=58, procore_project_id=901)
    with pytest.raises(PermissionDenied):
        projects.link_erp_job(ctx, w.actor("sam"), qbo_project_id=58, procore_project_id=902)
    with pytest.raises(InvalidInput, match="inactive in QuickBooks"):
        projects.link_erp_job(ctx, w.actor("erin"), qbo_project_id=60, procore_project_id=902)
    with Session(engine) as s:
        assert len(s.exec(select(ExternalLink)).all()) == 1
        assert [(o.operation, o.payload["origin_id"]) for o in s.exec(select(OutboxEntry))] == [
            ("procore.set_project_origin", "59")]
        assert [e.action for e in s.exec(select(AuditEvent))] == ["link_project"]
    rows = {r.qbo_id: r for r in projects.list_erp_jobs(ctx, w.actor("riley"))}
    assert rows["59"].state == "synced" and rows["58"].state == "ready_to_import" and "60" not in rows
    assert rows["70"].kind == "sub_job" and rows["70"].parent_name == "Showroom Remodel"


def test_add_erp_job_refuses_a_same_named_procore_project(engine):
    w, ctx = _world(engine)
    with Session(engine) as s:
        cache.upsert(s, w.tenant.id, "procore", "project", "904", name="Showroom Remodel",
                     data={"id": 904, "name": "Showroom Remodel"})
        s.commit()
    with pytest.raises(InvalidInput, match="Procore already has a project named 'Showroom Remodel': link it"):
        projects.add_erp_job_to_procore(ctx, w.actor("alex"), qbo_project_id=58)
    entry = projects.add_erp_job_to_procore(ctx, w.actor("alex"), qbo_project_id=58, allow_similar=True,
                                            project_number="2025-058")
    assert entry.payload["body"] == {"name": "Showroom Remodel", "origin_id": "58", "active": True,
                                     "project_number": "2025-058"}
    assert projects.add_erp_job_to_procore(ctx, w.actor("alex"), qbo_project_id=58).id == entry.id


def test_sub_jobs_need_their_project_linked(engine):
    w, ctx = _world(engine)
    with pytest.raises(InvalidInput, match="belongs to QuickBooks project 'Showroom Remodel', which is not in Procore"):
        projects.import_sub_job(ctx, w.actor("alex"), qbo_sub_job_id=70)
    projects.link_erp_job(ctx, w.actor("alex"), qbo_project_id=58, procore_project_id=902)
    entry = projects.import_sub_job(ctx, w.actor("alex"), qbo_sub_job_id=70)
    assert entry.payload == {"qbo_sub_job_id": "70", "project_id": 902, "code": "70", "name": "Showroom - Electrical",
                             "qbo_sync_token": "1"}
    with pytest.raises(InvalidInput, match="no QuickBooks sub job|doesn't know a QuickBooks sub job"):
        projects.import_sub_job(ctx, w.actor("alex"), qbo_sub_job_id=58)
    assert projects.synced_sub_jobs(ctx, w.actor("riley")) == []  # not until Procore answers


def test_why_missing(engine):
    w, ctx = _world(engine)
    assert "inactive in Procore" in projects.why_missing_from_erp(ctx, procore_project_id=903)
    assert projects.why_missing_from_erp(ctx, procore_project_id=902).startswith(
        "2024-014 Summit Ridge is not linked to a QuickBooks project — link it with `/ledgerlink link project 902")
    projects.link_erp_job(ctx, w.actor("erin"), qbo_project_id=58, procore_project_id=902)
    assert projects.why_missing_from_erp(ctx, procore_project_id=902) is None
    with Session(engine) as s:
        row = cache.get(s, w.tenant.id, "qbo", "Customer", "58")
        row.active = False
        s.add(row)
        s.commit()
    assert "'Showroom Remodel', which is inactive in QuickBooks" in projects.why_missing_from_erp(
        ctx, procore_project_id=902)

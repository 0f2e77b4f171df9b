"""Turning job-cost sync on per project: Admin only, audited, only for projects linked to QBO."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.models import AuditEvent, ProjectSettings, utcnow
from sync import binder
from sync.context import TenantContext
from sync.jobs.base import run_job
from sync.services.schedule import job_cost_projects, set_job_cost_sync
from tests.support.factories import World

PROJECT = 562949953421362


def test_enable_needs_admin_and_a_linked_project(engine):
    w = World(engine)
    with pytest.raises(PermissionDenied, match="Admin permission"):
        set_job_cost_sync(engine, w.actor("dana"), tenant_id=w.tenant.id, procore_project_id=PROJECT, enabled=True)
    with pytest.raises(InvalidInput, match="not linked to a QuickBooks project yet"):
        set_job_cost_sync(engine, w.actor("alex"), tenant_id=w.tenant.id, procore_project_id=PROJECT, enabled=True)
    with Session(engine) as s:
        binder.bind(s, w.tenant.id, "project", PROJECT, "58")
        s.commit()
    row = set_job_cost_sync(engine, w.actor("alex"), tenant_id=w.tenant.id, procore_project_id=PROJECT, enabled=True)
    assert row.job_cost_sync_enabled and row.last_job_cost_sync_at is None
    assert job_cost_projects(engine, w.tenant.id) == [PROJECT]
    with Session(engine) as s:  # pretend a run happened; turning it off and on again re-reads the history
        ps = s.exec(select(ProjectSettings)).one()
        ps.last_job_cost_sync_at = utcnow()
        s.add(ps)
        s.commit()
    set_job_cost_sync(engine, w.actor("alex"), tenant_id=w.tenant.id, procore_project_id=PROJECT, enabled=False)
    assert job_cost_projects(engine, w.tenant.id) == []
    row = set_job_cost_sync(engine, w.actor("erin"), tenant_id=w.tenant.id, procore_project_id=PROJECT, enabled=True)
    assert row.last_job_cost_sync_at is None
    with Session(engine) as s:
        audits = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(a.action, a.actor_label, a.detail["procore_project_id"]) for a in audits] == [
        ("enable_job_cost_sync", "@alex", PROJECT), ("disable_job_cost_sync", "@alex", PROJECT),
        ("enable_job_cost_sync", "@erin", PROJECT)]


def test_nothing_enabled_reads_nothing(engine):
    w = World(engine)
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id)  # no clients: any QBO call would fail
    report = run_job(ctx, "job-costs")
    assert report.stats == {"enabled_projects": 0} and not report.changes


def test_enabled_but_unlinked_project_is_reported(engine):
    w = World(engine)
    with Session(engine) as s:
        s.add(ProjectSettings(tenant_id=w.tenant.id, procore_project_id=PROJECT, job_cost_sync_enabled=True))
        s.commit()
    report = run_job(TenantContext(engine=engine, tenant_id=w.tenant.id), "job-costs")
    assert [(c.action, c.record) for c in report.changes] == [("skip", str(PROJECT))]
    assert "not linked to a QuickBooks project" in report.changes[0].detail

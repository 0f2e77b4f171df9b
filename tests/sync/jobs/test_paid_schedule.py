"""The paid-sync schedule and "sync now": Admin only, audited, and what the scheduler asks (is it due?)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.domain.settings import PaidSyncSchedule
from core.models import AuditEvent, SyncRequest, utcnow
from sync.context import TenantContext
from sync.jobs.base import JobReport, run_job
from sync.services.schedule import (
    SCHEDULE_LABELS,
    next_paid_sync_at,
    paid_sync_due,
    paid_sync_schedule,
    parse_schedule,
    run_requested,
    set_paid_sync_schedule,
    sync_now,
)
from tests.support.factories import World


@pytest.mark.parametrize(("text", "expected"), [
    ("Hourly", PaidSyncSchedule.HOURLY), ("Every 2 h", PaidSyncSchedule.EVERY_2H),
    ("every_4h", PaidSyncSchedule.EVERY_4H),
    ("4h", PaidSyncSchedule.EVERY_4H), ("Every 4h", PaidSyncSchedule.EVERY_4H), (" daily ", PaidSyncSchedule.DAILY),
    ("Never", PaidSyncSchedule.NEVER), (PaidSyncSchedule.EVERY_2H, PaidSyncSchedule.EVERY_2H),
])
def test_parse_schedule(text, expected):
    assert parse_schedule(text) is expected
    assert parse_schedule(SCHEDULE_LABELS[expected]) is expected


def test_unknown_schedule_lists_the_choices():
    with pytest.raises(InvalidInput, match="choose one of: Hourly, Every 2 h, Every 4 h, Daily, Never"):
        parse_schedule("weekly")


def test_only_admins_set_the_schedule_and_it_is_audited(engine):
    w = World(engine)
    for who in ("sam", "dana", "riley", "nora"):
        with pytest.raises(PermissionDenied, match="Admin permission"):
            set_paid_sync_schedule(engine, w.actor(who), tenant_id=w.tenant.id, schedule="hourly")
    assert set_paid_sync_schedule(engine, w.actor("alex"), tenant_id=w.tenant.id, schedule="Every 2 h") \
        is PaidSyncSchedule.EVERY_2H
    set_paid_sync_schedule(engine, w.actor("alex"), tenant_id=w.tenant.id, schedule="every_2h")  # no change
    assert paid_sync_schedule(engine, w.tenant.id) is PaidSyncSchedule.EVERY_2H
    with Session(engine) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "set_paid_sync_schedule")).all()
    assert [(r.actor_label, r.detail) for r in rows] == [("@alex", {"before": "daily", "after": "every_2h"})]


def test_another_tenants_admin_is_refused(engine):
    w, other = World(engine), World(engine, name="Other Co")
    with pytest.raises(PermissionDenied, match="your own company"):
        set_paid_sync_schedule(engine, other.actor("alex"), tenant_id=w.tenant.id, schedule="never")


def test_due_follows_the_schedule_and_the_last_run(engine):
    w = World(engine)
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id)  # no clients: nothing is watched, nothing is read
    set_paid_sync_schedule(engine, w.actor("alex"), tenant_id=w.tenant.id, schedule="hourly")
    assert paid_sync_due(engine, w.tenant.id)  # never ran: due now
    run_job(ctx, "paid")
    assert not paid_sync_due(engine, w.tenant.id)
    assert paid_sync_due(engine, w.tenant.id, now=utcnow() + timedelta(minutes=61))
    nxt = next_paid_sync_at(engine, w.tenant.id)
    assert timedelta(minutes=59) < nxt - utcnow() <= timedelta(hours=1)
    set_paid_sync_schedule(engine, w.actor("alex"), tenant_id=w.tenant.id, schedule="never")
    assert next_paid_sync_at(engine, w.tenant.id) is None
    assert not paid_sync_due(engine, w.tenant.id, now=utcnow() + timedelta(days=30))


def test_sync_now_inline_or_queued(engine):
    w = World(engine)
    ctx = TenantContext(engine=engine, tenant_id=w.tenant.id)
    with pytest.raises(PermissionDenied):
        sync_now(ctx, w.actor("sam"))
    with pytest.raises(InvalidInput, match="choose one of: paid, job-costs"):
        sync_now(ctx, w.actor("alex"), job="vendors")
    report = sync_now(ctx, w.actor("alex"))
    assert isinstance(report, JobReport) and report.job == "paid"
    queued = [sync_now(ctx, w.actor("erin"), inline=False), sync_now(ctx, w.actor("alex"), job="paid", inline=False),
              sync_now(ctx, w.actor("alex"), job="job-costs", inline=False)]
    assert all(isinstance(q, SyncRequest) and q.status == "pending" for q in queued)
    reports = run_requested(ctx)
    assert [r.job for r in reports] == ["paid", "job-costs"]  # two asks for paid run it once
    assert run_requested(ctx) == []
    with Session(engine) as s:
        assert {r.status for r in s.exec(select(SyncRequest))} == {"done"}
        audits = s.exec(select(AuditEvent).where(AuditEvent.action == "sync_now")).all()
    assert len(audits) == 4 and {a.actor_label for a in audits} == {"@alex", "@erin"}

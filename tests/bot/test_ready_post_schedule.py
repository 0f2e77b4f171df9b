"""The daily ready post in each tenant's schedule: at `ready_post_time` in the tenant's time zone, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.scheduler import SchedulerConfig, tenant_jobs
from core.models import Tenant, TenantSettings


def _jobs(**settings) -> dict:
    tenant = Tenant(id=3, name="Summit", timezone="America/Denver")
    return {s.job: s for s in tenant_jobs(tenant, TenantSettings(tenant_id=3, **settings), (), SchedulerConfig())}


def test_the_post_runs_daily_at_its_time_in_the_tenant_time_zone():
    spec = _jobs(ready_post_time="07:30")["ready-post"]
    assert spec.name == "ready-post for tenant 3, daily at 07:30 America/Denver"
    day = datetime(2026, 11, 26, tzinfo=UTC)
    fire = spec.trigger(day, previous_next=None, first_delay=30).get_next_fire_time(None, day)
    assert fire.astimezone(UTC) == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)  # MST = UTC-7


def test_off_or_unreadable_means_no_post():
    assert "ready-post" not in _jobs()
    assert "ready-post" not in _jobs(ready_post_time="25:00")
    assert _jobs(ready_post_time="09:00", digest_hour=9)["digest"].name.endswith("daily at 09:00 America/Denver")

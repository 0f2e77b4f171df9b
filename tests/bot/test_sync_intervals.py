"""A tenant's sync intervals (the settings modal → TenantSettings.sync_intervals → the scheduler)."""

from __future__ import annotations

import pytest

from bot.scheduler import DEFAULT_INTERVALS, SchedulerConfig, tenant_jobs
from core.domain.errors import InvalidInput
from core.domain.settings import SYNC_JOBS, stored_sync_intervals, sync_minutes
from core.models import Tenant, TenantSettings


def test_only_choices_that_differ_from_the_default_are_kept():
    assert stored_sync_intervals(None, {"commitments": 15, "budget": 120}) == {"budget": 120}
    assert stored_sync_intervals({"budget": 120}, {"budget": 60}) is None  # back to the default
    assert sync_minutes({"budget": 120}, "budget") == 120 and sync_minutes(None, "budget") == 60


@pytest.mark.parametrize(("wanted", "said"), [({"payroll": 10}, "no scheduled sync called payroll"),
                                              ({"budget": 4}, "from 5 to 10080"),
                                              ({"budget": True}, "whole minutes"),
                                              ({"budget": "30"}, "whole minutes")])
def test_a_bad_choice_is_refused_with_a_sentence(wanted, said):
    with pytest.raises(InvalidInput, match=said):
        stored_sync_intervals(None, wanted)


def test_every_scheduled_sync_can_be_timed_and_the_scheduler_follows_the_choice():
    assert set(DEFAULT_INTERVALS) == set(SYNC_JOBS)
    tenant, st = Tenant(id=7, name="Acme"), TenantSettings(tenant_id=7, sync_intervals={"budget": 20})
    specs = {s.job: s.every for s in tenant_jobs(tenant, st, SYNC_JOBS, SchedulerConfig(tasks=(), hour=60))}
    assert specs["budget"] == 20 and specs["commitments"] == 900  # minutes of the config's (one-minute) hour

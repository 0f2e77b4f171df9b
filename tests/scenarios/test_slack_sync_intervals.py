"""The settings modal's sync intervals, through signed Slack requests on SQLite and PostgreSQL: an admin sees one
input per scheduled sync (with reminder and escalation hours), a bad value gets a field error in a sentence, a
good one is stored for the tenant, audited, and the leading worker's scheduler reschedules that tenant's job at
once. Approvers see no intervals, and a hand-made submission of one is refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.scheduler import Scheduler, SchedulerConfig, job_id
from bot.worker import Runtime
from core.domain.settings import SYNC_JOBS
from core.models import AuditEvent, TenantSettings

pytest_plugins = ["tests.handlers.slack_harness"]


@pytest.fixture
def scheduler(slack_pg):
    """The leading worker's scheduler (no job runs during the test: the first would be an hour away)."""
    config = SchedulerConfig(tasks=(), requests=3600, events=3600, reconcile=3600, first_run_delay=3600, threads=1)
    sched = Scheduler(Runtime(slack_pg.engine, slack_pg.settings, config=config, notifier=slack_pg.svc.notifier,
                              context_for=lambda _tenant: None))
    sched.start()
    yield sched
    sched.shutdown(wait=True)


def _open(slack, who: str) -> dict:
    slack.command(who, "settings")
    slack.idle()
    return slack.views(who)["modals"][-1]["view"]


def _every(sched: Scheduler, tenant_id: int, job: str) -> str:
    return sched.aps.get_job(job_id(tenant_id, job), jobstore="default").name


def test_an_admin_changes_a_sync_interval_and_the_tenant_is_rescheduled(slack_pg, scheduler):
    slack, tid = slack_pg, slack_pg.world.tenant.id
    assert _every(scheduler, tid, "commitments").endswith("every 15 min")
    view = _open(slack, "alex")
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert {f"every:{job}" for job in SYNC_JOBS} | {"reminder_after_hours", "escalate_after_hours"} <= set(inputs)
    assert inputs["every:commitments"]["element"]["initial_value"] == "15"

    for bad in ("often", "2", "99999"):
        out = slack.submit("alex", {"every:commitments": {"value": bad}})
        assert out["body"]["response_action"] == "errors"
        assert out["body"]["errors"]["every:commitments"].startswith("Enter whole minutes from 5 to 10080")

    good = slack.submit("alex", {"every:commitments": {"value": "45"}, "every:budget": {"value": "60"},
                                 "reminder_after_hours": {"value": "8"}})
    assert good["closed"], good
    slack.idle()
    with Session(slack.engine) as s:
        st = s.get(TenantSettings, tid)
        assert st.sync_intervals == {"commitments": 45}  # the budget's 60 is its default: not stored
        assert st.reminder_after_hours == 8
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "settings")).one()
        assert audit.detail["after"]["sync_intervals"] == {"commitments": 45}
    assert _every(scheduler, tid, "commitments").endswith("every 45 min")  # rescheduled at once
    assert _every(scheduler, tid, "budget").endswith("every 1 h")
    assert any("Settings saved" in m["text"] and "sync intervals" in m["text"] for m in slack.messages())
    again = {b.get("block_id"): b for b in _open(slack, "alex")["blocks"]}
    assert again["every:commitments"]["element"]["initial_value"] == "45"


def test_approvers_see_no_intervals_and_cannot_submit_one(slack_pg, scheduler):
    slack, tid = slack_pg, slack_pg.world.tenant.id
    view = _open(slack, "dana")  # an approver: only the digest choice
    assert not [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("every:")]
    out = slack.submit("dana", {"every:commitments": {"value": "5"}})  # a hand-made submission
    with Session(slack.engine) as s:
        st = s.get(TenantSettings, tid)
        assert st is None or st.sync_intervals is None
    assert out["closed"]  # nothing an approver may change was in it
    assert _every(scheduler, tid, "commitments").endswith("every 15 min")

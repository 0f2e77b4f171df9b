"""The scheduler: which jobs each tenant gets, kept in the database, rescheduled at once, requests run once."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

import bot.scheduler as scheduler_module
from bot.scheduler import (
    JOB_FUNC,
    Scheduler,
    SchedulerConfig,
    jobs_for_request,
    request_sync,
    reschedule_tenant,
    tenant_jobs,
)
from bot.worker import Runtime
from core.config import SettingsError
from core.models import SyncCursor, SyncRequest, Tenant, TenantSettings
from sync.context import TenantContext
from sync.jobs import base as jobs_base
from sync.jobs.base import JobReport
from sync.procore import subscription
from tests.support.factories import World

SYNC_JOBS = ("vendors", "projects", "cost-codes", "job-costs", "paid")


def wait_for(predicate, timeout: float = 5.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


class Runs(list):
    """(tenant id, job) per run; `failing` names the jobs that raise."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()


@pytest.fixture
def runs(monkeypatch):
    """Stand-in sync jobs (the real ones call QBO/Procore): each run is recorded as (tenant id, job)."""
    done = Runs()
    failing = done.failing

    def make(job_name: str) -> type:
        class FakeJob:
            name = job_name
            description = f"test stand-in for {job_name}"

            def run(self, ctx, *, dry_run=False):
                if job_name in failing:
                    raise RuntimeError(f"{job_name} broke")
                done.append((ctx.tenant_id, job_name))
                return JobReport(job_name)
        return FakeJob

    registry = {name: make(name) for name in SYNC_JOBS}
    monkeypatch.setattr(jobs_base, "load_jobs", lambda: registry)
    return done


@pytest.fixture
def make_scheduler(engine):
    made: list[Scheduler] = []

    def make(**config) -> Scheduler:
        cfg = SchedulerConfig(**{"requests": 0.1, "events": 3600, "reconcile": 3600, **config})
        runtime = Runtime(engine, None, config=cfg,
                          context_for=lambda tid: TenantContext(engine=engine, tenant_id=tid))
        sched = Scheduler(runtime)
        made.append(sched)
        return sched

    yield make
    for sched in made:
        sched.shutdown(wait=True)


def by_job(specs):
    return {s.job: s for s in specs}


# --- what a tenant should have (pure) ----------------------------------------------------------------------------
def test_tenant_jobs_follow_the_settings():
    tenant = Tenant(id=7, name="Summit", timezone="Europe/Paris")
    specs = by_job(tenant_jobs(tenant, TenantSettings(tenant_id=7, paid_sync_schedule="every_4h", digest_hour=9),
                               SYNC_JOBS, SchedulerConfig()))
    assert {j: s.every for j, s in specs.items() if s.every and j in SYNC_JOBS} == {
        "vendors": 3600, "projects": 3600, "cost-codes": 300, "job-costs": 7200, "paid": 4 * 3600}
    assert specs["digest"].cron_hour == 9 and specs["digest"].timezone == "Europe/Paris"
    assert {"reminders", "token-health"} <= set(specs)
    assert specs["vendors"].job_id == "tenant-7:vendors"
    assert all(s.grace >= 60 for s in specs.values())

    never = by_job(tenant_jobs(tenant, TenantSettings(tenant_id=7, paid_sync_schedule="never"), SYNC_JOBS,
                               SchedulerConfig()))
    assert "paid" not in never
    only_landed = by_job(tenant_jobs(tenant, TenantSettings(tenant_id=7), {"vendors"}, SchedulerConfig()))
    assert set(only_landed) == {"vendors", "digest", "weekly-digest", "reminders", "token-health"}  # as they land


def test_a_changed_setting_changes_the_job_name_the_reconciler_compares():
    tenant = Tenant(id=1, name="t", timezone="UTC")
    a = by_job(tenant_jobs(tenant, TenantSettings(tenant_id=1, digest_hour=9), SYNC_JOBS, SchedulerConfig()))
    b = by_job(tenant_jobs(tenant, TenantSettings(tenant_id=1, digest_hour=10), SYNC_JOBS, SchedulerConfig()))
    assert a["digest"].name != b["digest"].name and a["vendors"].name == b["vendors"].name
    assert b["digest"].name == "digest for tenant 1, daily at 10:00 UTC"


@pytest.mark.parametrize(("day", "utc_hour"), [(datetime(2026, 1, 15, tzinfo=UTC), 8),  # CET = UTC+1
                                               (datetime(2026, 7, 15, tzinfo=UTC), 7)])  # CEST = UTC+2
def test_the_digest_fires_at_nine_in_the_tenant_time_zone(day, utc_hour):
    spec = by_job(tenant_jobs(Tenant(id=1, name="t", timezone="Europe/Paris"), TenantSettings(tenant_id=1),
                              (), SchedulerConfig()))["digest"]
    fire = spec.trigger(day, previous_next=None, first_delay=30).get_next_fire_time(None, day)
    assert fire.astimezone(UTC) == day.replace(hour=utc_hour)


def test_config_from_the_environment():
    cfg = SchedulerConfig.from_env({"LEDGERLINK_SCHEDULER": '{"intervals": {"probe": 1}, "tasks": [], "hour": 2}'})
    assert cfg.intervals == {"probe": 1} and cfg.tasks == () and cfg.hour == 2
    assert SchedulerConfig.from_env({}) == SchedulerConfig()
    with pytest.raises(SettingsError, match="LEDGERLINK_SCHEDULER: unknown keys"):
        SchedulerConfig.from_env({"LEDGERLINK_SCHEDULER": '{"intervalz": {}}'})


def test_webhook_entities_map_to_the_jobs_that_have_landed():
    assert jobs_for_request("qbo", "Vendor", SYNC_JOBS) == ["vendors"]
    assert jobs_for_request("qbo", "BillPayment", SYNC_JOBS) == ["paid"]
    assert jobs_for_request("procore", "Company Vendors", SYNC_JOBS) == ["vendors"]
    assert jobs_for_request("procore", "Requisitions", SYNC_JOBS) == []  # no job for it yet
    assert jobs_for_request("procore", "Requisitions", {"sub-invoices"}) == ["sub-invoices"]
    assert jobs_for_request("procore", "Budget Line Items", {"budget", "cost-codes"}) == ["budget", "cost-codes"]
    assert jobs_for_request("slack", "cost-codes", SYNC_JOBS) == ["cost-codes"]  # "sync now" names the job


def test_every_resource_of_the_procore_webhook_runs_a_registered_job():
    registered = set(jobs_base.load_jobs())
    missing = [r for r in subscription.RESOURCES if not jobs_for_request("procore", r, registered)]
    assert missing == []
    assert jobs_for_request("procore", "Budget Line Items", registered) == ["budget", "cost-codes"]


# --- the scheduler on the database --------------------------------------------------------------------------------
def test_jobs_are_stored_in_the_database_with_explicit_ids_and_options(engine, runs, make_scheduler):
    world = World(engine)
    tid = world.tenant.id
    sched = make_scheduler()
    sched.start()
    jobs = {j.id: j for j in sched.aps.get_jobs(jobstore="default")}
    tasks = ("digest", "weekly-digest", "reminders", "token-health")
    assert set(jobs) == {f"tenant-{tid}:{j}" for j in (*SYNC_JOBS, *tasks)}
    for job in jobs.values():
        assert job.func_ref == JOB_FUNC and job.args[0] == tid
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 60
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar() == len(jobs)


def test_a_restarted_scheduler_keeps_the_stored_schedule(engine, runs, make_scheduler):
    World(engine)
    first = make_scheduler()
    first.start()
    before = {j.id: j.next_run_time for j in first.aps.get_jobs(jobstore="default")}
    first.shutdown()
    second = make_scheduler()
    second.start()
    assert {j.id: j.next_run_time for j in second.aps.get_jobs(jobstore="default")} == before


def test_reschedule_tenant_applies_a_changed_schedule_at_once(engine, runs, make_scheduler):
    world = World(engine)
    tid = world.tenant.id
    sched = make_scheduler()
    sched.start()
    assert sched.aps.get_job(f"tenant-{tid}:paid").trigger.interval.total_seconds() == 24 * 3600

    def set_schedule(**values):
        with Session(engine) as s:
            row = s.get(TenantSettings, tid)
            for k, v in values.items():
                setattr(row, k, v)
            s.add(row)
            s.commit()

    set_schedule(paid_sync_schedule="hourly", digest_hour=7)
    assert reschedule_tenant(tid, engine=engine) == "rescheduled"
    paid = sched.aps.get_job(f"tenant-{tid}:paid")
    assert paid.trigger.interval.total_seconds() == 3600
    assert (paid.next_run_time - datetime.now(UTC)).total_seconds() <= 3600  # not a day away any more
    assert str(sched.aps.get_job(f"tenant-{tid}:digest").trigger.fields[5]) == "7"  # hour field
    set_schedule(paid_sync_schedule="never")
    reschedule_tenant(tid, engine=engine)
    assert sched.aps.get_job(f"tenant-{tid}:paid") is None


def test_reschedule_from_another_process_is_a_request_the_leader_applies(engine, runs, make_scheduler, monkeypatch):
    world = World(engine)
    tid = world.tenant.id
    sched = make_scheduler()
    sched.start()
    with Session(engine) as s:
        row = s.get(TenantSettings, tid)
        row.paid_sync_schedule = "every_2h"
        s.add(row)
        s.commit()
    with monkeypatch.context() as m:
        m.setattr(scheduler_module, "_active", None)  # as in the web process: no scheduler here
        assert reschedule_tenant(tid, engine=engine) == "requested"
        assert reschedule_tenant(tid, engine=engine) == "requested"
    with Session(engine) as s:
        assert len(list(s.exec(select(SyncRequest).where(SyncRequest.entity == "schedule")))) == 1
    wait_for(lambda: sched.aps.get_job(f"tenant-{tid}:paid").trigger.interval.total_seconds() == 7200)

    def done():
        with Session(engine) as s:
            return s.exec(select(SyncRequest.status)).all() == ["done"]
    wait_for(done)


def test_new_tenants_get_jobs_and_gone_tenants_lose_them(engine, runs, make_scheduler):
    World(engine)
    sched = make_scheduler()
    sched.start()
    sched.aps.add_job(JOB_FUNC, "interval", hours=1, args=(999_999, "vendors"), id="tenant-999999:vendors",
                      jobstore="default")
    newcomer = World(engine, name="Newcomer")
    sched.reconcile_all()
    ids = {j.id for j in sched.aps.get_jobs(jobstore="default")}
    assert f"tenant-{newcomer.tenant.id}:vendors" in ids
    assert "tenant-999999:vendors" not in ids


def test_a_scheduled_job_runs_through_the_stored_function(engine, runs, make_scheduler):
    world = World(engine)
    tid = world.tenant.id
    sched = make_scheduler(intervals={"vendors": 1}, tasks=(), first_run_delay=0.1)
    sched.start()
    wait_for(lambda: runs.count((tid, "vendors")) >= 2, timeout=5)
    with Session(engine) as s:
        cur = s.exec(select(SyncCursor).where(SyncCursor.tenant_id == tid, SyncCursor.job == "vendors")).one()
        assert cur.last_status == "ok" and cur.last_run_at is not None


def test_requests_run_the_matching_job_once_and_are_settled(engine, runs, make_scheduler):
    world = World(engine)
    tid = world.tenant.id
    with Session(engine) as s:
        tenant = s.get(Tenant, tid)
        tenant.procore_company_id = 562949953421636
        s.add(tenant)
        s.add_all([
            SyncRequest(tenant_id=tid, source="qbo", entity="Vendor", entity_id="56", operation="update"),
            SyncRequest(tenant_id=tid, source="qbo", entity="Vendor", entity_id="57", operation="create"),
            # the webhook arrived before the company was known: the tenant is found by the company id now
            SyncRequest(tenant_id=None, source="procore", entity="Company Vendors", entity_id="9",
                        external_account="562949953421636"),
            SyncRequest(tenant_id=tid, source="qbo", entity="Account", entity_id="1"),  # nothing handles it
            SyncRequest(tenant_id=None, source="qbo", entity="Vendor", external_account="no-such-realm"),
        ])
        s.commit()
    request_sync(tid, "projects", engine=engine)
    runs.failing.add("cost-codes")
    request_sync(tid, "cost-codes", engine=engine)
    sched = make_scheduler()
    sched.start()

    def settled():
        with Session(engine) as s:
            return not s.exec(select(func.count()).select_from(SyncRequest)
                              .where(SyncRequest.status == "pending")).one()
    wait_for(settled)
    assert sorted(runs) == [(tid, "projects"), (tid, "vendors")]  # three vendor requests, one run
    with Session(engine) as s:
        statuses = [(r.entity, r.status) for r in s.exec(select(SyncRequest).order_by(SyncRequest.id))]
    assert statuses == [("Vendor", "done"), ("Vendor", "done"), ("Company Vendors", "done"),
                        ("Account", "skipped"), ("Vendor", "skipped"), ("projects", "done"),
                        ("cost-codes", "failed")]


def test_a_request_run_ending_while_the_next_tick_reads_is_not_run_again(engine, runs, make_scheduler,
                                                                          monkeypatch):
    """The run of three requests ends (rows settled, no longer in flight) right after the next tick read them as
    pending: that tick must not run the job again (seen under load: `vendors` twice for three requests)."""
    world = World(engine)
    tid = world.tenant.id
    with Session(engine) as s:
        s.add_all([SyncRequest(tenant_id=tid, source="qbo", entity="Vendor", entity_id=str(n), operation="update")
                   for n in (56, 57, 58)])
        s.commit()
    sched = make_scheduler()  # not started: the test plays the two threads' interleaving itself
    assert sched.process_requests() == 3
    (run,) = [j for j in sched.aps.get_jobs() if j.id.startswith("request:")]
    sched.aps.remove_job(run.id)
    armed = [True]

    class RunEndsAfterTheRead(Session):
        def exec(self, statement, *args, **kwargs):
            result = super().exec(statement, *args, **kwargs)
            if armed and "sync_request" in str(statement) and "pending" in str(statement.compile(
                    compile_kwargs={"literal_binds": True})):
                armed.clear()
                rows = list(result)
                run.func(*run.args)  # the request thread finishes now
                return rows
            return result

    monkeypatch.setattr(scheduler_module, "Session", RunEndsAfterTheRead)
    assert sched.process_requests() == 0
    assert not armed and runs == [(tid, "vendors")]
    with Session(engine) as s:
        assert {r.status for r in s.exec(select(SyncRequest))} == {"done"}

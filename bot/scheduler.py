"""What runs when: every tenant's sync jobs, digest, reminders and token check, on APScheduler 3.

One `BackgroundScheduler` runs in the leading `ledgerlink worker` (see bot/leader.py and bot/worker.py). Its
per-tenant jobs live in the project database (`SQLAlchemyJobStore`, table `apscheduler_jobs`), so a new leader
carries on where the old one stopped; each has an explicit id (`tenant-<id>:<job>`), `replace_existing=True`,
`coalesce=True` (a backlog runs once), `max_instances=1` and a misfire grace time. A persisted job is a
reference to the module-level `run_tenant_job(tenant_id, job_name)`, which the job store can serialise.

The leader's own fast loops — webhook/"sync now" requests, notifications from audit events, re-reading every
tenant's schedule — are in-memory jobs: they need no persistence and run on their own small thread pool.

What sets a tenant's schedule (`tenant_jobs`): the sync jobs registered in `sync.jobs` (vendors and projects
hourly, cost-codes every 5 min, job-costs every 2 h, the Procore item polls — sub and owner invoices every 10 min,
commitments 15 min, prime contracts 30 min, budgets hourly —, the Procore webhook check every 6 h; `paid` on the
tenant's paid-sync schedule), the daily
approver digest at `digest_hour` in the tenant's time zone, the weekly digest (the chart of the week,
bot/services/weekly.py) on Mondays at that hour, reminders, the token check, and the daily "ready to
export" channel post at `ready_post_time` (when set). `reschedule_tenant`
applies a changed setting at once; tenants created since are picked up within `reconcile` seconds.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from core.config import SettingsError
from core.db import get_engine
from core.db_outage import Backoff, is_outage
from core.domain.settings import SYNC_JOBS, PaidSyncSchedule
from core.models import Connection, SyncRequest, Tenant, TenantSettings, utcnow
from sync.jobs import base as jobs_base

logger = logging.getLogger(__name__)

JOB_FUNC = "bot.scheduler:run_tenant_job"  # what the job store serialises
CONFIG_ENV = "LEDGERLINK_SCHEDULER"  # JSON overrides of SchedulerConfig (tests use second-level intervals)

#: sync job → seconds between runs, unless the tenant chose otherwise (TenantSettings.sync_intervals, the settings
#: modal); `paid` is absent: it follows TenantSettings.paid_sync_schedule. The Procore item jobs are the safety
#: net under the webhook (incremental: cheap when nothing changed); `procore-webhook` checks and repairs it.
DEFAULT_INTERVALS: dict[str, float] = {job: minutes * 60.0 for job, (_label, minutes) in SYNC_JOBS.items()}
#: scheduler tasks that are not sync jobs (run by this module, not by sync.jobs)
TASKS = ("digest", "weekly-digest", "reminders", "token-health", "ready-post")
WEEKLY_DAY = "mon"  # the weekly digest (the chart of the week that ended) comes on Monday at the digest hour


@dataclass(frozen=True)
class SchedulerConfig:
    """Timings, in seconds. `hour` is the length of one "hour" of the tenants' settings (paid-sync schedule,
    reminder and escalation hours), so a test can make an hour last a second."""

    intervals: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    tasks: tuple[str, ...] = TASKS
    hour: float = 3600
    first_run_delay: float = 30  # a newly scheduled sync job first runs this soon, not a whole interval later
    reminder_check: float = 900
    token_check: float = 6 * 3600
    token_warn_days: float = 14  # warn admins when a refresh token expires sooner than this
    renotify: float = 24 * 3600  # repeat a still-unsolved token warning after this long
    digest_grace: int = 2 * 3600  # a digest missed (worker down at 09:00) is still sent this late
    requests: float = 2  # webhook / "sync now" / reschedule requests
    events: float = 5  # rejection, failure and paid notifications
    reconcile: float = 60  # re-read every tenant's schedule (new tenants, settings changed elsewhere)
    outbox: float = 2  # every worker drains the outbox this often
    outbox_batch: int = 10
    outbox_claim_timeout: float = 300  # an outbox row claimed longer ago than this (its worker died) is taken over
    follower_poll: float = 5  # a follower tries to become the leader this often
    heartbeat: float = 5  # the leader confirms its lock (renews its lease) this often
    lease: float = 30  # SQLite lease length; failover takes up to this long there
    leader_lock: str = "auto"  # auto (advisory lock on PostgreSQL, lease on SQLite) | advisory | lease
    threads: int = 4
    event_settle: float = 2  # audit events younger than this wait a round (ids commit out of order)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SchedulerConfig:
        raw = (environ if environ is not None else os.environ).get(CONFIG_ENV)
        if not raw:
            return cls()
        try:
            values = json.loads(raw)
            known = {f.name for f in fields(cls)}
            unknown = set(values) - known
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}; expected some of {sorted(known)}")
            if "tasks" in values:
                values["tasks"] = tuple(values["tasks"])
            return replace(cls(), **values)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{CONFIG_ENV}: {exc}") from None


def settings_of(s: Session, tenant_id: int) -> TenantSettings:
    """The tenant's settings, or the defaults — without inserting a row (that is the settings service's job)."""
    return s.get(TenantSettings, tenant_id) or TenantSettings(tenant_id=tenant_id)


def as_utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


# --- which jobs a tenant has ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobSpec:
    tenant_id: int
    job: str
    every: float | None = None  # seconds, for an interval job
    cron_hour: int | None = None  # for the daily digest (and ready post), in `timezone`
    cron_minute: int = 0
    cron_day: str | None = None  # a weekly job's day ("mon"); None: daily
    timezone: str = "UTC"
    grace: int = 60

    @property
    def job_id(self) -> str:
        return job_id(self.tenant_id, self.job)

    @property
    def when(self) -> str:
        if self.cron_hour is not None:
            days = f"every {self.cron_day.capitalize()}" if self.cron_day else "daily"
            return f"{days} at {self.cron_hour:02d}:{self.cron_minute:02d} {self.timezone}"
        return f"every {_duration(self.every or 0)}"

    @property
    def name(self) -> str:
        """Also the signature: a job whose name changed is rescheduled."""
        return f"{self.job} for tenant {self.tenant_id}, {self.when}"

    def trigger(self, now: datetime, *, previous_next: datetime | None, first_delay: float) -> Any:
        if self.cron_hour is not None:
            return CronTrigger(day_of_week=self.cron_day or "*", hour=self.cron_hour, minute=self.cron_minute,
                               timezone=_zone(self.timezone))
        every = timedelta(seconds=self.every or 1)
        if previous_next is None:  # new: first run soon (a just-connected tenant should not wait an hour),
            # spread by tenant over up to a tenth of the interval (≤ 5 min) so a fleet does not start at once
            spread = min(every / 10, timedelta(minutes=5)) * (zlib.crc32(self.job_id.encode()) % 1000 / 1000)
            start = now + min(every, timedelta(seconds=first_delay)) + spread
        else:  # changed: keep the old next run if it is sooner than a whole new interval
            start = min(as_utc(previous_next), now + every)
        return IntervalTrigger(seconds=every.total_seconds(), start_date=start, timezone=UTC)


def job_id(tenant_id: int, job: str) -> str:
    return f"tenant-{tenant_id}:{job}"


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        logger.warning("unknown time zone %r; using UTC", name)
        return ZoneInfo("UTC")


PAID_SCHEDULED = ("paid", "receipts")


def tenant_jobs(tenant: Tenant, settings: TenantSettings, registered: Iterable[str],
                config: SchedulerConfig) -> list[JobSpec]:
    """The jobs one tenant should have right now (pure: from its settings and the registered sync jobs)."""
    registered = set(registered)
    tid = tenant.id or 0
    specs = []
    for name, seconds in sorted(config.intervals.items()):
        if name not in registered:
            continue
        chosen = (settings.sync_intervals or {}).get(name)
        if chosen:  # the tenant's own interval, in minutes of the config's hour
            seconds = chosen * config.hour / 60
        specs.append(JobSpec(tid, name, every=seconds, grace=max(60, int(seconds))))
    for name in PAID_SCHEDULED:  # money going out (paid) and coming in (receipts) follow the paid-sync schedule
        if name not in registered or name in config.intervals:
            continue
        try:
            hours = PaidSyncSchedule(settings.paid_sync_schedule).interval_hours
        except ValueError:
            logger.warning("tenant %s: unknown paid-sync schedule %r; %s sync not scheduled", tid,
                           settings.paid_sync_schedule, name)
            hours = None
        if hours:
            seconds = hours * config.hour
            specs.append(JobSpec(tid, name, every=seconds, grace=max(60, int(seconds))))
    if "digest" in config.tasks:
        specs.append(JobSpec(tid, "digest", cron_hour=min(max(settings.digest_hour, 0), 23),
                             timezone=tenant.timezone or "UTC", grace=config.digest_grace))
    if "weekly-digest" in config.tasks:
        specs.append(JobSpec(tid, "weekly-digest", cron_hour=min(max(settings.digest_hour, 0), 23),
                             cron_day=WEEKLY_DAY, timezone=tenant.timezone or "UTC", grace=config.digest_grace))
    if "reminders" in config.tasks:
        specs.append(JobSpec(tid, "reminders", every=config.reminder_check, grace=max(60, int(config.reminder_check))))
    if "token-health" in config.tasks:
        specs.append(JobSpec(tid, "token-health", every=config.token_check, grace=max(60, int(config.token_check))))
    post_at = _clock(settings.ready_post_time)
    if "ready-post" in config.tasks and post_at is not None:
        specs.append(JobSpec(tid, "ready-post", cron_hour=post_at[0], cron_minute=post_at[1],
                             timezone=tenant.timezone or "UTC", grace=config.digest_grace))
    return specs


def _clock(value: str | None) -> tuple[int, int] | None:
    """'09:30' → (9, 30); None (off) or unreadable → None."""
    hour, _, minute = (value or "").partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        if value:
            logger.warning("ready post time %r is not HH:MM; the daily post is off", value)
        return None
    return int(hour), int(minute)


# --- webhook and "sync now" requests ----------------------------------------------------------------------------
#: (source, entity as the webhook names it, normalised) → the sync jobs that handle it (each registered one runs).
#: Every resource of Ledgerlink's Procore webhook (sync.procore.subscription.RESOURCES) has a row; a test checks it.
REQUEST_JOBS: dict[tuple[str, str], tuple[str, ...]] = {
    ("qbo", "vendor"): ("vendors",),
    ("qbo", "customer"): ("projects",),
    ("qbo", "item"): ("cost-codes",),
    ("qbo", "billpayment"): ("paid",),
    ("qbo", "payment"): ("receipts",),
    ("qbo", "bill"): ("paid",),
    ("qbo", "purchase"): ("job-costs",),
    ("qbo", "vendorcredit"): ("job-costs",),
    ("procore", "projects"): ("projects",),
    ("procore", "companyvendors"): ("vendors",),
    ("procore", "standardcostcodes"): ("cost-codes",),
    ("procore", "costcodes"): ("cost-codes",),
    ("procore", "lineitemtypes"): ("cost-codes",),
    # the budget item (sync budget) and, on a budget-synced project, its QuickBooks items (sync cost-codes)
    ("procore", "budgetlineitems"): ("budget", "cost-codes"),
    ("procore", "requisitions"): ("sub-invoices",),
    ("procore", "paymentapplications"): ("owner-invoices",),
    ("procore", "workordercontracts"): ("commitments",),
    ("procore", "purchaseordercontracts"): ("commitments",),
    ("procore", "primecontracts"): ("prime-contracts",),
    ("procore", "commitmentchangeorders"): ("commitments",),
    ("procore", "primechangeorders"): ("prime-contracts",),
}
RESCHEDULE = "schedule"  # SyncRequest.entity of a reschedule request


def _norm(entity: str) -> str:
    return "".join(ch for ch in entity.lower() if ch.isalnum())


def jobs_for_request(source: str, entity: str, registered: Iterable[str]) -> list[str]:
    """The registered jobs a request asks for: a job's own name ("sync now"), else the webhook entity's jobs."""
    registered = set(registered)
    if entity in registered:
        return [entity]
    return [j for j in REQUEST_JOBS.get((source, _norm(entity)), ()) if j in registered]


def request_sync(tenant_id: int, job: str, *, engine: Engine | None = None, source: str = "slack") -> int:
    """Ask the leading worker to run `job` for the tenant soon ("sync now"); returns the request's id."""
    with Session(engine or get_engine()) as s:
        row = SyncRequest(tenant_id=tenant_id, source=source, entity=job[:48], operation="sync")
        s.add(row)
        s.commit()
        return row.id  # type: ignore[return-value]


_active: Scheduler | None = None  # the scheduler running in this process, if it leads


def reschedule_tenant(tenant_id: int, *, engine: Engine | None = None) -> str:
    """Apply a tenant's changed schedule settings (paid-sync schedule, digest hour, time zone) at once.

    In the leading worker this reschedules now ("rescheduled"); anywhere else (the web app) it leaves a request
    that the leader applies within `requests` seconds ("requested"). Also how a new tenant gets its jobs."""
    sched = _active
    if sched is not None and sched.running:
        sched.reconcile_tenant(tenant_id)
        return "rescheduled"

    with Session(engine or get_engine()) as s:
        already = s.exec(select(SyncRequest.id).where(SyncRequest.tenant_id == tenant_id,
                                                      SyncRequest.entity == RESCHEDULE,
                                                      SyncRequest.status == "pending")).first()
        if already is None:
            s.add(SyncRequest(tenant_id=tenant_id, source="schedule", entity=RESCHEDULE, operation="reschedule"))
            s.commit()
    return "requested"


def reschedule(tenant_id: int, engine: Engine | None = None) -> bool:
    """`reschedule_tenant` for a person who just saved settings: a failure is logged, not shown (the settings are
    saved; the worker applies them on its next start)."""
    try:
        reschedule_tenant(tenant_id, engine=engine)
    except Exception:  # noqa: BLE001 - see above
        logger.exception("rescheduling tenant %s failed", tenant_id)
        return False
    return True


def run_tenant_job(tenant_id: int, job_name: str) -> None:
    """The function every persisted job calls (by import path, so the SQLAlchemy job store can store it)."""
    sched = _active
    if sched is None:
        logger.error("%s for tenant %s: no scheduler runtime in this process", job_name, tenant_id)
        return
    sched.runtime.run(tenant_id, job_name)


# --- the scheduler -----------------------------------------------------------------------------------------------
class JobRunner(Protocol):
    """What the scheduler runs its jobs with (`bot.worker.Runtime`)."""

    engine: Engine
    config: SchedulerConfig

    def run(self, tenant_id: int, job_name: str) -> bool: ...

    def pump(self, tenant_id: int) -> int: ...


class Scheduler:
    """APScheduler plus Ledgerlink's reconciliation of what each tenant should have. One per leading process."""

    def __init__(self, runtime: JobRunner) -> None:
        self.runtime = runtime
        self.config = runtime.config
        self.engine = runtime.engine
        self.aps = BackgroundScheduler(
            jobstores={"default": OutageTolerantJobStore(engine=self.engine, tablename="apscheduler_jobs"),
                       "memory": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(self.config.threads), "internal": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone=UTC)
        # the internal jobs run every few seconds: their "Running job …" lines would drown the ones that matter;
        # APScheduler's own start/stop lines repeat ours, at every change of leader (each database outage)
        logging.getLogger("apscheduler.executors.internal").setLevel(logging.WARNING)
        aps_log = logging.getLogger("apscheduler.scheduler")
        aps_log.setLevel(logging.WARNING)
        if not any(isinstance(f, _OutageRetries) for f in aps_log.filters):
            aps_log.addFilter(_OutageRetries())
        self._inflight: set[int] = set()
        self._inflight_guard = threading.Lock()
        self._registered: set[str] = set()
        self._reconcile_guard = threading.Lock()

    @property
    def running(self) -> bool:
        return self.aps.running

    def start(self) -> None:
        global _active
        _active = self
        self.aps.start(paused=True)  # add the internal jobs and the tenants' jobs before anything runs
        for name, every, call in (("requests", self.config.requests, self.process_requests),
                                  ("events", self.config.events, self.process_events),
                                  ("reconcile", self.config.reconcile, self.reconcile_all)):
            self.aps.add_job(_outage_tolerant(call, every), IntervalTrigger(seconds=every, timezone=UTC),
                             id=f"internal:{name}",
                             name=f"{name} (every {_duration(every)})", jobstore="memory", executor="internal",
                             replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=30)
        self.reconcile_all()
        self.aps.resume()
        logger.info("scheduler started: %d tenant job(s) in the job store",
                    len(self.aps.get_jobs(jobstore="default")))

    def shutdown(self, *, wait: bool = True) -> None:
        global _active
        if self.aps.running:
            self.aps.shutdown(wait=wait)
        if _active is self:
            _active = None
        logger.info("scheduler stopped%s", "" if wait else " (running jobs finish in the background)")

    # --- what should be scheduled ---------------------------------------------------------------------------
    def registered_jobs(self) -> set[str]:
        try:
            jobs = set(jobs_base.load_jobs())
        except Exception:  # a broken job module must not stop every other job
            logger.exception("loading the sync jobs failed; keeping the previous list")
            return self._registered
        if jobs != self._registered:
            self._registered = jobs
            if jobs == _logged_jobs.get("last"):  # a new leader term of this process: said already
                return jobs
            _logged_jobs["last"] = jobs
            unscheduled = sorted(jobs - set(self.config.intervals) - set(PAID_SCHEDULED))
            logger.info("sync jobs: %s%s", ", ".join(sorted(jobs)) or "none yet",
                        f" (on request only: {', '.join(unscheduled)})" if unscheduled else "")
        return jobs

    def reconcile_all(self) -> None:
        """Every tenant gets exactly its jobs; jobs of tenants that no longer exist go."""
        with self._reconcile_guard:
            registered = self.registered_jobs()
            with Session(self.engine, expire_on_commit=False) as s:
                tenants = list(s.exec(select(Tenant).order_by(Tenant.id)))
                settings = {t.id: settings_of(s, t.id) for t in tenants}  # type: ignore[arg-type]
            existing: dict[int, dict[str, Any]] = defaultdict(dict)
            for job in self.aps.get_jobs(jobstore="default"):
                tid = _tenant_of(job.id)
                if tid is None:
                    continue
                existing[tid][job.id] = job
            for tenant in tenants:
                self._apply(tenant_jobs(tenant, settings[tenant.id], registered, self.config),
                            existing.pop(tenant.id, {}))  # type: ignore[arg-type]
            for jobs in existing.values():  # tenants deleted since
                for jid in jobs:
                    self.aps.remove_job(jid, jobstore="default")
                    logger.info("unscheduled %s (tenant gone)", jid)

    def reconcile_tenant(self, tenant_id: int) -> list[JobSpec]:
        with self._reconcile_guard:
            registered = self.registered_jobs()
            with Session(self.engine, expire_on_commit=False) as s:
                tenant = s.get(Tenant, tenant_id)
                ts = settings_of(s, tenant_id)
            existing = {j.id: j for j in self.aps.get_jobs(jobstore="default") if _tenant_of(j.id) == tenant_id}
            specs = tenant_jobs(tenant, ts, registered, self.config) if tenant else []
            self._apply(specs, existing)
            return specs

    def _apply(self, specs: list[JobSpec], existing: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        for spec in specs:
            old = existing.pop(spec.job_id, None)
            if old is not None and old.name == spec.name:
                continue
            trigger = spec.trigger(now, previous_next=old.next_run_time if old else None,
                                   first_delay=self.config.first_run_delay)
            job = self.aps.add_job(JOB_FUNC, trigger=trigger, args=(spec.tenant_id, spec.job), id=spec.job_id,
                                   name=spec.name, jobstore="default", replace_existing=True, coalesce=True,
                                   max_instances=1, misfire_grace_time=spec.grace)
            nxt = getattr(job, "next_run_time", None) or trigger.get_next_fire_time(None, now)
            logger.info("%s %s: %s; next run %s", "rescheduled" if old else "scheduled", spec.job_id, spec.when,
                        nxt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if nxt else "never")
        for jid in existing:
            self.aps.remove_job(jid, jobstore="default")
            logger.info("unscheduled %s (no longer wanted by the tenant's settings)", jid)

    # --- requests: webhooks, "sync now", reschedule ---------------------------------------------------------
    def process_requests(self) -> int:
        """Pending SyncRequests become one run per (tenant, job) soon; the rows are marked done after it."""
        registered = self.registered_jobs()
        # taken before the read: a run that ends (settles its rows, leaves _inflight) after the read but before
        # the check below would otherwise have its rows, still pending in what was read, run a second time
        with self._inflight_guard:
            inflight = set(self._inflight)
        with Session(self.engine, expire_on_commit=False) as s:
            rows = list(s.exec(select(SyncRequest).where(SyncRequest.status == "pending")
                               .order_by(SyncRequest.id).limit(500)))
        groups: dict[tuple[int, str], list[int]] = defaultdict(list)
        settled: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            if row.id in inflight:
                continue
            tenant_id = row.tenant_id or self._tenant_for(row)
            if tenant_id is not None and row.entity == RESCHEDULE:
                self.reconcile_tenant(tenant_id)
                settled["done"].append(row.id)  # type: ignore[arg-type]
                continue
            jobs = jobs_for_request(row.source, row.entity, registered) if tenant_id is not None else []
            if not jobs:
                logger.info("request %s (%s %s %s) skipped: %s", row.id, row.source, row.entity, row.entity_id or "",
                            "no tenant has that account" if tenant_id is None else "no sync job handles it yet")
                settled["skipped"].append(row.id)  # type: ignore[arg-type]
                continue
            for job in jobs:  # the row is settled by the first of its runs to end
                groups[(tenant_id, job)].append(row.id)  # type: ignore[index]
        for status, ids in settled.items():
            _settle(self.engine, ids, status)
        for (tenant_id, job), ids in groups.items():
            with self._inflight_guard:
                self._inflight.update(ids)
            self.aps.add_job(self._run_requested, DateTrigger(datetime.now(UTC)), args=(tenant_id, job, ids),
                             id=f"request:{job_id(tenant_id, job)}:{ids[0]}", name=f"{job} for tenant {tenant_id} "
                             f"(requested {len(ids)}x)", jobstore="memory", replace_existing=True,
                             misfire_grace_time=None)
        return len({i for ids in groups.values() for i in ids})

    def _run_requested(self, tenant_id: int, job: str, ids: list[int]) -> None:
        try:
            ok = self.runtime.run(tenant_id, job)
            _settle(self.engine, ids, "done" if ok else "failed")
        finally:
            with self._inflight_guard:
                self._inflight.difference_update(ids)

    def _tenant_for(self, row: SyncRequest) -> int | None:
        if not row.external_account:
            return None
        with Session(self.engine) as s:
            if row.source == "qbo":
                q = select(Tenant.id).where(Tenant.qbo_realm_id == row.external_account)
            elif row.source == "procore" and row.external_account.isdigit():
                q = select(Tenant.id).where(Tenant.procore_company_id == int(row.external_account))
            else:
                return None
            tid = s.exec(q.order_by(Tenant.id)).first()
            if tid is None:
                tid = s.exec(select(Connection.tenant_id).where(
                    Connection.provider == row.source, Connection.external_id == row.external_account)).first()
            return tid

    # --- notifications from what happened (audit events) -----------------------------------------------------
    def process_events(self) -> int:
        with Session(self.engine) as s:
            tenant_ids = list(s.exec(select(Tenant.id).order_by(Tenant.id)))
        return sum(self.runtime.pump(tid) for tid in tenant_ids)


class OutageTolerantJobStore(SQLAlchemyJobStore):
    """The tenants' job store. While the database is unreachable, the next run time is "in a few seconds" (then
    asked again) instead of an exception: APScheduler does not catch that one, and its thread would end with a
    traceback."""

    def get_next_run_time(self) -> datetime | None:
        try:
            return super().get_next_run_time()
        except Exception as exc:
            if not is_outage(exc):
                raise
            return datetime.now(UTC) + timedelta(seconds=5)


#: the sync jobs this process last logged (a new Scheduler after each change of leader need not repeat them)
_logged_jobs: dict[str, set[str]] = {}


class _OutageRetries(logging.Filter):
    """Drops APScheduler's "Error getting due jobs from job store" when the error is the database outage that
    core/db_outage.py logs once (it retries every 10 s on its own, as long as the outage lasts)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(a, BaseException) and is_outage(a) for a in args)


def _outage_tolerant(call: Any, every: float) -> Any:
    """An internal job that skips its runs, backing off, while the database is unreachable (the outage is logged
    once, core/db_outage.py): not a traceback every few seconds from APScheduler."""
    backoff = Backoff(every, max(every, 30.0))

    def run() -> Any:
        if not backoff.ready():
            return None
        try:
            result = call()
        except Exception as exc:
            if not is_outage(exc):
                raise
            backoff.failed()
            return None
        backoff.reset()
        return result

    run.__name__ = getattr(call, "__name__", "internal job")
    return run


def _tenant_of(jid: str) -> int | None:
    head = jid.split(":", 1)[0]
    return int(head[len("tenant-"):]) if head.startswith("tenant-") and head[len("tenant-"):].isdigit() else None


def _settle(engine: Engine, ids: list[int], status: str) -> None:
    if not ids:
        return
    with Session(engine) as s:
        s.execute(update(SyncRequest).where(SyncRequest.id.in_(ids), SyncRequest.status == "pending")  # type: ignore[attr-defined]
                  .values(status=status, done_at=utcnow()))
        s.commit()


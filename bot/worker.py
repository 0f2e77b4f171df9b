"""`ledgerlink worker`: the outbox drain in every worker, the scheduler in the one that leads, and the `Runtime`
the scheduled jobs run in. What the notification tasks do (digest, reminders, token check, notifications from
audit events) through a `Notifier` is in bot/notify_tasks.py.

Why the outbox drain runs in *every* worker while scheduled jobs run only in the leader: an outbox claim is
already exclusive (`FOR UPDATE SKIP LOCKED` / one atomic `UPDATE … RETURNING`) and a result is recorded only by
the claim's holder, so N workers export N times faster and an export never waits for a failover. A scheduled
job has no such guard — two paid syncs at once would both read QBO and both notify — so only the leader
(bot/leader.py) runs the scheduler.

Stopping (SIGTERM or Ctrl-C): the scheduler stops taking jobs and waits for the running ones, the outbox loop
finishes the entries it has claimed, the leader lock is released (a follower takes over at once), and every
thread this module started is joined.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_
from sqlmodel import Session, select

from bot.actions import autosend
from bot.engine_setup import engine_outbox
from bot.leader import leadership_for
from bot.notify import exported_since, items_with_cards
from bot.notify_tasks import (  # noqa: F401 - LoggingNotifier, load_notifier, pump_events: imported from here too
    LoggingNotifier,
    NotificationTasks,
    Notifier,
    load_notifier,
    pump_events,
)
from bot.scheduler import TASKS, Scheduler, SchedulerConfig
from core.config import SettingsError
from core.db import db_status, engine_for
from core.db_outage import OUTAGE, Backoff, is_outage
from core.domain.states import ItemState
from core.models import Item, utcnow
from sync.context import NotConnected, TenantContext, token_store
from sync.jobs.base import register, run_job
from sync.operations import build_operations
from sync.outbox import default_worker_id

logger = logging.getLogger(__name__)

EXTRA_JOBS_ENV = "LEDGERLINK_EXTRA_JOBS"  # "module:Class,…": more sync job classes to register (tests, plugins)
OUTAGE_POLL_CAP = 2.0  # seconds: while the database is unreachable, the outbox and leader loops try this often


# --- the runtime the persisted jobs find ------------------------------------------------------------------------
class Runtime(NotificationTasks):
    """What a job run needs in this process: database, settings, tenant contexts, notifier, leadership."""

    def __init__(self, engine: Engine, settings: Any, *, config: SchedulerConfig | None = None,
                 notifier: Notifier | None = None, is_leader: Callable[[], bool] = lambda: True,
                 context_for: Callable[[int], Any] | None = None, tokens: Any = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.settings = settings
        self.config = config or SchedulerConfig()
        self.notifier: Notifier = notifier or LoggingNotifier()
        self.is_leader = is_leader
        self.clock = clock
        self._context_for = context_for
        self._tokens: Any = tokens
        self._tokens_made = tokens is not None
        self._locks: dict[tuple[int, str], threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def tokens(self) -> Any:
        """One token store for every tenant (None without LEDGERLINK_SECRET_KEY: contexts then say so)."""
        if not self._tokens_made:
            self._tokens_made = True
            if self.settings is not None and getattr(self.settings, "secret_key", None) is not None:
                self._tokens = token_store(self.engine, self.settings)
        return self._tokens

    def context_for(self, tenant_id: int) -> Any:
        if self._context_for is not None:
            return self._context_for(tenant_id)

        return TenantContext(engine=self.engine, tenant_id=tenant_id, settings=self.settings, tokens=self.tokens())

    def autosend(self, tenant_id: int) -> dict[str, int]:
        """Send what the job's status changes queued for auto-send (bot/actions/autosend.py), here in the
        worker: a webhook request only queues the sync."""
        return dict(autosend.process_in_worker(self, tenant_id))

    def run(self, tenant_id: int, job_name: str) -> bool:
        """Run one job for one tenant, never twice at once in this process; True when it succeeded."""
        if not self.is_leader():
            logger.warning("%s for tenant %s not run: this worker is no longer the leader", job_name, tenant_id)
            return False
        with self._locks_guard:
            lock = self._locks[(tenant_id, job_name)]

        with lock:
            started = self.clock()
            try:
                if job_name in TASKS:
                    getattr(self, "task_" + job_name.replace("-", "_"))(tenant_id)
                else:
                    run_job(self.context_for(tenant_id), job_name)
                    self.notify("auto-send", lambda: self.autosend(tenant_id))
            except (NotConnected, SettingsError) as exc:
                logger.info("%s for tenant %s skipped: %s", job_name, tenant_id, exc)
                return False
            except Exception:
                logger.exception("%s for tenant %s failed", job_name, tenant_id)
                return False
            logger.debug("%s for tenant %s done in %.1fs", job_name, tenant_id,
                         (self.clock() - started).total_seconds())
            return True


# --- the process -------------------------------------------------------------------------------------------------
def register_extra_jobs(spec: str | None = None) -> list[str]:
    """Register the job classes named in LEDGERLINK_EXTRA_JOBS ("package.module:Class,…")."""
    names = []
    for ref in filter(None, (p.strip() for p in (spec if spec is not None else os.environ.get(EXTRA_JOBS_ENV, ""))
                             .split(","))):
        module, _, attr = ref.partition(":")
        cls = getattr(importlib.import_module(module), attr)
        register(cls)
        names.append(cls.name)
    return names


class OutboxLoop:
    """Drains the outbox every `config.outbox` seconds, then asks the notifier to redraw the cards of the items
    whose exports it ran (synced, failed or retrying). When idle, it also redraws cards an export left behind."""

    def __init__(self, runtime: Runtime, stop: threading.Event, worker_id: str) -> None:
        self.runtime = runtime
        self.stop = stop
        self.worker_id = worker_id
        self._outbox: Any = None
        self._swept_at: datetime | None = None

    def outbox(self) -> Any:
        if self._outbox is None:
            context_for = self.runtime.context_for
            self._outbox = engine_outbox(self.runtime.engine, build_operations(context_for),
                                         context_for=context_for, worker_id=self.worker_id,
                                         claim_timeout=timedelta(seconds=self.runtime.config.outbox_claim_timeout),
                                         on_held=self.show_waiting, on_recorded=self.redraw)
        return self._outbox

    def run(self) -> None:
        every = self.runtime.config.outbox
        backoff = Backoff(every, max(every, OUTAGE_POLL_CAP))
        wait = every
        while not self.stop.wait(wait):
            wait = every
            try:
                if not self.drain():
                    self.redraw_stale_cards()
                backoff.reset()
            except Exception as exc:
                if is_outage(exc):  # logged once per outage (core/db_outage.py): just poll less often meanwhile
                    wait = backoff.failed()
                    continue
                logger.exception("outbox round failed; trying again in %gs", every)

    def show_waiting(self, items: list[Item]) -> None:
        """The outbox holds these items' outcomes until the database answers: their cards say so."""
        say = getattr(self.runtime.notifier, "waiting_for_database", None)
        if say is not None and items:
            self.runtime.notify("waiting cards", lambda: say(items))

    def redraw(self, item_ids: list[int]) -> None:
        """Held outcomes are recorded: redraw those items' cards."""
        items = items_with_cards(self.runtime.engine, item_ids)
        if items:
            self.runtime.notify("card refresh", lambda: self.runtime.notifier.refresh_cards(items))

    def drain(self) -> int:
        """Claim and run due entries until none are left (or we are stopping); returns how many ran."""
        outbox, started, ran = self.outbox(), utcnow(), 0
        while not self.stop.is_set():
            # a few rounds at a time (bulk Bills 30 to a /batch request), so a stop request is seen soon
            stats = outbox.drain(batch=self.runtime.config.outbox_batch, max_rounds=5)
            done = stats.done + stats.failed + stats.retried
            if not done:
                break
            ran += done
        if ran:
            items = exported_since(self.runtime.engine, started)
            if items:  # at once, from the worker that ran them (a failure notice follows from the audit log)
                self.runtime.notify("card refresh", lambda: self.runtime.notifier.refresh_cards(items))
        return ran

    def redraw_stale_cards(self, now: datetime | None = None) -> int:
        """Redraw the cards of items an export finished (synced or failed) longer than a claim timeout ago whose
        card still shows an older version: the process that exported them died between its commit and the redraw
        (or Slack refused the update). At most once per claim timeout; gives up on a card after a day."""
        now = now or utcnow()
        every = timedelta(seconds=self.runtime.config.outbox_claim_timeout)
        if self._swept_at is not None and now - self._swept_at < every:
            return 0
        self._swept_at = now
        with Session(self.runtime.engine, expire_on_commit=False) as s:
            items = list(s.exec(select(Item).where(
                Item.card_ts.is_not(None),  # type: ignore[union-attr]
                Item.state.in_([ItemState.SYNCED.value, ItemState.FAILED_TO_EXPORT.value]),  # type: ignore[attr-defined]
                or_(Item.card_version.is_(None), Item.card_version < Item.version),  # type: ignore[union-attr,operator]
                Item.updated_at < now - every, Item.updated_at > now - timedelta(days=1)).limit(100)))
        if items:
            logger.info("redrawing %d card(s) an export left behind", len(items))
            self.runtime.notify("stale card redraw", lambda: self.runtime.notifier.refresh_cards(items))
        return len(items)


class Worker:
    """One `ledgerlink worker`: an outbox thread, and a leader thread that runs the scheduler while it leads."""

    def __init__(self, settings: Any, *, engine: Engine | None = None, config: SchedulerConfig | None = None,
                 notifier: Notifier | None = None, worker_id: str | None = None) -> None:
        self.config = config or SchedulerConfig.from_env()
        self.engine = engine or engine_for(settings.database_url)
        self.worker_id = worker_id or default_worker_id()
        self.leadership = leadership_for(self.engine, settings.database_url, self.worker_id,
                                         kind=self.config.leader_lock, lease=timedelta(seconds=self.config.lease))
        self.runtime = Runtime(self.engine, settings, config=self.config,
                               notifier=notifier or load_notifier(settings, self.engine),
                               is_leader=self.leadership.confirm)
        self.stopping = threading.Event()
        self.scheduler: Scheduler | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        extra = register_extra_jobs()
        if extra:
            logger.info("extra jobs registered: %s", ", ".join(extra))
        outbox = OutboxLoop(self.runtime, self.stopping, self.worker_id)
        self._threads = [threading.Thread(target=self._lead, name="ledgerlink-leader"),
                         threading.Thread(target=outbox.run, name="ledgerlink-outbox")]
        for t in self._threads:
            t.start()
        logger.info("worker %s started: outbox every %gs; the scheduler runs while this worker leads (%s)",
                    self.worker_id, self.config.outbox, type(self.leadership).__name__)

    def stop(self, timeout: float = 60) -> None:
        self.stopping.set()
        for t in self._threads:
            t.join(timeout)
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            logger.error("worker %s: threads still running after %gs: %s", self.worker_id, timeout, alive)
        else:
            logger.info("worker %s stopped", self.worker_id)

    @property
    def alive(self) -> bool:
        return all(t.is_alive() for t in self._threads)

    def _lead(self) -> None:
        waiting_logged = False
        backoff = Backoff(self.config.follower_poll, max(self.config.follower_poll, OUTAGE_POLL_CAP))
        try:
            while not self.stopping.is_set():
                if self.scheduler is None:
                    if not self.leadership.try_acquire():
                        if OUTAGE.down:  # nobody can lead without the database: try less often until it is back
                            self.stopping.wait(backoff.failed())
                            continue
                        backoff.reset()
                        if not waiting_logged:
                            logger.info("worker %s follows: another worker leads the scheduler; taking over if "
                                        "it stops", self.worker_id)
                            waiting_logged = True
                        self.stopping.wait(self.config.follower_poll)
                        continue
                    logger.info("worker %s leads: starting the scheduler", self.worker_id)
                    self.scheduler = Scheduler(self.runtime)
                    try:
                        self.scheduler.start()
                    except Exception:
                        logger.exception("the scheduler did not start; stepping down and trying again")
                        self._step_down(wait=False)
                        self.stopping.wait(self.config.follower_poll)
                        continue
                elif not self.leadership.confirm():
                    outage = OUTAGE.down or getattr(self.leadership, "lost_to_outage", False)
                    logger.log(logging.WARNING if outage else logging.ERROR,
                               "worker %s lost the leadership%s; stopping its scheduler", self.worker_id,
                               " (the database is unreachable)" if outage else "")
                    self._step_down(wait=False)
                    waiting_logged = False
                    continue
                self.stopping.wait(self.config.heartbeat)
        except Exception:
            logger.exception("leader loop failed; this worker stops leading")
        finally:
            self._step_down(wait=True)
            close = getattr(self.leadership, "close", None)
            if close:
                close()

    def _step_down(self, *, wait: bool) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=wait)
            self.scheduler = None
        self.leadership.release()


def serve(settings: Any) -> int:
    """Run a worker until SIGTERM or Ctrl-C; 0 on a clean stop."""
    engine = engine_for(settings.database_url)
    status = db_status(engine)
    if not status.get("migrated"):
        logger.error("the database is not ready (%s): run `ledgerlink migrate` first",
                     status.get("error") or f"revision {status.get('revision')}")
        return 2
    worker = Worker(settings, engine=engine)

    def on_signal(signum: int, _frame: Any) -> None:
        logger.info("received %s; stopping", signal.Signals(signum).name)
        worker.stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    worker.start()
    while not worker.stopping.wait(1):
        if not worker.alive:
            logger.error("a worker thread died; stopping")
            break
    worker.stop()
    return 0

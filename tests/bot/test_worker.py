"""Workers in one process: one leads, the other follows and takes over; stopping leaves no thread behind."""

from __future__ import annotations

import threading
import time

from bot.scheduler import SchedulerConfig
from bot.worker import Worker, register_extra_jobs
from core.config import load_settings
from sync.jobs import base as jobs_base

FAST = SchedulerConfig(intervals={}, tasks=(), follower_poll=0.05, heartbeat=0.05, outbox=0.05, requests=0.1,
                       lease=5)


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {predicate}")


def ours() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t is not threading.main_thread()}


def test_one_leads_the_other_takes_over_and_nothing_is_left_running(engine, db_url, monkeypatch):
    monkeypatch.setattr(jobs_base, "load_jobs", lambda: {})
    before = ours()
    settings = load_settings(DATABASE_URL=db_url)
    a = Worker(settings, engine=engine, config=FAST, worker_id="a")
    b = Worker(settings, engine=engine, config=FAST, worker_id="b")
    a.start()
    wait_for(lambda: a.scheduler is not None)
    b.start()
    time.sleep(0.3)  # several of b's attempts
    assert b.scheduler is None
    a.stop(timeout=10)  # releases the lock: b leads at once, not after a lease period
    wait_for(lambda: b.scheduler is not None, timeout=2)
    b.stop(timeout=10)
    assert b.scheduler is None
    leftover = {t.name for t in ours() - before if t.is_alive()}
    assert leftover == set(), f"threads left running: {leftover}"


def test_extra_jobs_register_from_the_environment_variable(monkeypatch):
    monkeypatch.setattr(jobs_base, "JOBS", {})
    assert register_extra_jobs("tests.bot.test_worker_processes:ProbeJob") == ["probe"]
    assert jobs_base.JOBS["probe"].__name__ == "ProbeJob"
    assert register_extra_jobs("") == []

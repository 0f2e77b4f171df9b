"""Two real `python -m bot worker` processes on one database: every scheduled tick runs once, in the leader;
when the leader is killed (SIGKILL) the follower carries on; SIGTERM stops a worker cleanly.

A test-only sync job (`ProbeJob`, registered in the workers through LEDGERLINK_EXTRA_JOBS) records each run as
an audit row with the process id and the time; the schedule is sped up through LEDGERLINK_SCHEDULER.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.db import make_engine
from core.migrate import upgrade
from core.models import AuditEvent, Tenant, TenantSettings
from sync.jobs.base import JobReport
from tests.support.postgres import create_database

REPO = Path(__file__).resolve().parents[2]
TICK = 2.0  # seconds between the probe's runs


class ProbeJob:
    """Test only: records which process ran it, and when."""

    name = "probe"
    description = "test only: records the process and time of each run"

    def run(self, ctx, *, dry_run=False):
        with ctx.session() as s:
            s.add(AuditEvent(tenant_id=ctx.tenant_id, actor_label="probe", action="probe",
                             detail={"pid": os.getpid(), "at": time.time()}))
            s.commit()
        return JobReport(self.name)


class Workers:
    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url, self.tmp_path = url, tmp_path
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_"))}
        self.env.update(
            DATABASE_URL=url, PYTHONPATH=str(REPO), LEDGERLINK_EXTRA_JOBS=f"{__name__}:ProbeJob",
            LEDGERLINK_SCHEDULER=json.dumps({"intervals": {"probe": TICK}, "tasks": [], "first_run_delay": 1,
                                             "follower_poll": 0.2, "heartbeat": 0.2, "lease": 1.5,
                                             "requests": 0.5, "events": 1, "outbox": 0.5}))

    def start(self, name: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=REPO, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {n} (pid {p.pid}) ---\n{self.log(n)[-4000:]}" for n, p in self.procs.items())

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def probes(engine) -> list[tuple[int, int, float]]:
    """(tenant, pid, time) of every probe run, in time order."""
    with Session(engine) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "probe"))
        return sorted(((r.tenant_id, r.detail["pid"], r.detail["at"]) for r in rows), key=lambda r: r[2])


def wait_for(predicate, timeout: float, what: str, workers: Workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{workers.logs()}")


@pytest.fixture(params=["postgres", "sqlite"])
def database(request, tmp_path):
    if request.param == "postgres":
        url = create_database(request.getfixturevalue("postgres_server_url"), f"ll_workers_{uuid.uuid4().hex[:8]}")
    else:
        url = f"sqlite:///{tmp_path}/workers.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for name in ("North", "South"):
            tenant = Tenant(name=name)
            s.add(tenant)
            s.flush()
            s.add(TenantSettings(tenant_id=tenant.id, paid_sync_schedule="never"))
        s.commit()
    yield request.param, url, engine
    engine.dispose()


def test_two_workers_run_each_tick_once_and_the_follower_takes_over(database, tmp_path):
    kind, url, engine = database
    workers = Workers(url, tmp_path)
    try:
        a = workers.start("a")
        wait_for(lambda: probes(engine), 20, "the first worker's first probe run", workers)
        b = workers.start("b")
        wait_for(lambda: "started" in workers.log("b"), 20, "the second worker to start", workers)
        time.sleep(3 * TICK)

        # kill the leader half-way between two ticks (not while it is handing a run to its thread pool)
        seen = len(probes(engine))
        wait_for(lambda: len(probes(engine)) > seen, 2 * TICK, "a fresh tick", workers)
        time.sleep(TICK / 2)
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        killed_at = time.time()
        takeover = wait_for(lambda: [p for p in probes(engine) if p[1] == b.pid], 10 + TICK,
                            "the follower's first run", workers)[0][2] - killed_at
        time.sleep(2 * TICK)

        b.send_signal(signal.SIGTERM)  # a clean stop: scheduler, outbox thread, lock, in a few seconds
        assert b.wait(15) == 0, workers.logs()
        assert "stopped" in workers.log("b")
    finally:
        workers.stop_all()

    runs = probes(engine)
    per_tenant: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for tenant, pid, at in runs:
        per_tenant[tenant].append((pid, at))
    assert len(per_tenant) == 2, runs
    for tenant, tenant_runs in per_tenant.items():
        t0 = tenant_runs[0][1]
        ticks = [round((at - t0) / TICK) for _pid, at in tenant_runs]
        # once per tick: never two runs of one tenant's job for the same tick, by either process
        assert len(ticks) == len(set(ticks)), (tenant, tenant_runs, workers.logs())
        assert [pid for pid, at in tenant_runs if at < killed_at] == [a.pid] * len(
            [1 for _pid, at in tenant_runs if at < killed_at]), "only the leader ran jobs while it lived"
        assert {pid for pid, at in tenant_runs if at > killed_at} == {b.pid}
        assert sum(1 for pid, _at in tenant_runs if pid == a.pid) >= 4
        assert sum(1 for pid, _at in tenant_runs if pid == b.pid) >= 2
        assert ticks[-1] - ticks[0] + 1 - len(ticks) <= 1  # at most one tick lost to the failover
    assert "follows" in workers.log("b") and "leads" in workers.log("b")
    limit = 2 if kind == "postgres" else 2 + 1.5  # the lock goes with the connection; a lease must expire
    assert takeover < limit + TICK, f"takeover took {takeover:.1f}s"
    print(f"\n{kind}: {len(runs)} probe runs over 2 tenants; follower's first run {takeover:.1f}s after SIGKILL")

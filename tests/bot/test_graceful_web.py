"""SIGTERM to `ledgerlink web` mid-load: the requests already received finish with their answers, new connections
are refused, the process exits 0 (waitress alone would die with -15 and drop them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from core.migrate import upgrade
from tests.reliability.support_procs import free_port
from tests.support.postgres import create_database

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_sigterm_finishes_the_requests_in_flight_and_exits_0(postgres_server_url, tmp_path):
    url = create_database(postgres_server_url, f"ll_graceful_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=url)
    log = open(tmp_path / "web.log", "w+")  # noqa: SIM115 - read below
    proc = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port), "--threads", "8"], env=env,
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "web.log").read_text()
                time.sleep(0.2)
        # hold the table /healthz reads: the next requests are received and stay in flight
        blocker = sa.create_engine(url).connect()
        tx = blocker.begin()
        blocker.execute(sa.text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        with ThreadPoolExecutor(6) as pool:
            in_flight = [pool.submit(httpx.get, f"{base}/healthz", timeout=60) for _ in range(6)]
            # in flight = received and running: each waits for our lock in the database
            waiting = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                              "AND query LIKE '%alembic_version%'")
            watcher = sa.create_engine(url)
            deadline = time.monotonic() + 60
            with watcher.connect() as conn:
                while True:
                    n = conn.execute(waiting).scalar()
                    conn.rollback()  # a new transaction per look: one keeps its first snapshot of pg_stat_activity
                    if n >= 6:
                        break
                    assert time.monotonic() < deadline, "the 6 requests never reached the database"
                    time.sleep(0.2)
            watcher.dispose()
            assert not any(f.done() for f in in_flight)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.5)  # the signal is seen within waitress' 1 s loop timeout
            assert proc.poll() is None  # still answering what it has
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{base}/healthz", timeout=2)  # no new connections once stopping
            tx.rollback()
            blocker.close()
            answers = [f.result() for f in in_flight]
        assert [r.status_code for r in answers] == [200] * 6
        assert all(r.json()["database"]["migrated"] for r in answers)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    out = (tmp_path / "web.log").read_text()
    assert "received SIGTERM; finishing the requests in flight" in out and "web stopped" in out, out
    assert "Traceback" not in out

"""Limits shared through the database: two real processes on one database and one QBO sandbox (limits on) never
overrun a realm together, where the same processes with per-process limiters do; pauses reach every limiter."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest

from sync.http.limits import RateLimitPolicy
from sync.http.shared_limits import SharedKeyLimiter, SharedLimiterRegistry

SCALE, PER_WINDOW, CONCURRENT, EACH = 60.0, 12, 3, 18  # a QBO minute lasts 1 s; 2 processes x 18 reads

CHILD = """
import json, sys, time
from core.db import make_engine
from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry, RateLimitPolicy
from sync.http.retry import RetryPolicy
from sync.http.shared_limits import SharedLimiterRegistry
from sync.qbo.client import QboClient

db_url, qbo_url, realm, token, shared, n, per, conc, scale = sys.argv[1:]
policy = RateLimitPolicy(requests=int(per), window=60.0, max_concurrent=int(conc)).scaled(float(scale))
registry = SharedLimiterRegistry(make_engine(db_url), holder="child") if shared == "1" else LimiterRegistry()
qbo = QboClient(realm_id=realm, tokens=StaticToken(token), base_url=qbo_url, policy=policy, registry=registry,
                retry=RetryPolicy(max_attempts=1), rate_limited_pause=0.05)
ok = failed = 0
for _ in range(int(n)):
    try:
        qbo.query(q="select * from Account maxresults 1")
        ok += 1
    except Exception:
        failed += 1
print(json.dumps({"ok": ok, "failed": failed}))
"""


@pytest.fixture
def limited_realm(sandboxes):
    """A fresh realm of the session's QBO sandbox with Intuit's throttles on (scaled), switched off afterwards."""
    admin = f"{sandboxes.qbo_url}/_sandbox"
    realm = httpx.post(f"{admin}/realms", json={}, timeout=30).json()["realm_id"]
    token = httpx.post(f"{admin}/tokens", json={"realm_id": realm}, timeout=30).json()["access_token"]
    httpx.post(f"{admin}/config", json={"limits": True, "time_scale": SCALE, "per_minute": PER_WINDOW,
                                        "concurrent": CONCURRENT}, timeout=30).raise_for_status()
    yield realm, token
    httpx.post(f"{admin}/config", json={"limits": False, "time_scale": 1.0, "per_minute": 500, "concurrent": 10},
               timeout=30)


def _two_processes(db_url: str, qbo_url: str, realm: str, token: str, *, shared: bool) -> list[dict]:
    args = [db_url, qbo_url, realm, token, "1" if shared else "0", str(EACH), str(PER_WINDOW), str(CONCURRENT),
            str(SCALE)]
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    return [json.loads(o.strip().splitlines()[-1]) for o in outs]


def test_two_processes_hold_one_realms_limits_together(db_url, sandboxes, limited_realm):
    realm, token = limited_realm
    began = time.monotonic()
    results = _two_processes(db_url, sandboxes.qbo_url, realm, token, shared=True)
    elapsed = time.monotonic() - began
    seen = httpx.get(f"{sandboxes.qbo_url}/_sandbox/limits", params={"realm_id": realm}).json()
    assert [r["failed"] for r in results] == [0, 0]
    assert sum(r["ok"] for r in results) == 2 * EACH
    assert seen["throttled"] == 0
    assert seen["peak_in_flight"] <= CONCURRENT
    # 36 reads at 12 per window: at least two full windows went by
    assert elapsed >= 2 * 60.0 / SCALE


def test_per_process_limiters_overrun_the_same_realm(db_url, sandboxes, limited_realm):
    """The control: the same two processes, each counting alone, send more than the realm allows."""
    realm, token = limited_realm
    results = _two_processes(db_url, sandboxes.qbo_url, realm, token, shared=False)
    seen = httpx.get(f"{sandboxes.qbo_url}/_sandbox/limits", params={"realm_id": realm}).json()
    assert seen["throttled"] > 0
    assert sum(r["failed"] for r in results) > 0


def test_window_and_concurrency_hold_across_limiters(engine):
    """Two limiters of one key (as in two processes), 8 threads each: the sum stays within both limits."""
    policy = RateLimitPolicy(requests=10, window=0.4, max_concurrent=3)
    limiters = [SharedKeyLimiter(engine, policy, name="qbo:r1", holder=f"p{n}") for n in range(2)]
    starts: list[float] = []
    lock = threading.Lock()
    in_flight = peak = 0

    def work(n: int) -> None:
        nonlocal in_flight, peak
        for _ in range(2):
            with limiters[n % 2].acquire():
                with lock:
                    starts.append(time.monotonic())
                    in_flight += 1
                    peak = max(peak, in_flight)
                time.sleep(0.01)
                with lock:
                    in_flight -= 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(starts) == 32 and peak <= 3
    starts.sort()
    assert all(b - a >= 0.4 * 0.95 for a, b in zip(starts, starts[10:], strict=False))  # 11th start ≥ a window on


def test_a_pause_reaches_every_limiter_of_the_key(engine):
    policy = RateLimitPolicy(requests=100, window=1.0)
    one, other = (SharedKeyLimiter(engine, policy, name="qbo:r2", holder=h) for h in ("a", "b"))
    one.pause_for(0.3, reason="429")
    assert other.paused_for() > 0.2
    began = time.monotonic()
    with other.acquire():
        pass
    assert time.monotonic() - began >= 0.25


def test_a_dead_processes_slot_frees_after_its_lease(engine):
    policy = RateLimitPolicy(max_concurrent=1)
    dead = SharedKeyLimiter(engine, policy, name="qbo:r3", holder="dead", lease=0.3)
    dead._enter(1, False)  # acquired and never released, as by a process killed mid-request
    alive = SharedKeyLimiter(engine, policy, name="qbo:r3", holder="alive")
    began = time.monotonic()
    with alive.acquire():
        pass
    assert 0.2 <= time.monotonic() - began < 5


def test_unlimited_accounts_stay_in_process(engine):
    registry = SharedLimiterRegistry(engine)
    assert not isinstance(registry.get("procore", "1"), SharedKeyLimiter)
    assert isinstance(registry.get("qbo", "9", RateLimitPolicy(requests=5)), SharedKeyLimiter)

"""KeyLimiter: window and concurrency never exceeded under 50 threads; pauses hold every thread; no busy spin."""

from __future__ import annotations

import threading
import time

import pytest

from sync.http.limits import KeyLimiter, LimiterRegistry, RateLimitHeaders, RateLimitPolicy, parse_retry_after


def max_in_window(stamps: list[float], window: float) -> int:
    """The largest number of stamps inside any half-open interval of length `window`."""
    stamps = sorted(stamps)
    best, lo = 0, 0
    for hi, t in enumerate(stamps):
        while stamps[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def run_threads(n: int, target) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)


def test_window_and_concurrency_hold_under_50_threads():
    policy = RateLimitPolicy(requests=25, window=0.15, max_concurrent=5)
    limiter = KeyLimiter(policy)
    starts: list[float] = []
    lock = threading.Lock()
    in_flight = peak = 0

    def worker(i: int) -> None:
        nonlocal in_flight, peak
        for _ in range(3):
            with limiter.acquire():
                with lock:
                    starts.append(time.monotonic())
                    in_flight += 1
                    peak = max(peak, in_flight)
                time.sleep(0.002 + (i % 3) * 0.002)
                with lock:
                    in_flight -= 1

    began = time.monotonic()
    run_threads(50, worker)
    elapsed = time.monotonic() - began
    assert len(starts) == 150
    assert max_in_window(starts, policy.window) <= 25
    assert peak <= 5 and limiter.max_in_flight_seen <= 5
    # 150 requests at 25 per 0.15 s need at least 5 full windows
    assert elapsed >= 5 * 0.15 * 0.95


def test_cost_counts_several_units_and_too_big_a_cost_is_refused():
    limiter = KeyLimiter(RateLimitPolicy(requests=10, window=0.3))
    stamps = []
    for _ in range(4):
        with limiter.acquire(cost=5):
            stamps.append(time.monotonic())
    assert stamps[2] - stamps[0] >= 0.29  # the third 5-unit call waits for the first to leave the window
    with pytest.raises(ValueError):
        with limiter.acquire(cost=11):
            pass


def test_batch_window_is_separate_and_extra():
    limiter = KeyLimiter(RateLimitPolicy(requests=100, window=0.3, batch_requests=2, batch_window=0.3))
    t0 = time.monotonic()
    for _ in range(5):
        with limiter.acquire():  # plain calls don't touch the batch window
            pass
    assert time.monotonic() - t0 < 0.1
    stamps = []
    for _ in range(3):
        with limiter.acquire(batch=True):
            stamps.append(time.monotonic())
    assert stamps[1] - stamps[0] < 0.1
    assert stamps[2] - stamps[0] >= 0.29


def test_pause_holds_every_thread_and_never_shortens():
    limiter = KeyLimiter(RateLimitPolicy(requests=1000, window=1.0))
    limiter.pause_for(0.3)
    limiter.pause_for(0.05)  # a shorter pause does not cut the longer one
    started: list[float] = []
    t0 = time.monotonic()

    def worker(_: int) -> None:
        with limiter.acquire():
            started.append(time.monotonic() - t0)

    run_threads(10, worker)
    assert min(started) >= 0.28
    assert limiter.pauses == 1


def test_waiting_does_not_spin():
    limiter = KeyLimiter(RateLimitPolicy(requests=1000, window=1.0))
    limiter.pause_for(0.4)
    cpu0 = time.thread_time()

    def worker(_: int) -> None:
        with limiter.acquire():
            pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    proc0 = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.process_time() - proc0 < 0.2  # 20 threads waited 0.4 s on a condition, not a loop
    assert time.thread_time() - cpu0 < 0.1


def test_rate_limit_headers_pause_until_reset():
    limiter = KeyLimiter()
    reset = time.time() + 0.3
    info = limiter.observe_headers({"X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "0",
                                    "X-Rate-Limit-Reset": str(int(reset) + 1)})
    assert info == RateLimitHeaders(limit=3600, remaining=0, reset_at=float(int(reset) + 1))
    assert 0.2 < limiter.paused_for() <= 2.0
    other = KeyLimiter()
    assert other.observe_headers({"X-Rate-Limit-Remaining": "12", "X-Rate-Limit-Reset": str(int(reset))})
    assert other.paused_for() == 0
    assert other.observe_headers({"Content-Type": "application/json"}) is None


def test_garbage_headers_cannot_pause_forever():
    limiter = KeyLimiter(RateLimitPolicy(max_pause=2.0))
    limiter.observe_headers({"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(time.time()) + 10**6)})
    assert limiter.paused_for() <= 2.0


def test_parse_retry_after_forms():
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None
    when = parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0)
    assert when == 10.0


def test_registry_shares_one_limiter_per_key():
    reg = LimiterRegistry()
    a = reg.get("qbo", "123", RateLimitPolicy(requests=5))
    assert reg.get("qbo", "123") is a
    assert reg.get("qbo", "456") is not a
    assert reg.get("procore", "123") is not a


def test_scaled_policy():
    p = RateLimitPolicy(requests=500, window=60.0, max_concurrent=10, batch_requests=40, batch_window=60.0)
    fast = p.scaled(60)
    assert (fast.requests, fast.window, fast.max_concurrent, fast.batch_requests, fast.batch_window) == (
        500, 1.0, 10, 40, 1.0)

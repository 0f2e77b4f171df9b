"""Client-side rate limiting per remote account (a QBO realm, a Procore company).

One `KeyLimiter` per ``(provider, account)`` per process, shared by every thread (get it from a
`LimiterRegistry`; `default_registry` is the process-wide one). It enforces, all at once:

- a **sliding window**: at most ``policy.requests`` request units in any ``policy.window`` seconds;
- a **concurrency cap**: at most ``policy.max_concurrent`` requests in flight;
- an optional second sliding window for **batch** requests (QBO: 40 batch calls/min on top of the 500/min);
- a **pause**: after a 429 (or ``X-Rate-Limit-Remaining: 0``) every thread of that key waits until the pause ends.

Why a request's window slot is stamped when it *completes*, not when it starts: the server counts a request on
arrival, which is some unknown time after we send it. A request has surely arrived by the time its answer is back,
so stamping at completion (and counting it as "in the window" while in flight) guarantees the server never sees more
than ``requests`` arrivals in any window, however the network reorders things.

Waiting is `threading.Condition.wait` with a computed timeout — never a busy spin. A `KeyLimiter` holds its limits
within one process; a running worker or web process installs `sync.http.shared_limits.SharedLimiterRegistry`
(`use_registry`), whose limiters hold them across every process sharing the database (README, "Several machines").
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

from core import metrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitPolicy:
    """What the remote API allows per account. ``None`` disables that limit."""

    requests: int | None = None  # request units per `window` seconds
    window: float = 60.0
    max_concurrent: int | None = None
    batch_requests: int | None = None  # batch calls per `batch_window` seconds (in addition to `requests`)
    batch_window: float = 60.0
    max_pause: float = 3600.0  # never trust a header asking for a longer pause than this

    def scaled(self, time_scale: float) -> RateLimitPolicy:
        """The same limits on a clock running `time_scale` times faster (benchmarks squeeze a minute into 1 s)."""
        return replace(self, window=self.window / time_scale, batch_window=self.batch_window / time_scale)


UNLIMITED = RateLimitPolicy()
BUSY_HINT = 0.02  # `wait_hint` when only a running request's end can free a slot: ask again this soon


class _Window:
    """A sliding-window counter: units in flight + (completion time, units) of recent requests."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.in_flight = 0
        self.done: deque[tuple[float, int]] = deque()
        self.done_units = 0

    def prune(self, now: float) -> None:
        horizon = now - self.seconds
        while self.done and self.done[0][0] <= horizon:
            self.done_units -= self.done.popleft()[1]

    def wait_needed(self, now: float, units: int) -> float | None:
        """0 if `units` fit now; seconds until enough recent entries expire; None if only a release can help."""
        excess = self.in_flight + self.done_units + units - self.limit
        if excess <= 0:
            return 0.0
        freed = 0
        for stamp, n in self.done:
            freed += n
            if freed >= excess:
                return max(stamp + self.seconds - now, 0.0)
        return None  # in-flight requests must finish first

    def take(self, units: int) -> None:
        self.in_flight += units

    def give_back(self, now: float, units: int) -> None:
        self.in_flight -= units
        self.done.append((now, units))
        self.done_units += units


class KeyLimiter:
    """Window + concurrency + pause limiter for one (provider, account). Thread-safe; share one per process."""

    def __init__(self, policy: RateLimitPolicy = UNLIMITED, *, name: str = "") -> None:
        self.policy = policy
        self.name = name
        self._cond = threading.Condition()
        self._window = _Window(policy.requests, policy.window) if policy.requests else None
        self._batch = _Window(policy.batch_requests, policy.batch_window) if policy.batch_requests else None
        self._in_flight = 0
        self._paused_until = 0.0  # time.monotonic() deadline
        # counters for benchmarks and tests
        self.acquired = 0
        self.pauses = 0
        self.max_in_flight_seen = 0
        self.waited_seconds = 0.0
        self.batch_capped = 0  # requests that waited because the batch window was full (not the request window)

    # -- acquiring --------------------------------------------------------------------------------------
    @contextmanager
    def acquire(self, *, cost: int = 1, batch: bool = False) -> Iterator[None]:
        """Block until one request (worth `cost` window units) may start; release it on exit."""
        if self._window and cost > self._window.limit:
            raise ValueError(f"cost {cost} can never fit a window of {self._window.limit} requests")
        self._enter(cost, batch)
        try:
            yield
        finally:
            self._exit(cost, batch)

    def _enter(self, cost: int, batch: bool) -> None:
        started = time.monotonic()
        with self._cond:
            capped = False
            while True:
                now = time.monotonic()
                timeout = self._wait_needed(now, cost, batch)
                if timeout == 0.0:
                    break
                capped = capped or bool(batch and self._batch and self._batch.wait_needed(now, 1) != 0.0)
                self._cond.wait(timeout)  # None = until a release or a pause change notifies us
            self.batch_capped += capped
            if self._window:
                self._window.take(cost)
            if batch and self._batch:
                self._batch.take(1)
            self._in_flight += 1
            self.acquired += 1
            self.max_in_flight_seen = max(self.max_in_flight_seen, self._in_flight)
            self.waited_seconds += now - started

    def _wait_needed(self, now: float, cost: int, batch: bool) -> float | None:
        if now < self._paused_until:
            return self._paused_until - now
        waits: list[float | None] = []
        if self.policy.max_concurrent and self._in_flight >= self.policy.max_concurrent:
            waits.append(None)
        if self._window:
            self._window.prune(now)
            waits.append(self._window.wait_needed(now, cost))
        if batch and self._batch:
            self._batch.prune(now)
            waits.append(self._batch.wait_needed(now, 1))
        timed = [w for w in waits if w is not None]
        if len(timed) == len(waits):
            return max(timed, default=0.0)
        # something only a release can fix; still wake for a timed condition so we re-check promptly
        return max(timed) if timed and max(timed) > 0 else None

    def wait_hint(self, *, cost: int = 1, batch: bool = False) -> float:
        """Roughly how long a request would wait now (0: it would start at once). A worker asks before it claims
        rows for this account, so it takes another tenant's work instead of sleeping on a full window."""
        with self._cond:
            wait = self._wait_needed(time.monotonic(), cost, batch)
        return BUSY_HINT if wait is None else wait

    def _exit(self, cost: int, batch: bool) -> None:
        with self._cond:
            now = time.monotonic()
            if self._window:
                self._window.give_back(now, cost)
            if batch and self._batch:
                self._batch.give_back(now, 1)
            self._in_flight -= 1
            self._cond.notify_all()

    # -- pausing ----------------------------------------------------------------------------------------
    def pause_for(self, seconds: float, *, reason: str = "") -> None:
        """Make every thread of this key wait `seconds` from now (extends, never shortens, a pause)."""
        seconds = min(max(seconds, 0.0), self.policy.max_pause)
        with self._cond:
            now = time.monotonic()
            deadline = now + seconds
            if deadline > self._paused_until:
                if self._paused_until <= now:  # a new pause, not in-flight requests of the same burst extending it
                    self.pauses += 1
                    metrics.record_pause((self.name or "limiter").split(":")[0], seconds)
                    logger.warning("rate limit: pausing %s for %.1f s%s", self.name or "limiter", seconds,
                                   f" ({reason})" if reason else "")
                self._paused_until = deadline
            self._cond.notify_all()

    def pause_until(self, epoch_seconds: float, *, reason: str = "") -> None:
        """Pause until a wall-clock time (epoch seconds), e.g. Procore's ``X-Rate-Limit-Reset``."""
        self.pause_for(epoch_seconds - time.time(), reason=reason)

    def paused_for(self) -> float:
        """Seconds left in the current pause (0 when not paused)."""
        with self._cond:
            return max(self._paused_until - time.monotonic(), 0.0)

    # -- headers ----------------------------------------------------------------------------------------
    def observe_headers(self, headers: Mapping[str, str]) -> RateLimitHeaders | None:
        """Read ``X-Rate-Limit-*`` headers; pause this key until Reset when Remaining hit 0."""
        info = RateLimitHeaders.parse(headers)
        if info and info.remaining is not None and info.remaining <= 0 and info.reset_at is not None:
            self.pause_until(info.reset_at, reason="X-Rate-Limit-Remaining: 0")
        return info

    def snapshot(self) -> dict[str, float]:
        with self._cond:
            return {"in_flight": self._in_flight, "acquired": self.acquired, "pauses": self.pauses,
                    "max_in_flight_seen": self.max_in_flight_seen, "waited_seconds": round(self.waited_seconds, 3),
                    "paused_for": max(self._paused_until - time.monotonic(), 0.0)}


@dataclass(frozen=True)
class RateLimitHeaders:
    """The ``X-Rate-Limit-Limit/Remaining/Reset`` trio (Procore). ``reset_at`` is epoch seconds."""

    limit: int | None
    remaining: int | None
    reset_at: float | None

    @classmethod
    def parse(cls, headers: Mapping[str, str], *, now: float | None = None) -> RateLimitHeaders | None:
        limit, remaining, reset = (_int_header(headers, f"X-Rate-Limit-{k}") for k in ("Limit", "Remaining", "Reset"))
        if limit is None and remaining is None and reset is None:
            return None
        reset_at: float | None = None
        if reset is not None:
            # Procore sends epoch seconds; a small number can only be "seconds from now" (some APIs do that)
            reset_at = float(reset) if reset > 1_000_000_000 else (now or time.time()) + reset
        return cls(limit=limit, remaining=remaining, reset_at=reset_at)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw.strip()))
    except ValueError:
        return None


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: either delta-seconds or an HTTP date. None if absent or garbage."""
    raw = headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (now or time.time()), 0.0)


class LimiterRegistry:
    """Process-wide map ``(provider, account) -> KeyLimiter``. The first policy given for a key wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str], KeyLimiter] = {}

    def get(self, provider: str, account: str, policy: RateLimitPolicy = UNLIMITED) -> KeyLimiter:
        key = (provider, str(account))
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = self._make(provider, str(account), policy)
            return limiter

    def _make(self, provider: str, account: str, policy: RateLimitPolicy) -> KeyLimiter:
        return KeyLimiter(policy, name=f"{provider}:{account}")

    def clear(self) -> None:
        with self._lock:
            self._limiters.clear()


#: the registry every client uses unless given another (tests and benchmarks pass their own)
default_registry = LimiterRegistry()


def use_registry(registry: LimiterRegistry) -> LimiterRegistry:
    """Make `registry` the process-wide default (a running process: the shared one); returns the previous one."""
    global default_registry
    previous, default_registry = default_registry, registry
    return previous


def limiter_for(provider: str, account: str, policy: RateLimitPolicy = UNLIMITED,
                registry: LimiterRegistry | None = None) -> KeyLimiter:
    """The shared limiter of one remote account."""
    return (registry or default_registry).get(provider, account, policy)

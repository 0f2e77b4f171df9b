"""QBO's and Procore's limits held by every process at once, through the database they already share.

`SharedKeyLimiter` is a `KeyLimiter` (same `acquire` / `pause_for` / `observe_headers`) whose state lives in two
tables instead of process memory:

- ``rate_limit_keys``: one row per remote account (``qbo:<realm>``, ``procore:<company>``) holding the pause after a
  429. Every decision locks this row (an ``UPDATE`` first: a row lock on PostgreSQL, the write lock on SQLite) for the
  few milliseconds it takes, so two processes never both take the last slot;
- ``rate_limit_slots``: one row per request: in flight while ``done`` is null, then counted in the sliding window
  from ``done`` on (stamped at completion for the reason `sync.http.limits` gives). The request window, the batch
  window and the concurrency cap are all counted from these rows.

Why shared counters and not a realm lease per worker: a lease gives a realm's whole budget to one worker, so one
tenant's 3,000-Bill export runs at the speed of one process while the others idle, and a single Accept of that realm
waits for that one worker however many are free. Shared counters let any worker (and a web process's own reads) use
a realm's budget while the sum never passes the limit. Why not a library limiter (pyrate-limiter): it covers the
window but not the concurrency cap nor a pause shared by everyone, and the slot rows give both in one transaction.

When a process dies mid-request its slot stays "in flight" until ``lease_until`` (longer than any HTTP timeout),
then counts in the window from there: a dead process never leaks a concurrency slot for longer than the lease.
Times are wall-clock epoch seconds (machines keep NTP time; a skew of milliseconds is noise against a minute).
Waiting threads of one process queue behind one local gate, so a process asks the database once per try, not once
per thread; a local release wakes the gate at once, a remote one is seen at the next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.db import make_engine
from core.db_outage import is_outage
from core.models import RateLimitKey, RateLimitSlot
from sync.http.limits import BUSY_HINT, KeyLimiter, LimiterRegistry, RateLimitPolicy, use_registry

logger = logging.getLogger(__name__)

KEYS = RateLimitKey.__table__  # type: ignore[attr-defined]
SLOTS = RateLimitSlot.__table__  # type: ignore[attr-defined]


class SharedKeyLimiter(KeyLimiter):
    """Window + batch window + concurrency + pause for one remote account, held across processes."""

    def __init__(self, engine: Engine, policy: RateLimitPolicy, *, name: str, holder: str = "",
                 lease: float = 120.0, poll: float = 0.02, clock: Callable[[], float] = time.time) -> None:
        super().__init__(policy, name=name)
        self.engine, self.key, self.holder = engine, name, holder[:128]
        self.lease, self.poll, self.clock = lease, poll, clock
        self._gate = threading.Condition()
        self._slots: dict[int, list[int]] = {}  # thread id -> its open slot ids (a thread may nest requests)
        self._releases = 0
        self._capped = False
        self._ensure_key()

    def _ensure_key(self) -> None:
        try:
            with self.engine.begin() as c:
                if c.execute(select(KEYS.c.key).where(KEYS.c.key == self.key)).first() is None:
                    c.execute(insert(KEYS).values(key=self.key, paused_until=0.0, touched=self.clock()))
        except IntegrityError:
            pass  # another process made it first

    # -- acquiring --------------------------------------------------------------------------------------
    def _enter(self, cost: int, batch: bool) -> None:
        started = time.monotonic()
        with self._gate:
            self._capped = False  # set by `_try` when the batch window was full (under the gate: one thread)
            while True:
                slot, wait = self._try(cost, batch)
                if slot is not None:
                    break
                self._gate.wait(min(wait, self.poll) if wait is not None else self.poll)
            self.batch_capped += self._capped
        self._slots.setdefault(threading.get_ident(), []).append(slot)
        with self._cond:
            self._in_flight += 1
            self.acquired += 1
            self.max_in_flight_seen = max(self.max_in_flight_seen, self._in_flight)
            self.waited_seconds += time.monotonic() - started

    def _try(self, cost: int, batch: bool) -> tuple[int | None, float | None]:
        """One short transaction: take a slot (its id) or say how long to wait (None: until a release)."""
        with self.engine.begin() as c:
            now = self.clock()
            paused = c.execute(update(KEYS).where(KEYS.c.key == self.key).values(touched=now)
                               .returning(KEYS.c.paused_until)).scalar()  # locks the key: one decision at a time
            if paused is not None and paused > now:
                return None, paused - now
            waits = self._waits(c, now, cost, batch)
            if waits:
                timed = [w for w in waits if w is not None]
                return None, (max(timed) if timed and len(timed) == len(waits) else None)
            slot = c.execute(insert(SLOTS).values(key=self.key, cost=cost, batch=batch, started=now, done=None,
                                                  lease_until=now + self.lease, holder=self.holder)
                             .returning(SLOTS.c.id)).scalar_one()
        return slot, 0.0

    def wait_hint(self, *, cost: int = 1, batch: bool = False) -> float:
        """Roughly how long a request would wait now, read without locking (see `KeyLimiter.wait_hint`)."""
        with self.engine.connect() as c:
            now = self.clock()
            paused = c.execute(select(KEYS.c.paused_until).where(KEYS.c.key == self.key)).scalar() or 0.0
            if paused > now:
                return paused - now
            waits = self._waits(c, now, cost, batch, counting=False)
        if not waits:
            return 0.0
        return max((w if w is not None else BUSY_HINT) for w in waits)

    def _waits(self, c, now: float, cost: int, batch: bool, *, counting: bool = True) -> list[float | None]:  # noqa: ANN001
        """What keeps a request from starting now: seconds until a window frees enough, None for "a running request
        must end first"; empty when it may start."""
        p = self.policy
        flying = and_(SLOTS.c.done.is_(None), SLOTS.c.lease_until > now)
        ended = func.coalesce(SLOTS.c.done, SLOTS.c.lease_until)
        horizon = now - max(p.window, p.batch_window)
        in_flight, units, batches = c.execute(
            select(func.sum(case((flying, 1), else_=0)),
                   func.sum(case((or_(flying, ended > now - p.window), SLOTS.c.cost), else_=0)),
                   func.sum(case((and_(SLOTS.c.batch, or_(flying, ended > now - p.batch_window)), 1), else_=0)))
            .where(SLOTS.c.key == self.key, or_(SLOTS.c.done.is_(None), SLOTS.c.done > horizon))).one()
        in_flight, units, batches = in_flight or 0, units or 0, batches or 0
        waits: list[float | None] = []
        if p.max_concurrent and in_flight >= p.max_concurrent:
            waits.append(None)
        if p.requests and units + cost > p.requests:
            waits.append(self._expiry(c, now, p.window, units + cost - p.requests, batch_only=False))
        if batch and p.batch_requests and batches + 1 > p.batch_requests:
            waits.append(self._expiry(c, now, p.batch_window, batches + 1 - p.batch_requests, batch_only=True))
            self._capped = self._capped or counting
        return waits

    def _expiry(self, c, now: float, window: float, excess: int, *, batch_only: bool) -> float | None:  # noqa: ANN001
        """Seconds until `excess` units of finished requests leave the window; None if in-flight ones must end."""
        ended = func.coalesce(SLOTS.c.done, SLOTS.c.lease_until)
        conds = [SLOTS.c.key == self.key, ended > now - window, ended <= now]
        if batch_only:
            conds.append(SLOTS.c.batch)
        freed = 0
        for stamp, units in c.execute(select(ended, SLOTS.c.cost).where(*conds).order_by(ended)):
            freed += 1 if batch_only else units
            if freed >= excess:
                return max(stamp + window - now, 0.0)
        return None

    def _exit(self, cost: int, batch: bool) -> None:
        slot = self._slots[threading.get_ident()].pop()
        now = self.clock()
        try:
            with self.engine.begin() as c:
                c.execute(update(SLOTS).where(SLOTS.c.id == slot).values(done=now))
                self._releases += 1
                if self._releases % 200 == 0:  # forget what no window can see any more
                    old = now - 2 * max(self.policy.window, self.policy.batch_window, self.lease)
                    c.execute(delete(SLOTS).where(SLOTS.c.key == self.key,
                                                  func.coalesce(SLOTS.c.done, SLOTS.c.lease_until) < old))
        except Exception as exc:
            # the request was answered: its outcome must not be lost because the database went away meanwhile
            # (the outbox holds it, sync/held.py); the slot's lease ends it for every process instead
            if not is_outage(exc):
                raise
            logger.debug("%s: slot %s left to its lease (the database is unreachable)", self.name, slot)
        with self._cond:
            self._in_flight -= 1
        with self._gate:
            self._gate.notify_all()

    # -- pausing ----------------------------------------------------------------------------------------
    def pause_for(self, seconds: float, *, reason: str = "") -> None:
        """Every process waits `seconds` from now before its next request of this account (extends, never
        shortens)."""
        seconds = min(max(seconds, 0.0), self.policy.max_pause)
        with self.engine.begin() as c:
            now = self.clock()
            before = c.execute(update(KEYS).where(KEYS.c.key == self.key).values(touched=now)
                               .returning(KEYS.c.paused_until)).scalar() or 0.0
            if now + seconds > before:
                c.execute(update(KEYS).where(KEYS.c.key == self.key).values(paused_until=now + seconds))
                if before <= now:
                    self.pauses += 1
                    logger.warning("rate limit: pausing %s for %.1f s in every process%s", self.name, seconds,
                                   f" ({reason})" if reason else "")

    def paused_for(self) -> float:
        with self.engine.connect() as c:
            until = c.execute(select(KEYS.c.paused_until).where(KEYS.c.key == self.key)).scalar() or 0.0
        return max(until - self.clock(), 0.0)

    def snapshot(self) -> dict[str, float]:
        with self._cond:
            return {"in_flight": self._in_flight, "acquired": self.acquired, "pauses": self.pauses,
                    "max_in_flight_seen": self.max_in_flight_seen, "waited_seconds": round(self.waited_seconds, 3),
                    "paused_for": self.paused_for()}


class SharedLimiterRegistry(LimiterRegistry):
    """Limiters of accounts with limits are shared through `engine`; unlimited ones stay in-process (no rows)."""

    def __init__(self, engine: Engine, *, holder: str = "", lease: float = 120.0) -> None:
        super().__init__()
        self.engine, self.holder, self.lease = engine, holder, lease

    def _make(self, provider: str, account: str, policy: RateLimitPolicy) -> KeyLimiter:
        if not (policy.requests or policy.max_concurrent or policy.batch_requests):
            return super()._make(provider, account, policy)
        return SharedKeyLimiter(self.engine, policy, name=f"{provider}:{account}", holder=self.holder,
                                lease=self.lease)


#: the limiter's own connections: short transactions, at most one per thread making a request at that moment
LIMITER_POOL = {"pool_size": 2, "max_overflow": 40}


def share_limits(engine: Engine, holder: str) -> None:
    """Count this process's QBO and Procore requests in the database, with every other web and worker process's.

    The limiter gets a pool of its own: a thread asks it for a slot while holding a connection of the main pool
    (a send reads the item, then calls Procore), so with one shared pool every thread could hold one connection
    and wait for a second until the pool's 30 s timeout — the clicks of that moment would all go unanswered."""
    own = make_engine(engine.url.render_as_string(hide_password=False), **LIMITER_POOL)
    use_registry(SharedLimiterRegistry(own, holder=holder))

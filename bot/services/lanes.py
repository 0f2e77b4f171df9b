"""The web process's background pool with two lanes, and one-at-a-time runs per key.

Why two lanes: after a burst of Accept clicks, each click's decision and its card's `chat.update` (what the
clicking person waits to see) shared one FIFO pool with the exports those clicks started and their card redraws.
Exports are CPU (QBO requests, mapping, outbox bookkeeping) and every thread shares one GIL, so the 50th
decision queued behind the first exports. Now decisions go to the *urgent* lane; exports, receipt DMs and card
bookkeeping go to the *later* lane, which starts a task only while no urgent task is waiting or running (or once
it has waited `max_wait` seconds: a steady stream of clicks must not starve exports), at most `later_cap` at once
(the rest of the threads stay free for the next click). A long later task calls `yield_to_urgent()` between its
steps (a drain between its rounds). Urgent work is not pre-empted: the GIL and the database's write lock are
shared, so the point is not to *start* export work while a click's decision is pending.

`Coalescer`: 50 accepts of one company need one outbox drain (it batches the waiting rows), not 50 drains
fighting over the rows and the database's write lock; items that arrive while a drain runs join its next round.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from typing import Any


class LaneExecutor(Executor):
    """`workers` threads serving two FIFO queues: `submit` (urgent) first; `submit_later` only while no urgent
    task waits, at most `later_cap` at a time. Each future goes to `track` (the app's Tracker) as submitted."""

    def __init__(self, workers: int, *, later_cap: int, name: str, max_wait: float = 1.5,
                 track: Callable[[Future], Future] = lambda f: f) -> None:
        if not 0 < later_cap < workers:  # a thread must stay free for clicks
            raise ValueError("later_cap must be between 1 and workers - 1")
        self.workers, self.later_cap, self.name, self.track = workers, later_cap, name, track
        self.max_wait = max_wait
        self.urgent: deque[tuple[Future, Callable[[], Any], float]] = deque()
        self.later: deque[tuple[Future, Callable[[], Any], float]] = deque()
        self.urgent_running = self.later_running = 0
        self.cond = threading.Condition()
        self.threads: list[threading.Thread] = []
        self.closed = False

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        return self._put(self.urgent, lambda: fn(*args, **kwargs))

    def submit_later(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._put(self.later, lambda: fn(*args, **kwargs))

    def _put(self, lane: deque, call: Callable[[], Any]) -> Future:
        future: Future = Future()
        with self.cond:
            if self.closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            lane.append((future, call, time.monotonic()))
            # threads start on demand, as ThreadPoolExecutor's do; daemons, so an idle one never holds the exit:
            # a stopping web role waits for the tracked work first (Services.idle, bot/graceful.py `settle`)
            if len(self.threads) < self.workers:
                thread = threading.Thread(target=self._serve, name=f"{self.name}_{len(self.threads)}", daemon=True)
                self.threads.append(thread)
                thread.start()
            self.cond.notify()
        return self.track(future)

    def _next(self) -> tuple[Future, Callable[[], Any], bool] | None:
        with self.cond:
            while True:
                timeout = None
                if self.urgent:
                    self.urgent_running += 1
                    return (*self.urgent.popleft()[:2], False)
                if self.later and self.later_running < self.later_cap:
                    waited = time.monotonic() - self.later[0][2]
                    if not self.urgent_running or waited >= self.max_wait:
                        self.later_running += 1
                        return (*self.later.popleft()[:2], True)
                    timeout = self.max_wait - waited
                if self.closed and not self.later:
                    return None
                self.cond.wait(timeout)

    def _serve(self) -> None:
        while (task := self._next()) is not None:
            future, call, later = task
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(call())
                    except BaseException as exc:  # noqa: BLE001 - handed to the future, as ThreadPoolExecutor does
                        future.set_exception(exc)
            finally:
                with self.cond:
                    if later:
                        self.later_running -= 1
                    else:
                        self.urgent_running -= 1
                    self.cond.notify_all()  # a later task may start now, a yielding one go on, shutdown finish

    def yield_to_urgent(self) -> None:
        """For a running later task between two steps: wait while urgent work is queued or running, at most
        `max_wait` seconds."""
        deadline = time.monotonic() + self.max_wait
        with self.cond:
            while (self.urgent or self.urgent_running) and (left := deadline - time.monotonic()) > 0:
                self.cond.wait(left)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self.cond:
            self.closed = True
            if cancel_futures:
                for lane in (self.urgent, self.later):
                    while lane:
                        lane.popleft()[0].cancel()
            self.cond.notify_all()
            threads = list(self.threads)
        if wait:
            for thread in threads:
                thread.join()


class Coalescer:
    """At most one run per key at a time: `run(key, item, round)` calls `round(items)` with this item and every
    item that arrived for the key meanwhile, until none is left; an item that arrives while a run is going only
    joins that run's next round (its caller returns at once)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: dict[Hashable, list[Any]] = {}

    def run(self, key: Hashable, item: Any, round_: Callable[[list[Any]], None]) -> bool:
        """True when this call ran the rounds, False when it only handed its item to a running one."""
        with self.lock:
            if key in self.waiting:
                self.waiting[key].append(item)
                return False
            self.waiting[key] = [item]
        try:
            while True:
                with self.lock:
                    items = self.waiting[key]
                    if not items:
                        del self.waiting[key]
                        return True
                    self.waiting[key] = []
                round_(items)
        except BaseException:
            with self.lock:  # what was still handed in is left to the worker's drain; the next call starts afresh
                self.waiting.pop(key, None)
            raise

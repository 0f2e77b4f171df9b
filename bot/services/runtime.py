"""What the Slack listeners share: database, settings, workflow, notifier, export hooks, a background pool.

`bind(app, services)` attaches a `Services` to a Bolt app; each `handlers/<surface>.register(app)` reads it
back with `of(app)`. Work that may take longer than Slack's 3-second ack (draining the outbox after an
accept, running a sync, building a report) goes to `services.submit(...)`, which logs what fails: what a person
waits to see; `services.submit_later(...)` for what nobody watches start (exports after a click, receipt DMs,
bookkeeping), which yields to waiting clicks (bot/services/lanes.py). Bolt's own listener pool and ours are
tracked, so `idle()` can wait for both (tests, shutdown).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from blocks.links import Links
from bot.engine_setup import engine_outbox
from bot.notify import Notifier, items_with_cards
from bot.services.lanes import Coalescer, LaneExecutor
from core.config import Settings
from core.db_outage import OUTAGE, is_outage
from core.domain.workflow import Workflow
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.services import exports

logger = logging.getLogger(__name__)
BACKGROUND_THREADS = 8
LATER_CAP = 2  # later-lane tasks at once: exports get going, and six threads stay for the next burst of clicks


class Tracker:
    """Futures still running (Bolt's listeners and our background tasks)."""

    def __init__(self) -> None:
        self.pending: set[Future] = set()
        self.lock = threading.Lock()

    def track(self, future: Future) -> Future:
        with self.lock:
            self.pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future) -> None:
        with self.lock:
            self.pending.discard(future)

    def idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:  # a task may submit another: wait until the set stays empty
            with self.lock:
                pending = set(self.pending)
            if not pending:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            wait(pending, timeout=left)


class TrackedExecutor(Executor):
    """A thread pool whose futures a Tracker follows (also given to Bolt as its listener executor)."""

    def __init__(self, workers: int, tracker: Tracker, name: str) -> None:
        self.inner = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self.tracker = tracker

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        return self.tracker.track(self.inner.submit(fn, *args, **kwargs))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass
class Services:
    engine: Engine
    settings: Settings
    notifier: Notifier
    links: Links
    workflow: Workflow
    context_for: Callable[[int], Any] | None = None
    # item type → (session, item) hook that queues the outbox write; None = sync.services.exports
    hooks: Mapping[str, Callable[..., None]] | None = None
    # the outbox operations by name; None = sync.operations.build_operations(context_for)
    operations: Callable[[], Mapping[str, Any]] | None = None
    claim_single_tenant: bool = True
    tracker: Tracker = field(default_factory=Tracker)
    pool: LaneExecutor | None = None  # background work; made on first use
    drains: Coalescer = field(default_factory=Coalescer)  # one click drain per company at a time (finish.py)

    # --- export hooks and the outbox -------------------------------------------------------------------------
    def export_hook(self, item_type: str) -> Callable[..., None] | None:
        if self.hooks is not None:
            return self.hooks.get(item_type)
        return exports.export_hook(item_type)

    @staticmethod
    def outbox_worker_id() -> str:
        """The claimant of the rows this thread's drain runs (they keep it in `claimed_by`)."""
        return f"slack:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def drain_outbox(self, tenant_id: int | None = None) -> Any:
        """Run due outbox writes now (the worker does the same on its schedule; claims keep it exactly-once);
        `tenant_id`: only that company's (a click's drain; other companies' bulk work is the workers')."""
        if self.operations is not None:
            ops = self.operations()
        else:
            if self.context_for is None:
                logger.info("no TenantContext factory: the outbox is left to the worker")
                return None
            ops = build_operations(self.context_for)
        worker = self.outbox_worker_id()
        hooks = {"on_held": self.notifier.waiting_for_database, "on_recorded": self._redraw}
        if self.context_for is None:
            return Outbox(self.engine, ops, worker_id=worker, **hooks).drain(max_rounds=5)
        return engine_outbox(self.engine, ops, context_for=self.context_for, worker_id=worker,
                             **hooks).drain(max_rounds=5, tenant_id=tenant_id)

    def _redraw(self, item_ids: list[int]) -> None:
        """Outcomes held while the database was unreachable are recorded: redraw those cards."""
        self.notifier.refresh_cards(items_with_cards(self.engine, item_ids))

    # --- background work -------------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run `fn` after the ack on the background pool's urgent lane (a person waits to see its result: a
        decision and its card); a failure is logged (the card shows the state)."""
        return self._lanes().submit(self._logged(fn), *args, **kwargs)

    def submit_later(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """As `submit`, on the later lane: starts only while no urgent task waits (an export after a click, the
        sender's receipt DM, card bookkeeping)."""
        return self._lanes().submit_later(self._logged(fn), *args, **kwargs)

    def yield_to_clicks(self) -> None:
        """A long later-lane task (a drain between rounds) lets pending clicks' decisions go first."""
        if self.pool is not None:
            self.pool.yield_to_urgent()

    def _lanes(self) -> LaneExecutor:
        if self.pool is None:
            self.pool = LaneExecutor(BACKGROUND_THREADS, later_cap=LATER_CAP, name="ll-bg",
                                     track=self.tracker.track)
        return self.pool

    @staticmethod
    def _logged(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                name = getattr(fn, "__name__", fn)
                if is_outage(exc):  # the outage is logged once (core/db_outage.py); the card shows the state
                    logger.log(logging.DEBUG if OUTAGE.down else logging.WARNING,
                               "background task %s stopped: the database is unreachable", name)
                else:
                    logger.exception("background task %s failed", name)
                raise
        return run

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until no listener or background task is running."""
        return self.tracker.idle(timeout)


_BOUND: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def bind(app: Any, services: Services) -> None:
    _BOUND[app] = services


def of(app: Any) -> Services:
    try:
        return _BOUND[app]
    except KeyError:
        raise LookupError("this Bolt app was not built by bot.app.create_app (no Services bound)") from None

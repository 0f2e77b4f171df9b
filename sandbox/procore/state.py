"""One running sandbox: its store, clock, configuration, limiter, fault injector, request log and webhooks."""

from __future__ import annotations

import threading
from collections import Counter

from flask import current_app

from .config import Config
from .limits import FaultInjector, RateLimiter
from .store import Clock, Store
from .webhooks.dispatch import Dispatcher


class RequestLog:
    """Counts of API requests by method and path, and of the faults injected into them by kind, for tests that
    assert how many calls a client made and how many of them the sandbox broke on purpose."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.faults: Counter[str] = Counter()

    def count(self, method: str, path: str) -> None:
        with self.lock:
            self.counts[(method, path)] += 1

    def fault(self, kind: str) -> None:
        with self.lock:
            self.faults[kind] += 1

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.faults.clear()

    def snapshot(self) -> dict:
        with self.lock:
            items = sorted(self.counts.items())
            faults = dict(self.faults)
        by_path: dict[str, dict[str, int]] = {}
        for (method, path), n in items:
            by_path.setdefault(path, {})[method] = n
        return {"total": sum(n for _, n in items),
                "counts": {f"{method} {path}": n for (method, path), n in items},
                "by_path": by_path, "faults": faults}


class Sandbox:
    def __init__(self, db_path: str | None = None, **config_overrides) -> None:
        self.clock = Clock()
        self.store = Store(db_path, self.clock)
        self.config = Config(**config_overrides)
        self.limiter = RateLimiter(self.config, self.clock)
        self.faults = FaultInjector(self.config)
        self.requests = RequestLog()
        self.webhooks = Dispatcher(self.store, self.config)
        self.store.listeners.append(self.webhooks.on_change)

    def close(self) -> None:
        self.webhooks.stop()
        self.store.close()


def current() -> Sandbox:
    return current_app.extensions["procore_sandbox"]

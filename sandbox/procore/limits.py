"""Rate limiting and fault injection, applied to API requests before they reach a handler.

Procore rate-limits per access token with an hourly window and a 10-second spike window, and reports
whichever is closer to running out in `X-Rate-Limit-Limit/-Remaining/-Reset` (epoch seconds) on every
response (https://developers.procore.com/documentation/rate-limiting). Over the limit it answers 429 with
the JSON body its API reference documents (`{"error": {"error": message}}`); under heavy load it answers 503
with `Retry-After`.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

from .config import FAULT_KINDS, Config
from .store import Clock

RATE_LIMITED_TEXT = "You have surpassed the max number of requests for an hour. Please wait until your limit resets."


@dataclass
class Window:
    start: float
    count: int = 0


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds, rounded up, as the header carries it
    resets_at: float = 0.0  # the exact end of the window, for Retry-After

    def headers(self) -> dict[str, str]:
        return {"X-Rate-Limit-Limit": str(self.limit), "X-Rate-Limit-Remaining": str(self.remaining),
                "X-Rate-Limit-Reset": str(self.reset)}


class RateLimiter:
    """Fixed windows per key (the bearer token). Counts always; refuses only when enabled."""

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.Lock()
        self.windows: dict[tuple[str, str], Window] = {}

    def reset(self) -> None:
        with self.lock:
            self.windows.clear()

    def _window(self, key: str, name: str, length: float, now: float) -> Window:
        window = self.windows.get((key, name))
        if window is None or now >= window.start + length:
            window = self.windows[(key, name)] = Window(start=now)
        return window

    def hit(self, key: str) -> Verdict:
        """Count one request for `key` and say whether it may proceed."""
        settings = self.config["rate_limit"]
        now = self.clock.now()
        checks = [("hourly", int(settings["limit"]), float(settings["window"]))]
        if settings.get("spike_limit"):
            checks.append(("spike", int(settings["spike_limit"]), float(settings["spike_window"])))
        with self.lock:
            windows = [(limit, length, self._window(key, name, length, now)) for name, limit, length in checks]
            exceeded = [w for limit, _, w in windows if w.count >= limit]
            allowed = not (settings["enabled"] and exceeded)
            if allowed:
                for _, _, window in windows:
                    window.count += 1
            # Report the window closest to running out (a refused request reports the one it hit).
            limit, length, window = min(windows, key=lambda t: (t[0] - t[2].count, t[1]))
            remaining = max(0, limit - window.count)
            # round up: a client that waits until Reset must find the window over, not 1 s short
            return Verdict(allowed, limit, remaining, math.ceil(window.start + length), window.start + length)


class FaultInjector:
    """Chooses an injected fault for a request: queued ones first, then by configured probability."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.rng = random.Random(config["random_seed"])

    def pick(self, method: str, path: str) -> str | None:
        """Queued faults match any non-admin path they name; random ones only `fault_prefixes`."""
        queued = self.config.take_next_fault(method, path)
        if queued:
            return queued
        if not any(path.startswith(prefix) for prefix in self.config["fault_prefixes"]):
            return None
        rates = self.config["faults"]
        with self.lock:
            roll = self.rng.random()
        threshold = 0.0
        for kind in FAULT_KINDS:
            threshold += float(rates.get(kind) or 0.0)
            if roll < threshold:
                return kind
        return None

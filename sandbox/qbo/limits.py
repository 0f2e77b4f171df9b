"""Intuit's throttles (per realm: 500 requests/min, 10 in flight, 40 batch requests/min) and fault injection.

Windows are sliding, measured on the real clock divided by `time_scale`, so a benchmark can squeeze a minute into
a second. Whether a batch counts once against the 500/min or once per item is a switch (Intuit's own texts
disagree). Rejected requests do not consume the window.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field

FAULT_KINDS = ("429", "500", "503", "slow", "drop_after_commit")


@dataclass
class LimitConfig:
    enabled: bool = False
    batch_item_metering: bool = False
    time_scale: float = 1.0
    per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 40
    fault_rates: dict[str, float] = field(default_factory=lambda: {k: 0.0 for k in FAULT_KINDS})
    slow_seconds: float = 3.0
    fault_seed: int | None = None

    def as_dict(self) -> dict:
        return {"limits": self.enabled, "batch_item_metering": self.batch_item_metering,
                "time_scale": self.time_scale, "per_minute": self.per_minute, "concurrent": self.concurrent,
                "batch_per_minute": self.batch_per_minute, "fault_rates": dict(self.fault_rates),
                "slow_seconds": self.slow_seconds, "fault_seed": self.fault_seed}


class Limiter:
    """Admission control per realm; `admit` returns a release callable, or None when throttled."""

    def __init__(self, config: LimitConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}
        self._batches: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}
        self.throttled: dict[str, int] = {}  # requests refused for overrunning a limit (not injected faults)
        self.peak_in_flight: dict[str, int] = {}
        self._random = random.Random(config.fault_seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._random = random.Random(seed)

    def _window(self) -> float:
        return 60.0 / max(self.config.time_scale, 1e-9)

    @staticmethod
    def _trim(times: deque[float], now: float, window: float) -> None:
        while times and times[0] <= now - window:
            times.popleft()

    def admit(self, realm: str, weight: int = 1, batch: bool = False):
        cfg = self.config
        if not cfg.enabled:
            return lambda: None
        now, window = time.monotonic(), self._window()
        with self._lock:
            calls = self._calls.setdefault(realm, deque())
            batches = self._batches.setdefault(realm, deque())
            self._trim(calls, now, window)
            self._trim(batches, now, window)
            if (self._in_flight.get(realm, 0) >= cfg.concurrent or len(calls) + weight > cfg.per_minute
                    or (batch and len(batches) + 1 > cfg.batch_per_minute)):
                self.throttled[realm] = self.throttled.get(realm, 0) + 1
                return None
            calls.extend([now] * weight)
            if batch:
                batches.append(now)
            self._in_flight[realm] = self._in_flight.get(realm, 0) + 1
            self.peak_in_flight[realm] = max(self.peak_in_flight.get(realm, 0), self._in_flight[realm])

        def release() -> None:
            with self._lock:
                self._in_flight[realm] = max(self._in_flight.get(realm, 1) - 1, 0)

        return release

    def pick_fault(self) -> str | None:
        """At most one injected fault per request, drawn by its configured share."""
        rates = self.config.fault_rates
        if not any(rates.get(k, 0) for k in FAULT_KINDS):
            return None
        with self._lock:
            draw = self._random.random()
        edge = 0.0
        for kind in FAULT_KINDS:
            edge += max(float(rates.get(kind, 0.0)), 0.0)
            if draw < edge:
                return kind
        return None

    def slow_delay(self) -> float:
        return self.config.slow_seconds / max(self.config.time_scale, 1e-9)

    def counted(self, realm: str) -> dict:
        """What the limits saw of one realm: overrun refusals and the most requests ever in flight at once."""
        with self._lock:
            return {"throttled": self.throttled.get(realm, 0), "peak_in_flight": self.peak_in_flight.get(realm, 0)}

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._batches.clear()
            self.throttled.clear()
            self.peak_in_flight.clear()


def apply_config(config: LimitConfig, limiter: Limiter, data: dict) -> None:
    """Update from a `/_sandbox/config` body (unknown keys are ignored by the caller's validation)."""
    if "limits" in data:
        config.enabled = bool(data["limits"])
    for key in ("batch_item_metering",):
        if key in data:
            setattr(config, key, bool(data[key]))
    for key in ("time_scale", "slow_seconds"):
        if key in data:
            setattr(config, key, float(data[key]))
    for key in ("per_minute", "concurrent", "batch_per_minute"):
        if key in data:
            setattr(config, key, int(data[key]))
    if "fault_rate" in data:  # one share spread evenly over every kind
        config.fault_rates.update({k: float(data["fault_rate"]) / len(FAULT_KINDS) for k in FAULT_KINDS})
    rates = data.get("fault_rates", data.get("faults"))
    if isinstance(rates, dict):
        for kind, value in rates.items():
            kind = {"drop": "drop_after_commit", "timeout": "slow"}.get(str(kind), str(kind))
            if kind in FAULT_KINDS:
                config.fault_rates[kind] = float(value)
    if "fault_seed" in data:
        config.fault_seed = data["fault_seed"]
        limiter.reseed(config.fault_seed)
    if data.get("reset_windows"):
        limiter.reset()

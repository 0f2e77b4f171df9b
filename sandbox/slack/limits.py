"""Switchable rate limits and fault injection for the Web API (`POST /_sandbox/config`).

Rate limits (off by default): `"real"` applies Slack's tiers per method and token per minute
(Tier 1 = 1, 2 = 20, 3 = 50, 4 = 100; chat.postMessage ~1 per second per channel with short bursts),
or a dict `{"chat.postMessage": 10, "*": 100}` sets per-minute limits. Over the limit Slack answers
HTTP 429, `Retry-After: <seconds>` and `{"ok": false, "error": "ratelimited"}`.
https://docs.slack.dev/apis/web-api/rate-limits

Faults: a list of rules applied before the method runs, each
`{"method": "chat.postMessage" | "*", "kind": "ratelimited" | "error" | "status" | "latency", "times": N | null,
  "retry_after": 1, "error": "fatal_error", "status": 500, "seconds": 1.0}`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

TIERS = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "auth.test": 4, "chat.update": 3, "chat.delete": 3, "chat.postEphemeral": 4, "views.open": 4,
    "views.update": 4, "views.push": 4, "views.publish": 4, "users.info": 4, "users.lookupByEmail": 3,
    "users.list": 2, "conversations.open": 3, "conversations.info": 3, "conversations.history": 3,
    "conversations.replies": 3, "conversations.list": 2, "conversations.members": 4,
    "files.getUploadURLExternal": 4, "files.completeUploadExternal": 4, "team.info": 3,
}
POST_MESSAGE_PER_SECOND_BURST = 5  # "1 per second per channel, short bursts allowed"


@dataclass
class Verdict:
    """What a fault or limit says about a call: nothing (None), sleep first, or answer this instead."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    sleep: float = 0.0


class Limiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mode: str | dict = "off"
        self.faults: list[dict] = []
        self._hits: dict[tuple, deque] = defaultdict(deque)

    def configure(self, *, rate_limits=None, faults=None) -> None:
        with self._lock:
            if rate_limits is not None:
                if rate_limits not in ("off", "real") and not isinstance(rate_limits, dict):
                    raise ValueError("rate_limits must be 'off', 'real' or {method: per_minute}")
                self.mode = rate_limits
                self._hits.clear()
            if faults is not None:
                if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
                    raise ValueError("faults must be a list of objects")
                self.faults = [dict(f) for f in faults]

    def snapshot(self) -> dict:
        with self._lock:
            return {"rate_limits": self.mode, "faults": [dict(f) for f in self.faults]}

    def check(self, method: str, token: str, channel: str | None = None) -> Verdict | None:
        with self._lock:
            fault = self._fault(method)
            if fault is not None and fault.sleep == 0:
                return fault
            limited = self._limit(method, token, channel)
        if fault is not None:  # latency, then the limits still apply
            time.sleep(fault.sleep)
        return limited

    def _fault(self, method: str) -> Verdict | None:
        for rule in self.faults:
            if rule.get("method", "*") not in ("*", method):
                continue
            times = rule.get("times")
            if times is not None:
                if times <= 0:
                    continue
                rule["times"] = times - 1
            kind = rule.get("kind", "error")
            if kind == "ratelimited":
                return Verdict(status=429, error="ratelimited", retry_after=int(rule.get("retry_after", 1)))
            if kind == "latency":
                return Verdict(sleep=float(rule.get("seconds", 1.0)))
            if kind == "status":
                return Verdict(status=int(rule.get("status", 500)), error=rule.get("error"))
            return Verdict(status=int(rule.get("status", 200)), error=rule.get("error", "fatal_error"))
        return None

    def _limit(self, method: str, token: str, channel: str | None) -> Verdict | None:
        if self.mode == "off":
            return None
        now = time.monotonic()
        if self.mode == "real" and method == "chat.postMessage":
            return self._window((method, token, channel), now, POST_MESSAGE_PER_SECOND_BURST, 1.0 *
                                POST_MESSAGE_PER_SECOND_BURST)
        if isinstance(self.mode, dict):
            per_minute = self.mode.get(method, self.mode.get("*"))
        else:
            per_minute = TIERS[METHOD_TIERS.get(method, 3)]
        if per_minute is None:
            return None
        return self._window((method, token), now, int(per_minute), 60.0)

    def _window(self, key: tuple, now: float, allowed: int, span: float) -> Verdict | None:
        hits = self._hits[key]
        while hits and now - hits[0] >= span:
            hits.popleft()
        if len(hits) >= allowed:
            wait = span - (now - hits[0])
            return Verdict(status=429, error="ratelimited", retry_after=max(1, math.ceil(wait)))
        hits.append(now)
        return None

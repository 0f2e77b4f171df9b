"""Runtime switches of the sandbox: rate limits, fault injection, paging and webhook delivery policy.

Everything here can be changed while the sandbox runs with `POST /_sandbox/config` (a partial document
is deep-merged into the current one). Defaults behave like a healthy Procore: limits reported but not
enforced, no faults, fast webhook retries.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

FAULT_KINDS = ("429", "500", "503", "slow", "drop_after_commit")

DEFAULTS: dict[str, Any] = {
    # Procore reports an hourly window (3,600/h by default) and a 10-second spike window.
    "rate_limit": {"enabled": False, "limit": 3600, "window": 3600, "spike_limit": None, "spike_window": 10},
    # Probability (0..1) that a request under one of `fault_prefixes` gets each kind of fault.
    "faults": {kind: 0.0 for kind in FAULT_KINDS},
    # Deterministic faults, consumed in order: [{"kind": "503", "method": "GET", "path": "/rest/v1.0/vendors",
    # "count": 1}] (method and path optional; path matches as a prefix).
    "fault_next": [],
    "fault_prefixes": ["/rest/"],
    "slow_seconds": 2.0,
    "retry_after": 2,
    "random_seed": 1,
    "paging": {"default_per_page": 100, "max_per_page": 10000},  # Procore: at most 10,000 per page
    "tokens": {"expires_in": 5400, "code_ttl": 600},
    # Procore retries for ~12 h with exponential backoff from 1 s to 1 h; the sandbox shortens the schedule.
    # `duplicate`: deliver every event twice (true) or N times (a number), as Procore sometimes does.
    "webhooks": {"retry_delays": [0.05, 0.1, 0.2, 0.4, 0.8, 1.6], "max_attempts": 7, "timeout": 5.0,
                 "duplicate": False, "enabled": True},
}


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def normalize(patch: dict[str, Any]) -> dict[str, Any]:
    """Accept shorthands: `"rate_limit": 100` (enforce 100/window), `true`/`false`/`null`; `"fault_rate": F`."""
    patch = dict(patch)
    limit = patch.get("rate_limit", {})
    if isinstance(limit, bool) or limit is None:
        patch["rate_limit"] = {"enabled": bool(limit)}
    elif isinstance(limit, int | float):
        patch["rate_limit"] = {"enabled": limit > 0, **({"limit": int(limit)} if limit > 0 else {})}
    if "fault_rate" in patch:
        share = float(patch.pop("fault_rate") or 0) / 3
        patch["faults"] = {"429": share, "500": share, "503": share, **(patch.get("faults") or {})}
    return patch


class Config:
    """The live configuration, readable from any thread."""

    def __init__(self, **overrides: Any) -> None:
        self.lock = threading.RLock()
        self.data = copy.deepcopy(DEFAULTS)
        deep_merge(self.data, normalize(overrides))

    def __getitem__(self, key: str) -> Any:
        with self.lock:
            return self.data[key]

    def update(self, patch: dict[str, Any]) -> dict[str, Any]:
        patch = normalize(patch)
        unknown = sorted(set(patch) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        faults = patch.get("faults") or {}
        bad = sorted(set(faults) - set(FAULT_KINDS))
        if bad:
            raise ValueError(f"unknown fault kinds: {', '.join(bad)}; use {', '.join(FAULT_KINDS)}")
        with self.lock:
            deep_merge(self.data, patch)
            return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.data)

    def take_next_fault(self, method: str, path: str) -> str | None:
        """Pop the first queued deterministic fault that matches this request, if any."""
        with self.lock:
            queue = self.data["fault_next"]
            for i, entry in enumerate(queue):
                if entry.get("method") and entry["method"].upper() != method:
                    continue
                if entry.get("path") and not path.startswith(entry["path"]):
                    continue
                count = int(entry.get("count", 1)) - 1
                if count <= 0:
                    queue.pop(i)
                else:
                    entry["count"] = count
                return str(entry["kind"])
        return None

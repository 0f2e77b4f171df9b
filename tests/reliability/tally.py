"""Counters the reliability suite adds to as it runs; tests/conftest.py prints them as one table at the end.
Under pytest-xdist each worker hands its counts to the controller (`counts`/`merge`), which prints the totals.

Tests call `tally.add("faults injected", n)` with the figures they measured (never a constant), and
`tally.add("duplicates found", 0)` style lines for the must-be-zero columns so the table always shows them.
"""

from __future__ import annotations

import threading
from collections import Counter

ROWS = ("faults injected", "crashes (SIGKILL)", "database outages survived", "concurrent actors",
        "bad inputs tried", "security probes", "duplicates found", "items lost")
MUST_BE_ZERO = ("duplicates found", "items lost")

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_seen: set[str] = set()


def add(row: str, n: int = 1) -> None:
    """Add `n` to a row of the summary (rows outside ROWS are printed after them)."""
    with _lock:
        _counts[row] += int(n)
        _seen.add(row)


def counts() -> dict[str, int]:
    """The rows added to so far (for the xdist controller)."""
    with _lock:
        return {row: _counts[row] for row in _seen}


def merge(other: dict[str, int]) -> None:
    """Add a worker's counts (xdist) to this process's."""
    for row, n in other.items():
        add(row, n)


def snapshot() -> dict[str, int]:
    with _lock:
        return {row: _counts[row] for row in (*ROWS, *sorted(_seen - set(ROWS))) if row in _seen or row in ROWS}


def table() -> list[str]:
    rows = snapshot()
    width = max(len(r) for r in rows)
    lines = ["Reliability summary", "-" * (width + 12)]
    for row, n in rows.items():
        flag = "  <-- must be 0" if row in MUST_BE_ZERO and n else ""
        lines.append(f"{row:<{width}}  {n:>8}{flag}")
    return lines

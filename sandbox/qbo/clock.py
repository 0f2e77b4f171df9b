"""Sandbox time: real time plus an adjustable offset, rendered in the company's zone like Intuit does."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

COMPANY_TZ = ZoneInfo("America/Los_Angeles")  # Intuit's sample companies report Pacific local offsets

_TS = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
                 r"\s*(Z|[+-]\d{2}:?\d{2})?$")


class Clock:
    """Sandbox clock; `shift` moves it (token expiry, CDC 30-day window) without touching the real clock."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def shift(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)

    def time(self) -> float:
        """Sandbox epoch seconds."""
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), COMPANY_TZ)

    def today(self) -> date:
        return self.now().date()


def fmt(dt: datetime) -> str:
    """`2020-09-29T06:58:50-07:00` — how MetaData times look."""
    return dt.astimezone(COMPANY_TZ).isoformat(timespec="seconds")


def fmt_ms(dt: datetime) -> str:
    """`2020-09-29T06:58:50.123-07:00` — how the top-level `time` looks."""
    return dt.astimezone(COMPANY_TZ).isoformat(timespec="milliseconds")


def parse_ts(text: str) -> datetime | None:
    """Parse the date/time forms Intuit accepts; a value without an offset is company-local time."""
    m = _TS.match(str(text).strip())
    if not m:
        return None
    y, mo, d, h, mi, s, frac, off = m.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                      int((frac or "0").ljust(6, "0")[:6]))
    except ValueError:
        return None
    if off is None:
        return dt.replace(tzinfo=COMPANY_TZ)
    if off == "Z":
        return dt.replace(tzinfo=UTC)
    sign = -1 if off[0] == "-" else 1
    digits = off[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return dt.replace(tzinfo=timezone(sign * delta))

"""`<!date^…>` tokens as Slack shows them: in the viewer's time zone, with Slack's format tokens.

https://api.slack.com/reference/surfaces/formatting#date-formatting — `{date_num}` 2014-02-18, `{date}` February
18th, 2014, `{date_short}` Feb 18, 2014, `{date_long}` Tuesday, February 18th, 2014, the `_pretty` variants say
today/yesterday/tomorrow when they can, `{time}` 6:39 AM, `{time_secs}` 6:39:45 AM, `{ago}` 3 minutes ago.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

_FIELD = re.compile(r"\{(\w+)\}")


def viewer_zone(tz: str | None, offset: int = 0) -> tzinfo:
    """The viewer's zone by name (daylight saving included), else their fixed offset."""
    try:
        return ZoneInfo(tz) if tz else timezone(timedelta(seconds=offset))
    except (KeyError, ValueError):
        return timezone(timedelta(seconds=offset))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _clock(moment: datetime, secs: bool = False) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M}{':' + format(moment, '%S') if secs else ''} {'AM' if moment.hour < 12 else 'PM'}"


def _ago(seconds: float) -> str:
    future, seconds = seconds < 0, abs(seconds)
    for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            words = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "just now"


def format_date(epoch: float, fmt: str, zone: tzinfo, now: float | None = None) -> str:
    """Fill Slack's date format tokens for `epoch` as seen in `zone`; unknown tokens stay as written."""
    moment = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
    current = time.time() if now is None else now
    today = datetime.fromtimestamp(current, UTC).astimezone(zone).date()
    relative = {today: "today", today - timedelta(days=1): "yesterday", today + timedelta(days=1): "tomorrow"}
    long_date = f"{moment:%B} {_ordinal(moment.day)}, {moment.year}"
    values = {"date_num": moment.date().isoformat(), "date": long_date,
              "date_short": f"{moment:%b} {moment.day}, {moment.year}", "date_long": f"{moment:%A}, {long_date}",
              "time": _clock(moment), "time_secs": _clock(moment, True), "ago": _ago(current - epoch)}
    for name in ("date", "date_short", "date_long"):
        values[f"{name}_pretty"] = relative.get(moment.date(), values[name])
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), fmt)


def date_token(body: str, fallback: str, zone: tzinfo) -> tuple[str, str | None]:
    """`date^<epoch>^<format>[^<link>]` → (text, link); the fallback when the token is malformed."""
    parts = body.split("^")
    try:
        epoch = float(parts[1])
        fmt = parts[2]
    except (IndexError, ValueError):
        return fallback or body, None
    return format_date(epoch, fmt, zone), (parts[3] if len(parts) > 3 and parts[3] else None)

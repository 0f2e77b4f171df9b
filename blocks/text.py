"""Formatting for Slack text: dates, mentions, mrkdwn escaping, truncation that says so (money: `core.money`).

Everything here is pure. Truncation never cuts a word in half silently: it cuts at a word boundary when
there is one and appends a marker ("… (truncated)"), and the result always fits the limit it was given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from datetime import date as _date
from zoneinfo import ZoneInfo

TRUNCATED = "… (truncated)"


def _zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def date(ts: datetime | _date | None, tz: str | None = None) -> str:
    """'Mar 4, 2025' (a datetime in the tenant's time zone)."""
    if ts is None:
        return "—"
    local = _aware(ts).astimezone(_zone(tz)) if isinstance(ts, datetime) else ts
    return f"{local:%b} {local.day}, {local.year}"


def when(ts: datetime | None, tz: str | None = None) -> str:
    """'Mar 4, 2025 at 14:05' in the tenant's time zone."""
    if ts is None:
        return "—"
    local = _aware(ts).astimezone(_zone(tz))
    return f"{date(ts, tz)} at {local:%H:%M}"


def slack_when(ts: datetime | None, tz: str | None = None) -> str:
    """A moment every reader sees in their own time zone (Slack's `<!date>`; mrkdwn only), with `when()` in the
    tenant's zone as the fallback for clients that can't show it (notifications, old clients)."""
    if ts is None:
        return "—"
    epoch = int(_aware(ts).timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{when(ts, tz)}>"


def age(ts: datetime | None, now: datetime | None = None) -> str:
    """How long ago, coarsely: 'just now', '5 min', '3 h', '2 days'."""
    if ts is None:
        return "—"
    seconds = ((now or datetime.now(UTC)) - _aware(ts)).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


#: the mentions Ledgerlink itself writes into its sentences: a user (<@U…>) or a channel (<#C…> / <#C…|name>)
_OWN_MENTION = re.compile(r"<(?:@[UW][A-Z0-9]{2,20}|#[CG][A-Z0-9]{2,20}(?:\|[\w.\-]{0,80})?)>")


def escape(text: str | None, *, keep_mentions: bool = False) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters — the one function for every text
    that came from Procore, QuickBooks or a person before it is posted (message text, blocks, modals, App Home).

    `keep_mentions`: for a whole sentence of ours that embeds names — the user and channel mentions it holds stay
    mentions, everything else (`<!here>`, `<https://…|…>`, a stray `&`) is shown as typed.
    """
    text = text or ""
    if not keep_mentions:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    parts, last = [], 0
    for m in _OWN_MENTION.finditer(text):
        parts += [escape(text[last:m.start()]), m.group()]
        last = m.end()
    return "".join([*parts, escape(text[last:])])


def mention(slack_user_id: str | None, fallback: str | None = None) -> str:
    """'<@U123>' when we know the Slack user, else their (escaped) name."""
    if slack_user_id:
        return f"<@{slack_user_id}>"
    return escape(fallback or "someone")


def link(url: str | None, label: str) -> str:
    """A mrkdwn link, or the bare label when there is no URL."""
    if not url:
        return escape(label)
    safe_label = escape(label).replace("|", "¦")
    return f"<{url}|{safe_label}>"


def truncate(text: str, limit: int, *, marker: str = TRUNCATED) -> str:
    """`text` if it fits in `limit` characters; else cut at a word boundary and say so."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return text[:limit]
    room = limit - len(marker)
    cut = text[:room]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= room // 2:  # a word boundary not too far back: cut there
        cut = cut[:space]
    else:  # one very long word: cut it, the marker says so
        cut = cut.rstrip()
    return cut.rstrip(" ,;:\n") + marker


def more_lines(n: int, noun: str = "line") -> str:
    """'…and 12 more lines'."""
    return f"…and {n} more {noun if n == 1 else noun + 's'}"


def bounded_lines(lines: Sequence[str], *, limit: int, max_lines: int | None = None, noun: str = "line") -> str:
    """Join lines within `limit` characters (and `max_lines`), ending with '…and N more lines' when some
    don't fit. Each line should already be short (see `truncate`)."""
    shown: list[str] = []
    for i, line in enumerate(lines):
        after = len(lines) - i - 1
        reserve = len(more_lines(after, noun)) + 1 if after else 0
        if (max_lines is not None and len(shown) >= max_lines) or \
                len("\n".join([*shown, line])) + reserve > limit:
            return "\n".join([*shown, more_lines(len(lines) - len(shown), noun)])
        shown.append(line)
    return "\n".join(shown)

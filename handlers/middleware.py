"""Global middleware: every string of a Slack request loses its NUL characters before any listener sees it.

Nothing a person types in Slack needs NUL, and PostgreSQL text columns cannot store one (psycopg refuses the whole
statement), so a pasted NUL would turn a reject reason, a lookup or a setting into an error instead of text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App


def without_nul(value: Any) -> Any:
    """`value` with NUL removed from every string in it (dicts and lists are cleaned in place)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        for key, inner in value.items():
            value[key] = without_nul(inner)
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            value[n] = without_nul(inner)
    return value


def drop_nul(body: dict, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt passes it by this name
    without_nul(body)
    next()


def install(app: App) -> None:
    """Run `drop_nul` before every listener (bot/app.py calls this before registering the listeners)."""
    app.use(drop_nul)

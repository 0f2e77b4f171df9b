"""Global middleware: every string of a Slack request loses its NUL characters before any listener sees it.

Nothing a person types in Slack needs NUL, and PostgreSQL text columns cannot store one (psycopg refuses the whole
statement), so a pasted NUL would turn a reject reason, a lookup or a setting into an error instead of text.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from core.jsonbody import without_nul


def drop_nul(body: dict, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt passes it by this name
    without_nul(body)
    next()


def install(app: App) -> None:
    """Run `drop_nul` before every listener (bot/app.py calls this before registering the listeners)."""
    app.use(drop_nul)

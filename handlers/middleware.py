"""Global middleware: every string of a Slack request loses its NUL characters before any listener sees it, and
every listener finds the app's Services in its context.

Nothing a person types in Slack needs NUL, and PostgreSQL text columns cannot store one (psycopg refuses the whole
statement), so a pasted NUL would turn a reject reason, a lookup or a setting into an error instead of text.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltContext

from bot.services.runtime import of
from core.jsonbody import without_nul
from handlers.context import SERVICES


def drop_nul(body: dict, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt passes it by this name
    without_nul(body)
    next()


def install(app: App) -> None:
    """Before every listener: `drop_nul`, and the app's Services in the context (`handlers.context.services`), so
    the listeners are plain functions. bot/app.py calls this before registering the listeners."""
    svc = of(app)

    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt's name
        context[SERVICES] = svc
        next()

    app.use(drop_nul)
    app.use(provide_services)

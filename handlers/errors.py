"""The app's one error handler: log the failure with a reference, show the person a sentence (never a trace).

The database being unreachable is a known, passing condition, not a bug: the person is told so in a sentence and
the log gets one line per refused click (the outage itself is logged once: core/db_outage.py)."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from core import db_outage
from core.domain.errors import DomainError
from handlers.context import tell

logger = logging.getLogger(__name__)


#: what a person is told when their click or command could not reach the database
DB_SENTENCE = (":hourglass: Ledgerlink can't reach its database right now; your click was not recorded — try again "
               "in a minute.")
DB_COMMAND_SENTENCE = (":hourglass: Ledgerlink can't reach its database right now; your command was not run — try "
                       "again in a minute.")


def sentence(ref: str) -> str:
    return (f":warning: Sorry, that didn't work: something went wrong on Ledgerlink's side (reference {ref}). "
            "Please try again; if it keeps happening, tell your Ledgerlink admin the reference.")


def on_error(error: Exception, body: dict[str, Any], client: WebClient) -> None:
    ref = uuid.uuid4().hex[:8]
    kind = body.get("type") or ("command" if body.get("command") else "event")
    if db_outage.is_outage(error):
        logger.warning("%s refused (%s): the database is unreachable", kind, _what(body))
        text = DB_COMMAND_SENTENCE if body.get("command") else DB_SENTENCE
    else:
        logger.error("unhandled error %s in %s: %s", ref, kind, error, exc_info=error)
        text = sentence(ref)
    try:
        if body.get("response_url"):
            WebhookClient(body["response_url"]).send(text=text, response_type="ephemeral", replace_original=False)
        elif body.get("user") or body.get("user_id"):
            tell(client, body, text)
    except Exception:  # noqa: BLE001 - telling the person is best effort; the failure is logged above
        logger.exception("could not show error %s to the person", ref)


def _what(body: dict[str, Any]) -> str:
    """'item_accept by U123' / '/ledgerlink by U123': enough to match a person's report to the log line."""
    actions = body.get("actions") or [{}]
    name = body.get("command") or actions[0].get("action_id") or (body.get("view") or {}).get("callback_id") or "?"
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    return f"{name} by {user.get('id') or body.get('user_id') or '?'}"


def guarded(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Send a listener's unexpected error to `on_error` ourselves (acking first if it hadn't).

    Why not leave it to Bolt: when a listener raises within ~10 ms of its ack, Bolt's thread runner resets the
    ack it had not yet sent and answers 404 three seconds later (slack_bolt/listener/thread_runner.py), so the
    person would see Slack's "didn't respond" as well. The listener keeps its own signature (Bolt injects
    arguments by name); it must take `ack`, `body` and `client`."""
    @functools.wraps(listener)
    def run(**kwargs: Any) -> Any:
        try:
            return listener(**kwargs)
        except DomainError as exc:  # a refusal in words (e.g. a form whose metadata was altered): no trace, no ref
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                ack()
            body = kwargs.get("body") or {}
            logger.info("refused in %s: %s", body.get("type") or "command", exc.sentence)
            tell(kwargs["client"], body, exc.sentence)
            return None
        except Exception as exc:
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                ack()
            on_error(exc, kwargs.get("body") or {}, kwargs["client"])
            return None
    return run


def after_ack(svc: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: ack at once, then run the (guarded) listener on the app's background pool (`svc.submit`,
    `svc` the app's `Services`); the listener's own `ack()` is then a no-op.

    Why: Bolt runs listeners on its listener pool and answers Slack only once the listener has acked. When the
    work after the ack (the decision's transaction, the card update) ran there too, a burst of clicks filled the
    pool and each further click waited for a free thread before it could even ack (p99 ~1.1 s for 50 clicks);
    now that pool only acks."""
    def decorate(listener: Callable[..., Any]) -> Callable[..., Any]:
        safe = guarded(listener)

        @functools.wraps(listener)
        def run(**kwargs: Any) -> None:
            kwargs["ack"]()
            svc.submit(safe, **{**kwargs, "ack": _already_acked})
        return run
    return decorate


def _already_acked(*_args: Any, **_kwargs: Any) -> None:
    return None


def register(app: App) -> None:
    app.error(on_error)

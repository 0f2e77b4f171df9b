"""The end of a connect: a refused link's one sentence, and the grant saved or held (shared by both providers)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.notify import build_notifier
from bot.routes.common import html_page
from bot.services import connections
from bot.services.connect_links import LinkRefused, refusal
from core.crypto import SecretBox

logger = logging.getLogger(__name__)


def refused_link(provider: str, label: str, reason: str) -> tuple[str, int, dict[str, str]]:
    """403 for a connect without a valid link: one sentence, the same for every reason and every tenant."""
    logger.warning("%s connect refused: %s", label, reason)
    return html_page(f"Cannot connect {label}", refusal(provider), 403)


def finish_connection(engine, settings, *, link_id: int, provider: str, label: str,  # type: ignore[no-untyped-def]
                      external_id: str | int, tokens,
                      then: Callable[[], str] | None = None) -> tuple[str, int, dict[str, str]]:
    """Save the grant (or hold a switch to another company for an admin's Confirm), tell the admins, and say so.
    `then` runs once the connection is in use (not while a switch waits) and returns a sentence for the page."""
    try:
        change = connections.finish(engine, SecretBox(settings.require_secret_key()), link_id=link_id,
                                    provider=provider, external_id=external_id, tokens=tokens)
    except LinkRefused as exc:
        return refused_link(provider, label, str(exc))
    logger.info("tenant %s %s: %s company %s (was %s)", change.tenant_id, change.status, label, change.new, change.old)
    notifier = build_notifier(settings, engine)
    if notifier is not None:
        connections.announce(notifier, engine, change)
    if change.status == "pending":
        return html_page("Waiting for an admin to confirm",
                         f"{label} company {change.new} is not the one Ledgerlink uses ({change.old}). The admins were "
                         f"asked in Slack to confirm the switch; until one does, Ledgerlink keeps using company "
                         f"{change.old}.", 202)
    after = f"{then()} " if then is not None else ""
    return html_page(f"Connected to {label}", f"Connected to {label} company {change.new}. {after}You can close this "
                     "page.", 200)

"""Pieces every OAuth connect route shares: a signed, expiring, browser-bound `state`, and a small HTML page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time

from markupsafe import escape

logger = logging.getLogger(__name__)

STATE_TTL_SECONDS = 600


def _sign(key: str, purpose: str, payload: str) -> str:
    digest = hmac.new(key.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _keys(key: str) -> list[str]:
    """"k1,k2" (LEDGERLINK_SECRET_KEYS, newest first) → each key; the first signs, any verifies."""
    return [k for k in key.split(",") if k]


def sign_state(key: str, purpose: str, fields: list[str], *, nonce: str, now: float | None = None) -> str:
    """`field.field….expiry.nonce.signature`, HMAC-signed with the app key for one purpose."""
    payload = ".".join([*fields, str(int((now or time.time()) + STATE_TTL_SECONDS)), nonce])
    return f"{payload}.{_sign(_keys(key)[0], purpose, payload)}"


def read_signed(key: str, purpose: str, state: str, *, fields: int, now: float | None = None) -> tuple[list[str], str]:
    """(fields, nonce) of a well-signed, unexpired value; ValueError (with a reason for the log) otherwise."""
    parts = state.split(".")
    if len(parts) != fields + 3:
        raise ValueError("malformed state")
    *values, expires, state_nonce, sig = parts
    if not any(hmac.compare_digest(sig, _sign(k, purpose, ".".join(parts[:-1]))) for k in _keys(key)):
        raise ValueError("bad state signature")
    if not (expires.isascii() and expires.isdigit()):
        raise ValueError("malformed state")
    if int(expires) < (now or time.time()):
        raise ValueError("state expired")
    return values, state_nonce


def open_state(key: str, purpose: str, state: str, *, fields: int, nonce: str | None,
               now: float | None = None) -> list[str]:
    """The fields of a valid state bound to this browser's `nonce`; ValueError (with a reason) otherwise."""
    values, state_nonce = read_signed(key, purpose, state, fields=fields, now=now)
    if not nonce or not hmac.compare_digest(nonce, state_nonce):
        raise ValueError("state was issued to another browser (nonce cookie missing or different)")
    return values


def html_page(title: str, message: str, status: int, extra_html: str = "") -> tuple[str, int, dict[str, str]]:
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p>{extra_html}</body></html>")
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def refused_link(provider: str, label: str, reason: str) -> tuple[str, int, dict[str, str]]:
    """403 for a connect without a valid link: one sentence, the same for every reason and every tenant."""
    from bot.services.connect_links import refusal

    logger.warning("%s connect refused: %s", label, reason)
    return html_page(f"Cannot connect {label}", refusal(provider), 403)


def finish_connection(engine, settings, *, link_id: int, provider: str, label: str,  # type: ignore[no-untyped-def]
                      external_id: str | int, tokens) -> tuple[str, int, dict[str, str]]:
    """Save the grant (or hold a switch to another company for an admin's Confirm), tell the admins, and say so."""
    from bot.crypto import SecretBox
    from bot.notify import build_notifier
    from bot.services import connections
    from bot.services.connect_links import LinkRefused

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
    return html_page(f"Connected to {label}", f"Connected to {label} company {change.new}. You can close this page.",
                     200)

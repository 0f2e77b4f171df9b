"""Pieces every OAuth connect route shares: a signed, expiring, browser-bound `state`, and a small HTML page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from markupsafe import escape

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

"""Pieces every OAuth connect route shares: a signed, expiring, browser-bound `state`, and a small HTML page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from markupsafe import escape
from sqlmodel import Session

from core.crypto import SecretBox
from core.models import Tenant
from sync.tokens import TokenStore

STATE_TTL_SECONDS = 600


def _sign(key: str, purpose: str, payload: str) -> str:
    digest = hmac.new(key.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_state(key: str, purpose: str, fields: list[str], *, nonce: str, now: float | None = None) -> str:
    """`field.field….expiry.nonce.signature`, HMAC-signed with the app key for one purpose."""
    payload = ".".join([*fields, str(int((now or time.time()) + STATE_TTL_SECONDS)), nonce])
    return f"{payload}.{_sign(key, purpose, payload)}"


def open_state(key: str, purpose: str, state: str, *, fields: int, nonce: str | None,
               now: float | None = None) -> list[str]:
    """The fields of a valid state; ValueError (with a reason for the log) otherwise."""
    parts = state.split(".")
    if len(parts) != fields + 3:
        raise ValueError("malformed state")
    *values, expires, state_nonce, sig = parts
    if not hmac.compare_digest(sig, _sign(key, purpose, ".".join(parts[:-1]))):
        raise ValueError("bad state signature")
    try:
        expires_at = int(expires)
    except ValueError:
        raise ValueError("malformed state") from None
    if expires_at < (now or time.time()):
        raise ValueError("state expired")
    if not nonce or not hmac.compare_digest(nonce, state_nonce):
        raise ValueError("state was issued to another browser (nonce cookie missing or different)")
    return values


def html_page(title: str, message: str, status: int, extra_html: str = "") -> tuple[str, int, dict[str, str]]:
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p>{extra_html}</body></html>")
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def save_connection(engine, secret_key: str, *, tenant_id: int, provider: str, external_id: str | int,
                    tokens, tenant_field: str) -> int:
    """Store a freshly authorised connection (tokens encrypted) and note the account on the tenant row."""
    connection_id = TokenStore(engine, SecretBox(secret_key)).save(
        tenant_id=tenant_id, provider=provider, external_id=str(external_id), tokens=tokens)
    with Session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is not None and getattr(tenant, tenant_field) != external_id:
            setattr(tenant, tenant_field, external_id)
            session.add(tenant)
            session.commit()
    return connection_id

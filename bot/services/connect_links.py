"""Connect links: only an admin, from Slack, can start connecting QuickBooks or Procore.

`/ledgerlink connect qbo|procore` (and the re-authorisation DM) hands one admin a link that names a `connect_links`
row (tenant, provider, that admin) by a random id, HMAC-signed with the app key and valid for 10 minutes. Opening it
marks the row opened — conditionally, so a second open fails — and only then starts OAuth; the OAuth state carries
the row's id, and the callback completes the row in the same transaction as the connection it saves
(bot/services/connections.py). Every refusal is one sentence, the same whatever the reason, so the answer tells
nothing about which tenants exist.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from bot.routes.common import STATE_TTL_SECONDS, read_signed, sign_state
from core.models import ConnectLink, User, utcnow

logger = logging.getLogger(__name__)

PURPOSE = "connect-link"
LINK_TTL = timedelta(seconds=STATE_TTL_SECONDS)
LABELS = {"qbo": "QuickBooks", "procore": "Procore"}


class LinkRefused(Exception):
    """The link (or the state that continues it) is not valid; `str()` is the reason, for the log only."""


def refusal(provider: str) -> str:
    """The one sentence a refused link gets (status 403)."""
    return (f"This link can't connect {LABELS.get(provider, provider)}: it expired, was already used, or wasn't made "
            f"by Ledgerlink. An admin can get a new one by typing /ledgerlink connect {provider} in Slack.")


def mint(engine: Engine, key: str, *, tenant_id: int, provider: str, slack_user_id: str, user_id: int | None,
         public_url: str) -> str:
    """A new single-use link for one admin (the row is committed before the link is handed out)."""
    jti = secrets.token_urlsafe(24)
    with Session(engine) as s:
        s.add(ConnectLink(jti=jti, tenant_id=tenant_id, provider=provider, slack_user_id=slack_user_id,
                          user_id=user_id, expires_at=utcnow() + LINK_TTL))
        s.commit()
    token = sign_state(key, PURPOSE, [provider], nonce=jti)
    return f"{public_url.rstrip('/')}/{provider}/connect?link={token}"


def open_link(engine: Engine, key: str, token: str, provider: str) -> ConnectLink:
    """Spend the link: the row, now marked opened. LinkRefused when forged, expired, used or for another provider."""
    try:
        (signed_provider,), jti = read_signed(key, PURPOSE, token, fields=1)
    except ValueError as exc:
        raise LinkRefused(str(exc)) from None
    if signed_provider != provider:
        raise LinkRefused("link made for another provider")
    now = utcnow()
    with Session(engine, expire_on_commit=False) as s:
        opened = s.execute(update(ConnectLink).where(
            ConnectLink.jti == jti, ConnectLink.provider == provider, ConnectLink.opened_at.is_(None),  # type: ignore[union-attr]
            ConnectLink.expires_at > now).values(opened_at=now))
        if opened.rowcount != 1:
            raise LinkRefused("link unknown, expired or already opened")
        link = s.exec(select(ConnectLink).where(ConnectLink.jti == jti)).one()
        holder = s.get(User, link.user_id) if link.user_id is not None else None
        s.commit()  # spent either way
    if holder is None or holder.permission != "admin":  # no longer an admin since the link was made
        raise LinkRefused(f"link {link.id} was made for someone who is no longer an admin")
    logger.info("connect link %s opened (tenant %s, %s, by %s)", link.id, link.tenant_id, provider,
                link.slack_user_id)
    return link


def reopen(engine: Engine, key: str, link: ConnectLink, public_url: str) -> str:
    """A fresh link for the same admin (the Procore "pick a company" page: the opened one is spent)."""
    return mint(engine, key, tenant_id=link.tenant_id, provider=link.provider, slack_user_id=link.slack_user_id,
                user_id=link.user_id, public_url=public_url)

"""Connection changes: the end of a connect link's OAuth flow, and an admin's Confirm / Cancel in Slack.

A grant for the account the tenant already uses (or a first connection) is saved at once. A grant for *another*
QuickBooks company or Procore company waits, encrypted on its `connect_links` row, until an admin confirms it in
Slack: until then the old connection keeps working. Every change is audited (who, when, old → new) in the same
transaction as the change, and the caller posts it to the admins.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from blocks.connections import change_notice, confirm_request
from bot.services.connect_links import LABELS, LinkRefused
from core.crypto import SecretBox
from core.domain import audit
from core.domain.errors import InvalidInput
from core.domain.permissions import Actor, Perm, check
from core.domain.workflow import actor_for_user
from core.models import Connection, ConnectLink, Tenant, User, utcnow
from sync.tokens import TokenSet, TokenStore

logger = logging.getLogger(__name__)

TENANT_FIELDS = {"qbo": "qbo_realm_id", "procore": "procore_company_id"}
CONFIRMED, CANCELLED = "confirmed", "cancelled"


@dataclass(frozen=True)
class Change:
    """What happened to a tenant's connection: `status` is "connected", "pending", "confirmed" or "cancelled"."""

    link_id: int
    tenant_id: int
    provider: str
    status: str
    old: str | None
    new: str
    by: str  # the admin's name
    at: datetime

    @property
    def label(self) -> str:
        return LABELS.get(self.provider, self.provider)


def _current(s: Session, tenant: Tenant, provider: str) -> str | None:
    """The account the tenant uses now: its row's field, else the connection's."""
    value = getattr(tenant, TENANT_FIELDS[provider])
    if value is None:
        value = s.exec(select(Connection.external_id).where(Connection.tenant_id == tenant.id,
                                                            Connection.provider == provider)).first()
    return None if value is None else str(value)


def _actor(s: Session, user_id: int | None, fallback: str) -> Actor:
    user = s.get(User, user_id) if user_id is not None else None
    return actor_for_user(user) if user is not None else Actor(user_id=None, name=fallback[:200])


def _apply(s: Session, box: SecretBox, tenant: Tenant, provider: str, external_id: str, tokens: TokenSet) -> None:
    TokenStore(s.get_bind(), box).write_grant(s, tenant_id=tenant.id,  # type: ignore[arg-type]
                                              provider=provider, external_id=external_id, tokens=tokens)
    setattr(tenant, TENANT_FIELDS[provider], int(external_id) if provider == "procore" else external_id)
    s.add(tenant)


def _sealed(box: SecretBox, tokens: TokenSet) -> str:
    return box.encrypt(json.dumps({
        "access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
        "access_expires_at": tokens.access_expires_at.isoformat() if tokens.access_expires_at else None,
        "refresh_expires_at": tokens.refresh_expires_at.isoformat() if tokens.refresh_expires_at else None,
    }))  # type: ignore[return-value]


def _unsealed(box: SecretBox, sealed: str) -> TokenSet:
    raw = json.loads(box.decrypt(sealed) or "{}")
    return TokenSet(access_token=raw["access_token"], refresh_token=raw.get("refresh_token"),
                    access_expires_at=datetime.fromisoformat(raw["access_expires_at"])
                    if raw.get("access_expires_at") else None,
                    refresh_expires_at=datetime.fromisoformat(raw["refresh_expires_at"])
                    if raw.get("refresh_expires_at") else None)


def finish(engine: Engine, box: SecretBox, *, link_id: int, provider: str, external_id: str | int,
           tokens: TokenSet) -> Change:
    """The callback's grant: saved (same or first account) or held for an admin's confirmation (another account).
    The link is completed in the same transaction; LinkRefused when it was completed already or never opened."""
    external_id, now = str(external_id), utcnow()
    with Session(engine, expire_on_commit=False) as s:
        done = s.execute(update(ConnectLink).where(
            ConnectLink.id == link_id, ConnectLink.provider == provider,
            ConnectLink.opened_at.is_not(None), ConnectLink.completed_at.is_(None)  # type: ignore[union-attr]
        ).values(completed_at=now))
        if done.rowcount != 1:
            raise LinkRefused("connect link already completed or never opened")
        link = s.get(ConnectLink, link_id)
        tenant = s.get(Tenant, link.tenant_id)  # type: ignore[union-attr]
        assert link is not None and tenant is not None
        actor = _actor(s, link.user_id, link.slack_user_id)
        old = _current(s, tenant, provider)
        link.previous_external_id = old
        if old is not None and old != external_id:
            link.pending_external_id, link.pending_tokens_enc = external_id, _sealed(box, tokens)
            status = "pending"
        else:
            _apply(s, box, tenant, provider, external_id, tokens)
            status = "connected"
        s.add(link)
        audit.record(s, tenant_id=tenant.id, actor=actor,  # type: ignore[arg-type]
                     action=f"connection_{status}", detail={"provider": provider, "old": old, "new": external_id,
                                                           "by_slack_user": link.slack_user_id, "link": link.id})
        s.commit()
    return Change(link_id=link_id, tenant_id=tenant.id, provider=provider, status=status,  # type: ignore[arg-type]
                  old=old, new=external_id, by=actor.name, at=now)


def decide(engine: Engine, box: SecretBox, actor: Actor, tenant_id: int, link_id: int, *, confirm: bool) -> Change:
    """An admin's Confirm (the held grant replaces the connection) or Cancel (it is dropped) — once per change."""
    check(actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as s:
        decided = s.execute(update(ConnectLink).where(
            ConnectLink.id == link_id, ConnectLink.tenant_id == tenant_id, ConnectLink.decision.is_(None),  # type: ignore[union-attr]
            ConnectLink.pending_tokens_enc.is_not(None)  # type: ignore[union-attr]
        ).values(decision=CONFIRMED if confirm else CANCELLED, decided_at=now, decided_by_id=actor.user_id))
        if decided.rowcount != 1:
            raise InvalidInput("That connection change was already confirmed or cancelled (or isn't this "
                               "workspace's); nothing changed.")
        link = s.get(ConnectLink, link_id)
        tenant = s.get(Tenant, tenant_id)
        assert link is not None and tenant is not None and link.pending_external_id is not None
        old = _current(s, tenant, link.provider)
        if confirm:
            _apply(s, box, tenant, link.provider, link.pending_external_id, _unsealed(box, link.pending_tokens_enc))
        link.pending_tokens_enc = None  # the tokens are in the connection now, or dropped
        s.add(link)
        status = CONFIRMED if confirm else CANCELLED
        audit.record(s, tenant_id=tenant_id, actor=actor, action=f"connection_{status}",
                     detail={"provider": link.provider, "old": old, "new": link.pending_external_id,
                             "link": link.id})
        s.commit()
    return Change(link_id=link_id, tenant_id=tenant_id, provider=link.provider, status=status, old=old,
                  new=link.pending_external_id, by=actor.name, at=now)


def admins_of(engine: Engine, tenant_id: int) -> list[int]:
    with Session(engine) as s:
        return [u for u in s.exec(select(User.id).where(User.tenant_id == tenant_id, User.permission == "admin"))
                if u is not None]


def announce(notifier: Any, engine: Engine, change: Change) -> int:
    """DM every admin of the tenant about `change` (a held switch with Confirm / Cancel); how many were told."""
    message = confirm_request(change) if change.status == "pending" else change_notice(change)
    told = 0
    for user_id in admins_of(engine, change.tenant_id):
        try:
            told += notifier.dm(change.tenant_id, user_id, message) is not None
        except Exception as exc:  # noqa: BLE001 - one admin Slack can't reach must not stop the others
            logger.warning("could not tell admin %s about the %s connection change: %s", user_id, change.provider,
                           type(exc).__name__)
    return told

"""Disconnect QuickBooks or Procore (an admin's `/ledgerlink disconnect qbo|procore`).

Procore: Ledgerlink's webhook on the company is deleted through Procore's API first (`subscription.remove`) — while
the tokens still work — then the grant is revoked at Procore's login service and the tokens are forgotten. If Procore
refuses the webhook removal nothing is forgotten, so the admin can try again; a connection that no longer works
can't remove its webhook, and the sentence says where to delete it by hand.
QuickBooks: the refresh token is revoked at Intuit (`intuit-oauth`'s revoke: the app is disconnected from the
company), then the tokens are forgotten. A revoke Intuit or Procore did not confirm still forgets the tokens
(Ledgerlink stops using them at once) and the sentence says how to finish it on their side.

The connection row stays (status "revoked", the company id kept for the audit trail and a later reconnect);
one audit event records who disconnected what and what happened remotely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.domain import audit
from core.domain.errors import InvalidInput
from core.domain.permissions import Actor
from sync.context import NotConnected, TenantContext
from sync.http.errors import AuthenticationError
from sync.procore import subscription
from sync.procore.errors import ProcoreError
from sync.procore.oauth import CLIENT_CREDENTIALS
from sync.tokens import REVOKED, ConnectionInfo, TokenError, TokenRefreshFailed, TokenStore

logger = logging.getLogger(__name__)

LABELS = {"qbo": "QuickBooks", "procore": "Procore"}
Revoke = Callable[[str], None]  # token → revoked at the provider (raises TokenError when it could not be)


@dataclass(frozen=True)
class Disconnected:
    provider: str
    external_id: str | None
    webhooks_removed: int | None  # Procore only; None when they could not be reached
    revoked: bool

    @property
    def sentence(self) -> str:
        label = LABELS[self.provider]
        parts = [f":electric_plug: Disconnected {label}"
                 + (f" (company {self.external_id})" if self.external_id else "") + ": Ledgerlink forgot its tokens"]
        if self.provider == "procore":
            if self.webhooks_removed is None:
                parts.append("the connection no longer worked, so its webhook could not be removed — delete the "
                             "`ledgerlink` webhook in Procore's Company Admin → Webhooks")
            else:
                parts.append(f"removed its Procore webhook ({self.webhooks_removed} hook"
                             f"{'' if self.webhooks_removed == 1 else 's'})")
        if not self.revoked:
            where = "QuickBooks' Apps → Manage apps" if self.provider == "qbo" else "Procore's App Management"
            parts.append(f"{label} did not confirm the revoke, so disconnect Ledgerlink in {where} too")
        return "; ".join(parts) + f". `/ledgerlink connect {self.provider}` connects it again."


def require_connected(store: TokenStore, tenant_id: int, provider: str) -> ConnectionInfo:
    """The tenant's connection to `provider`; a sentence when there is none to disconnect."""
    info = store.find(tenant_id=tenant_id, provider=provider)
    if info is None or info.status == REVOKED:
        raise InvalidInput(f"{LABELS[provider]} isn't connected, so there is nothing to disconnect.")
    return info


def disconnect(ctx: TenantContext, actor: Actor, provider: str, *, store: TokenStore, public_url: str,
               revoke: Revoke | None) -> Disconnected:
    """Remove Ledgerlink's footprint at `provider` and forget the tenant's tokens (the caller checked the admin)."""
    label = LABELS[provider]
    info = require_connected(store, ctx.tenant_id, provider)
    removed: int | None = None
    if provider == "procore":
        removed = _remove_webhook(ctx, public_url)
    revoked = _revoke(store, info.id, revoke, label)
    store.mark_revoked(info.id, f"Disconnected by {actor.name}")
    with ctx.session() as s:
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="connection_disconnected",
                     detail={"provider": provider, "external_id": info.external_id, "webhooks_removed": removed,
                             "revoked": revoked})
        s.commit()
    return Disconnected(provider, info.external_id, removed, revoked)


def _remove_webhook(ctx: TenantContext, public_url: str) -> int | None:
    try:
        return subscription.remove(ctx.procore, public_url=public_url)
    except TokenRefreshFailed as exc:  # Procore's login service is unreachable now: the grant may still work
        logger.warning("disconnect: removing the Procore webhook failed: %s", exc)
        raise InvalidInput("Procore's login service didn't answer, so nothing was disconnected; try again in a "
                           "minute.") from None
    except (NotConnected, TokenError, AuthenticationError):
        return None  # the grant is dead (revoked, expired): nothing can be removed with it
    except (ProcoreError, LookupError) as exc:
        logger.warning("disconnect: removing the Procore webhook failed: %s", exc)
        raise InvalidInput("Procore didn't let Ledgerlink remove its webhook just now, so nothing was disconnected; "
                           "try again in a minute.") from None


def _revoke(store: TokenStore, connection_id: int, revoke: Revoke | None, label: str) -> bool:
    if revoke is None:
        return False
    tokens = store.current_tokens(connection_id)
    token = tokens.refresh_token or tokens.access_token
    if token == CLIENT_CREDENTIALS:  # a service account has no refresh token: revoke its access token
        token = tokens.access_token
    if not token:
        return False
    try:
        revoke(token)
        return True
    except TokenError as exc:
        logger.warning("disconnect: %s did not revoke the grant: %s", label, exc)
        return False

"""`/ledgerlink disconnect qbo|procore` (admins, asks first): the engine's `sync.disconnect` with this deployment's
token store, public URL (where the Procore webhook points) and the provider's OAuth revoke."""

from __future__ import annotations

from bot.actions.common import Confirm, tenant_context
from bot.identity import Identity
from bot.services.runtime import Services
from core.domain.permissions import Perm, check
from sync import disconnect as engine
from sync.context import token_store
from sync.procore.oauth import ProcoreOAuth, ProcoreOAuthConfigError
from sync.qbo.oauth import QboOAuth, QboOAuthConfigError

PROVIDERS = ("qbo", "procore")
_WHAT = {"qbo": "revokes Ledgerlink's access at Intuit and forgets the tokens; nothing more is exported to or read "
                "from QuickBooks until an admin connects it again",
         "procore": "removes Ledgerlink's webhook from the Procore company, revokes the grant and forgets the tokens; "
                    "nothing more is read from or written to Procore until an admin connects it again"}


def _revoker(svc: Services, provider: str) -> engine.Revoke | None:
    """The provider's revoke call, or None when this deployment has no app credentials for it."""
    try:
        if provider == "qbo":
            qbo = QboOAuth.from_settings(svc.settings)
            return lambda token: qbo.revoke(token=token)
        procore = ProcoreOAuth.from_settings(svc.settings)
        return lambda token: procore.revoke(token=token)
    except (QboOAuthConfigError, ProcoreOAuthConfigError):
        return None


def disconnect(svc: Services, me: Identity, provider: str, *, confirmed: bool) -> Confirm | str:
    """Unconfirmed, say what disconnecting does and ask first; confirmed, do it and say what happened."""
    check(me.actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    label, store = engine.LABELS[provider], token_store(svc.engine, svc.settings)
    engine.require_connected(store, me.tenant_id, provider)  # before asking: nothing to confirm otherwise
    if not confirmed:
        return Confirm(f"Disconnect *{label}*? This {_WHAT[provider]}.", f"Disconnect {label}")
    done = engine.disconnect(tenant_context(svc, me.tenant_id), me.actor, provider, store=store,
                             public_url=svc.settings.public_url, revoke=_revoker(svc, provider))
    return done.sentence

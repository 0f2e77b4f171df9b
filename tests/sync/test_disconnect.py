"""The engine's disconnect against the Procore sandbox over HTTP, with clients made from the stored connection (as in
production): a grant Procore already dropped still disconnects (the tokens are forgotten and the answer says where to
delete the webhook by hand); Procore refusing the webhook removal changes nothing, and the admin can try again."""

from __future__ import annotations

import httpx
import pytest

from core.config import load_settings
from core.domain.errors import InvalidInput
from sync import disconnect
from sync.context import TenantContext, token_store
from sync.procore import subscription
from sync.procore.oauth import ProcoreOAuth
from sync.tokens import TokenSet

SECRET = "disconnect-secret"


@pytest.fixture
def setup(remote_world):
    w = remote_world
    settings = load_settings(_env_file=None, DATABASE_URL="sqlite://", PROCORE_API_URL=w.sandboxes.procore_url,
                             PROCORE_LOGIN_URL=w.sandboxes.procore_url, PROCORE_CLIENT_ID="app",
                             PROCORE_CLIENT_SECRET="app-secret", PROCORE_COMPANY_ID=str(w.company_id))
    store = token_store(w.engine, settings)
    grant = w.sandboxes.procore_admin("tokens", company_ids=[w.company_id])
    store.save(tenant_id=w.tenant.id, provider="procore", external_id=str(w.company_id),
               tokens=TokenSet(access_token=grant["access_token"], refresh_token=grant.get("refresh_token")))
    ctx = TenantContext(engine=w.engine, tenant_id=w.tenant.id, settings=settings, tokens=store)
    subscription.ensure(w.ctx.procore, public_url=settings.public_url, secret=SECRET)
    oauth = ProcoreOAuth.from_settings(settings)
    return w, ctx, store, grant, oauth, settings


def _ours(w, settings) -> list:
    return [h for h in w.ctx.procore.list_hooks() if h.destination_url == subscription.destination(settings.public_url)]


def test_a_grant_procore_dropped_still_disconnects_and_says_what_is_left(setup):
    w, ctx, store, grant, oauth, settings = setup
    oauth.revoke(token=grant["access_token"])  # someone removed the app in Procore meanwhile
    done = disconnect.disconnect(ctx, w.actor("erin"), "procore", store=store, public_url=settings.public_url,
                                 revoke=lambda token: oauth.revoke(token=token))
    assert done.webhooks_removed is None
    assert "delete the `ledgerlink` webhook in Procore's Company Admin" in done.sentence
    assert store.find(tenant_id=w.tenant.id, provider="procore").status == "revoked"
    assert len(_ours(w, settings)) == 1  # left behind, as the sentence says


def test_procore_refusing_the_removal_changes_nothing_then_a_retry_works(setup):
    w, ctx, store, _grant, oauth, settings = setup
    httpx.post(f"{w.sandboxes.procore_url}/_sandbox/config", json={"fault_next": [
        {"kind": "500", "method": "DELETE", "path": "/rest/v1.0/webhooks/hooks"}] * 6}).raise_for_status()
    with pytest.raises(InvalidInput, match="nothing was disconnected; try again"):
        disconnect.disconnect(ctx, w.actor("erin"), "procore", store=store, public_url=settings.public_url,
                              revoke=lambda token: oauth.revoke(token=token))
    assert store.find(tenant_id=w.tenant.id, provider="procore").status == "active"
    httpx.post(f"{w.sandboxes.procore_url}/_sandbox/config", json={"fault_next": []}).raise_for_status()
    done = disconnect.disconnect(ctx, w.actor("erin"), "procore", store=store, public_url=settings.public_url,
                                 revoke=lambda token: oauth.revoke(token=token))
    assert done.webhooks_removed == 1 and done.revoked and _ours(w, settings) == []


def test_without_app_credentials_the_tokens_are_still_forgotten(setup):
    w, ctx, store, _grant, _oauth, settings = setup
    done = disconnect.disconnect(ctx, w.actor("erin"), "procore", store=store, public_url=settings.public_url,
                                 revoke=None)
    assert not done.revoked and "did not confirm the revoke" in done.sentence
    assert store.find(tenant_id=w.tenant.id, provider="procore").status == "revoked"

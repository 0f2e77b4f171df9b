"""`/ledgerlink disconnect procore|qbo` through the real path on SQLite and PostgreSQL: a signed slash command (the
Slack sandbox) → the confirm button → the action → the engine → the Procore and QBO sandboxes over HTTP. Procore:
Ledgerlink's webhook is gone from the company (other integrations' hooks stay), the grant is revoked (the old token
gets 401) and the tokens are forgotten; QuickBooks: Intuit's revoke endpoint disconnects the grant. Admins only,
asked first, audited, and a second disconnect is a sentence."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from blocks import ids
from core.models import AuditEvent, Connection
from sync.context import token_store
from sync.http.base import StaticToken
from sync.http.errors import AuthenticationError
from sync.procore import subscription
from sync.procore.client import ProcoreClient
from sync.qbo.client import QboClient
from sync.tokens import TokenSet

pytest_plugins = ["tests.handlers.slack_harness"]
SECRET = "disconnect-webhook-secret"


@pytest.fixture
def slack(remote_world, slack_for):
    """Slack on the engine of `remote_world`, with this deployment's Intuit and Procore apps pointed at the sandboxes
    and stored connections whose tokens the sandboxes minted."""
    w = remote_world
    made = slack_for(w, hooks=None, operations=None, context_for=lambda _tenant: w.ctx)
    made.svc.settings = made.settings.model_copy(update={
        "qbo_client_id": "ledgerlink-app", "qbo_client_secret": SecretStr("app-secret"),
        "qbo_environment": f"{w.sandboxes.qbo_url}/.well-known/openid-configuration",
        "procore_client_id": "ledgerlink-app", "procore_client_secret": SecretStr("app-secret"),
        "procore_login_url": w.sandboxes.procore_url})
    store = token_store(w.engine, made.svc.settings)
    made.grants = {
        "qbo": w.sandboxes.qbo_admin("tokens", realm_id=w.realm_id),
        "procore": w.sandboxes.procore_admin("tokens", company_ids=[w.company_id]),
    }
    for provider, external in (("qbo", w.realm_id), ("procore", str(w.company_id))):
        grant = made.grants[provider]
        store.save(tenant_id=w.tenant.id, provider=provider, external_id=external,
                   tokens=TokenSet(access_token=grant["access_token"], refresh_token=grant.get("refresh_token")))
    return made


def _last(slack, who: str) -> dict:
    return [m for m in slack.messages() if m["_sandbox"]["ephemeral_to"] == slack.ids[who]][-1]


def _run_confirmed(slack, who: str, text: str) -> str:
    slack.command(who, text)
    slack.idle()
    question = _last(slack, who)
    assert ids.CONFIRM_COMMAND in slack.buttons(question), slack.text(question)
    slack.click(who, action_id=ids.CONFIRM_COMMAND, channel=question["_sandbox"]["channel"], ts=question["ts"])
    slack.idle()
    return slack.text(_last(slack, who))


def _connection(w, provider: str) -> Connection:
    with Session(w.engine) as s:
        return s.exec(select(Connection).where(Connection.tenant_id == w.tenant.id,
                                               Connection.provider == provider)).one()


def test_disconnect_procore_removes_the_webhook_revokes_and_forgets(remote_world, slack):
    w = remote_world
    public_url = slack.svc.settings.public_url
    subscription.ensure(w.ctx.procore, public_url=public_url, secret=SECRET)  # registered on connect
    other = w.ctx.procore.create_hook(destination_url="https://other.example/hook", namespace="other")

    slack.command("sam", "disconnect procore")  # not an admin
    slack.idle()
    assert "admin" in slack.text(_last(slack, "sam")).lower()
    assert _connection(w, "procore").status == "active"

    slack.command("erin", "disconnect procore")  # asks first: nothing changes before the button
    slack.idle()
    assert "Disconnect *Procore*?" in slack.text(_last(slack, "erin"))
    assert _connection(w, "procore").access_token_enc is not None
    said = _run_confirmed(slack, "erin", "disconnect procore")
    assert "Disconnected Procore" in said and "removed its Procore webhook (1 hook)" in said, said

    hooks = list(w.ctx.procore.list_hooks())
    assert [h.id for h in hooks] == [other.id]  # ours gone, theirs kept
    row = _connection(w, "procore")
    assert row.status == "revoked" and row.access_token_enc is None and row.refresh_token_enc is None
    old = ProcoreClient(base_url=w.sandboxes.procore_url, tokens=StaticToken(slack.grants["procore"]["access_token"]),
                        company_id=w.company_id)
    with pytest.raises(AuthenticationError):
        list(old.list_projects())
    with Session(w.engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "connection_disconnected")).one()
    assert event.detail["provider"] == "procore" and event.detail["webhooks_removed"] == 1 and event.detail["revoked"]

    slack.command("erin", "disconnect procore")  # again: a sentence, no button
    slack.idle()
    assert "isn't connected" in slack.text(_last(slack, "erin"))


def test_disconnect_qbo_revokes_the_grant_at_intuit(remote_world, slack):
    w = remote_world
    said = _run_confirmed(slack, "erin", "disconnect qbo")
    assert "Disconnected QuickBooks" in said and "did not confirm" not in said, said
    row = _connection(w, "qbo")
    assert row.status == "revoked" and row.refresh_token_enc is None
    old = QboClient(realm_id=w.realm_id, tokens=StaticToken(slack.grants["qbo"]["access_token"]),
                    base_url=w.sandboxes.qbo_url)
    with pytest.raises(AuthenticationError):
        old.read(entity="Customer", id="1")
    with Session(w.engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "connection_disconnected")).one()
    assert event.detail == {"provider": "qbo", "external_id": w.realm_id, "webhooks_removed": None, "revoked": True}
    assert event.actor_id == w.users["erin"].id
    assert _connection(w, "procore").status == "active"  # the other connection is untouched

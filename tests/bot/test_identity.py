"""Slack user + team → our Tenant, User and Actor: by Slack id, else by e-mail (remembered), else a sentence."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.identity import NotSetUp, resolve, slack_id_for, tenant_for_team
from core.models import Tenant, User
from sandbox.slack import create_app as create_sandbox
from sandbox.slack.seed import make_user
from tests.support.factories import World

pytest_plugins = ["tests.handlers.slack_harness"]
TOKEN = "xoxb-323456789012-3234567890123-identitytestsabcdefghij"


@pytest.fixture
def slack_api(_slack_servers):
    switch, url, _, _ = _slack_servers
    app = create_sandbox(bot_token=TOKEN, signing_secret="a" * 32, users="none")
    switch.app = app
    sandbox = app.config["SLACK_SANDBOX"]
    return sandbox, WebClient(token=TOKEN, base_url=f"{url}/api/")


def _slack_user(sandbox, name, email):
    user = make_user(sandbox.ws, name=name, real_name=name.title(), email=email)
    sandbox.store.put_user(user)
    return user["id"]


def test_by_slack_id_then_by_email_remembered(engine, slack_api):
    sandbox, client = slack_api
    world = World(engine)
    team = sandbox.ws.team_id
    me = resolve(engine, client, team_id=team, slack_user_id=world.users["dana"].slack_user_id)
    assert me.user.id == world.users["dana"].id and me.actor.is_approver
    with Session(engine) as s:  # the only tenant was claimed for this team
        assert s.get(Tenant, world.tenant.id).slack_team_id == team
        s.add(User(tenant_id=world.tenant.id, name="Jordan", email="Jordan@Example.com", permission="standard"))
        s.commit()
    jordan = _slack_user(sandbox, "jordan", "jordan@example.com")
    found = resolve(engine, client, team_id=team, slack_user_id=jordan)
    assert found.user.name == "Jordan" and found.actor.level.name == "STANDARD"
    with Session(engine) as s:
        assert s.exec(select(User).where(User.slack_user_id == jordan)).one().email == "Jordan@Example.com"
    asked = len(sandbox.store.calls("users.info"))
    resolve(engine, client, team_id=team, slack_user_id=jordan)  # remembered: users.info is not asked again
    assert len(sandbox.store.calls("users.info")) == asked == 1  # only for jordan, the first time


def test_strangers_and_unknown_workspaces_get_a_sentence(engine, slack_api):
    sandbox, client = slack_api
    world = World(engine)
    stranger = _slack_user(sandbox, "stranger", "stranger@elsewhere.example")
    with pytest.raises(NotSetUp) as exc:
        resolve(engine, client, team_id=sandbox.ws.team_id, slack_user_id=stranger)
    assert "doesn't know you yet" in exc.value.sentence and "/ledgerlink grant @you standard" in exc.value.sentence
    assert f"<@{world.users['erin'].slack_user_id}>" in exc.value.sentence  # names an admin to ask
    World(engine, name="Other Co")  # two tenants: an unknown team is not claimed
    with pytest.raises(NotSetUp) as exc:
        resolve(engine, client, team_id="TOTHER", slack_user_id=stranger)
    assert "workspace is not connected to Ledgerlink" in exc.value.sentence


def test_multi_workspace_never_claims_a_tenant(engine):
    World(engine)
    with Session(engine) as s:
        assert tenant_for_team(s, "TNEW", claim_single=False) is None


def test_slack_id_for_looks_up_by_email_once(engine, slack_api):
    sandbox, client = slack_api
    world = World(engine)
    with Session(engine) as s:
        user = User(tenant_id=world.tenant.id, name="Pat", email="pat@example.com", permission="standard")
        s.add(user)
        s.commit()
        uid = user.id
    pat = _slack_user(sandbox, "pat", "pat@example.com")
    assert slack_id_for(engine, client, uid) == pat
    with Session(engine) as s:
        assert s.get(User, uid).slack_user_id == pat
    with Session(engine) as s:
        nobody = User(tenant_id=world.tenant.id, name="Nobody", email="nobody@example.com")
        s.add(nobody)
        s.commit()
        assert slack_id_for(engine, client, nobody.id) is None

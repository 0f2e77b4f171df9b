"""Multi-workspace install: with SLACK_CLIENT_ID/SECRET (and no bot token) the app serves /slack/install and
/slack/oauth_redirect through Bolt's OAuth flow, keeps installations in the project database, and the notifier
finds each tenant's bot token from its team's installation."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import inspect
from sqlmodel import Session

from bot.slack_clients import client_factory
from bot.slack_install import installation_store
from bot.web import create_web_app
from core.config import load_settings
from core.db import make_engine
from core.models import Tenant


def _settings(url: str):
    return load_settings(_env_file=None, DATABASE_URL=url, SLACK_SIGNING_SECRET="s" * 32,
                         SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="c" * 32,
                         LEDGERLINK_PUBLIC_URL="https://ll.example")


def test_install_page_and_stores(tmp_path):
    url = f"sqlite:///{tmp_path}/install.db"
    from core.migrate import upgrade

    upgrade(url)
    settings = _settings(url)
    engine = make_engine(url)
    web = create_web_app(settings, engine=engine).test_client()
    page = web.get("/slack/install")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "https://slack.com/oauth/v2/authorize?state=" in body and "client_id=111.222" in body
    assert "redirect_uri=https://ll.example/slack/oauth_redirect" in body.replace("%3A", ":").replace("%2F", "/")
    assert "scope=chat%3Awrite" in body or "scope=chat:write" in body
    tables = set(inspect(make_engine(url)).get_table_names())
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables
    bad = web.get("/slack/oauth_redirect?code=x&state=forged")
    assert bad.status_code == 400  # Bolt refuses a state it did not issue

    with Session(engine) as s:
        tenant = Tenant(name="Summit", slack_team_id="T123")
        s.add(tenant)
        s.commit()
        tid = tenant.id
    installation_store(settings, engine).save(Installation(
        app_id="A1", team_id="T123", user_id="U1", bot_token="xoxb-from-install", bot_id="B1", bot_user_id="UB1"))
    client = client_factory(settings, engine)(tid)
    assert client.token == "xoxb-from-install"

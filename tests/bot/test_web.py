"""The web role: /healthz with the database status; /slack/events says which settings are missing."""

import httpx
from slack_bolt import App

from bot.web import create_web_app
from core.config import load_settings
from core.db import make_engine
from tests.support.servers import running_wsgi


def _settings(db_url, **env):
    return load_settings(_env_file=None, DATABASE_URL=db_url, **env)


def test_healthz_reports_database(db_url, monkeypatch):
    for v in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(v, raising=False)
    settings = _settings(db_url)
    app = create_web_app(settings, engine=make_engine(settings.database_url))
    with running_wsgi(app) as base:
        r = httpx.get(f"{base}/healthz")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "ok" and body["database"]["ok"] and body["database"]["migrated"]
        r = httpx.post(f"{base}/slack/events", content=b"{}")
        assert r.status_code == 503 and "SLACK_SIGNING_SECRET" in r.json()["missing"]


def test_healthz_degraded_when_database_unreachable(tmp_path):
    settings = _settings(f"sqlite:///{tmp_path}/missing-dir/x.db")
    app = create_web_app(settings, engine=make_engine(settings.database_url))
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and r.json["database"]["ok"] is False


def test_bolt_is_mounted_and_verifies_signatures(db_url):
    settings = _settings(db_url, SLACK_SIGNING_SECRET="s3cret", SLACK_BOT_TOKEN="xoxb-test")
    bolt = App(signing_secret="s3cret", token="xoxb-test", token_verification_enabled=False)
    app = create_web_app(settings, engine=make_engine(settings.database_url), bolt_app=bolt)
    r = app.test_client().post("/slack/events", data="command=/ledgerlink&text=help",
                               headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=bad"})
    assert r.status_code == 401

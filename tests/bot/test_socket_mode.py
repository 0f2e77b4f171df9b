"""`ledgerlink socket`: the same Bolt app over Socket Mode with SLACK_APP_TOKEN; a clear message without it."""

from __future__ import annotations

import slack_bolt.adapter.socket_mode as socket_mode_adapter

import bot.app
from bot.socket_mode import serve
from core.config import load_settings


def test_needs_an_app_token(caplog):
    settings = load_settings(_env_file=None, DATABASE_URL="sqlite://", SLACK_SIGNING_SECRET="s" * 32,
                             SLACK_BOT_TOKEN="xoxb-1")
    assert serve(settings) == 2
    assert "SLACK_APP_TOKEN" in caplog.text


def test_runs_the_app_over_socket_mode(monkeypatch):
    settings = load_settings(_env_file=None, DATABASE_URL="sqlite://", SLACK_SIGNING_SECRET="s" * 32,
                             SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1-A1-2-abc")
    seen = {}

    class FakeHandler:
        def __init__(self, app, token):
            seen.update(app=app, token=token)

        def start(self):
            seen["started"] = True

    monkeypatch.setattr(bot.app, "create_app", lambda s: "the bolt app")
    monkeypatch.setattr(socket_mode_adapter, "SocketModeHandler", FakeHandler)
    assert serve(settings) == 0
    assert seen == {"app": "the bolt app", "token": "xapp-1-A1-2-abc", "started": True}

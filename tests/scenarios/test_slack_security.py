"""Requests Slack didn't sign (or signed too long ago) are refused with 401 and change nothing; an unexpected
error shows the person a sentence with a reference, never a stack trace."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse

import httpx

pytest_plugins = ["tests.handlers.slack_harness"]


def _signed(body: bytes, *, ts: int, secret: str) -> dict[str, str]:
    base = f"v0:{ts}:".encode() + body
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded"}


def test_forged_and_expired_signatures_get_401(slack):
    item = slack.sent_item("INV-1", sender="sam")
    payload = {"type": "block_actions", "user": {"id": slack.ids["dana"]}, "team": {"id": slack.sandbox.ws.team_id},
               "actions": [{"action_id": "item_accept", "block_id": "item", "value": str(item.id),
                            "type": "button"}], "trigger_id": "1.2.3", "api_app_id": "A1",
               "container": {"type": "message", "channel_id": item.card_channel, "message_ts": item.card_ts},
               "channel": {"id": item.card_channel}}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    url = f"{slack.app_url}/slack/events"
    now = int(time.time())
    secret = slack.settings.slack_signing_secret.get_secret_value()
    forged = httpx.post(url, content=body, headers=_signed(body, ts=now, secret="0" * 32))
    expired = httpx.post(url, content=body, headers=_signed(body, ts=now - 301, secret=secret))
    # 360 s ahead, not 301: on a loaded machine the server reads its clock a few seconds after `now`
    future = httpx.post(url, content=body, headers=_signed(body, ts=now + 360, secret=secret))
    unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert [r.status_code for r in (forged, expired, future, unsigned)] == [401, 401, 401, 401]
    slack.idle()
    assert slack.get(item.id).state == "awaiting_acceptance"
    # the same payload, signed now with the right secret, is accepted
    ok = httpx.post(url, content=body, headers=_signed(body, ts=now, secret=secret))
    assert ok.status_code == 200
    slack.idle()
    assert slack.get(item.id).state == "synced"
    # and through the sandbox: a wrong secret there is a 401 too
    slack.sandbox.signing_secret = "f" * 32
    out = slack.command("sam", "help")
    assert out["ok"] is False and out["status"] == 401


def test_an_unexpected_error_is_a_sentence_with_a_reference(slack, monkeypatch, caplog):
    from bot.actions import accept as accepting

    item = slack.sent_item("INV-2", sender="sam")

    def boom(*args, **kwargs):
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(accepting, "accept", boom)
    out = slack.click("dana", item)
    assert out["ok"]
    slack.idle()
    said = slack.ephemerals("dana")
    assert len(said) == 1 and "something went wrong on Ledgerlink's side (reference " in said[0]
    assert "secret detail" not in said[0] and "Traceback" not in said[0]
    assert any("database exploded" in r.getMessage() for r in caplog.records)
    assert slack.get(item.id).state == "awaiting_acceptance"

"""What the sandbox sends the app (payload shapes, signatures) and how it applies the app's answers."""

from __future__ import annotations

import time

import httpx
from slack_sdk.signature import SignatureVerifier

from tests.sandbox.slack.conftest import SIGNING_SECRET, channel_id, user_id

CARD = [{"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*Invoice 42*"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Accept"}, "style": "primary",
             "action_id": "accept", "value": "42"},
            {"type": "static_select", "action_id": "route", "placeholder": {"type": "plain_text", "text": "Route"},
             "options": [{"text": {"type": "plain_text", "text": "Ops"}, "value": "ops"},
                         {"text": {"type": "plain_text", "text": "AP"}, "value": "ap"}]}]}]

MODAL = {"type": "modal", "callback_id": "reject_reason", "notify_on_close": True,
         "title": {"type": "plain_text", "text": "Reject"}, "submit": {"type": "plain_text", "text": "Reject"},
         "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
                     "element": {"type": "plain_text_input", "action_id": "text"}},
                    {"type": "input", "block_id": "vendor", "optional": True,
                     "label": {"type": "plain_text", "text": "Vendor"},
                     "element": {"type": "external_select", "action_id": "pick"}}]}


def _verify(entry) -> bool:
    headers = entry["headers"]
    return SignatureVerifier(SIGNING_SECRET).is_valid(body=entry["raw"],
                                                      timestamp=headers["X-Slack-Request-Timestamp"],
                                                      signature=headers["X-Slack-Signature"])


def test_click_sends_a_signed_block_actions_payload(client, admin, recorder, sandbox):
    posted = client.chat_postMessage(channel="#accounting", text="Invoice 42", blocks=CARD)
    out = admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": "#accounting",
                                                      "ts": posted["ts"], "action_id": "accept"}).json()
    assert out["ok"] is True and out["status"] == 200
    entry = recorder.last
    assert entry["content_type"] == "application/x-www-form-urlencoded" and set(entry["form"]) == {"payload"}
    assert _verify(entry)
    p = entry["json"]
    dana = user_id(sandbox, "dana")
    assert p["type"] == "block_actions"
    assert p["user"] == {"id": dana, "username": "dana", "name": "dana", "team_id": sandbox.ws.team_id}
    assert p["api_app_id"] == sandbox.ws.app_id and p["token"] == sandbox.verification_token
    assert p["container"] == {"type": "message", "message_ts": posted["ts"], "channel_id": posted["channel"],
                              "is_ephemeral": False}
    assert p["team"] == {"id": sandbox.ws.team_id, "domain": "summitbuilders"}
    assert p["enterprise"] is None and p["is_enterprise_install"] is False
    assert p["channel"] == {"id": posted["channel"], "name": "accounting"}
    assert p["message"]["ts"] == posted["ts"] and p["message"]["blocks"] == posted["message"]["blocks"]
    assert p["response_url"].startswith("http://127.0.0.1:") and "/actions/" in p["response_url"]
    assert p["trigger_id"] == out["trigger_id"]
    assert p["state"] == {"values": {"decide": {"route": {"type": "static_select", "selected_option": None}}}}
    action = p["actions"][0]
    assert action["action_id"] == "accept" and action["block_id"] == "decide" and action["value"] == "42"
    assert action["type"] == "button" and action["style"] == "primary"
    assert action["text"] == {"type": "plain_text", "text": "Accept", "emoji": True}
    assert float(action["action_ts"]) > 0


def test_select_in_a_message_reports_the_option(client, admin, recorder):
    posted = client.chat_postMessage(channel="#accounting", text="x", blocks=CARD)
    admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": posted["channel"], "ts": posted["ts"],
                                                "action_id": "route", "value": "ap"}).raise_for_status()
    action = recorder.last["json"]["actions"][0]
    assert action["type"] == "static_select"
    assert action["selected_option"] == {"text": {"type": "plain_text", "text": "AP", "emoji": True},
                                         "value": "ap"}


def test_response_url_replaces_deletes_and_posts_ephemeral(client, admin, recorder, sandbox):
    posted = client.chat_postMessage(channel="#accounting", text="Invoice 42", blocks=CARD)
    admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": posted["channel"], "ts": posted["ts"],
                                                "action_id": "accept"}).raise_for_status()
    url = recorder.last["json"]["response_url"]
    reply = httpx.post(url, json={"text": "Only you see this"})
    assert reply.status_code == 200 and reply.json() == {"ok": True}
    msgs = admin.get("/_sandbox/messages", params={"channel": "#accounting"}).json()["messages"]
    assert msgs[-1]["text"] == "Only you see this"
    assert msgs[-1]["_sandbox"]["ephemeral_to"] == user_id(sandbox, "dana")
    httpx.post(url, json={"replace_original": True, "text": "Accepted by Dana"}).raise_for_status()
    card = client.conversations_history(channel=posted["channel"])["messages"][0]
    assert card["ts"] == posted["ts"] and card["text"] == "Accepted by Dana" and "blocks" not in card
    httpx.post(url, json={"delete_original": True}).raise_for_status()
    assert client.conversations_history(channel=posted["channel"])["messages"] == []
    httpx.post(url, json={"text": "four"}).raise_for_status()
    httpx.post(url, json={"text": "five", "response_type": "in_channel"}).raise_for_status()
    used_up = httpx.post(url, json={"text": "six"})
    assert used_up.status_code == 404 and used_up.json()["error"] == "used_url"


def test_response_urls_expire_after_thirty_minutes(client, admin, recorder, sandbox):
    posted = client.chat_postMessage(channel="#accounting", text="x", blocks=CARD)
    admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": posted["channel"], "ts": posted["ts"],
                                                "action_id": "accept"}).raise_for_status()
    url = recorder.last["json"]["response_url"]
    sandbox.store._exec("UPDATE hooks SET created = ?", (time.time() - 1801,))
    late = httpx.post(url, json={"text": "late"})
    assert late.status_code == 404 and late.json() == {"ok": False, "error": "expired_url"}


def test_slash_command_form_and_ack_shown_as_ephemeral(admin, recorder, sandbox):
    recorder.reply = (200, '{"text": "Usage: /ledgerlink send invoice <id>"}', "application/json")
    out = admin.post("/_sandbox/commands", json={"user": "sam", "text": "/ledgerlink help"}).json()
    assert out["ok"] is True and out["shown"]["ephemeral"] is True
    entry = recorder.last
    assert _verify(entry)
    form = entry["form"]
    assert list(form) == ["token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
                          "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id"]
    assert form["command"] == "/ledgerlink" and form["text"] == "help"
    assert form["channel_id"] == channel_id(sandbox, "accounting") and form["channel_name"] == "accounting"
    assert form["user_id"] == user_id(sandbox, "sam") and form["is_enterprise_install"] == "false"
    assert "/commands/" in form["response_url"]
    msgs = admin.get("/_sandbox/messages", params={"channel": "#accounting"}).json()["messages"]
    assert msgs[-1]["text"].startswith("Usage:") and msgs[-1]["_sandbox"]["ephemeral_to"] == form["user_id"]
    # the response_url posts later replies, in_channel when asked
    httpx.post(form["response_url"], json={"text": "Sent invoice 42", "response_type": "in_channel"})
    msgs = admin.get("/_sandbox/messages", params={"channel": "#accounting"}).json()["messages"]
    assert msgs[-1]["text"] == "Sent invoice 42" and msgs[-1]["_sandbox"]["ephemeral_to"] is None


def test_in_channel_ack_and_unknown_command(admin, recorder):
    recorder.reply = (200, '{"response_type": "in_channel", "text": "Sync started"}', "application/json")
    admin.post("/_sandbox/commands", json={"user": "alex", "text": "sync bills", "command": "/ledgerlink",
                                           "channel": "#general"}).raise_for_status()
    msgs = admin.get("/_sandbox/messages", params={"channel": "#general"}).json()["messages"]
    assert [m["text"] for m in msgs] == ["/ledgerlink sync bills", "Sync started"]
    out = admin.post("/_sandbox/commands", json={"user": "alex", "text": "/nope"}).json()
    assert out["ok"] is False and out["error"] == "invalid_command"
    admin.post("/_sandbox/commands", json={"user": "alex", "text": "status"}).raise_for_status()
    assert recorder.last["form"]["command"] == "/ledgerlink" and recorder.last["form"]["text"] == "status"


def test_slow_app_is_an_operation_timeout(admin, recorder, sandbox):
    admin.post("/_sandbox/config", json={"ack_timeout": 0.3}).raise_for_status()
    recorder.delay = 0.6
    out = admin.post("/_sandbox/commands", json={"user": "sam", "text": "/ledgerlink help"}).json()
    assert out["ok"] is False and out["error"] == "operation_timeout"
    msgs = admin.get("/_sandbox/messages", params={"channel": "#accounting"}).json()["messages"]
    assert msgs[-1]["text"] == '/ledgerlink failed with the error "operation_timeout"'
    log = admin.get("/_sandbox/interactions").json()["interactions"]
    assert log[-1]["error"] == "operation_timeout" and log[-1]["kind"] == "slash_command"


def test_unreachable_app_is_dispatch_failed(admin, sandbox):
    admin.post("/_sandbox/config", json={"app_url": "http://127.0.0.1:9/slack/events"}).raise_for_status()
    out = admin.post("/_sandbox/commands", json={"user": "sam", "text": "/ledgerlink help"}).json()
    assert out["error"] == "dispatch_failed"


def _open_modal(client, admin, recorder):
    posted = client.chat_postMessage(channel="#accounting", text="x", blocks=CARD)
    out = admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": posted["channel"],
                                                      "ts": posted["ts"], "action_id": "accept"}).json()
    return client.views_open(trigger_id=out["trigger_id"], view=MODAL)["view"]


def test_view_submission_errors_then_close(client, admin, recorder, sandbox):
    view = _open_modal(client, admin, recorder)
    recorder.reply = (200, '{"response_action": "errors", "errors": {"reason": "Give a reason"}}',
                      "application/json")
    out = admin.post("/_sandbox/views/submit", json={"user": "dana", "values": {"reason": {"text": ""}}}).json()
    assert out["response_action"] == "errors" and out["closed"] is False
    p = recorder.last["json"]
    assert p["type"] == "view_submission" and p["view"]["id"] == view["id"] and p["response_urls"] == []
    assert p["view"]["state"]["values"] == {
        "reason": {"text": {"type": "plain_text_input", "value": None}},
        "vendor": {"pick": {"type": "external_select", "selected_option": None}}}
    shown = admin.get("/_sandbox/views", params={"user": "dana"}).json()["modals"][-1]
    assert shown["errors"] == {"reason": "Give a reason"}
    recorder.reply = (200, "", "text/plain")
    out = admin.post("/_sandbox/views/submit", json={"user": "dana", "view_id": view["id"],
                                                     "values": {"reason": {"text": "Wrong amount"}}}).json()
    assert out["closed"] is True
    assert recorder.last["json"]["view"]["state"]["values"]["reason"]["text"]["value"] == "Wrong amount"
    assert admin.get("/_sandbox/views", params={"user": "dana"}).json()["modals"] == []


def test_view_submission_update_push_clear(client, admin, recorder):
    _open_modal(client, admin, recorder)
    recorder.reply = (200, '{"response_action": "update", "view": {"type": "modal", "title": {"type": '
                           '"plain_text", "text": "Done"}, "blocks": []}}', "application/json")
    out = admin.post("/_sandbox/views/submit", json={"user": "dana"}).json()
    assert out["view"]["title"]["text"] == "Done"
    recorder.reply = (200, '{"response_action": "push", "view": ' + __import__("json").dumps(MODAL) + "}",
                      "application/json")
    admin.post("/_sandbox/views/submit", json={"user": "dana"}).raise_for_status()
    assert len(admin.get("/_sandbox/views", params={"user": "dana"}).json()["modals"]) == 2
    recorder.reply = (200, '{"response_action": "clear"}', "application/json")
    admin.post("/_sandbox/views/submit", json={"user": "dana"}).raise_for_status()
    assert admin.get("/_sandbox/views", params={"user": "dana"}).json()["modals"] == []


def test_view_closed_only_when_notify_on_close(client, admin, recorder):
    view = _open_modal(client, admin, recorder)
    count = len(recorder.requests)
    out = admin.post("/_sandbox/views/close", json={"user": "dana"}).json()
    assert out["sent"] is True and len(recorder.requests) == count + 1
    p = recorder.last["json"]
    assert p["type"] == "view_closed" and p["view"]["id"] == view["id"] and p["is_cleared"] is False


def test_block_suggestion(client, admin, recorder):
    view = _open_modal(client, admin, recorder)
    recorder.reply = (200, '{"options": [{"text": {"type": "plain_text", "text": "ACME Drywall"}, '
                           '"value": "v-1"}]}', "application/json")
    out = admin.post("/_sandbox/suggestions", json={"user": "dana", "view_id": view["id"], "action_id": "pick",
                                                    "value": "acm"}).json()
    assert out["options"][0]["value"] == "v-1"
    p = recorder.last["json"]
    assert p["type"] == "block_suggestion" and p["value"] == "acm"
    assert p["action_id"] == "pick" and p["block_id"] == "vendor"
    assert p["container"] == {"type": "view", "view_id": view["id"]}


def test_app_home_opened_event(client, admin, recorder, sandbox):
    dana = user_id(sandbox, "dana")
    client.views_publish(user_id=dana, view={"type": "home", "blocks": [{"type": "divider"}]})
    out = admin.post("/_sandbox/events/app_home_opened", json={"user": dana}).json()
    assert out["ok"] is True
    entry = recorder.last
    assert entry["content_type"] == "application/json" and _verify(entry)
    env = entry["json"]
    assert env["type"] == "event_callback" and env["api_app_id"] == sandbox.ws.app_id
    assert env["team_id"] == sandbox.ws.team_id and env["event_id"].startswith("Ev")
    assert isinstance(env["event_time"], int)
    assert env["authorizations"] == [{"enterprise_id": None, "team_id": sandbox.ws.team_id,
                                      "user_id": sandbox.ws.bot_user_id, "is_bot": True,
                                      "is_enterprise_install": False}]
    event = env["event"]
    assert event["type"] == "app_home_opened" and event["user"] == dana and event["tab"] == "home"
    assert event["channel"].startswith("D") and event["view"]["type"] == "home"


def test_clicks_in_ephemeral_messages_carry_no_message(client, admin, recorder, sandbox):
    dana = user_id(sandbox, "dana")
    posted = client.chat_postEphemeral(channel="#accounting", user=dana, text="x", blocks=CARD)
    admin.post("/_sandbox/actions/click", json={"user": dana, "channel": "#accounting", "ts": posted["message_ts"],
                                                "action_id": "accept"}).raise_for_status()
    p = recorder.last["json"]
    assert "message" not in p and p["container"]["is_ephemeral"] is True
    httpx.post(p["response_url"], json={"replace_original": True, "text": "done"}).raise_for_status()
    msgs = admin.get("/_sandbox/messages", params={"channel": "#accounting"}).json()["messages"]
    assert msgs[-1]["text"] == "done" and msgs[-1]["_sandbox"]["ephemeral_to"] == dana


def test_unknown_targets_are_404(admin, recorder):
    assert admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": "#accounting", "ts": "1.2",
                                                       "action_id": "x"}).status_code == 404
    assert admin.post("/_sandbox/views/submit", json={"user": "dana"}).status_code == 404

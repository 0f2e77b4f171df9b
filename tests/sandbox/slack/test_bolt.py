"""A real Bolt app (token verification on, WebClient pointed at the sandbox) served over HTTP, driven by the
sandbox exactly as Slack would drive it."""

from __future__ import annotations

import httpx
import pytest
from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

from tests.sandbox.slack.conftest import BOT_TOKEN, SIGNING_SECRET, user_id, wait_for

CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Invoice 42* from ACME — $1,200.00"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Accept"}, "style": "primary",
             "action_id": "accept", "value": "42"},
            {"type": "button", "text": {"type": "plain_text", "text": "Reject"}, "style": "danger",
             "action_id": "reject", "value": "42"}]}]
MODAL = {"type": "modal", "callback_id": "reject_reason", "title": {"type": "plain_text", "text": "Reject"},
         "submit": {"type": "plain_text", "text": "Reject"}, "private_metadata": "42",
         "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
                     "element": {"type": "plain_text_input", "action_id": "text"}},
                    {"type": "input", "block_id": "vendor", "optional": True,
                     "label": {"type": "plain_text", "text": "Vendor"},
                     "element": {"type": "external_select", "action_id": "vendor_pick"}}]}


def build_bolt(api_url: str) -> Flask:
    client = WebClient(token=BOT_TOKEN, base_url=api_url)
    bolt = App(client=client, signing_secret=SIGNING_SECRET)  # calls auth.test now: the sandbox must be up

    @bolt.action("accept")
    def accept(ack, body, respond):
        ack()
        who = f"<@{body['user']['id']}>"
        done = {"type": "section", "text": {"type": "mrkdwn", "text": f":white_check_mark: Accepted by {who}"}}
        respond(replace_original=True, text=f"Accepted by {who}", blocks=[done])

    @bolt.action("reject")
    def reject(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @bolt.command("/ledgerlink")
    def command(ack, command, respond):
        ack(f"Working on `{command['text']}`…")
        respond(text=f"Done: {command['text']}")

    @bolt.view("reject_reason")
    def submitted(ack, view, client, body):
        reason = view["state"]["values"]["reason"]["text"]["value"]
        if not reason:
            ack(response_action="errors", errors={"reason": "Please give a reason"})
            return
        ack()
        client.chat_postMessage(channel="#accounting", text=f"Rejected invoice {view['private_metadata']}: {reason}")

    @bolt.options("vendor_pick")
    def vendors(ack, body):
        ack(options=[{"text": {"type": "plain_text", "text": f"{body['value'].upper()} Drywall"}, "value": "v-1"}])

    @bolt.event("app_home_opened")
    def home(client, event):
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Your approval queue"}}]})

    web = Flask("bolt-under-test")
    handler = SlackRequestHandler(bolt)

    @web.post("/slack/events")
    def events():
        return handler.handle(request)

    return web


@pytest.fixture
def bolt(base_url, app_server, admin):
    url = app_server(build_bolt(f"{base_url}/api/"))
    admin.post("/_sandbox/config", json={"app_url": f"{url}/slack/events"}).raise_for_status()
    return url


def _messages(admin, channel="#accounting"):
    return admin.get("/_sandbox/messages", params={"channel": channel}).json()["messages"]


def test_bolt_construction_called_auth_test(bolt, admin):
    assert [c["method"] for c in admin.get("/_sandbox/calls").json()["calls"]][:1] == ["auth.test"]


def test_click_accept_and_response_url_replaces_the_card(bolt, admin, client, sandbox):
    posted = client.chat_postMessage(channel="#accounting", text="Invoice 42", blocks=CARD)
    out = admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": "#accounting",
                                                      "ts": posted["ts"], "action_id": "accept"}).json()
    assert out["ok"] is True and out["status"] == 200
    dana = user_id(sandbox, "dana")
    card = wait_for(lambda: [m for m in _messages(admin) if m["text"].startswith("Accepted")])[0]
    assert card["ts"] == posted["ts"] and card["text"] == f"Accepted by <@{dana}>"
    assert "actions" not in [b["type"] for b in card["blocks"]]


def test_reject_opens_a_modal_and_errors_come_back(bolt, admin, client):
    posted = client.chat_postMessage(channel="#accounting", text="Invoice 42", blocks=CARD)
    admin.post("/_sandbox/actions/click", json={"user": "dana", "channel": "#accounting", "ts": posted["ts"],
                                                "action_id": "reject"}).raise_for_status()
    modal = wait_for(lambda: admin.get("/_sandbox/views", params={"user": "dana"}).json()["modals"])[-1]
    assert modal["view"]["callback_id"] == "reject_reason"
    opts = admin.post("/_sandbox/suggestions", json={"user": "dana", "view_id": modal["id"],
                                                     "action_id": "vendor_pick", "value": "acme"}).json()
    assert [o["text"]["text"] for o in opts["options"]] == ["ACME Drywall"]
    bad = admin.post("/_sandbox/views/submit", json={"user": "dana", "values": {"reason": {"text": ""}}}).json()
    assert bad["body"] == {"response_action": "errors", "errors": {"reason": "Please give a reason"}}
    assert bad["closed"] is False
    good = admin.post("/_sandbox/views/submit", json={
        "user": "dana", "values": {"reason": {"text": "Duplicate"}, "vendor": {"vendor_pick": {
            "text": {"type": "plain_text", "text": "ACME Drywall"}, "value": "v-1"}}}}).json()
    assert good["closed"] is True
    wait_for(lambda: any(m["text"] == "Rejected invoice 42: Duplicate" for m in _messages(admin)))


def test_slash_command_ack_and_later_reply(bolt, admin, sandbox):
    out = admin.post("/_sandbox/commands", json={"user": "sam", "text": "/ledgerlink send invoice 42"}).json()
    # Bolt acks a bare string as a text/plain body; Slack shows it to the user as an ephemeral message
    assert out["ok"] is True and out["body"] == "Working on `send invoice 42`…"
    assert out["shown"]["ephemeral"] is True
    sam = user_id(sandbox, "sam")
    assert any(m["text"] == "Working on `send invoice 42`…" and m["_sandbox"]["ephemeral_to"] == sam
               for m in _messages(admin))
    later = wait_for(lambda: [m for m in _messages(admin) if m["text"] == "Done: send invoice 42"])[0]
    assert later["_sandbox"]["ephemeral_to"] == sam


def test_app_home_opened_publishes_home(bolt, admin, sandbox):
    out = admin.post("/_sandbox/events/app_home_opened", json={"user": "riley"}).json()
    assert out["ok"] is True
    home = wait_for(lambda: admin.get("/_sandbox/views", params={"user": "riley"}).json()["home"])
    assert home["view"]["blocks"][0]["text"]["text"] == "Your approval queue"


def test_bolt_rejects_a_wrongly_signed_request(bolt, admin, sandbox):
    sandbox.signing_secret = "f" * 32
    out = admin.post("/_sandbox/commands", json={"user": "sam", "text": "/ledgerlink help"}).json()
    assert out["ok"] is False and out["status"] == 401 and out["error"] == "http_error"


def test_page_click_goes_through_the_same_path(bolt, base_url, client, sandbox, admin):
    posted = client.chat_postMessage(channel="#accounting", text="Invoice 42", blocks=CARD)
    dana = user_id(sandbox, "dana")
    out = httpx.post(f"{base_url}/_sandbox/ui/click", json={
        "as": dana, "channel": posted["channel"], "ts": posted["ts"], "action_id": "accept",
        "block_id": "decide", "values": {}}).json()
    assert out["ok"] is True
    wait_for(lambda: any(m["text"].startswith("Accepted") for m in _messages(admin)))

"""Every Web API method the Slack sandbox serves, held against a fixture written from Slack's method reference.

Each fixture under `fixtures/` lists every key of the method's success answer with its JSON type (nested objects
too), from the example responses in Slack's reference. The sandbox must answer exactly those keys and types.
A method without a fixture fails the coverage test. Also: the headers Slack sends on every answer.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sandbox.slack import create_app
from sandbox.slack.api import METHODS
from tests.sandbox.shapes import load, mismatches

FIXTURES = load(Path(__file__).parent / "fixtures")
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Bill *B-1*"}}]
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Reject"}, "close": {"type": "plain_text",
         "text": "Cancel"}, "submit": {"type": "plain_text", "text": "Reject"}, "blocks": BLOCKS}


@pytest.fixture(scope="module")
def slack():
    app = create_app()
    sandbox = app.config["SLACK_SANDBOX"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {sandbox.bot_token}", "Content-Type": "application/json; charset=utf-8"}

    def call(method: str, **args):
        return client.post(f"/api/{method}", json=args, headers=headers)

    def upload_bytes(url: str, content: bytes):
        return client.post(urlsplit(url).path, data=content)

    return sandbox, call, upload_bytes


def _answers(sandbox, call, upload_bytes) -> dict:
    """One successful call of every method, in an order that gives each what it needs."""
    person = next(u for u in call("users.list").json["members"] if u["profile"].get("email") and not u["is_bot"])
    out = {"auth.test": call("auth.test"), "team.info": call("team.info")}
    out["users.list"] = call("users.list", limit=2)
    out["users.info"] = call("users.info", user=person["id"])
    out["users.lookupByEmail"] = call("users.lookupByEmail", email=person["profile"]["email"])
    post = call("chat.postMessage", channel="#accounting", text="Bill B-1", blocks=BLOCKS)
    out["chat.postMessage"] = post
    channel, ts = post.json["channel"], post.json["ts"]
    out["chat.update"] = call("chat.update", channel=channel, ts=ts, text="Bill B-1 accepted", blocks=BLOCKS)
    out["chat.postEphemeral"] = call("chat.postEphemeral", channel=channel, user=person["id"], text="Only you")
    out["chat.getPermalink"] = call("chat.getPermalink", channel=channel, message_ts=ts)
    out["conversations.open"] = call("conversations.open", users=person["id"])
    out["conversations.info"] = call("conversations.info", channel=channel)
    out["conversations.list"] = call("conversations.list", limit=2)
    out["conversations.members"] = call("conversations.members", channel=channel)
    out["conversations.history"] = call("conversations.history", channel=channel)
    out["conversations.replies"] = call("conversations.replies", channel=channel, ts=ts)
    opened = call("views.open", trigger_id=sandbox.new_trigger(person["id"]), view=MODAL)
    out["views.open"] = opened
    out["views.push"] = call("views.push", trigger_id=sandbox.new_trigger(person["id"]), view=MODAL)
    out["views.update"] = call("views.update", view_id=opened.json["view"]["id"], view=MODAL)
    out["views.publish"] = call("views.publish", user_id=person["id"], view={"type": "home", "blocks": BLOCKS})
    upload = call("files.getUploadURLExternal", filename="bill.pdf", length=4)
    out["files.getUploadURLExternal"] = upload
    assert upload_bytes(upload.json["upload_url"], b"%PDF").status_code == 200
    out["files.completeUploadExternal"] = call("files.completeUploadExternal", channel_id=channel,
                                               files=[{"id": upload.json["file_id"], "title": "Bill B-1"}])
    out["files.info"] = call("files.info", file=upload.json["file_id"])
    out["chat.delete"] = call("chat.delete", channel=channel, ts=ts)
    return out


@pytest.fixture(scope="module")
def answers(slack):
    return _answers(*slack)


def test_every_method_the_sandbox_serves_has_a_fixture_and_a_call(answers):
    assert set(METHODS) == set(FIXTURES) == set(answers)


@pytest.mark.parametrize("method", sorted(FIXTURES))
def test_the_answer_has_exactly_the_documented_keys_and_types(answers, method):
    response = answers[method]
    assert response.status_code == 200 and response.json["ok"] is True, response.json
    assert mismatches(response.json, FIXTURES[method]["shape"]) == []


@pytest.mark.parametrize("method", sorted(FIXTURES))
def test_every_answer_carries_slacks_request_id_and_the_tokens_scopes(answers, method):
    headers = answers[method].headers
    assert len(headers["X-Slack-Req-Id"]) == 32
    assert "chat:write" in headers["X-OAuth-Scopes"].split(",")


def test_accepted_scopes_are_named_where_slack_names_them(answers):
    assert answers["chat.postMessage"].headers["X-Accepted-OAuth-Scopes"] == "chat:write"
    assert answers["users.lookupByEmail"].headers["X-Accepted-OAuth-Scopes"] == "users:read.email"
    assert "X-Accepted-OAuth-Scopes" not in answers["auth.test"].headers


def test_unauthenticated_answers_have_a_request_id_but_no_scopes():
    response = create_app().test_client().post("/api/auth.test")
    assert response.json == {"ok": False, "error": "not_authed"}
    assert "X-Slack-Req-Id" in response.headers and "X-OAuth-Scopes" not in response.headers


def test_users_list_pages_with_an_integer_cache_ts_and_the_legacy_offset(slack):
    _, call, _ = slack
    first = call("users.list", limit=2).json
    assert isinstance(first["cache_ts"], int) and first["offset"] == first["members"][-1]["id"]
    assert first["response_metadata"]["next_cursor"]
    rest = call("users.list", limit=1000).json
    assert "offset" not in rest and rest["response_metadata"]["next_cursor"] == ""


def test_a_trigger_id_answers_with_slacks_error_codes(slack):
    sandbox, call, _ = slack
    user = next(u["id"] for u in call("users.list").json["members"] if not u["is_bot"])
    trigger = sandbox.new_trigger(user)
    assert call("views.open", trigger_id=trigger, view=MODAL).json["ok"] is True
    assert call("views.open", trigger_id=trigger, view=MODAL).json == {"ok": False, "error": "exchanged_trigger_id"}
    assert call("views.open", trigger_id="1.2.nope", view=MODAL).json == {"ok": False, "error": "invalid_trigger_id"}
    stale = sandbox.new_trigger(user)
    sandbox.trigger_ttl, ttl = 0.0, sandbox.trigger_ttl
    try:
        assert call("views.open", trigger_id=stale, view=MODAL).json == {"ok": False, "error": "expired_trigger_id"}
    finally:
        sandbox.trigger_ttl = ttl


def test_answers_off_the_web_api_carry_a_request_id_too():
    client = create_app().test_client()
    for response in (client.post("/actions/T0/1/nope", json={"text": "x"}), client.get("/api/auth.test"),
                     client.post("/api/chat.postMessage", data={"token": "xoxb-wrong", "channel": "C1"})):
        assert len(response.headers["X-Slack-Req-Id"]) == 32

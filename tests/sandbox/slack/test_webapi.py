"""The Web API through slack_sdk's WebClient (what the app uses), plus raw HTTP for the wire details."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.sandbox.slack.conftest import BOT_TOKEN, channel_id, user_id


def _error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def test_auth_test_describes_the_bot(client, sandbox):
    resp = client.auth_test()
    assert resp["ok"] is True
    assert resp["bot_id"] == sandbox.ws.bot_id
    assert resp["user_id"] == sandbox.ws.bot_user_id
    assert resp["team_id"].startswith("T")
    assert resp["url"] == "https://summitbuilders.slack.com/"


def test_only_the_configured_bot_token_is_accepted(base_url):
    wrong = WebClient(token="xoxb-1-2-nope", base_url=f"{base_url}/api/")
    assert _error(wrong.auth_test).response["error"] == "invalid_auth"
    resp = httpx.post(f"{base_url}/api/auth.test")
    assert resp.status_code == 200
    assert resp.json() == {"ok": False, "error": "not_authed"}


def test_token_may_come_as_a_form_argument(base_url):
    resp = httpx.post(f"{base_url}/api/auth.test", data={"token": BOT_TOKEN})
    assert resp.json()["ok"] is True
    assert resp.headers["content-type"].startswith("application/json")


def test_json_body_without_charset_gets_slacks_warning(base_url):
    resp = httpx.post(f"{base_url}/api/chat.postMessage", content=b'{"channel": "#general", "text": "hi"}',
                      headers={"Authorization": f"Bearer {BOT_TOKEN}", "Content-Type": "application/json"})
    body = resp.json()
    assert body["ok"] is True
    assert body["warning"] == "missing_charset"
    assert body["response_metadata"]["warnings"] == ["missing_charset"]


def test_unknown_method(client):
    assert _error(lambda: client.api_call("chat.nope")).response["error"] == "unknown_method"


def test_post_message_by_name_returns_slacks_shape(client, sandbox):
    resp = client.chat_postMessage(channel="#accounting", text="Invoice 42 needs approval",
                                   blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*Invoice 42*"}},
                                           {"type": "actions", "elements": [
                                               {"type": "button", "text": {"type": "plain_text", "text": "Accept"},
                                                "style": "primary", "action_id": "accept", "value": "42"}]}])
    accounting = channel_id(sandbox, "accounting")
    assert resp["channel"] == accounting
    ts = resp["ts"]
    seconds, fraction = ts.split(".")
    assert seconds.isdigit() and len(fraction) == 6
    msg = resp["message"]
    assert msg["type"] == "message" and msg["ts"] == ts
    assert msg["bot_id"] == sandbox.ws.bot_id and msg["user"] == sandbox.ws.bot_user_id
    assert msg["app_id"] == sandbox.ws.app_id
    assert msg["text"] == "Invoice 42 needs approval"
    # Slack fills in block_id and plain_text emoji defaults
    assert all(b["block_id"] for b in msg["blocks"])
    button = msg["blocks"][1]["elements"][0]
    assert button["text"] == {"type": "plain_text", "text": "Accept", "emoji": True}
    history = client.conversations_history(channel=accounting)
    assert [m["ts"] for m in history["messages"]] == [ts]


def test_post_message_accepts_ids_and_bare_names_and_timestamps_increase(client, sandbox):
    general = channel_id(sandbox, "general")
    a = client.chat_postMessage(channel=general, text="one")
    b = client.chat_postMessage(channel="general", text="two")
    assert a["channel"] == b["channel"] == general
    assert float(b["ts"]) > float(a["ts"])
    history = client.conversations_history(channel=general)["messages"]
    assert [m["text"] for m in history] == ["two", "one"]  # newest first


def test_post_message_to_a_user_id_opens_a_dm(client, sandbox):
    dana = user_id(sandbox, "dana")
    resp = client.chat_postMessage(channel=dana, text="psst")
    assert resp["channel"].startswith("D")
    opened = client.conversations_open(users=dana)
    assert opened["channel"]["id"] == resp["channel"]
    assert opened["already_open"] is True and opened["no_op"] is True


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_errors(client, sandbox):
    assert _error(lambda: client.chat_postMessage(channel="#nope", text="x")).response["error"] == \
        "channel_not_found"
    assert _error(lambda: client.chat_postMessage(channel="#random", text="x")).response["error"] == \
        "not_in_channel"
    # a private channel the bot is not in is invisible to it
    assert _error(lambda: client.chat_postMessage(channel="#finance-leads", text="x")).response["error"] == \
        "channel_not_found"
    assert _error(lambda: client.chat_postMessage(channel="#general")).response["error"] == "no_text"
    assert _error(lambda: client.chat_postMessage(channel="#general", text="x" * 40001)).response["error"] == \
        "msg_too_long"


def test_more_than_50_blocks_is_invalid_blocks(client):
    blocks = [{"type": "divider"}] * 51
    resp = _error(lambda: client.chat_postMessage(channel="#general", text="t", blocks=blocks)).response
    assert resp["error"] == "invalid_blocks"
    assert resp["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert resp["response_metadata"]["messages"] == ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]


def test_overlong_section_text_is_invalid_blocks(client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    resp = _error(lambda: client.chat_postMessage(channel="#general", text="t", blocks=blocks)).response
    assert resp["errors"] == ["failed to match all allowed schemas [json-pointer:/blocks/0/text]",
                              "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]


def test_unknown_block_type_and_duplicate_action_ids_are_rejected(client):
    resp = _error(lambda: client.chat_postMessage(channel="#general", text="t", blocks=[
        {"type": "sections", "text": {"type": "mrkdwn", "text": "x"}}])).response
    assert resp["errors"] == ["unsupported type: sections [json-pointer:/blocks/0/type]"]
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go"}
    resp = _error(lambda: client.chat_postMessage(channel="#general", text="t", blocks=[
        {"type": "actions", "elements": [button, button]}])).response
    assert resp["errors"] == ['`action_id` "go" already exists [json-pointer:/blocks/0/elements/1/action_id]']


def test_blocks_as_a_form_encoded_json_string(base_url):
    resp = httpx.post(f"{base_url}/api/chat.postMessage", data={
        "token": BOT_TOKEN, "channel": "#general", "text": "form",
        "blocks": '[{"type": "section", "text": {"type": "plain_text", "text": "hi"}}]'}).json()
    assert resp["ok"] is True
    assert resp["message"]["blocks"][0]["text"]["text"] == "hi"
    bad = httpx.post(f"{base_url}/api/chat.postMessage", data={
        "token": BOT_TOKEN, "channel": "#general", "text": "form", "blocks": "{not json"}).json()
    assert bad == {"ok": False, "error": "invalid_blocks_format"}


def test_update_replaces_the_card_and_keeps_its_ts(client, sandbox, admin):
    posted = client.chat_postMessage(channel="#accounting", text="Invoice 7", blocks=[
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Accept"},
                                          "action_id": "accept"}]}])
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Accepted by Dana",
                                 blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Accepted"}}])
    assert updated["ts"] == posted["ts"] and updated["channel"] == posted["channel"]
    assert updated["text"] == "Accepted by Dana"
    assert updated["message"]["blocks"][0]["text"]["text"] == "Accepted"
    assert "edited" in updated["message"]
    log = admin.get("/_sandbox/messages", params={"channel": "#accounting"}).json()["messages"]
    assert len(log) == 1
    assert log[0]["text"] == "Accepted by Dana"
    assert log[0]["_sandbox"]["revisions"][0]["text"] == "Invoice 7"
    assert _error(lambda: client.chat_update(channel=posted["channel"], ts="1.000001", text="x")).response[
        "error"] == "message_not_found"
    assert _error(lambda: client.chat_update(channel="C0NOPE", ts=posted["ts"], text="x")).response[
        "error"] == "channel_not_found"


def test_update_without_blocks_keeps_them_and_empty_list_removes_them(client):
    posted = client.chat_postMessage(channel="#general", text="a",
                                     blocks=[{"type": "section", "text": {"type": "plain_text", "text": "b"}}])
    kept = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="c")
    assert kept["message"]["blocks"][0]["text"]["text"] == "b"
    removed = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="d", blocks=[])
    assert "blocks" not in removed["message"]


def test_ephemeral_is_visible_to_one_user_only(client, sandbox, admin):
    dana = user_id(sandbox, "dana")
    resp = client.chat_postEphemeral(channel="#accounting", user=dana, text="You are not an approver")
    assert set(resp.data) == {"ok", "message_ts"}
    accounting = channel_id(sandbox, "accounting")
    assert client.conversations_history(channel=accounting)["messages"] == []
    log = admin.get("/_sandbox/messages", params={"channel": accounting}).json()["messages"]
    assert log[0]["_sandbox"]["ephemeral_to"] == dana
    outsider = user_id(sandbox, "alex")
    err = _error(lambda: client.chat_postEphemeral(channel="#project-riverside-clinic", user=outsider, text="x"))
    assert err.response["error"] == "user_not_in_channel"


def test_delete(client):
    posted = client.chat_postMessage(channel="#general", text="oops")
    assert client.chat_delete(channel=posted["channel"], ts=posted["ts"])["ts"] == posted["ts"]
    assert client.conversations_history(channel=posted["channel"])["messages"] == []
    assert _error(lambda: client.chat_delete(channel=posted["channel"], ts=posted["ts"])).response["error"] == \
        "message_not_found"


def test_users(client, sandbox):
    dana = client.users_lookupByEmail(email="dana@summitbuilders.example")["user"]
    assert dana["real_name"] == "Dana Whitfield"
    assert dana["id"].startswith("U") and dana["profile"]["email"] == "dana@summitbuilders.example"
    assert dana["tz"] and isinstance(dana["tz_offset"], int)
    assert client.users_info(user=dana["id"])["user"] == dana
    assert _error(lambda: client.users_lookupByEmail(email="who@nowhere.example")).response["error"] == \
        "users_not_found"
    assert _error(lambda: client.users_info(user="U0NOBODY")).response["error"] == "user_not_found"
    names = {m["name"] for m in client.users_list()["members"]}
    assert {"dana", "sam", "alex", "riley"} <= names


def test_conversations(client, sandbox):
    sam = user_id(sandbox, "sam")
    first = client.conversations_open(users=sam)
    assert set(first["channel"]) == {"id"} and "already_open" not in first.data
    info = client.conversations_info(channel=channel_id(sandbox, "accounting"), include_num_members=True)
    assert info["channel"]["name"] == "accounting" and info["channel"]["is_member"] is True
    assert info["channel"]["num_members"] >= 5
    assert _error(lambda: client.conversations_info(channel="C0NOPE")).response["error"] == "channel_not_found"
    assert _error(lambda: client.conversations_open(users="U0NOBODY")).response["error"] == "user_not_found"
    im = client.conversations_info(channel=first["channel"]["id"])["channel"]
    assert im["is_im"] is True and im["user"] == sam


def test_the_call_log_records_what_the_app_asked(client, admin):
    client.chat_postMessage(channel="#general", text="logged")
    calls = admin.get("/_sandbox/calls", params={"method": "chat.postMessage"}).json()["calls"]
    assert calls[-1]["args"]["channel"] == "#general" and calls[-1]["ok"] is True
    assert "token" not in calls[-1]["args"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_blocks_without_text_are_accepted_and_noted_in_the_call_log(client, admin):
    resp = client.chat_postMessage(channel="#general",
                                   blocks=[{"type": "section", "text": {"type": "plain_text", "text": "hi"}}])
    assert resp["ok"] is True and "warning" not in resp.data  # Slack itself does not warn
    call = admin.get("/_sandbox/calls", params={"method": "chat.postMessage"}).json()["calls"][-1]
    assert call["notes"] == ["missing_text_with_blocks"]


def test_state_survives_a_restart_with_a_db_file(tmp_path):
    from sandbox.slack import create_app

    path = str(tmp_path / "slack.db")
    first = create_app(db=path)
    sandbox = first.config["SLACK_SANDBOX"]
    token, secret, team = sandbox.bot_token, sandbox.signing_secret, sandbox.ws.team_id
    assert token.startswith("xoxb-") and len(secret) == 32 and int(secret, 16) >= 0
    api = first.test_client()
    posted = api.post("/api/chat.postMessage", headers={"Authorization": f"Bearer {token}"},
                      json={"channel": "#accounting", "text": "kept"}).get_json()
    assert posted["ok"] is True
    again = create_app(db=path).config["SLACK_SANDBOX"]
    assert (again.bot_token, again.signing_secret, again.ws.team_id) == (token, secret, team)
    assert [m["text"] for m in again.store.messages(posted["channel"])] == ["kept"]
    assert float(again.next_ts()) > float(posted["ts"])


def test_admin_adds_users_and_resets_activity(client, admin):
    made = admin.post("/_sandbox/users", json={"name": "casey", "real_name": "Casey Fox",
                                                "email": "casey@summitbuilders.example",
                                                "title": "AP Clerk (approver)"}).json()["user"]
    assert made["id"].startswith("U")
    assert client.users_lookupByEmail(email="casey@summitbuilders.example")["user"]["id"] == made["id"]
    assert admin.post("/_sandbox/users", json={"name": "casey2", "email": "casey@summitbuilders.example"}
                      ).status_code == 409
    posted = client.chat_postEphemeral(channel="#accounting", user=made["id"], text="welcome")
    assert posted["ok"] is True
    admin.post("/_sandbox/reset").raise_for_status()
    assert admin.get("/_sandbox/messages").json()["messages"] == []
    assert admin.get("/_sandbox/calls").json()["calls"] == []
    info = admin.get("/_sandbox/info").json()
    assert {c["name"] for c in info["channels"]} >= {"general", "accounting", "random"}
    assert info["app"]["bot_user_id"].startswith("U") and "bot_token" not in str(info)

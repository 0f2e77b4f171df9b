"""views.open / push / update / publish with real trigger ids from clicks."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError

from tests.sandbox.slack.conftest import user_id

MODAL = {"type": "modal", "callback_id": "reject_reason", "private_metadata": "item:42",
         "title": {"type": "plain_text", "text": "Reject invoice"},
         "submit": {"type": "plain_text", "text": "Reject"},
         "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
                     "element": {"type": "plain_text_input", "action_id": "text", "multiline": True}}]}


def _error(call) -> dict:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response.data


def _trigger(client, admin, user: str = "dana") -> str:
    posted = client.chat_postMessage(channel="#accounting", text="card", blocks=[
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Reject"},
                                          "action_id": "reject", "value": "42", "style": "danger"}]}])
    out = admin.post("/_sandbox/actions/click", json={"user": user, "channel": posted["channel"],
                                                      "ts": posted["ts"], "action_id": "reject"}).json()
    assert out["ok"] is True, out
    return out["trigger_id"]


def test_views_open_with_a_fresh_trigger(client, admin, recorder, sandbox):
    trigger = _trigger(client, admin)
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V") and view["type"] == "modal"
    assert view["callback_id"] == "reject_reason" and view["private_metadata"] == "item:42"
    assert view["title"] == {"type": "plain_text", "text": "Reject invoice", "emoji": True}
    assert view["state"] == {"values": {}} and view["hash"]
    assert view["root_view_id"] == view["id"] and view["previous_view_id"] is None
    assert view["app_id"] == sandbox.ws.app_id and view["bot_id"] == sandbox.ws.bot_id
    views = admin.get("/_sandbox/views", params={"user": "dana"}).json()
    assert [m["id"] for m in views["modals"]] == [view["id"]]
    # a trigger works once
    assert _error(lambda: client.views_open(trigger_id=trigger, view=MODAL))["error"] == "exchanged_trigger_id"


def test_triggers_expire_after_three_seconds(client, admin, recorder, sandbox):
    trigger = _trigger(client, admin)
    sandbox.store._exec("UPDATE triggers SET created = ? WHERE id = ?", (time.time() - 3.5, trigger))
    assert _error(lambda: client.views_open(trigger_id=trigger, view=MODAL))["error"] == "expired_trigger_id"
    assert _error(lambda: client.views_open(trigger_id="123.456.abc", view=MODAL))["error"] == "invalid_trigger_id"


def test_invalid_view_is_invalid_arguments_with_pointers(client, admin, recorder):
    trigger = _trigger(client, admin)
    bad = dict(MODAL, title={"type": "plain_text", "text": "A title far longer than 24 chars"},
               private_metadata="x" * 3001)
    resp = _error(lambda: client.views_open(trigger_id=trigger, view=bad))
    assert resp["error"] == "invalid_arguments"
    messages = resp["response_metadata"]["messages"]
    assert messages[0] == "[ERROR] failed to match all allowed schemas [json-pointer:/view]"
    assert "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]" in messages
    assert "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]" in messages
    # the trigger was not used up by the failed call
    assert client.views_open(trigger_id=trigger, view=MODAL)["ok"] is True


def test_views_update_and_hash(client, admin, recorder):
    view = client.views_open(trigger_id=_trigger(client, admin), view=MODAL)["view"]
    changed = dict(MODAL, title={"type": "plain_text", "text": "Reject (2)"})
    new = client.views_update(view_id=view["id"], hash=view["hash"], view=changed)["view"]
    assert new["id"] == view["id"] and new["hash"] != view["hash"]
    assert _error(lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=changed))["error"] == \
        "hash_conflict"
    assert _error(lambda: client.views_update(view_id="V0NOPE", view=changed))["error"] == "not_found"


def test_views_push_stacks_up_to_three(client, admin, recorder):
    root = client.views_open(trigger_id=_trigger(client, admin), view=MODAL)["view"]
    second = client.views_push(trigger_id=_trigger(client, admin), view=MODAL)["view"]
    assert second["previous_view_id"] == root["id"] and second["root_view_id"] == root["id"]
    client.views_push(trigger_id=_trigger(client, admin), view=MODAL)
    assert _error(lambda: client.views_push(trigger_id=_trigger(client, admin), view=MODAL))["error"] == \
        "push_limit_reached"


def test_views_publish_sets_the_home_tab(client, admin, sandbox):
    dana = user_id(sandbox, "dana")
    home = {"type": "home", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Your queue"}}]}
    first = client.views_publish(user_id=dana, view=home)["view"]
    assert first["type"] == "home"
    again = client.views_publish(user_id=dana, view=home)["view"]
    assert again["id"] == first["id"]
    got = admin.get("/_sandbox/views", params={"user": dana}).json()["home"]
    assert got["view"]["blocks"][0]["text"]["text"] == "Your queue"
    assert _error(lambda: client.views_publish(user_id="U0NOBODY", view=home))["error"] == "user_not_found"
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    resp = _error(lambda: client.views_publish(user_id=dana, view=too_many))
    assert "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]" in resp["response_metadata"][
        "messages"]

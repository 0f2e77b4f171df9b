"""Slack requests built by hand, one per kind of request the app's `/slack/events` endpoint takes, shaped as Slack
sends them (https://docs.slack.dev/interactivity/handling-user-interaction): a slash command (form fields), an
interaction payload (block_actions, view_submission, view_closed, block_suggestion — the form field `payload`)
and an Events API envelope (JSON). Tests sign them (or not) and post them to the app directly."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from blocks import ids
from tests.reliability.support_input import form_body, json_body, payload_body

KINDS = ("slash_command", "block_actions", "view_submission", "view_closed", "block_suggestion", "event_callback")


@dataclass
class Who:
    """Where a request comes from: the Slack team, the user, a channel, a response_url to answer on."""

    team: str
    user: str
    channel: str
    response_url: str | None = None


def slash_command(who: Who, text: str = "help") -> dict[str, str]:
    fields = {"token": "legacy-verification-token", "team_id": who.team, "team_domain": "summit",
              "channel_id": who.channel, "channel_name": "accounting", "user_id": who.user, "user_name": "someone",
              "command": ids.COMMAND, "text": text, "api_app_id": "A0LEDGERLINK", "is_enterprise_install": "false",
              "trigger_id": f"{int(time.time())}.1.abc"}
    if who.response_url:
        fields["response_url"] = who.response_url
    return fields


def _base(kind: str, who: Who) -> dict[str, Any]:
    return {"type": kind, "user": {"id": who.user, "team_id": who.team, "username": "someone"},
            "team": {"id": who.team, "domain": "summit"}, "api_app_id": "A0LEDGERLINK",
            "token": "legacy-verification-token", "trigger_id": f"{int(time.time())}.1.abc",
            "is_enterprise_install": False, "enterprise": None}


def block_actions(who: Who, *, action_id: str = ids.ACCEPT, value: Any = "1", block_id: str = "item",
                  message_ts: str = "1700000000.000100", view: dict | None = None) -> dict[str, Any]:
    payload = _base("block_actions", who)
    if view is not None:
        payload.update(container={"type": "view", "view_id": view.get("id", "V0")}, view=view)
    else:
        payload.update(container={"type": "message", "message_ts": message_ts, "channel_id": who.channel,
                                  "is_ephemeral": False}, channel={"id": who.channel, "name": "accounting"},
                       message={"type": "message", "ts": message_ts, "text": "card", "blocks": []})
        if who.response_url:
            payload["response_url"] = who.response_url
    payload["actions"] = [{"action_id": action_id, "block_id": block_id, "value": value, "type": "button",
                           "action_ts": f"{time.time():.6f}"}]
    return payload


def modal(callback_id: str, *, meta: Any = None, values: dict | None = None, team: str = "T0") -> dict[str, Any]:
    return {"id": "V0MODAL", "team_id": team, "type": "modal", "callback_id": callback_id,
            "private_metadata": meta if isinstance(meta, str) else json.dumps(meta or {}),
            "state": {"values": values or {}}, "blocks": [], "hash": "1.a", "title": {"type": "plain_text",
                                                                                      "text": "Modal"}}


def reject_values(reason: Any) -> dict[str, Any]:
    return {ids.REASON_BLOCK: {ids.REASON_INPUT: {"type": "plain_text_input", "value": reason}}}


def view_submission(who: Who, view: dict[str, Any]) -> dict[str, Any]:
    payload = _base("view_submission", who)
    payload.update(view=view, response_urls=[])
    return payload


def view_closed(who: Who, view: dict[str, Any]) -> dict[str, Any]:
    payload = _base("view_closed", who)
    payload.update(view=view, is_cleared=False)
    return payload


def block_suggestion(who: Who, *, action_id: str = "vendor_pick", value: str = "ac") -> dict[str, Any]:
    payload = _base("block_suggestion", who)
    payload.update(action_id=action_id, block_id="pick", value=value,
                   container={"type": "view", "view_id": "V0MODAL"}, view=modal("pick_vendor", team=who.team))
    return payload


def event_callback(who: Who, event: dict[str, Any] | None = None) -> dict[str, Any]:
    event = event or {"type": "app_home_opened", "user": who.user, "channel": "D0HOME", "tab": "home",
                      "event_ts": f"{time.time():.6f}"}
    return {"token": "legacy-verification-token", "team_id": who.team, "api_app_id": "A0LEDGERLINK",
            "event": event, "type": "event_callback", "event_id": f"Ev{int(time.time() * 1000)}",
            "event_time": int(time.time()), "authorizations": [{"team_id": who.team, "user_id": "UBOT",
                                                                "is_bot": True}]}


def body_of(kind: str, who: Who) -> tuple[bytes, str]:
    """A well-formed request of `kind` (raw body, content type)."""
    if kind == "slash_command":
        return form_body(slash_command(who))
    if kind == "event_callback":
        return json_body(event_callback(who))
    if kind == "block_actions":
        return payload_body(block_actions(who, action_id=ids.HOME_REFRESH, view={"id": "V0HOME", "type": "home"}))
    if kind == "view_submission":
        return payload_body(view_submission(who, modal(ids.REJECT_VIEW, meta={"item_id": 1},
                                                       values=reject_values("Missing lien waiver"))))
    if kind == "view_closed":
        return payload_body(view_closed(who, modal(ids.REJECT_VIEW, meta={"item_id": 1})))
    if kind == "block_suggestion":
        return payload_body(block_suggestion(who))
    raise ValueError(kind)

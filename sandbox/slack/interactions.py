"""Payloads exactly as Slack sends them to the app: block_actions, view_submission, view_closed,
block_suggestion (interactivity: form field `payload=<json>`), slash commands (form fields) and Events API
`event_callback` (JSON).
https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
https://docs.slack.dev/interactivity/implementing-slash-commands
https://docs.slack.dev/reference/events/app_home_opened
"""

from __future__ import annotations

import time

from sandbox.slack import ids
from sandbox.slack.blockkit import INPUT_ELEMENTS, interactive_elements

SELECT_ONE = {"static_select", "external_select", "overflow", "radio_buttons"}
SELECT_MANY = {"multi_static_select", "multi_external_select", "checkboxes"}
VALUE_KEYS = {"users_select": "selected_user", "multi_users_select": "selected_users",
              "conversations_select": "selected_conversation",
              "multi_conversations_select": "selected_conversations",
              "channels_select": "selected_channel", "multi_channels_select": "selected_channels",
              "datepicker": "selected_date", "timepicker": "selected_time",
              "datetimepicker": "selected_date_time"}


def user_ref(sandbox, user: dict) -> dict:
    return {"id": user["id"], "username": user["name"], "name": user["name"], "team_id": sandbox.ws.team_id}


def team_ref(sandbox) -> dict:
    return {"id": sandbox.ws.team_id, "domain": sandbox.ws.team_domain}


def channel_ref(conv: dict) -> dict:
    return {"id": conv["id"], "name": "directmessage" if conv.get("is_im") else conv["name"]}


def _options(el: dict) -> list[dict]:
    opts = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        opts += group.get("options") or []
    return opts


def _option(el: dict, raw) -> dict | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict):
        return raw
    for opt in _options(el):
        if opt.get("value") == raw:
            return opt
    if el.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(raw), "emoji": True}, "value": str(raw)}
    return None


def initial_raw(el: dict):
    """What an element holds before the user touches it (its initial_* field)."""
    kind = el.get("type")
    if "initial_option" in el:
        return el["initial_option"]
    if "initial_options" in el:
        return el["initial_options"]
    for key in ("initial_value", "initial_date", "initial_time", "initial_user", "initial_conversation",
                "initial_channel", "initial_date_time", "initial_users", "initial_conversations",
                "initial_channels"):
        if key in el:
            return el[key]
    return [] if kind in SELECT_MANY else None


def element_value(el: dict, raw) -> dict:
    """The value fields Slack reports for an element (in `actions[]` and in `state.values`)."""
    kind = el.get("type")
    if kind in SELECT_ONE:
        return {"selected_option": _option(el, raw)}
    if kind in SELECT_MANY:
        chosen = raw if isinstance(raw, list) else [] if raw in (None, "") else [raw]
        return {"selected_options": [o for o in (_option(el, r) for r in chosen) if o]}
    if kind in VALUE_KEYS:
        return {VALUE_KEYS[kind]: raw if raw not in ("",) else None}
    return {"value": None if raw in (None, "") else str(raw)}


def state_values(blocks: list, raw: dict | None) -> dict:
    """`state.values` ({block_id: {action_id: {type, ...value}}}) for the input-like elements in `blocks`.

    `raw` is {block_id: {action_id: value}} as the page or a test entered it; untouched elements report
    their initial value."""
    raw = raw or {}
    values: dict = {}
    for block in blocks or []:
        for el in interactive_elements(block):
            if el.get("type") == "button" or (block.get("type") != "input" and el.get("type") not in INPUT_ELEMENTS
                                              and el.get("type") not in VALUE_KEYS):
                continue
            given = raw.get(block.get("block_id"), {})
            value = given[el["action_id"]] if el["action_id"] in given else initial_raw(el)
            if isinstance(value, dict) and "type" in value and el.get("type") == value.get("type"):
                entry = value  # already in Slack's state shape
            else:
                entry = {"type": el["type"], **element_value(el, value)}
            values.setdefault(block["block_id"], {})[el["action_id"]] = entry
    return values


def action(block: dict, el: dict, raw=None) -> dict:
    """One `actions[]` entry of a block_actions payload."""
    out = {"action_id": el["action_id"], "block_id": block["block_id"]}
    if el["type"] == "button":
        out["text"] = el.get("text")
        if "value" in el:
            out["value"] = el["value"]
        if "style" in el:
            out["style"] = el["style"]
        out["type"] = "button"
    else:
        out["type"] = el["type"]
        out.update(element_value(el, raw))
        if "placeholder" in el:
            out["placeholder"] = el["placeholder"]
    out["action_ts"] = f"{time.time():.6f}"
    return out


def _base(sandbox, kind: str, user: dict) -> dict:
    return {"type": kind, "user": user_ref(sandbox, user), "api_app_id": sandbox.ws.app_id,
            "token": sandbox.verification_token}


def block_actions(sandbox, *, user: dict, actions: list[dict], trigger_id: str, conv: dict | None = None,
                  message: dict | None = None, message_ts: str | None = None, ephemeral: bool = False,
                  view: dict | None = None, response_url: str | None = None, state: dict | None = None) -> dict:
    payload = _base(sandbox, "block_actions", user)
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
    else:
        payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": conv["id"],
                                "is_ephemeral": ephemeral}
    payload.update({"trigger_id": trigger_id, "team": team_ref(sandbox), "enterprise": None,
                    "is_enterprise_install": False})
    if view is not None:
        payload["view"] = view
    else:
        payload["channel"] = channel_ref(conv)
        if message is not None:  # Slack leaves the message out for ephemeral messages
            payload["message"] = message
        payload["state"] = {"values": state or {}}
    if response_url:
        payload["response_url"] = response_url
    payload["actions"] = actions
    return payload


def view_submission(sandbox, *, user: dict, view: dict, trigger_id: str) -> dict:
    payload = _base(sandbox, "view_submission", user)
    payload.update({"team": team_ref(sandbox), "trigger_id": trigger_id, "view": view, "response_urls": [],
                    "enterprise": None, "is_enterprise_install": False})
    return payload


def view_closed(sandbox, *, user: dict, view: dict, is_cleared: bool) -> dict:
    payload = _base(sandbox, "view_closed", user)
    payload.update({"team": team_ref(sandbox), "view": view, "is_cleared": is_cleared, "enterprise": None,
                    "is_enterprise_install": False})
    return payload


def block_suggestion(sandbox, *, user: dict, block: dict, el: dict, value: str, view: dict | None = None,
                     conv: dict | None = None, message: dict | None = None) -> dict:
    payload = _base(sandbox, "block_suggestion", user)
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
    else:
        payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": conv["id"],
                                "is_ephemeral": False}
    payload.update({"action_id": el["action_id"], "block_id": block["block_id"], "value": value,
                    "team": team_ref(sandbox), "enterprise": None, "is_enterprise_install": False})
    if view is not None:
        payload["view"] = view
    else:
        payload["channel"] = channel_ref(conv)
        payload["message"] = message
    return payload


def slash_command(sandbox, *, user: dict, conv: dict, command: str, text: str, response_url: str,
                  trigger_id: str) -> dict[str, str]:
    """The form fields of a slash command request, in Slack's order."""
    return {"token": sandbox.verification_token, "team_id": sandbox.ws.team_id,
            "team_domain": sandbox.ws.team_domain, "channel_id": conv["id"],
            "channel_name": channel_ref(conv)["name"], "user_id": user["id"], "user_name": user["name"],
            "command": command, "text": text, "api_app_id": sandbox.ws.app_id, "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": trigger_id}


def event_callback(sandbox, event: dict) -> dict:
    """The Events API envelope around one event."""
    now = int(time.time())
    return {"token": sandbox.verification_token, "team_id": sandbox.ws.team_id, "context_team_id":
            sandbox.ws.team_id, "context_enterprise_id": None, "api_app_id": sandbox.ws.app_id, "event": event,
            "type": "event_callback", "event_id": ids.event_id(), "event_time": now,
            "authorizations": [{"enterprise_id": None, "team_id": sandbox.ws.team_id,
                                "user_id": sandbox.ws.bot_user_id, "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": f"4-{ids.short_id(40)}"}


def app_home_opened(sandbox, *, user_id: str, channel_id: str, tab: str, view: dict | None) -> dict:
    event = {"type": "app_home_opened", "user": user_id, "channel": channel_id, "tab": tab}
    if view is not None:
        event["view"] = view
    event["event_ts"] = f"{time.time():.6f}"
    return event

"""What a user does in the Slack client, turned into signed requests to the app, and the app's ack applied
as Slack applies it. The page (/_sandbox/ui/*) and the test endpoints (/_sandbox/actions/click, ...) share
these functions, so both send exactly the same payloads.

Each returns a JSON-able outcome: {"ok": acked?, "status", "body", "error", "elapsed_ms", ...}.
`error` uses Slack's words: operation_timeout (no ack within 3 s), dispatch_failed (unreachable),
http_error (non-200).
"""

from __future__ import annotations

import copy
import json
import urllib.parse

from sandbox.slack import interactions as payloads
from sandbox.slack.api import ApiError
from sandbox.slack.blockkit import find_element, validate_blocks
from sandbox.slack.methods_chat import post_bot_message
from sandbox.slack.methods_views import checked_view, push_modal, replace_view
from sandbox.slack.signing import Delivery, deliver

SLACKBOT = "USLACKBOT"


class NotFound(Exception):
    """The thing a click or submission refers to does not exist (HTTP 404 from the test endpoints)."""


def _send(sandbox, kind: str, user_id: str | None, body: bytes, content_type: str, shown: dict) -> Delivery:
    result = deliver(sandbox.app_url, body, secret=sandbox.signing_secret, content_type=content_type,
                     timeout=sandbox.ack_timeout)
    sandbox.store.log_interaction(kind=kind, user=user_id, request=shown, status=result.status,
                                  body=result.body, error=result.error, elapsed_ms=result.elapsed_ms)
    return result


def _send_payload(sandbox, kind: str, user_id: str, payload: dict) -> Delivery:
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    return _send(sandbox, kind, user_id, body, "application/x-www-form-urlencoded", payload)


def _outcome(result: Delivery, **extra) -> dict:
    body: object = result.body
    if "json" in (result.content_type or "") and result.body:
        try:
            body = json.loads(result.body)
        except ValueError:
            pass
    return {"ok": result.acked, "status": result.status, "body": body, "error": result.error,
            "elapsed_ms": result.elapsed_ms, **extra}


def _user(sandbox, user_id: str | None) -> dict:
    user = sandbox.store.user(user_id or "")
    if user is None:
        raise NotFound(f"user_not_found: {user_id}")
    return user


def _ack_json(result: Delivery) -> dict | None:
    if not result.acked or not result.body.strip():
        return None
    try:
        body = json.loads(result.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# clicks ---------------------------------------------------------------------------------------------------
def click(sandbox, *, user: str, action_id: str, channel: str | None = None, ts: str | None = None,
          view_id: str | None = None, block_id: str | None = None, value=None, values: dict | None = None) -> dict:
    """A click (or selection) on an interactive element of a message or a view ⇒ block_actions."""
    who = _user(sandbox, user)
    trigger = sandbox.new_trigger(who["id"])
    if view_id:
        row = sandbox.store.view_row(view_id)
        if row is None or not row["open"] or row["user"] != who["id"]:
            raise NotFound(f"view_not_found: {view_id}")
        view = copy.deepcopy(row["view"])
        found = find_element(view["blocks"], action_id, block_id)
        if found is None:
            raise NotFound(f"action_not_found: {action_id}")
        view["state"] = {"values": payloads.state_values(view["blocks"], values)}
        payload = payloads.block_actions(sandbox, user=who, actions=[payloads.action(*found, raw=value)],
                                         trigger_id=trigger, view=view)
    else:
        conv = sandbox.resolve_channel(channel, names=True)
        if conv is None:
            raise NotFound(f"channel_not_found: {channel}")
        message, ephemeral = sandbox.store.message(conv["id"], ts or ""), False
        if message is None:
            message, ephemeral = sandbox.store.message(conv["id"], ts or "", ephemeral_to=who["id"]), True
        if message is None:
            raise NotFound(f"message_not_found: {channel} {ts}")
        found = find_element(message.get("blocks") or [], action_id, block_id)
        if found is None:
            raise NotFound(f"action_not_found: {action_id}")
        hook = sandbox.new_hook("actions", user=who["id"], channel=conv["id"], message_ts=message["ts"],
                                ephemeral=ephemeral)
        payload = payloads.block_actions(
            sandbox, user=who, actions=[payloads.action(*found, raw=value)], trigger_id=trigger, conv=conv,
            message=None if ephemeral else message, message_ts=message["ts"], ephemeral=ephemeral,
            response_url=hook, state=payloads.state_values(message.get("blocks") or [], values))
    result = _send_payload(sandbox, "block_actions", who["id"], payload)
    return _outcome(result, trigger_id=trigger, payload=payload)


# slash commands -------------------------------------------------------------------------------------------
def command(sandbox, *, user: str, text: str, channel: str | None = None, command: str | None = None) -> dict:
    """The user sends `/command text` in a conversation ⇒ a slash command request; the ack is shown."""
    who = _user(sandbox, user)
    if command is None:
        if text.strip().startswith("/"):
            command, _, text = text.strip().partition(" ")
        else:  # "help" means the app's own command, "/ledgerlink help"
            command = sandbox.commands[0] if sandbox.commands else "/ledgerlink"
    if command not in sandbox.commands:
        return {"ok": False, "status": None, "body": None, "error": "invalid_command",
                "elapsed_ms": 0, "shown": f"{command} is not a valid command."}
    conv = sandbox.resolve_channel(channel or "accounting", names=True, users=True)
    if conv is None:
        raise NotFound(f"channel_not_found: {channel}")
    trigger = sandbox.new_trigger(who["id"])
    hook = sandbox.new_hook("commands", user=who["id"], channel=conv["id"])
    form = payloads.slash_command(sandbox, user=who, conv=conv, command=command, text=text.strip(),
                                  response_url=hook, trigger_id=trigger)
    # what the ack shows sits before anything the app posts meanwhile (response_url, chat.postMessage)
    reserved = (sandbox.next_ts(), sandbox.next_ts())
    result = _send(sandbox, "slash_command", who["id"], urllib.parse.urlencode(form).encode(),
                   "application/x-www-form-urlencoded", form)
    shown = _show_command_ack(sandbox, who, conv, command, text, result, reserved)
    return _outcome(result, trigger_id=trigger, response_url=hook, payload=form, shown=shown)


def _show_command_ack(sandbox, who: dict, conv: dict, command: str, text: str, result: Delivery,
                      reserved: tuple[str, str]) -> dict | None:
    """Slack shows the ack body: JSON text/blocks (ephemeral unless response_type=in_channel), or plain text."""
    if not result.acked:
        note = f'{command} failed with the error "{result.error}"'
        msg = {"type": "message", "user": SLACKBOT, "text": note, "ts": reserved[0]}
        sandbox.store.add_message(conv["id"], msg, ephemeral_to=who["id"])
        return {"ephemeral": True, "text": note}
    if not result.body.strip():
        return None
    body = _ack_json(result)
    if body is None:
        body = {"text": result.body}
    elif not (body.get("text") or body.get("blocks") or body.get("attachments")):
        return None
    blocks = body.get("blocks")
    if blocks is not None and validate_blocks(blocks):
        note = f'{command} failed with the error "invalid_blocks"'
        msg = {"type": "message", "user": SLACKBOT, "text": note, "ts": reserved[0]}
        sandbox.store.add_message(conv["id"], msg, ephemeral_to=who["id"])
        return {"ephemeral": True, "text": note}
    in_channel = body.get("response_type") == "in_channel"
    if in_channel:
        sandbox.store.add_message(conv["id"], sandbox.user_message(who["id"], f"{command} {text}".strip(),
                                                                   ts=reserved[0]))
    msg = post_bot_message(sandbox, conv["id"], text=body.get("text"), blocks=blocks,
                           attachments=body.get("attachments"), ephemeral_to=None if in_channel else who["id"],
                           ts=reserved[1])
    return {"ephemeral": not in_channel, "ts": msg["ts"], "text": msg.get("text")}


# views ----------------------------------------------------------------------------------------------------
def _open_view(sandbox, user_id: str, view_id: str | None) -> dict:
    stack = sandbox.store.modal_stack(user_id)
    if view_id:
        row = sandbox.store.view_row(view_id)
        if row is None or not row["open"] or row["user"] != user_id or row["kind"] != "modal":
            raise NotFound(f"view_not_found: {view_id}")
        return row
    if not stack:
        raise NotFound("view_not_found: no open modal")
    return stack[-1]


def submit(sandbox, *, user: str, view_id: str | None = None, values: dict | None = None) -> dict:
    """The user presses the modal's submit button ⇒ view_submission; the ack's response_action applies."""
    who = _user(sandbox, user)
    row = _open_view(sandbox, who["id"], view_id)
    view = copy.deepcopy(row["view"])
    view["state"] = {"values": payloads.state_values(view["blocks"], values)}
    trigger = sandbox.new_trigger(who["id"])
    payload = payloads.view_submission(sandbox, user=who, view=view, trigger_id=trigger)
    result = _send_payload(sandbox, "view_submission", who["id"], payload)
    applied = _apply_submission_ack(sandbox, who["id"], row, view, result)
    return _outcome(result, trigger_id=trigger, payload=payload, view_id=row["id"], **applied)


def _apply_submission_ack(sandbox, user_id: str, row: dict, view: dict, result: Delivery) -> dict:
    if not result.acked:  # Slack keeps the modal open and shows "We had some trouble connecting"
        return {"response_action": None, "closed": False}
    body = _ack_json(result) or {}
    action = body.get("response_action")
    try:
        if action == "errors":
            errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
            sandbox.store.put_view(view, user=user_id, kind="modal", open_=True, root=row["root"],
                                   position=row["position"], errors=errors)
            return {"response_action": "errors", "errors": errors, "closed": False}
        if action == "update":
            new = replace_view(sandbox, row, checked_view(body.get("view")))
            return {"response_action": "update", "view": new, "closed": False}
        if action == "push":
            new = push_modal(sandbox, user_id, checked_view(body.get("view"), kind="modal"))
            return {"response_action": "push", "view": new, "closed": False}
    except ApiError as exc:
        return {"response_action": action, "closed": False, "ack_error": exc.error, **exc.extra}
    if action == "clear":
        sandbox.store.close_views(user_id)
    else:  # an empty ack closes the submitted view (and any pushed above it)
        sandbox.store.close_views(user_id, from_position=row["position"])
    return {"response_action": action, "closed": True}


def close(sandbox, *, user: str, view_id: str | None = None) -> dict:
    """The user closes the modal (Cancel/×): Slack sends view_closed only when notify_on_close is set."""
    who = _user(sandbox, user)
    row = _open_view(sandbox, who["id"], view_id)
    clear = bool(row["view"].get("clear_on_close"))
    sandbox.store.close_views(who["id"], from_position=0 if clear else row["position"])
    if not row["view"].get("notify_on_close"):
        return {"ok": True, "status": None, "body": None, "error": None, "elapsed_ms": 0, "sent": False}
    payload = payloads.view_closed(sandbox, user=who, view=row["view"], is_cleared=clear)
    return _outcome(_send_payload(sandbox, "view_closed", who["id"], payload), sent=True, payload=payload)


# external select options ------------------------------------------------------------------------------------
def suggest(sandbox, *, user: str, action_id: str, value: str = "", block_id: str | None = None,
            view_id: str | None = None, channel: str | None = None, ts: str | None = None) -> dict:
    """Typing in an external_select ⇒ block_suggestion; the ack body carries `options` or `option_groups`."""
    who = _user(sandbox, user)
    if view_id:
        view = _open_view(sandbox, who["id"], view_id)["view"]
        found = find_element(view["blocks"], action_id, block_id)
        kwargs = {"view": view}
    else:
        conv = sandbox.resolve_channel(channel, names=True)
        message = sandbox.store.message(conv["id"], ts or "") if conv else None
        if message is None:
            raise NotFound(f"message_not_found: {channel} {ts}")
        found = find_element(message.get("blocks") or [], action_id, block_id)
        kwargs = {"conv": conv, "message": message}
    if found is None:
        raise NotFound(f"action_not_found: {action_id}")
    payload = payloads.block_suggestion(sandbox, user=who, block=found[0], el=found[1], value=value, **kwargs)
    result = _send_payload(sandbox, "block_suggestion", who["id"], payload)
    body = _ack_json(result) or {}
    options = list(body.get("options") or [])
    for group in body.get("option_groups") or []:
        options += group.get("options") or []
    return _outcome(result, payload=payload, options=options, option_groups=body.get("option_groups"))


# events -----------------------------------------------------------------------------------------------------
def app_home_opened(sandbox, *, user: str, tab: str = "home") -> dict:
    """The user opens the app's Home (or Messages) tab ⇒ the app_home_opened event."""
    who = _user(sandbox, user)
    im = sandbox.store.im_with(who["id"]) or sandbox.open_im(who["id"], mark_open=False)[0]
    home = sandbox.store.home_view(who["id"])
    event = payloads.app_home_opened(sandbox, user_id=who["id"], channel_id=im["id"], tab=tab,
                                     view=home["view"] if home and tab == "home" else None)
    envelope = payloads.event_callback(sandbox, event)
    result = _send(sandbox, "app_home_opened", who["id"], json.dumps(envelope).encode(), "application/json",
                   envelope)
    return _outcome(result, payload=envelope)

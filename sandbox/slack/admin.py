"""Test and admin endpoints under /_sandbox/ (JSON in, JSON out). Not part of Slack.

GET  /_sandbox/info                      workspace ids, users, channels, config
GET  /_sandbox/messages?channel=         messages (oldest first, with `_sandbox.revisions` of every update)
GET  /_sandbox/views?user=               open modal stack, Home view, all views
GET  /_sandbox/calls?method=&since=      the Web API calls the app made
GET  /_sandbox/interactions?since=       what the sandbox sent the app, and the app's answers
GET|POST /_sandbox/config                app_url, ack_timeout, commands, rate_limits, faults
POST /_sandbox/actions/click             {user, channel, ts | view_id, action_id[, block_id, value, values]}
POST /_sandbox/commands                  {user, text[, channel, command]}
POST /_sandbox/views/submit              {user[, view_id, values]}
POST /_sandbox/views/close               {user[, view_id]}
POST /_sandbox/suggestions               {user, action_id, value[, view_id | channel+ts, block_id]}
POST /_sandbox/events/app_home_opened    {user[, tab]}
POST /_sandbox/users                     {name, real_name, email[, title, is_admin, tz, channels]}
POST /_sandbox/reset                     forget messages, views, files and logs
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.slack import dispatch
from sandbox.slack.seed import make_user

bp = Blueprint("slack_admin", __name__, url_prefix="/_sandbox")


def _sandbox():
    return current_app.config["SLACK_SANDBOX"]


def _json() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str, status: int = 400) -> Response:
    resp = jsonify({"ok": False, "error": message})
    resp.status_code = status
    return resp


def _user_id(ref: str | None) -> str | None:
    """A user id, or a user found by name/email (tests may say "dana")."""
    sandbox = _sandbox()
    if not ref or sandbox.store.user(ref):
        return ref
    for user in sandbox.store.users():
        if ref.lower() in (user["name"], (user["profile"].get("email") or "").lower()):
            return user["id"]
    return ref


def _run(fn, **kwargs) -> Response:
    try:
        return jsonify(fn(_sandbox(), **kwargs))
    except dispatch.NotFound as exc:
        return _bad(str(exc), 404)


@bp.get("/info")
def info() -> Response:
    sandbox = _sandbox()
    ws = sandbox.ws
    return jsonify({"ok": True, "team": {"id": ws.team_id, "name": ws.team_name, "domain": ws.team_domain},
                    "app": {"id": ws.app_id, "name": ws.app_name, "bot_id": ws.bot_id,
                            "bot_user_id": ws.bot_user_id},
                    "users": sandbox.store.users(), "channels": sandbox.store.conversations("channel"),
                    "config": sandbox.config()})


@bp.get("/messages")
def messages() -> Response:
    sandbox = _sandbox()
    channel = request.args.get("channel")
    conv_id = None
    if channel:
        conv = sandbox.resolve_channel(channel, names=True)
        if conv is None:
            return _bad("channel_not_found", 404)
        conv_id = conv["id"]
    include_deleted = request.args.get("include_deleted") in ("1", "true")
    msgs = sandbox.store.messages(conv_id, include_deleted=include_deleted)
    return jsonify({"ok": True, "channel": conv_id, "messages": msgs})


@bp.get("/views")
def views() -> Response:
    sandbox = _sandbox()
    user = _user_id(request.args.get("user"))
    if not user:
        return jsonify({"ok": True, "views": sandbox.store.views()})
    home = sandbox.store.home_view(user)
    return jsonify({"ok": True, "user": user, "modals": sandbox.store.modal_stack(user),
                    "home": home, "views": sandbox.store.views(user)})


@bp.get("/calls")
def calls() -> Response:
    since = int(request.args.get("since", 0))
    return jsonify({"ok": True, "calls": _sandbox().store.calls(request.args.get("method"), since)})


@bp.get("/interactions")
def interactions() -> Response:
    return jsonify({"ok": True, "interactions": _sandbox().store.interactions(int(request.args.get("since", 0)))})


@bp.route("/config", methods=["GET", "POST"])
def config() -> Response:
    sandbox = _sandbox()
    if request.method == "GET":
        return jsonify({"ok": True, "config": sandbox.config()})
    try:
        return jsonify({"ok": True, "config": sandbox.configure(_json())})
    except ValueError as exc:
        return _bad(str(exc))


@bp.post("/actions/click")
def click() -> Response:
    b = _json()
    return _run(dispatch.click, user=_user_id(b.get("user")), action_id=b.get("action_id"),
                channel=b.get("channel"), ts=b.get("ts"), view_id=b.get("view_id"), block_id=b.get("block_id"),
                value=b.get("value"), values=b.get("values"))


@bp.post("/commands")
def commands() -> Response:
    b = _json()
    return _run(dispatch.command, user=_user_id(b.get("user")), text=b.get("text", ""),
                channel=b.get("channel"), command=b.get("command"))


@bp.post("/views/submit")
def submit() -> Response:
    b = _json()
    return _run(dispatch.submit, user=_user_id(b.get("user")), view_id=b.get("view_id"), values=b.get("values"))


@bp.post("/views/close")
def close() -> Response:
    b = _json()
    return _run(dispatch.close, user=_user_id(b.get("user")), view_id=b.get("view_id"))


@bp.post("/suggestions")
def suggestions() -> Response:
    b = _json()
    return _run(dispatch.suggest, user=_user_id(b.get("user")), action_id=b.get("action_id"),
                value=b.get("value", ""), block_id=b.get("block_id"), view_id=b.get("view_id"),
                channel=b.get("channel"), ts=b.get("ts"))


@bp.post("/events/app_home_opened")
def home_opened() -> Response:
    b = _json()
    return _run(dispatch.app_home_opened, user=_user_id(b.get("user")), tab=b.get("tab", "home"))


@bp.post("/users")
def add_user() -> Response:
    sandbox = _sandbox()
    b = _json()
    name = b.get("name")
    if not name:
        return _bad("name is required")
    email = b.get("email")
    if email and sandbox.store.user_by_email(email):
        return _bad("email_taken", 409)
    user = make_user(sandbox.ws, name=name, real_name=b.get("real_name") or name.title(), email=email,
                     title=b.get("title", ""), is_admin=bool(b.get("is_admin")),
                     tz=b.get("tz", "America/Los_Angeles"), tz_offset=int(b.get("tz_offset", -28800)),
                     tz_label=b.get("tz_label", "Pacific Standard Time"), user_id=b.get("id"))
    sandbox.store.put_user(user)
    for ref in b.get("channels", ["general", "accounting"]):
        conv = sandbox.resolve_channel(ref, names=True)
        if conv is not None:
            sandbox.store.add_member(conv["id"], user["id"])
    return jsonify({"ok": True, "user": user})


@bp.post("/reset")
def reset() -> Response:
    _sandbox().store.clear_activity()
    return jsonify({"ok": True})

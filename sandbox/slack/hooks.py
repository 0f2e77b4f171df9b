"""URLs Slack hands out that point back at itself: response URLs (like hooks.slack.com/actions/… and
/commands/…), file upload URLs (files.slack.com/upload/v1/…) and private file downloads.

A response URL takes JSON {text, blocks, attachments, response_type, replace_original, delete_original,
thread_ts}; it works 5 times within 30 minutes. Messages are ephemeral unless `response_type: in_channel`.
https://docs.slack.dev/interactivity/handling-user-interaction#message_responses
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.slack.api import ApiError, Args
from sandbox.slack.blockkit import normalize_blocks
from sandbox.slack.methods_chat import message_content, post_bot_message

bp = Blueprint("slack_hooks", __name__)

HOOK_TTL = 30 * 60  # a response_url works for 30 minutes...
HOOK_USES = 5  # ...and 5 times


def _fail(error: str, status: int) -> Response:
    resp = jsonify({"ok": False, "error": error})
    resp.status_code = status
    return resp


def _body() -> dict | None:
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
    else:
        raw = request.form.get("payload") or request.get_data(as_text=True)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    return body if isinstance(body, dict) else None


@bp.route("/<any(actions, commands):kind>/<team>/<number>/<secret>", methods=["POST"])
def respond(kind: str, team: str, number: str, secret: str) -> Response:
    sandbox = current_app.config["SLACK_SANDBOX"]
    hook = sandbox.store.hook(f"{number}/{secret}")
    if hook is None or hook["kind"] != kind or team != sandbox.ws.team_id:
        return _fail("invalid_token", 404)
    if time.time() - hook["created"] > HOOK_TTL:
        return _fail("expired_url", 404)
    if hook["uses"] >= HOOK_USES:
        return _fail("used_url", 404)
    body = _body()
    if body is None:
        return _fail("invalid_payload", 400)
    sandbox.store.log_call(f"response_url:{kind}", body, ok=True, error=None, status=200)
    original_ts = hook["message_ts"] or hook["last_ts"]
    ephemeral_original = bool(hook["ephemeral"]) if hook["message_ts"] else hook["last_ts"] is not None
    target = dict(ephemeral_to=hook["user"]) if ephemeral_original else {}
    if _truthy(body.get("delete_original")):
        if original_ts:
            sandbox.store.delete_message(hook["channel"], original_ts, **target)
        sandbox.store.use_hook(hook["id"], last_ts=None)
        return jsonify({"ok": True})
    try:
        text, blocks, attachments = message_content(Args(body))
    except ApiError as exc:
        return _fail(exc.error, 400)
    original = (sandbox.store.message(hook["channel"], original_ts, **target)
                if original_ts and _truthy(body.get("replace_original")) else None)
    if original is not None:
        new = {k: v for k, v in original.items() if k not in ("blocks", "attachments")}
        new["text"] = text or ""
        if blocks:
            new["blocks"] = normalize_blocks(blocks)
        if attachments:
            new["attachments"] = attachments
        sandbox.store.replace_message(hook["channel"], original_ts, new, **target)
        ts = original_ts
    else:
        in_channel = body.get("response_type") == "in_channel"
        msg = post_bot_message(sandbox, hook["channel"], text=text, blocks=blocks, attachments=attachments,
                               thread_ts=body.get("thread_ts"), ephemeral_to=None if in_channel else hook["user"])
        ts = msg["ts"] if not in_channel else None
    sandbox.store.use_hook(hook["id"], last_ts=ts if hook["kind"] == "commands" else None)
    return jsonify({"ok": True})


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("true", "1")


@bp.route("/upload/v1/<upload_id>", methods=["POST"])
def upload(upload_id: str) -> Response:
    """Step 2 of the v2 upload: the raw bytes (or a multipart `file` field) for a file id."""
    sandbox = current_app.config["SLACK_SANDBOX"]
    file_id, _, key = upload_id.partition(".")
    found = sandbox.store.file(file_id)
    if found is None or found[0].get("upload_key") != key:
        return Response("invalid upload url", status=404, mimetype="text/plain")
    if request.mimetype == "multipart/form-data" and "file" in request.files:
        content = request.files["file"].read()
    else:
        content = request.get_data()
    sandbox.store.put_file(found[0], content)
    return Response(f"OK - {len(content)}", status=200, mimetype="text/plain")


@bp.route("/files-pri/<team_file>/<path:name>", methods=["GET"])
def download(team_file: str, name: str) -> Response:
    """url_private / url_private_download: needs the bot token like files.slack.com does."""
    sandbox = current_app.config["SLACK_SANDBOX"]
    auth = request.headers.get("Authorization", "")
    if auth != f"Bearer {sandbox.bot_token}" and request.args.get("as") is None:
        return Response("", status=302, headers={"Location": "/"})
    found = sandbox.store.file(team_file.rpartition("-")[2])
    if found is None or found[1] is None:
        return Response("not found", status=404, mimetype="text/plain")
    meta, content = found
    mimetype = (meta.get("object") or {}).get("mimetype", "application/octet-stream")
    headers = {"Content-Disposition": f'attachment; filename="{meta["name"]}"'} if name.startswith(
        "download/") else {}
    return Response(content, mimetype=mimetype, headers=headers)

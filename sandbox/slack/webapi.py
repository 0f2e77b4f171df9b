"""The Web API endpoint: `GET|POST /api/<method>`, so `WebClient(base_url="http://host:port/api/")` works.

Like slack.com/api: arguments come as a query string, a form body or a JSON body (then the token must be in
`Authorization: Bearer`); answers are HTTP 200 `{"ok": true, ...}` or `{"ok": false, "error": ...}`, and
HTTP 429 with `Retry-After` when rate-limited. Only the configured bot token is accepted.
https://docs.slack.dev/apis/web-api
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, json, request

from sandbox.slack import methods_chat, methods_directory, methods_files, methods_views  # noqa: F401 - register
from sandbox.slack.api import METHODS, ApiError, Args

bp = Blueprint("slack_webapi", __name__)

# The scopes Slack lists in `X-Accepted-OAuth-Scopes` for each method (any one of them suffices); methods that
# need none (auth.test, chat.getPermalink, views.*) get no such header.
_CONVERSATIONS_READ = "channels:read,groups:read,im:read,mpim:read"
_HISTORY = "channels:history,groups:history,im:history,mpim:history"
ACCEPTED_SCOPES = {
    "team.info": "team:read", "chat.postMessage": "chat:write", "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write", "chat.delete": "chat:write", "users.info": "users:read",
    "users.list": "users:read", "users.lookupByEmail": "users:read.email",
    "conversations.open": "channels:manage,groups:write,im:write,mpim:write",
    "conversations.info": _CONVERSATIONS_READ, "conversations.list": _CONVERSATIONS_READ,
    "conversations.members": _CONVERSATIONS_READ, "conversations.history": _HISTORY,
    "conversations.replies": _HISTORY, "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write", "files.info": "files:read",
}


def _json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    resp.headers["Content-Type"] = "application/json; charset=utf-8"
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _parse() -> tuple[Args, str | None, list[str]]:
    """(arguments, token, warnings) from the request as Slack reads it."""
    args = Args(request.args.to_dict())
    warnings: list[str] = []
    token_arg = args.pop("token", None)
    if request.method == "POST":
        if request.mimetype == "application/json":
            if "charset" not in (request.content_type or "").lower():
                warnings.append("missing_charset")
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                body.pop("token", None)  # JSON bodies must authenticate with the header
                args.update(body)
        else:
            form = request.form.to_dict()
            token_arg = form.pop("token", None) or token_arg
            args.update(form)
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else token_arg
    return args, token or None, warnings


@bp.route("/api/<method_name>", methods=["GET", "POST"])
def call(method_name: str) -> Response:
    sandbox = current_app.config["SLACK_SANDBOX"]
    args, token, warnings = _parse()
    logged = {k: v for k, v in args.items()}
    status, headers = 200, {}
    try:
        handler = METHODS.get(method_name)
        if handler is None:
            raise ApiError("unknown_method", req_method=method_name)
        if not token:
            raise ApiError("not_authed")
        if token != sandbox.bot_token:
            raise ApiError("invalid_auth")
        # an authenticated call: Slack names the token's scopes and those the method accepts
        headers["X-OAuth-Scopes"] = ",".join(sandbox.scopes)
        if method_name in ACCEPTED_SCOPES:
            headers["X-Accepted-OAuth-Scopes"] = ACCEPTED_SCOPES[method_name]
        verdict = sandbox.limiter.check(method_name, token, args.str("channel"))
        if verdict is not None:
            if verdict.retry_after is not None:
                headers["Retry-After"] = str(verdict.retry_after)
            if verdict.error is None:  # a bare HTTP status fault
                raise ApiError("", status=verdict.status)
            raise ApiError(verdict.error, status=verdict.status)
        body = {"ok": True, **handler(sandbox, args)}
    except ApiError as exc:
        status = exc.status
        body = {"ok": False, "error": exc.error, **exc.extra}
        if not exc.error:
            sandbox.store.log_call(method_name, logged, ok=False, error=f"http_{status}", status=status)
            return Response("", status=status, headers=headers)
    except Exception:  # a sandbox bug: say so loudly, in Slack's shape
        current_app.logger.exception("slack sandbox: %s failed", method_name)
        status, body = 500, {"ok": False, "error": "fatal_error"}
    if warnings and body["ok"]:
        body["warning"] = ",".join(warnings)
        meta = body.setdefault("response_metadata", {})
        meta["warnings"] = warnings
    sandbox.store.log_call(method_name, logged, ok=body["ok"], error=body.get("error"), status=status,
                           notes=args.notes)
    return _json_response(body, status, headers)

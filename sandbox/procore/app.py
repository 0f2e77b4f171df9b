"""The Flask application: wiring, and the gate every API request passes before its handler.

Gate order for `/rest/...` (and counting for `/oauth/...`): count the request; rate limit (429 when enabled
and exceeded); injected faults (429/500/503 answered at once, `slow` sleeps, `drop_after_commit` lets the
handler commit and then drops the connection); bearer token (401); `Procore-Company-Id` (400/403).
Every `/rest` response carries the `X-Rate-Limit-*` headers.
"""

from __future__ import annotations

import math
import socket
import time
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import admin, oauth, prostore, resources, seed, web_view, web_view_contracts  # noqa: F401  # its pages hang on web_view.bp
from .config import DEFAULTS, normalize
from .context import authenticate, bearer
from .errors import ApiError, json_response
from .limits import RATE_LIMITED_TEXT
from .state import Sandbox, current
from .webhooks import api as webhooks_api

FAULT_BODIES = {
    "500": {"errors": "Internal Server Error"},
    "503": {"errors": "Service Unavailable"},
}


def create_app(db: str | None = None, seed_profile: str = "demo", rate_limit: int | None = None,
               rate_limit_window: int = 3600, fault_rate: float = 0.0, config: dict[str, Any] | None = None,
               **options: Any) -> Flask:
    """Build a sandbox app. `seed_profile` ("demo"/"none") only seeds an empty store.

    `rate_limit` turns enforcement on with that many requests per `rate_limit_window` seconds; `fault_rate`
    spreads that probability evenly over injected 429, 500 and 503 answers; `config` is a partial config
    document (see config.py), whose top-level keys may also be passed directly (`webhooks={...}`).
    `seed=` is accepted as an alias of `seed_profile`.
    """
    seed_profile = options.pop("seed", seed_profile) or "none"
    overrides: dict[str, Any] = dict(config or {})
    for key in [k for k in options if k in DEFAULTS]:  # config keys may be passed directly: faults=..., webhooks=...
        overrides[key] = options.pop(key)
    if options:
        raise TypeError(f"unknown options: {', '.join(sorted(options))}")
    overrides = normalize(overrides)
    if rate_limit:
        overrides.setdefault("rate_limit", {}).update(enabled=True, limit=int(rate_limit), window=rate_limit_window)
    if fault_rate:
        share = float(fault_rate) / 3
        overrides.setdefault("faults", {}).update({"429": share, "500": share, "503": share})
    sandbox = Sandbox(db, **overrides)
    if seed_profile == "demo" and sandbox.store.is_empty():
        seed.seed_demo(sandbox.store)

    app = Flask("sandbox.procore")
    app.json.sort_keys = False
    app.extensions["procore_sandbox"] = sandbox
    app.register_blueprint(admin.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(prostore.bp)
    app.register_blueprint(webhooks_api.bp)
    app.register_blueprint(web_view.bp)  # the read-only Procore pages people open
    resources.register(app)
    app.before_request(_gate)
    app.after_request(_finish)
    app.register_error_handler(ApiError, lambda exc: exc.response())
    app.register_error_handler(HTTPException, _http_error)
    return app


def _http_error(exc: HTTPException) -> Response:
    return json_response({"errors": exc.description if exc.code != 404 else "Not Found"}, exc.code or 500)


def _gate() -> Response | None:
    path = request.path
    if path.startswith("/_sandbox"):
        return None
    sandbox = current()
    sandbox.requests.count(request.method, path)
    api = path.startswith("/rest/")
    if api:
        verdict = g.rate = sandbox.limiter.hit(bearer() or "anonymous")
        if not verdict.allowed:
            return _rate_limited(max(1, math.ceil(verdict.resets_at - sandbox.clock.now())))
    kind = sandbox.faults.pick(request.method, path)
    if kind:
        sandbox.requests.fault(kind)
    if kind == "429":
        wait = int(sandbox.config["retry_after"])
        if api:
            g.rate = type(g.rate)(False, g.rate.limit, 0, g.rate.reset)
            wait = max(1, g.rate.reset - int(sandbox.clock.now()))
        return _rate_limited(wait)
    if kind in FAULT_BODIES:
        headers = {"Retry-After": str(sandbox.config["retry_after"])} if kind == "503" else {}
        return json_response(FAULT_BODIES[kind], int(kind), headers)
    if kind == "slow":
        time.sleep(float(sandbox.config["slow_seconds"]))
    if kind == "drop_after_commit":
        g.drop = True
    if api:
        authenticate()
    return None


def _rate_limited(retry_after: int) -> Response:
    # The JSON shape Procore's API reference gives its 429 answers: an `error` object carrying the message.
    return json_response({"error": {"error": RATE_LIMITED_TEXT}}, 429, {"Retry-After": str(retry_after)})


def _finish(response: Response) -> Response:
    verdict = getattr(g, "rate", None)
    if verdict is not None:
        response.headers.update(verdict.headers())
    if getattr(g, "drop", False):
        _drop_connection(response)
    return response


def _drop_connection(response: Response) -> None:
    """The change is committed; now lose the answer, as a proxy timeout or reset would."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return

    def broken():  # other servers: start the answer, then break the connection mid-body
        yield b" "
        raise ConnectionAbortedError("sandbox: connection dropped after commit")

    response.response = broken()
    response.headers["Content-Length"] = "64"

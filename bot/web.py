"""The WSGI app: health, Slack (Bolt's Flask adapter), OAuth callbacks and webhooks — with bounded requests.

Every body is limited per route (`BODY_LIMITS`), from Content-Length before anything is read; a chunked body (no
Content-Length) is read only up to the limit. waitress itself is configured on purpose (`WAITRESS`): it buffers a
request before the app sees it, so its own body limit is the largest route's, and idle connections are closed so
slow clients can't use up the connection slots. In production put a reverse proxy with timeouts in front (README).
"""

from __future__ import annotations

import hmac
import io
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, jsonify, request
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot.app import create_app
from bot.graceful import serve_until_signal
from bot.services.runtime import of
from bot.web_routes import register_routes
from core.config import Settings
from core.db import db_status, engine_for
from core.domain.parsing import decoded_too_deep
from sync.http.shared_limits import share_limits
from sync.outbox import default_worker_id

logger = logging.getLogger(__name__)

#: (path prefix, largest body in bytes): Slack sends a few KB (a modal's state at most ~100 KB); webhooks as before
BODY_LIMITS: tuple[tuple[str, int], ...] = (("/slack/", 512 * 1024), ("/webhooks/", 1_000_000))
OTHER_BODY_LIMIT = 16 * 1024  # OAuth pages, /healthz: GETs
#: waitress, set on purpose: room for many slow clients, idle ones closed after 30 s, no body over the largest limit
WAITRESS: dict[str, int] = {"connection_limit": 1000, "channel_timeout": 30, "cleanup_interval": 10,
                            "max_request_body_size": max(limit for _, limit in BODY_LIMITS)}


def body_limit(path: str) -> int:
    return next((limit for prefix, limit in BODY_LIMITS if path.startswith(prefix)), OTHER_BODY_LIMIT)


class BodyLimit:
    """WSGI middleware: 413 for a body over its route's limit, decided before the app reads a byte of it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        limit = body_limit(environ.get("PATH_INFO", ""))
        length = environ.get("CONTENT_LENGTH") or ""
        if length:
            if not (length.isascii() and length.isdigit()) or int(length) > limit:
                return self._too_large(environ, start_response, limit)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = environ["wsgi.input"].read(limit + 1)  # never more than the limit (+1 to know it was over)
            if len(body) > limit:
                return self._too_large(environ, start_response, limit)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start_response)

    @staticmethod
    def _too_large(environ: dict[str, Any], start_response: Callable[..., Any], limit: int) -> list[bytes]:
        logger.warning("request refused: body over %d bytes on %s", limit, environ.get("PATH_INFO"))
        start_response("413 Request Entity Too Large", [("Content-Type", "application/json"), ("Connection", "close")])
        return [b'{"error": "body too large"}']


def create_web_app(settings: Settings, engine: Engine | None = None, bolt_app=None) -> Flask:
    """Build the Flask app. `bolt_app` may be given (tests); otherwise it is built when Slack is configured."""
    engine = engine or engine_for(settings.database_url)
    web = Flask("ledgerlink")
    web.config["LEDGERLINK_ENGINE"] = engine
    web.config["LEDGERLINK_SETTINGS"] = settings

    slack_missing = settings.missing_for_slack_http() if bolt_app is None else []
    if bolt_app is None and not slack_missing:
        bolt_app = create_app(settings)
    web.config["LEDGERLINK_BOLT"] = bolt_app  # serve() waits for its listeners on a graceful stop
    handler = None
    if bolt_app is not None:
        handler = SlackRequestHandler(bolt_app)

    probe = DbProbe(engine)

    @web.get("/healthz")
    def healthz():
        db = probe.status()
        status = 200 if db["ok"] else 503
        if not _may_see_details(settings, request):  # the world learns ok / not ok, nothing about the setup
            return jsonify({"status": "ok" if db["ok"] else "not ok"}), status
        body = {"status": "ok" if db["ok"] else "degraded", "database": db,
                "slack": "configured" if handler else {"missing": slack_missing}}
        return jsonify(body), status

    @web.post("/slack/events")
    def slack_events():
        if handler is None:
            return jsonify({"error": "slack_not_configured", "missing": slack_missing}), 503
        if request.method != "POST":  # the OAuth install pages (bot/slack_install.py) come here too
            return handler.handle(request)
        if not _signed_by_slack(settings, request):
            # checked before Bolt: Bolt parses the body first, and its error handler would then act on a forged
            # body (answer its response_url) when the check itself fails, e.g. on a timestamp that isn't a number
            logger.info("Slack request refused: not signed by Slack")
            return jsonify({"error": "invalid request"}), 401
        try:
            bolt_request = to_bolt_request(request)
            # depth checked on what Bolt decoded (json.loads itself stops near 1,000 levels: RecursionError), not on
            # a second decoding of the form: un-percent-encoding a click's payload cost more than its database reads
            too_deep = decoded_too_deep(bolt_request.body)
        except RecursionError:
            too_deep = True
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            logger.warning("Slack request refused: a signed body that is not a Slack payload (%s)", type(exc).__name__)
            return jsonify({"error": "unreadable_body"}), 400
        if too_deep:
            logger.warning("Slack request refused: JSON nested too deep")
            return jsonify({"error": "unreadable_body"}), 400
        return to_flask_response(handler.app.dispatch(bolt_request))


    register_routes(web, settings)
    web.wsgi_app = BodyLimit(web.wsgi_app)  # type: ignore[method-assign]
    return web


def _may_see_details(settings: Settings, req) -> bool:  # type: ignore[no-untyped-def]
    """/healthz details (dialect, revision, Slack set-up) for a caller on this machine or with the health token."""
    token = settings.health_token.get_secret_value() if settings.health_token else ""
    given = req.args.get("token") or req.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    forwarded = req.headers.get("X-Forwarded-For") or req.headers.get("Forwarded")
    return req.remote_addr in ("127.0.0.1", "::1") and not forwarded  # a proxy on this machine isn't "local"


class DbProbe:
    """`db_status` for /healthz. After a failure the answer is reused for `hold` seconds: a load balancer's probes
    during an outage don't each open a connection to a server that isn't there (the 200 follows within `hold`)."""

    def __init__(self, engine: Engine, hold: float = 0.5) -> None:
        self.engine, self.hold = engine, hold
        self._failed: tuple[float, dict[str, object]] | None = None
        self._lock = threading.Lock()

    def status(self) -> dict[str, object]:
        with self._lock:
            if self._failed is not None and time.monotonic() - self._failed[0] < self.hold:
                return self._failed[1]
        db = db_status(self.engine)
        with self._lock:
            self._failed = None if db["ok"] else (time.monotonic(), db)
        return db


def _signed_by_slack(settings: Settings, req) -> bool:  # type: ignore[no-untyped-def]
    """Slack's signature over the raw body, made less than 5 minutes ago. Without a signing secret here (a Bolt app
    given by a test) Bolt's own check decides."""
    if settings.slack_signing_secret is None:
        return True

    try:
        return SignatureVerifier(settings.slack_signing_secret.get_secret_value()).is_valid_request(
            req.get_data(), dict(req.headers))
    except ValueError:  # a timestamp that isn't a number, a body that isn't UTF-8: not Slack's
        return False


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 3000, threads: int = 8,
          engine: Engine | None = None) -> None:
    """Run the web role with waitress (a production WSGI server) until SIGTERM/SIGINT, then finish the requests
    in flight (bot/graceful.py)."""
    missing = settings.missing_for_slack_http()
    if missing:
        logger.warning("Slack is not configured, /slack/events answers 503 until you set: %s", ", ".join(missing))
    app = create_web_app(settings, engine)
    share_limits(engine, f"web:{default_worker_id()}")
    logger.info("Ledgerlink web listening on http://%s:%s (GET /healthz)", host, port)
    settle = of(app.config["LEDGERLINK_BOLT"]).idle if app.config["LEDGERLINK_BOLT"] is not None else None
    serve_until_signal(app, host=host, port=port, threads=threads, settle=settle, **WAITRESS)

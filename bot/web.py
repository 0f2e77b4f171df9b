"""The WSGI app: health, Slack (Bolt's Flask adapter), and later OAuth callbacks and webhooks."""

from __future__ import annotations

import logging
import threading
import time

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

logger = logging.getLogger(__name__)


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
        body = {"status": "ok" if db["ok"] else "degraded", "database": db,
                "slack": "configured" if handler else {"missing": slack_missing}}
        return jsonify(body), 200 if db["ok"] else 503

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
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            logger.warning("Slack request refused: a signed body that is not a Slack payload (%s)", type(exc).__name__)
            return jsonify({"error": "unreadable_body"}), 400
        return to_flask_response(handler.app.dispatch(bolt_request))


    register_routes(web, settings)
    return web


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
    logger.info("Ledgerlink web listening on http://%s:%s (GET /healthz)", host, port)
    settle = of(app.config["LEDGERLINK_BOLT"]).idle if app.config["LEDGERLINK_BOLT"] is not None else None
    serve_until_signal(app, host=host, port=port, threads=threads, settle=settle)

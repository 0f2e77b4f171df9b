"""The WSGI app: health, Slack (Bolt's Flask adapter), and later OAuth callbacks and webhooks."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy import Engine

from bot.config import Settings
from bot.db import db_status, engine_for

logger = logging.getLogger(__name__)


def create_web_app(settings: Settings, engine: Engine | None = None, bolt_app=None) -> Flask:
    """Build the Flask app. `bolt_app` may be given (tests); otherwise it is built when Slack is configured."""
    engine = engine or engine_for(settings.database_url)
    web = Flask("ledgerlink")
    web.config["LEDGERLINK_ENGINE"] = engine
    web.config["LEDGERLINK_SETTINGS"] = settings

    slack_missing = settings.missing_for_slack_http() if bolt_app is None else []
    if bolt_app is None and not slack_missing:
        from bot.app import create_app

        bolt_app = create_app(settings)
    handler = None
    if bolt_app is not None:
        from slack_bolt.adapter.flask import SlackRequestHandler

        handler = SlackRequestHandler(bolt_app)

    @web.get("/healthz")
    def healthz():
        db = db_status(engine)
        body = {"status": "ok" if db["ok"] else "degraded", "database": db,
                "slack": "configured" if handler else {"missing": slack_missing}}
        return jsonify(body), 200 if db["ok"] else 503

    @web.post("/slack/events")
    def slack_events():
        if handler is None:
            return jsonify({"error": "slack_not_configured", "missing": slack_missing}), 503
        if request.method != "POST":  # the OAuth install pages (bot/services/slack_install.py) come here too
            return handler.handle(request)
        from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response

        try:
            bolt_request = to_bolt_request(request)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            return _unreadable_slack_request(settings, exc)
        return to_flask_response(handler.app.dispatch(bolt_request))

    from bot.web_routes import register_routes

    register_routes(web, settings)
    return web


def _unreadable_slack_request(settings: Settings, exc: Exception):  # type: ignore[no-untyped-def]
    """Bolt reads the body before it checks the signature, and a body that isn't a JSON object makes it raise:
    answer 401 when Slack didn't sign it (like any forged request), else 400 — never a 500."""
    from slack_sdk.signature import SignatureVerifier

    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    try:
        signed = bool(secret) and SignatureVerifier(secret).is_valid_request(request.get_data(),
                                                                             dict(request.headers))
    except UnicodeDecodeError:  # Slack's bodies are UTF-8: this one can't be Slack's
        signed = False
    logger.warning("Slack request refused: %s body that is not a Slack payload (%s)",
                   "a signed" if signed else "an unsigned", type(exc).__name__)
    if not signed:
        return jsonify({"error": "invalid_signature"}), 401
    return jsonify({"error": "unreadable_body"}), 400


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 3000, threads: int = 8) -> None:
    """Run the web role with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    missing = settings.missing_for_slack_http()
    if missing:
        logger.warning("Slack is not configured, /slack/events answers 503 until you set: %s", ", ".join(missing))
    app = create_web_app(settings)
    logger.info("Ledgerlink web listening on http://%s:%s (GET /healthz)", host, port)
    waitress_serve(app, host=host, port=port, threads=threads, ident="ledgerlink")

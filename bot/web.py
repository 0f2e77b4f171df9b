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
        return handler.handle(request)

    from bot.web_routes import register_routes

    register_routes(web, settings)
    return web


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 3000, threads: int = 8) -> None:
    """Run the web role with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    missing = settings.missing_for_slack_http()
    if missing:
        logger.warning("Slack is not configured, /slack/events answers 503 until you set: %s", ", ".join(missing))
    app = create_web_app(settings)
    logger.info("Ledgerlink web listening on http://%s:%s (GET /healthz)", host, port)
    waitress_serve(app, host=host, port=port, threads=threads, ident="ledgerlink")

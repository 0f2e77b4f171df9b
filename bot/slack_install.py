"""Multi-workspace install: Bolt's OAuthSettings over slack_sdk's SQLAlchemy installation and state stores, on
the project's database (their tables are created with the stores' own metadata at start-up, `checkfirst`).

Used when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. `register(flask_app, settings)` (listed in
bot/web_routes.py) serves GET /slack/install and /slack/oauth_redirect through the same Bolt handler as
/slack/events.
"""

from __future__ import annotations

import logging

from flask import Flask
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from core.config import Settings

logger = logging.getLogger(__name__)

BOT_SCOPES = ("chat:write", "chat:write.public", "commands", "im:write", "users:read", "users:read.email",
              "files:write")
INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"


def multi_workspace(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    store = SQLAlchemyInstallationStore(client_id=settings.slack_client_id or "", engine=engine)
    store.metadata.create_all(engine, checkfirst=True)
    return store


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    store = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    store.metadata.create_all(engine, checkfirst=True)
    return store


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    assert settings.slack_client_secret is not None
    return OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES), installation_store=installation_store(settings, engine),
        state_store=state_store(engine), install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        redirect_uri=f"{settings.public_url.rstrip('/')}{REDIRECT_PATH}")


def register(app: Flask, settings: Settings) -> None:
    """GET install/redirect → the Bolt handler mounted at /slack/events (Bolt routes by path and method)."""
    if not multi_workspace(settings):
        return

    def bolt_get():  # type: ignore[no-untyped-def]
        return app.view_functions["slack_events"]()

    app.add_url_rule(INSTALL_PATH, "slack_install", bolt_get, methods=["GET"])
    app.add_url_rule(REDIRECT_PATH, "slack_oauth_redirect", bolt_get, methods=["GET"])

"""Bolt app factory: build the App and its Services, then let each handler surface register its listeners."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.services.runtime import TrackedExecutor, Tracker
from bot.slack_clients import make_web_client
from bot.slack_install import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH, installation_store, multi_workspace, state_store
from bot.wiring import build_services
from core.config import Settings
from core.db import engine_for
from handlers import register_all
from handlers.middleware import install

logger = logging.getLogger(__name__)

LISTENER_THREADS = 16  # Bolt acks from its listener pool: keep it wide enough for bursts of clicks


class _TokenInClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, given our client too, warns that the token
    "will be unused" — but our client was built from that very token (make_web_client), so nothing is lost."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_BOLT_LOGGER = logging.getLogger("slack_bolt.App")
if not any(isinstance(f, _TokenInClient) for f in _BOLT_LOGGER.filters):
    _BOLT_LOGGER.addFilter(_TokenInClient())


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """Bolt's multi-workspace install over the project's encrypted stores (bot/slack_install.py)."""
    assert settings.slack_client_secret is not None
    return OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES), installation_store=installation_store(settings, engine),
        state_store=state_store(engine), install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        redirect_uri=f"{settings.public_url.rstrip('/')}{REDIRECT_PATH}")


def create_app(settings: Settings, *, engine: Engine | None = None, client: WebClient | None = None,
               token_verification: bool = True, **services: Any) -> App:
    """The Bolt App: one bot token (SLACK_BOT_TOKEN), or multi-workspace OAuth (SLACK_CLIENT_ID/SECRET).
    `services` override parts of bot.services.runtime.Services (tests: context_for, hooks, operations)."""
    missing = settings.missing_for_slack_http()
    if missing:
        raise ValueError("Slack is not configured: set " + ", ".join(missing))
    assert settings.slack_signing_secret is not None
    engine = engine or engine_for(settings.database_url)
    oauth = multi_workspace(settings) and not settings.slack_bot_token and client is None
    client = client or make_web_client(settings)
    tracker = Tracker()
    app = App(
        name="ledgerlink",  # without a name Bolt reads the caller's file name off inspect.stack(): ~5–50 ms a start
        signing_secret=settings.slack_signing_secret.get_secret_value(), client=client,
        token_verification_enabled=token_verification and not oauth,
        oauth_settings=oauth_settings(settings, engine) if oauth else None,
        process_before_response=False,
        listener_executor=TrackedExecutor(LISTENER_THREADS, tracker, "bolt"),
    )
    build_services(app, settings, engine, client, multi_workspace=oauth, tracker=tracker, **services)
    install(app)
    register_all(app)
    return app

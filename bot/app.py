"""Bolt app factory: build the App, then let each handler surface register its listeners."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import Settings

logger = logging.getLogger(__name__)


def make_web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Slack Web API client with slack_sdk's own retry handlers (429 and dropped connections)."""
    bot_token = token or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None)
    client = WebClient(token=bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=2),
                                  ConnectionErrorRetryHandler(max_retry_count=2)])
    return client


def create_app(settings: Settings, *, token_verification: bool = True) -> App:
    """The Bolt App for one bot token (single workspace). Needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN."""
    missing = settings.missing_for_slack_http()
    if missing:
        raise ValueError("Slack is not configured: set " + ", ".join(missing))
    assert settings.slack_signing_secret is not None
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=make_web_client(settings),
        token_verification_enabled=token_verification,
        process_before_response=False,
    )
    from handlers import register_all

    register_all(app)
    return app

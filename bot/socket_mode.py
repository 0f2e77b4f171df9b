"""`ledgerlink socket`: the same Bolt app as `ledgerlink web`, over Socket Mode (no public URL needed)."""

from __future__ import annotations

import logging

from bot import app as bolt_app
from core.config import Settings

logger = logging.getLogger(__name__)


def serve(settings: Settings) -> int:
    """Connect with SLACK_APP_TOKEN and handle events until Ctrl-C; returns the exit code."""
    if settings.slack_app_token is None:
        logger.error("Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-…, with connections:write)")
        return 2
    missing = settings.missing_for_slack_http()
    if missing:
        logger.error("Slack is not configured: set %s", ", ".join(missing))
        return 2
    # optional at import time: the Socket Mode client needs the websocket package, only this command uses it
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt_app.create_app(settings), settings.slack_app_token.get_secret_value())
    logger.info("Ledgerlink is connected to Slack over Socket Mode; Ctrl-C stops it")
    try:
        handler.start()
    except KeyboardInterrupt:
        handler.close()
    return 0

"""Wiring of metrics and log ids into the running processes (the definitions are in core/metrics.py and
core/logctx.py).

- web: `GET /metrics` (loopback peers, or `Authorization: Bearer $LEDGERLINK_METRICS_TOKEN`), Slack ack latency,
  and one log scope per request so ids bound while handling it (item, outbox, requestid) reach every line;
- worker: `serve_metrics(port)` — the same registry on its own port, bound to 127.0.0.1 by default;
- Slack Web API calls: `SlackCallCounter`, a slack_sdk retry handler that counts every attempt by status code and
  never asks for a retry itself (slack_sdk consults the handlers on every answer, Bolt copies them to the
  per-request clients), so the one place every Slack call goes through is counted.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest, start_http_server
from slack_sdk.http_retry.handler import RetryHandler

from core import logctx, metrics
from core.config import Settings

if TYPE_CHECKING:
    from flask import Flask

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


class SlackCallCounter(RetryHandler):
    """Counts each Slack API attempt by HTTP status ('error' when none came back); never retries."""

    def can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        status = getattr(response, "status_code", None) or getattr(error, "code", None)
        metrics.REMOTE_REQUESTS.labels("slack", metrics.status_label(status)).inc()
        if status == 429:
            metrics.RATE_LIMITED.labels("slack").inc()
        return False


def count_slack_calls(client: Any) -> Any:
    """Put the counter first in a WebClient's retry handlers (before the ones that retry)."""
    if not any(isinstance(h, SlackCallCounter) for h in client.retry_handlers):
        client.retry_handlers.insert(0, SlackCallCounter())
    return client


def may_scrape(settings: Settings, req: Any) -> bool:
    """A matching bearer token, or — when no token is configured — a loopback peer that no proxy forwarded."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    given = req.headers.get("Authorization", "")
    if token:
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return req.remote_addr in LOOPBACK and "X-Forwarded-For" not in req.headers


def register(app: Flask, settings: Settings) -> None:
    """Add /metrics, the Slack ack timer and a log scope per request to the web app."""
    # deferred: Flask (~0.1 s) is the web role's; the worker imports this module for its metrics port and Slack
    # call counter only
    from flask import Response, g, request

    metrics.watch_outbox(app.config["LEDGERLINK_ENGINE"])

    @app.get("/metrics")
    def scrape() -> Response:
        if not may_scrape(settings, request):
            return Response("metrics need Authorization: Bearer $LEDGERLINK_METRICS_TOKEN\n", status=403,
                            mimetype="text/plain")
        return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)

    @app.before_request
    def _start() -> None:
        g.ll_started = time.monotonic()
        g.ll_log_scope = logctx.scope()
        g.ll_log_scope.__enter__()

    @app.teardown_request
    def _finish(_exc: BaseException | None) -> None:
        started = g.pop("ll_started", None)
        if started is not None and request.path == "/slack/events" and request.method == "POST":
            metrics.SLACK_ACK_SECONDS.observe(time.monotonic() - started)
        log_scope = g.pop("ll_log_scope", None)
        if log_scope is not None:
            log_scope.__exit__(None, None, None)


def serve_metrics(engine: Any, port: int, host: str = "127.0.0.1") -> None:
    """The worker's /metrics (any path answers) on its own port, in a daemon thread."""
    metrics.watch_outbox(engine)
    start_http_server(port, addr=host)
    logger.info("metrics on http://%s:%s/metrics", host, port)

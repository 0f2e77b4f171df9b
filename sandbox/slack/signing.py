"""Signing and delivering requests to the app, as Slack does.

Signature: `X-Slack-Signature: v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), with
`X-Slack-Request-Timestamp`. https://docs.slack.dev/authentication/verifying-requests-from-slack
Slack waits 3 seconds for the app's HTTP 200 (the "ack"); later or non-200 answers count as failures.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret, ts, body), "User-Agent": USER_AGENT}


@dataclass
class Delivery:
    """The app's answer to one request: HTTP status, body text, and Slack's name for a failure."""

    status: int | None
    body: str
    content_type: str = ""
    error: str | None = None  # operation_timeout | dispatch_failed | http_error
    elapsed_ms: int = 0
    headers: dict = field(default_factory=dict)

    @property
    def acked(self) -> bool:
        return self.error is None


def deliver(url: str, body: bytes, *, secret: str, content_type: str, timeout: float = 3.0) -> Delivery:
    """POST a signed body to the app and wait at most `timeout` seconds for its ack."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers=signed_headers(secret, body, content_type))
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - the configured app URL
            text = resp.read().decode("utf-8", "replace")
            status, ctype, headers = resp.status, resp.headers.get("Content-Type", ""), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        elapsed = int((time.monotonic() - started) * 1000)
        return Delivery(exc.code, text, exc.headers.get("Content-Type", ""), "http_error", elapsed,
                        dict(exc.headers))
    except TimeoutError:
        return Delivery(None, "", "", "operation_timeout", int((time.monotonic() - started) * 1000))
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        error = "operation_timeout" if isinstance(reason, TimeoutError) else "dispatch_failed"
        return Delivery(None, str(reason), "", error, int((time.monotonic() - started) * 1000))
    elapsed = int((time.monotonic() - started) * 1000)
    error = "operation_timeout" if elapsed > timeout * 1000 else None
    if status >= 300:
        error = "http_error"
    return Delivery(status, text, ctype, error, elapsed, headers)

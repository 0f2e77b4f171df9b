"""RetryPolicy + BaseClient._request: only 429/5xx/timeouts/connection errors are retried, the same request is
resent (same idempotency key), non-idempotent writes are resent only when surely unsent."""

from __future__ import annotations

import httpx
import pytest

from sync.http.base import BaseClient, StaticToken
from sync.http.errors import (
    AuthenticationError,
    ClientError,
    ConnectionFailed,
    RateLimitedError,
    RequestTimeout,
    ServerError,
)
from sync.http.limits import LimiterRegistry
from sync.http.retry import RETRYABLE_ERRORS, RetryPolicy, is_retryable

FAST = RetryPolicy(max_attempts=4, initial_wait=0.001, max_wait=0.01, jitter=0.001, rate_limit_jitter=0.001)


def client_for(handler, *, retry: RetryPolicy = FAST, tokens=None, pause: float = 0.01) -> BaseClient:
    return BaseClient(base_url="http://api.test", account="acct", tokens=tokens or StaticToken("tok"),
                      registry=LimiterRegistry(), retry=retry, rate_limited_pause=pause,
                      transport=httpx.MockTransport(handler))


def scripted(*steps):
    """A handler answering each request with the next step (an int status or an exception to raise)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step, json={"n": len(seen)})

    return handler, seen


@pytest.mark.parametrize("first", [500, 502, 503, 429, httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                                   httpx.RemoteProtocolError("dropped")])
def test_retryable_failure_then_success_resends_the_same_request(first):
    handler, seen = scripted(first, 200)
    with client_for(handler) as client:
        response = client._request("POST", "/things", params={"requestid": "rid-1"}, json={"a": 1}, idempotent=True)
    assert response.json() == {"n": 2}
    assert len(seen) == 2
    assert [r.url.params["requestid"] for r in seen] == ["rid-1", "rid-1"]
    assert seen[0].content == seen[1].content


@pytest.mark.parametrize("status, exc", [(400, ClientError), (404, ClientError), (409, ClientError),
                                         (422, ClientError)])
def test_client_errors_are_not_retried(status, exc):
    handler, seen = scripted(status, 200)
    with client_for(handler) as client, pytest.raises(exc):
        client._request("GET", "/things")
    assert len(seen) == 1


def test_attempts_are_bounded_and_the_last_error_surfaces():
    handler, seen = scripted(503)
    with client_for(handler) as client, pytest.raises(ServerError) as info:
        client._request("GET", "/things")
    assert len(seen) == FAST.max_attempts
    assert info.value.status_code == 503


def test_timeouts_surface_as_request_timeout():
    handler, seen = scripted(httpx.ReadTimeout("slow"))
    with client_for(handler) as client, pytest.raises(RequestTimeout) as info:
        client._request("GET", "/things")
    assert info.value.request_sent is True and len(seen) == FAST.max_attempts


def test_non_idempotent_write_is_not_resent_after_it_may_have_arrived():
    handler, seen = scripted(httpx.ReadTimeout("slow"), 200)
    with client_for(handler) as client, pytest.raises(RequestTimeout):
        client._request("POST", "/things", json={})  # no idempotency key: POST defaults to non-idempotent
    assert len(seen) == 1
    handler, seen = scripted(500, 200)
    with client_for(handler) as client, pytest.raises(ServerError):
        client._request("POST", "/things", json={})
    assert len(seen) == 1


def test_non_idempotent_write_is_resent_when_surely_unsent_or_429():
    handler, seen = scripted(httpx.ConnectError("refused"), 429, 200)
    with client_for(handler) as client:
        assert client._request("POST", "/things", json={}).status_code == 200
    assert len(seen) == 3


def test_retry_after_pauses_the_shared_limiter():
    seen: list[float] = []
    import time

    def handler(request):
        seen.append(time.monotonic())
        if len(seen) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.2"}, text="slow down")
        return httpx.Response(200, json={})

    with client_for(handler, pause=5.0) as client:  # Retry-After wins over the default pause
        client._request("GET", "/things")
        assert client.limiter.pauses == 1
    assert seen[1] - seen[0] >= 0.19


def test_is_retryable_table():
    resp = httpx.Response(429, request=httpx.Request("GET", "http://x"))
    assert is_retryable(RateLimitedError("x", response=resp), idempotent=False)
    assert not is_retryable(ClientError("x", response=resp))
    assert not is_retryable(AuthenticationError("x", response=resp))
    assert not is_retryable(ValueError("x"))
    assert is_retryable(ConnectionFailed("x", request_sent=False), idempotent=False)
    assert not is_retryable(ConnectionFailed("x", request_sent=True), idempotent=False)
    assert set(RETRYABLE_ERRORS) >= {RateLimitedError, ServerError, RequestTimeout}

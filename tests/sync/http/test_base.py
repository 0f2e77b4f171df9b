"""BaseClient: auth header, refresh exactly once on 401, 429 storm under a shared limiter, no secrets in logs."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest

from sync.http.base import BaseClient, StaticToken
from sync.http.errors import AuthenticationError
from sync.http.limits import LimiterRegistry, RateLimitPolicy
from sync.http.retry import RetryPolicy
from tests.sync.http.test_limits import max_in_window

FAST = RetryPolicy(max_attempts=4, initial_wait=0.001, max_wait=0.01, jitter=0.001, rate_limit_jitter=0.001)


class RotatingTokens:
    """A TokenSource whose tokens go t0 -> t1 -> ...; counts refreshes."""

    def __init__(self) -> None:
        self.n = 0
        self.refreshes = 0
        self.lock = threading.Lock()

    def access_token(self, *, rejected: str | None = None) -> str:
        with self.lock:
            if rejected == f"t{self.n}":
                self.n += 1
                self.refreshes += 1
            return f"t{self.n}"


def test_bearer_header_and_refresh_once_on_401():
    tokens = RotatingTokens()
    auths = []

    def handler(request):
        auths.append(request.headers["Authorization"])
        return httpx.Response(200 if request.headers["Authorization"] == "Bearer t1" else 401, json={})

    client = BaseClient(base_url="http://api.test", account="a", tokens=tokens, registry=LimiterRegistry(),
                        retry=FAST, transport=httpx.MockTransport(handler))
    assert client._request("GET", "/x").status_code == 200
    assert auths == ["Bearer t0", "Bearer t1"]
    assert tokens.refreshes == 1


def test_401_after_the_refresh_is_an_auth_error_and_not_a_loop():
    tokens = RotatingTokens()
    calls = []

    def handler(request):
        calls.append(request.headers["Authorization"])
        return httpx.Response(401, json={})

    client = BaseClient(base_url="http://api.test", account="a", tokens=tokens, registry=LimiterRegistry(),
                        retry=FAST, transport=httpx.MockTransport(handler))
    with pytest.raises(AuthenticationError):
        client._request("GET", "/x")
    assert tokens.refreshes == 1 and len(calls) == 2


def test_429_storm_completes_and_the_server_never_sees_more_than_its_limit():
    """The server allows 15 requests per 0.2 s but the client believes 40: it gets 429s, pauses all 50 threads on
    the shared limiter each time, and every request still completes."""
    limit, window = 15, 0.2
    lock = threading.Lock()
    accepted: list[float] = []
    arrivals: list[float] = []
    rejections: list[float] = []

    def handler(request):
        now = time.monotonic()
        with lock:
            arrivals.append(now)
            if max_in_window([t for t in accepted if t > now - window] + [now], window) > limit:
                rejections.append(now)
                body = ("<?xml version='1.0'?><IntuitResponse><Fault type='SERVICE'><Error code='3001'>"
                        "<Message>ThrottleExceeded</Message></Error></Fault></IntuitResponse>")
                return httpx.Response(429, text=body, headers={"Content-Type": "application/xml"})
            accepted.append(now)
        return httpx.Response(200, json={})

    registry = LimiterRegistry()
    client = BaseClient(base_url="http://api.test", account="storm", tokens=StaticToken("t"), registry=registry,
                        policy=RateLimitPolicy(requests=40, window=window, max_concurrent=10),
                        retry=RetryPolicy(max_attempts=30, initial_wait=0.001, max_wait=0.01, jitter=0.001,
                                          rate_limit_jitter=0.01),
                        rate_limited_pause=window, transport=httpx.MockTransport(handler))
    done = []

    def worker(_):
        for _ in range(2):
            client._request("GET", "/x")
            done.append(1)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(done) == 100
    assert rejections, "the scenario should have produced 429s"
    assert max_in_window(accepted, window) <= limit
    assert client.limiter.pauses >= 1
    # after a 429 nothing new arrives until the pause is over (in-flight requests had already arrived)
    first = rejections[0]
    assert not [t for t in arrivals if first + 0.02 < t < first + window * 0.9]


def test_matching_limits_means_no_429_at_all():
    limit, window = 20, 0.15
    lock = threading.Lock()
    accepted: list[float] = []
    in_flight = peak = 0

    def handler(request):
        nonlocal in_flight, peak
        now = time.monotonic()
        with lock:
            accepted.append(now)
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.001)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={})

    client = BaseClient(base_url="http://api.test", account="calm", tokens=StaticToken("t"),
                        registry=LimiterRegistry(), policy=RateLimitPolicy(requests=limit, window=window,
                                                                          max_concurrent=4),
                        retry=FAST, transport=httpx.MockTransport(handler))
    threads = [threading.Thread(target=lambda: client._request("GET", "/x")) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(accepted) == 50
    assert max_in_window(accepted, window) <= limit
    assert peak <= 4


def test_tokens_and_authorization_never_reach_the_logs(caplog):
    secret = "sekrit-access-token-value"

    def handler(request):
        return httpx.Response(401 if request.url.path == "/deny" else 200, json={})

    caplog.set_level(logging.DEBUG)
    client = BaseClient(base_url="http://api.test", account="a", tokens=StaticToken(secret),
                        registry=LimiterRegistry(), retry=FAST, transport=httpx.MockTransport(handler))
    client._request("GET", "/ok")
    with pytest.raises(AuthenticationError):
        client._request("GET", "/deny")
    assert caplog.records, "expected some logging"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in text and "Authorization" not in text and "Bearer" not in text
    assert secret not in repr(StaticToken(secret))


def test_explicit_timeouts_by_default():
    client = BaseClient(base_url="http://api.test", account="a", tokens=None, registry=LimiterRegistry())
    timeout = client._http.timeout
    assert None not in (timeout.connect, timeout.read, timeout.write, timeout.pool)

"""429 waits until X-Rate-Limit-Reset, Remaining: 0 pauses before the next call, 503 honours Retry-After —
through the shared limiter, so every thread of the company waits instead of hammering."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sync.http.limits import LimiterRegistry
from sync.procore.errors import ProcoreRateLimited, ProcoreServerError
from tests.sync.procore.fakes import FakeProcore, json_response

VENDOR = {"id": 1, "name": "ACME"}


def _client(fake: FakeProcore, **kw):
    return fake.client(**kw), fake.stamps


def test_429_waits_until_reset_then_succeeds():
    fake = FakeProcore()
    fake.routes[("GET", "/rest/v1.0/vendors/1")] = lambda r: httpx.Response(200, json=VENDOR)
    reset = int(time.time()) + 2  # epoch seconds, as Procore sends them
    fake.script.append(json_response(429, "Rate limit exceeded", **{
        "X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)}))
    client, stamps = _client(fake)

    assert client.get_vendor(vendor_id=1).name == "ACME"

    assert len(stamps) == 2  # one refusal, one success: no hammering
    assert stamps[1] >= reset - 0.01
    assert client.limiter.pauses >= 1


def test_remaining_zero_on_a_success_pauses_the_next_call_until_reset():
    fake = FakeProcore()
    reset = int(time.time()) + 2
    fake.script.append(json_response(200, VENDOR, **{"X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "0",
                                                     "X-Rate-Limit-Reset": str(reset)}))
    fake.routes[("GET", "/rest/v1.0/vendors/1")] = lambda r: httpx.Response(200, json=VENDOR)
    client, stamps = _client(fake)

    client.get_vendor(vendor_id=1)
    client.get_vendor(vendor_id=1)

    assert len(stamps) == 2 and stamps[1] >= reset - 0.01


def test_all_threads_of_a_company_wait_for_the_reset():
    reset = int(time.time()) + 2
    fake = FakeProcore()
    refused = []
    lock = threading.Lock()

    def vendor(request):
        if time.time() < reset:
            with lock:
                refused.append(time.time())
            return json_response(429, {"message": "Too many requests"}, **{
                "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)})
        return httpx.Response(200, json=VENDOR)

    fake.routes[("GET", "/rest/v1.0/vendors/1")] = vendor
    client, stamps = _client(fake, registry=LimiterRegistry())

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: client.get_vendor(vendor_id=1), range(16)))

    assert all(v.name == "ACME" for v in results)
    # only requests already in flight when the first 429 came back can be refused; the rest waited
    assert len(refused) <= 8
    assert len(stamps) == 16 + len(refused)


def test_503_retry_after_is_honoured():
    fake = FakeProcore()
    fake.routes[("GET", "/rest/v1.0/vendors/1")] = lambda r: httpx.Response(200, json=VENDOR)
    fake.script.append(json_response(503, "Service Unavailable", **{"Retry-After": "1"}))
    client, stamps = _client(fake)

    assert client.get_vendor(vendor_id=1).name == "ACME"
    assert len(stamps) == 2 and stamps[1] - stamps[0] >= 0.95


def test_429_that_never_clears_surfaces_with_retry_after():
    fake = FakeProcore()
    fake.script.extend([json_response(429, {"message": "slow down"}, **{"Retry-After": "0.05"})] * 4)
    client, stamps = _client(fake)
    with pytest.raises(ProcoreRateLimited) as info:
        client.get_vendor(vendor_id=1)
    assert len(stamps) == 4
    assert info.value.retry_after == pytest.approx(0.05)


def test_503_on_a_write_is_not_resent():
    fake = FakeProcore()
    fake.script.append(json_response(503, "busy", **{"Retry-After": "0"}))
    client, stamps = _client(fake)
    with pytest.raises(ProcoreServerError):
        client.create_vendor(name="ACME")
    assert len(stamps) == 1


def test_429_with_both_headers_waits_for_the_later_one():
    fake = FakeProcore()
    fake.routes[("GET", "/rest/v1.0/vendors/1")] = lambda r: httpx.Response(200, json=VENDOR)
    reset = int(time.time()) + 2
    fake.script.append(json_response(429, "Rate limit exceeded", **{
        "Retry-After": "0", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)}))
    client, stamps = _client(fake)
    client.get_vendor(vendor_id=1)
    assert len(stamps) == 2 and stamps[1] >= reset - 0.01

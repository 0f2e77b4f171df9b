"""Metrics move where the work happens: the outbox gauges (read from the database), the one request method of the
QBO/Procore clients (status codes, 429s, pauses), token refreshes, job runs."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlmodel import Session

from core import metrics
from core.crypto import SecretBox
from core.models import OutboxEntry, SyncCursor, Tenant, utcnow
from sync.http.base import BaseClient, StaticToken
from sync.http.limits import LimiterRegistry
from sync.http.retry import RetryPolicy
from sync.tokens import InvalidGrant, ReauthorizationRequired, TokenStore
from tests.sync.test_tokens import KEY, FakeIdP, new_connection


def value(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_outbox_rows_by_status_and_the_oldest_pending_age(engine):
    registry = CollectorRegistry()
    metrics.watch_outbox(engine, registry)
    with Session(engine) as s:
        tenant = Tenant(name="T")
        s.add(tenant)
        s.commit()
        tenant_id = tenant.id
        for n, (status, age) in enumerate([("pending", 600), ("pending", 5), ("claimed", 60), ("done", 9000),
                                           ("failed", 100)]):
            s.add(OutboxEntry(tenant_id=tenant.id, target="qbo", operation="create-bill", requestid=f"r{n}",
                              status=status, created_at=utcnow() - timedelta(seconds=age)))
        s.add(SyncCursor(tenant_id=tenant.id, job="vendors", last_status="ok",
                         last_run_at=utcnow() - timedelta(seconds=300)))
        s.add(SyncCursor(tenant_id=tenant.id, job="paid"))  # never ran: no series
        s.commit()
    rows = {st: registry.get_sample_value("ledgerlink_outbox_rows", {"status": st})
            for st in ("pending", "claimed", "done", "failed")}
    assert rows == {"pending": 2, "claimed": 1, "done": 1, "failed": 1}
    assert 599 <= registry.get_sample_value("ledgerlink_outbox_oldest_pending_age_seconds") < 700
    assert registry.get_sample_value("ledgerlink_database_up") == 1
    since = registry.get_sample_value("ledgerlink_sync_job_seconds_since_run",
                                      {"job": "vendors", "tenant": str(tenant_id), "status": "ok"})
    assert 299 <= since < 400
    assert registry.get_sample_value("ledgerlink_sync_job_seconds_since_run",
                                     {"job": "paid", "tenant": str(tenant_id), "status": "unknown"}) is None


def test_a_scrape_survives_a_database_that_went_away(tmp_path):
    from sqlalchemy import create_engine

    registry = CollectorRegistry()
    metrics.watch_outbox(create_engine(f"sqlite:///{tmp_path}/absent/x.db"), registry)
    assert registry.get_sample_value("ledgerlink_database_up") == 0


class Echo(BaseClient):
    provider = "testprov"


def test_requests_by_status_429s_and_pauses_are_counted_in_the_one_request_method():
    answers = iter([429, 200, 500, 200])
    transport = httpx.MockTransport(lambda req: httpx.Response(next(answers), json={}, headers={"Retry-After": "0"}))
    client = Echo(base_url="http://x", account="a1", tokens=StaticToken("t"), transport=transport,
                  registry=LimiterRegistry(), retry=RetryPolicy(max_attempts=3, initial_wait=0, max_wait=0, jitter=0))
    before = {s: value("ledgerlink_remote_requests_total", provider="testprov", status=s) for s in ("200", "429",
                                                                                                      "500")}
    paused = value("ledgerlink_limiter_pauses_total", provider="testprov")
    limited = value("ledgerlink_rate_limited_total", provider="testprov")
    client._request("GET", "/a")  # 429 (paused, retried) then 200
    client._request("GET", "/b")  # 500 then 200
    after = {s: value("ledgerlink_remote_requests_total", provider="testprov", status=s) - before[s]
             for s in before}
    assert after == {"200": 2, "429": 1, "500": 1}
    assert value("ledgerlink_rate_limited_total", provider="testprov") - limited == 1
    client.limiter.pause_for(0.01, reason="test")
    assert value("ledgerlink_limiter_pauses_total", provider="testprov") - paused >= 1


def test_transport_failures_count_as_error():
    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=req)

    client = Echo(base_url="http://x", account="a2", tokens=None, transport=httpx.MockTransport(refuse),
                  registry=LimiterRegistry(), retry=RetryPolicy(max_attempts=1))
    before = value("ledgerlink_remote_requests_total", provider="testprov", status="error")
    with pytest.raises(Exception):  # noqa: B017 - the provider's transport error; the count is the point
        client._request("GET", "/c")
    assert value("ledgerlink_remote_requests_total", provider="testprov", status="error") - before == 1


def test_token_refreshes_by_outcome(engine):
    ok = value("ledgerlink_token_refreshes_total", provider="qbo", outcome="ok")
    bad = value("ledgerlink_token_refreshes_total", provider="qbo", outcome="invalid_grant")
    err = value("ledgerlink_token_refreshes_total", provider="qbo", outcome="error")
    idp = FakeIdP(latency=0)
    store = TokenStore(engine, SecretBox(KEY), {"qbo": idp.refresh})
    cid = new_connection(engine, store)
    assert store.access_token(cid) == "A1"
    assert value("ledgerlink_token_refreshes_total", provider="qbo", outcome="ok") - ok == 1

    def down(_token: str):
        raise httpx.ConnectError("down")

    store.register_refresher("qbo", down)
    with pytest.raises(httpx.ConnectError):
        store.access_token(cid, rejected="A1")
    assert value("ledgerlink_token_refreshes_total", provider="qbo", outcome="error") - err == 1

    def refused(_token: str):
        raise InvalidGrant("revoked")

    store.register_refresher("qbo", refused)
    with pytest.raises(ReauthorizationRequired):
        store.access_token(cid, rejected="A1")
    assert value("ledgerlink_token_refreshes_total", provider="qbo", outcome="invalid_grant") - bad == 1


def test_job_duration_and_last_success():
    before = value("ledgerlink_sync_job_seconds_count", job="vendors", tenant="9", outcome="ok")
    metrics.record_job("vendors", 9, 1.5, ok=True)
    metrics.record_job("vendors", 9, 0.5, ok=False)
    assert value("ledgerlink_sync_job_seconds_count", job="vendors", tenant="9", outcome="ok") - before == 1
    assert value("ledgerlink_sync_job_seconds_count", job="vendors", tenant="9", outcome="failed") >= 1
    assert value("ledgerlink_sync_job_last_success_timestamp_seconds", job="vendors", tenant="9") > 1.7e9

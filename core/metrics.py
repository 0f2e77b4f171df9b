"""Every Prometheus metric Ledgerlink exports, in one place (web and worker serve the same registry).

Labels are bounded: provider, status code, operation, job, tenant id — never an item, a URL path with ids, or a
user. The outbox gauges are read from the database when scraped (`OutboxCollector`), so every process shows the
same backlog whoever queued it. This module sits in the ground package so that the engine (`sync/`) and the
Slack side (`bot/`) can both record into it without importing each other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from core.models import OutboxEntry, SyncCursor

NAMESPACE = "ledgerlink"

REMOTE_REQUESTS = Counter(
    "remote_requests", "HTTP requests sent to QuickBooks Online, Procore or Slack, by answer status "
    "('error' when no answer came)", ["provider", "status"], namespace=NAMESPACE)
REMOTE_SECONDS = Histogram(
    "remote_request_seconds", "Time from send to the full answer, per provider", ["provider"], namespace=NAMESPACE,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
RATE_LIMITED = Counter("rate_limited", "429 answers received", ["provider"], namespace=NAMESPACE)
LIMITER_PAUSES = Counter("limiter_pauses", "Times the shared limiter paused a provider account (429, Retry-After, "
                         "X-Rate-Limit-Remaining: 0)", ["provider"], namespace=NAMESPACE)
LIMITER_PAUSE_SECONDS = Counter("limiter_pause_seconds", "Seconds of pause asked for by those pauses", ["provider"],
                                namespace=NAMESPACE)
TOKEN_REFRESHES = Counter(
    "token_refreshes", "OAuth token refreshes by outcome (ok, invalid_grant = needs re-authorisation, error)",
    ["provider", "outcome"], namespace=NAMESPACE)
CLICK_TO_REMOTE = Histogram(
    "click_to_remote_seconds", "From the decision that queued a write (the Accept click) to the write recorded "
    "done — for bills, click-to-Bill", ["operation"], namespace=NAMESPACE,
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600))
OUTBOX_RESULTS = Counter("outbox_results", "Outbox entries run, by the status they ended in", ["status"],
                         namespace=NAMESPACE)
JOB_SECONDS = Histogram(
    "sync_job_seconds", "Duration of one sync job run", ["job", "tenant", "outcome"], namespace=NAMESPACE,
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900))
JOB_LAST_SUCCESS = Gauge("sync_job_last_success_timestamp_seconds",
                         "Unix time of the last successful run of a job for a tenant (this process)",
                         ["job", "tenant"], namespace=NAMESPACE)
SLACK_ACK_SECONDS = Histogram(
    "slack_ack_seconds", "Time to answer a request Slack sent to /slack/events (Slack gives up after 3 s)",
    namespace=NAMESPACE, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5))


def status_label(status: int | None) -> str:
    """An HTTP status as a label value; None (no answer: timeout, refused) becomes 'error'."""
    return "error" if status is None else str(status)


def record_remote(provider: str, status: int | None, seconds: float) -> None:
    """One request to a remote API, from the one place each client sends."""
    REMOTE_REQUESTS.labels(provider, status_label(status)).inc()
    REMOTE_SECONDS.labels(provider).observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(provider).inc()


def record_pause(provider: str, seconds: float) -> None:
    LIMITER_PAUSES.labels(provider).inc()
    LIMITER_PAUSE_SECONDS.labels(provider).inc(max(0.0, seconds))


def record_job(job: str, tenant: int | str, seconds: float, *, ok: bool) -> None:
    JOB_SECONDS.labels(job, str(tenant), "ok" if ok else "failed").observe(seconds)
    if ok:
        JOB_LAST_SUCCESS.labels(job, str(tenant)).set(time.time())


def record_outbox_result(status: str, operation: str, queued_at: datetime | None) -> None:
    OUTBOX_RESULTS.labels(status).inc()
    if status == "done" and queued_at is not None:
        CLICK_TO_REMOTE.labels(operation).observe(max(0.0, (_utcnow() - _aware(queued_at)).total_seconds()))


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class OutboxCollector(Collector):
    """Read from the database at scrape time (the same in every process, across restarts): outbox rows by status,
    the age of the oldest pending row, and the seconds since each job's last run per tenant, labelled with how that
    run ended (`status="ok"`: time since the last success)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rows = GaugeMetricFamily(f"{NAMESPACE}_outbox_rows", "Outbox rows by status", labels=["status"])
        oldest = GaugeMetricFamily(f"{NAMESPACE}_outbox_oldest_pending_age_seconds",
                                   "Age of the oldest pending or claimed outbox row (0 when none)")
        try:
            with self.engine.connect() as conn:
                counts = dict(conn.execute(select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)).all())
                first = conn.execute(select(func.min(OutboxEntry.created_at)).where(
                    OutboxEntry.status.in_(("pending", "claimed")))).scalar()  # type: ignore[attr-defined]
                runs = conn.execute(select(SyncCursor.job, SyncCursor.tenant_id, SyncCursor.last_status,
                                           SyncCursor.last_run_at).where(SyncCursor.last_run_at.is_not(None))).all()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is away; the gauge says so
            up = GaugeMetricFamily(f"{NAMESPACE}_database_up", "1 when the last scrape could read the database")
            up.add_metric([], 0)
            yield up
            return
        for status in ("pending", "claimed", "done", "failed", *sorted(set(counts) - {"pending", "claimed", "done",
                                                                                      "failed"})):
            rows.add_metric([status], counts.get(status, 0))
        oldest.add_metric([], max(0.0, (_utcnow() - _aware(first)).total_seconds()) if first else 0.0)
        since = GaugeMetricFamily(f"{NAMESPACE}_sync_job_seconds_since_run",
                                  "Seconds since a job's last run for a tenant, by how it ended (ok | failed)",
                                  labels=["job", "tenant", "status"])
        now = _utcnow()
        for job, tenant, status, at in runs:
            since.add_metric([job, str(tenant), status or "unknown"], max(0.0, (now - _aware(at)).total_seconds()))
        up = GaugeMetricFamily(f"{NAMESPACE}_database_up", "1 when the last scrape could read the database")
        up.add_metric([], 1)
        yield rows
        yield oldest
        yield since
        yield up


_outbox_collectors: dict[int, OutboxCollector] = {}


def watch_outbox(engine: Any, registry: CollectorRegistry = REGISTRY) -> None:
    """Report the outbox of `engine` on `registry` (once per registry: a second web app in a test replaces it)."""
    old = _outbox_collectors.pop(id(registry), None)
    if old is not None:
        registry.unregister(old)
    collector = OutboxCollector(engine)
    registry.register(collector)
    _outbox_collectors[id(registry)] = collector

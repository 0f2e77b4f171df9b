"""Accepting Procore webhook deliveries: authenticity, parsing, dedupe on `ulid`, enqueue a SyncRequest.

Procore retries a delivery for up to ~12 h until it gets a 2xx, so the same `ulid` arrives more than once and
sometimes twice at the same moment. The dedupe row and the SyncRequest are written in one transaction with
`INSERT … ON CONFLICT DO NOTHING` on the unique (source, dedupe_key): a concurrent duplicate waits for the first
transaction and then inserts nothing — no IntegrityError, no second SyncRequest. The body only names the record;
the worker fetches it later, never the web request.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core import jsonbody
from core.domain.parsing import loads_bounded
from core.models import Connection, ProcessedWebhook, SyncRequest, Tenant, utcnow

SOURCE = "procore"
MAX_ID = 2**63  # ids are stored as BIGINT


class WebhookPayloadError(ValueError):
    """The delivery body is not a Procore webhook payload; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    ulid: str
    resource_name: str
    event_type: str
    resource_id: str | None = None
    company_id: int | None = None
    project_id: int | None = None
    timestamp: str | None = None
    api_version: str | None = None
    user_id: int | None = None  # the Procore user whose change this is
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def authorization_matches(header: str | None, secret: str | None) -> bool:
    """True when the `Authorization` header carries the hook's shared secret ("Bearer <secret>" or bare).

    Constant-time comparison; an unset secret matches nothing.
    """
    if not header or not secret:
        return False
    value = header.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return hmac.compare_digest(value.encode("utf-8"), secret.encode("utf-8"))


def _opt_int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise WebhookPayloadError(f"{key!r} must be an integer, got {value!r}") from None
    if not 0 < number < MAX_ID:
        raise WebhookPayloadError(f"{key!r} is not a Procore id: {value!r}")
    return number


def _user_of(data: Mapping[str, Any]) -> int | None:
    """Who made the change (`user_id`, or v2's `metadata.source_user_id`); None when absent or not a number —
    it only attributes the change, so it never makes a delivery invalid."""
    meta = data.get("metadata") if isinstance(data.get("metadata"), Mapping) else {}
    for value in (data.get("user_id"), meta.get("source_user_id")):
        if isinstance(value, int | str) and str(value).isdigit():
            return int(value)
    return None


def parse_delivery(body: bytes | str) -> WebhookDelivery:
    """Read one delivery body (payload formats v2/v3, and v4 with `id`/`resource_type`/`reason`); raise
    WebhookPayloadError naming the problem."""
    try:
        data = loads_bounded(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(f"body is not valid JSON ({exc})") from None
    if jsonbody.has_nul(data):
        raise WebhookPayloadError("a text field holds a NUL character")
    if not isinstance(data, Mapping):
        raise WebhookPayloadError(f"body must be a JSON object, got {type(data).__name__}")
    if "reason" in data and "resource_type" in data:  # payload format v4.0: the ULID is `id`
        data = {**data, "ulid": data.get("id"), "resource_name": data["resource_type"], "event_type": data["reason"]}
    missing = [k for k in ("ulid", "resource_name", "event_type") if not data.get(k)]
    if missing:
        raise WebhookPayloadError("missing " + ", ".join(repr(k) for k in missing))
    ulid = str(data["ulid"])
    if len(ulid) > 128:
        raise WebhookPayloadError("'ulid' is longer than 128 characters")
    resource_name, event_type = str(data["resource_name"]), str(data["event_type"])
    if len(resource_name) > 48 or len(event_type) > 16:
        raise WebhookPayloadError("'resource_name' or 'event_type' is implausibly long")
    resource_id = data.get("resource_id")
    return WebhookDelivery(
        ulid=ulid, resource_name=resource_name, event_type=event_type,
        resource_id=None if resource_id is None else str(resource_id)[:64],
        company_id=_opt_int(data, "company_id"), project_id=_opt_int(data, "project_id"),
        timestamp=None if data.get("timestamp") is None else str(data["timestamp"]),
        api_version=None if data.get("api_version") is None else str(data["api_version"]),
        user_id=_user_of(data), raw=data,
    )


def _insert_ignoring_duplicates(dialect: str):  # type: ignore[no-untyped-def]
    table = ProcessedWebhook.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return pg_insert(table)
    if dialect == "sqlite":
        return sqlite_insert(table)
    raise NotImplementedError(f"webhook dedupe needs ON CONFLICT support; {dialect} is not supported")


def record_delivery(engine: Engine, delivery: WebhookDelivery) -> bool:
    """Remember the delivery and enqueue its SyncRequest; False (and nothing written) if already seen."""
    stmt = (_insert_ignoring_duplicates(engine.dialect.name)
            .values(source=SOURCE, dedupe_key=delivery.ulid, received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["source", "dedupe_key"])
            .returning(ProcessedWebhook.__table__.c.id))  # type: ignore[attr-defined]
    with engine.begin() as conn:
        # RETURNING, not rowcount: with implicit RETURNING psycopg reports rowcount -1 for a 1-row insert
        if conn.execute(stmt).first() is None:
            return False
        tenant_id = _tenant_for_company(conn, delivery.company_id)
        conn.execute(insert(SyncRequest.__table__).values(  # type: ignore[attr-defined]
            tenant_id=tenant_id, source=SOURCE, entity=delivery.resource_name, entity_id=delivery.resource_id,
            operation=delivery.event_type,
            external_account=None if delivery.company_id is None else str(delivery.company_id),
            procore_user_id=delivery.user_id, status="pending", created_at=utcnow(),
        ))
    return True


def _tenant_for_company(conn, company_id: int | None) -> int | None:  # type: ignore[no-untyped-def]
    if company_id is None:
        return None
    tenant_id = conn.execute(select(Tenant.id).where(Tenant.procore_company_id == company_id)
                             .order_by(Tenant.id).limit(1)).scalar()
    if tenant_id is None:
        tenant_id = conn.execute(select(Connection.tenant_id).where(
            Connection.provider == "procore", Connection.external_id == str(company_id))
            .order_by(Connection.id).limit(1)).scalar()
    return tenant_id

"""What the outbox operations in this package share: error classification and JSON-safe copies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from core.jsonbody import parse_time
from sync.context import NotConnected
from sync.http.errors import AuthenticationError, RateLimitedError, ServerError, TransportFailure
from sync.outbox import PermanentError, RetryableError
from sync.qbo.errors import QboError
from sync.qbo.query import select as qbo_select

#: our clock and QBO's may disagree a little; a record created this long before our first attempt is not ours
CLOCK_SKEW = timedelta(minutes=5)


def unauthorized_for_now(exc: Exception) -> bool:
    """A 401 that outlived the client's one refresh-and-resend: the token it was handed had been superseded or
    expired meanwhile (a refresh storm across processes), not a broken connection — a connection that is broken
    fails its refresh (invalid_grant), is marked for re-authorisation, and the next attempt says so. Retry."""
    return isinstance(exc, AuthenticationError) and exc.status_code == 401


def remote_failure(exc: Exception, what: str) -> Exception:
    """The outbox's view of a client error: RetryableError (try later) or PermanentError (a person acts).

    `what` names the write for people, e.g. "Creating the QuickBooks vendor 'ACME Concrete'".
    """
    if isinstance(exc, TransportFailure | RateLimitedError | ServerError) or unauthorized_for_now(exc):
        return RetryableError(f"{what}: {exc}")
    if isinstance(exc, NotConnected):
        return PermanentError(f"{what} did not happen: {exc}")
    hint = getattr(exc, "hint", "") or ""
    if isinstance(exc, AuthenticationError):
        return PermanentError(f"{what} did not happen: {hint.rstrip('.')}, then press Retry.")
    detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
    field_errors = getattr(exc, "field_errors", None)
    if field_errors:
        detail = "; ".join(f"{k} {', '.join(v)}" for k, v in field_errors.items())
    return PermanentError(f"{what} was refused ({detail}). {hint}".strip())


def created_since(record: Mapping[str, Any], not_before: str | None) -> bool:
    """Did QBO create `record` after our first attempt (allowing for clock skew)? Without a bound: yes."""
    bound = parse_time(not_before)
    created = parse_time((record.get("MetaData") or {}).get("CreateTime"))
    if bound is None or created is None:
        return bound is None
    return created >= bound - CLOCK_SKEW


def find_by_name(ctx: Any, entity: str, name: str, *, label: str, field: str = "DisplayName") -> dict[str, Any] | None:
    """The QBO `entity` whose `field` is `name`, active or not (QBO compares names case-insensitively); `label`
    names it for people ("vendor", "project") when the lookup fails."""
    query = qbo_select(entity).where(**{field: name}).where_in("Active", [True, False])
    try:
        rows = ctx.qbo.query(q=query).get(entity) or []
    except QboError as exc:
        raise remote_failure(exc, f"Looking up the QuickBooks {label} '{name}'") from None
    return rows[0] if rows else None

"""The Procore client's plumbing on the shared `BaseClient`: company scoping, JSON in/out, lists, bulk sync.

Everything cross-cutting (limiter, retry, bearer token, refresh-once-on-401) is in `sync.http.base._request`;
this class only adds what is Procore's:

- `Procore-Company-Id` on every call when the client has a company (`for_company()` makes a sibling client);
- responses decoded with Decimal for every non-integer number, request bodies with Decimal/date made JSON-safe;
- `_error_for`: Procore's status codes and varied error bodies → `sync.procore.errors`; a 429 waits until
  `X-Rate-Limit-Reset` (a 503 until `Retry-After`) through the shared limiter's pause, so every thread of the
  company waits instead of hammering; `X-Rate-Limit-Remaining: 0` on a success pauses the same way;
- bulk `/sync` endpoints (≤ 1000 updates a call) whose per-record `errors` become `SyncFailure`s.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self, TypeVar

import httpx

from sync.http.base import BaseClient, TokenSource
from sync.http.errors import TransportFailure, request_surely_unsent
from sync.http.limits import LimiterRegistry, RateLimitHeaders, RateLimitPolicy, parse_retry_after
from sync.procore._parse import decode_json
from sync.procore.errors import (
    COMPANY_HEADER,
    ProcoreApiError,
    ProcoreConnectionError,
    ProcoreError,
    ProcoreRecordError,
    ProcoreTimeout,
    error_from_response,
)
from sync.procore.oauth import ProcoreOAuth
from sync.procore.pagination import DEFAULT_PER_PAGE, Listing
from sync.procore.records import SyncFailure, SyncResult

T = TypeVar("T")

V1 = "/rest/v1.0"
V11 = "/rest/v1.1"  # where Procore serves richer shapes (invoice lines, direct cost lines)
SYNC_BATCH_LIMIT = 1000  # procore.md: bulk /sync takes at most 1000 updates per call
#: Procore publishes no concurrency cap; its windows (hourly + 10-second spike) are enforced from the headers.
PROCORE_POLICY = RateLimitPolicy(max_concurrent=10, max_pause=3600.0)
MIN_RATE_LIMIT_PAUSE = 1.0  # Reset is whole epoch seconds; never retry a 429 sooner than this


def jsonable(value: Any) -> Any:
    """Request bodies: Decimal → "1250.00" (Procore takes money as strings), dates → ISO, recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def attributes(**values: Any) -> dict[str, Any]:
    """Keyword arguments with the unset (None) ones dropped."""
    return {k: v for k, v in values.items() if v is not None}


def filter_params(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """`{"origin_id": "42"}` → `{"filters[origin_id]": "42"}`; lists become comma-separated."""
    out: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if value is None:
            continue
        out[f"filters[{key}]"] = ",".join(str(v) for v in value) if isinstance(value, list | tuple | set) else value
    return out


class ProcoreCore(BaseClient):
    provider = "procore"
    observe_rate_limit_headers = True

    def __init__(self, *, base_url: str, tokens: TokenSource | None, company_id: int | None = None,
                 per_page: int = DEFAULT_PER_PAGE, policy: RateLimitPolicy = PROCORE_POLICY,
                 registry: LimiterRegistry | None = None, rate_limited_pause: float = 10.0, **kwargs: Any) -> None:
        self.company_id = int(company_id) if company_id is not None else None
        self.per_page = per_page
        self._policy = policy
        self._registry = registry
        self._kwargs = kwargs
        super().__init__(base_url=base_url, account=str(self.company_id) if self.company_id else "-",
                         tokens=tokens, policy=policy, registry=registry, rate_limited_pause=rate_limited_pause,
                         **kwargs)

    @classmethod
    def from_settings(cls, settings: Any, *, tokens: TokenSource | None, company_id: int | None = None,
                      **kwargs: Any) -> Self:
        """A client for `settings.procore_api_url`; company from the argument, else PROCORE_COMPANY_ID."""
        return cls(base_url=settings.procore_api_url, tokens=tokens,
                   company_id=company_id if company_id is not None else settings.procore_company_id, **kwargs)

    @classmethod
    def for_connection(cls, store: Any, connection_id: int, *, settings: Any, **kwargs: Any) -> Self:
        """The client of a stored connection: company from the row, tokens from the `sync.tokens.TokenStore`
        (Procore's refresher is registered on the store from `settings` if it has none yet)."""
        info = store.info(connection_id)
        if info.provider != "procore" or not info.external_id:
            raise ValueError(f"connection {connection_id} is not a Procore connection with a company id")
        if "procore" not in store.refreshers:
            ProcoreOAuth.from_settings(settings).register(store)
        kwargs.setdefault("base_url", settings.procore_api_url)
        return cls(tokens=store.source(connection_id), company_id=int(info.external_id), **kwargs)

    def for_company(self, company_id: int) -> Self:
        """A client for another company, sharing this one's connection pool, tokens and retry policy."""
        kwargs = {k: v for k, v in self._kwargs.items()
                  if k not in ("http_client", "transport", "retry", "timeout", "headers", "limiter")}
        return type(self)(base_url=self.base_url, tokens=self.tokens, company_id=company_id,
                          per_page=self.per_page, policy=self._policy, registry=self._registry,
                          rate_limited_pause=self.rate_limited_pause, retry=self.retry, http_client=self._http,
                          **kwargs)

    # -- helpers for the resource modules ----------------------------------------------------------------
    def _scope_headers(self) -> dict[str, str]:
        return {COMPANY_HEADER: str(self.company_id)} if self.company_id is not None else {}

    def _require_company(self) -> int:
        if self.company_id is None:
            raise ProcoreError("this call needs a Procore company: create the client with company_id "
                               "(the tenant's Procore company, or PROCORE_COMPANY_ID)")
        return self.company_id

    def _call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
              idempotent: bool | None = None) -> Any:
        """One request with the company header; the decoded JSON body (None when empty)."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._request(method, path, params=clean or None,
                                 json=jsonable(json) if json is not None else None,
                                 headers=self._scope_headers(), idempotent=idempotent)
        return decode_json(response.content)

    def _one(self, parse: Callable[[Mapping[str, Any]], T], body: Any, what: str, *,
             project_id: int | None = None) -> T:
        if not isinstance(body, Mapping):
            raise ProcoreError(f"Procore {what}: expected a JSON object, got {type(body).__name__}")
        return _in_project(parse, project_id)(body)

    def _list(self, path: str, parse: Callable[[Mapping[str, Any]], T], *, params: Mapping[str, Any] | None = None,
              per_page: int | None = None, project_id: int | None = None) -> Listing[T]:
        return Listing(self, path, _in_project(parse, project_id), params=params,
                       per_page=self.per_page if per_page is None else per_page)

    def _bulk_sync(self, path: str, updates: Sequence[Mapping[str, Any]], parse: Callable[[Mapping[str, Any]], T],
                   *, extra: Mapping[str, Any] | None = None, batch_size: int = SYNC_BATCH_LIMIT) -> SyncResult[T]:
        """PATCH `path` with `{"updates": [...]}` in chunks of ≤ 1000; collect entities and per-record errors."""
        if not 1 <= batch_size <= SYNC_BATCH_LIMIT:
            raise ValueError(f"batch_size must be between 1 and {SYNC_BATCH_LIMIT}")
        entities: list[T] = []
        failures: list[SyncFailure] = []
        calls = 0
        for chunk in _chunks(list(updates), batch_size):
            body = self._call("PATCH", path, json={**(extra or {}), "updates": chunk})
            calls += 1
            if not isinstance(body, Mapping):
                raise ProcoreError(f"Procore PATCH {path}: expected {{entities, errors}}, got {type(body).__name__}")
            for item in body.get("entities") or []:
                try:
                    entities.append(parse(item))
                except ProcoreRecordError as exc:
                    failures.append(_failure({"id": item.get("id") if isinstance(item, Mapping) else None,
                                              "errors": {"base": [str(exc)]}}, chunk))
            failures.extend(_failure(item, chunk) for item in body.get("errors") or [])
        return SyncResult(entities=tuple(entities), failures=tuple(failures), calls=calls)

    # -- BaseClient hooks -----------------------------------------------------------------------------------
    def _error_for(self, response: httpx.Response) -> ProcoreApiError:
        retry_after = parse_retry_after(response.headers)
        if response.status_code == 429:  # wait for X-Rate-Limit-Reset, or Retry-After if that is later
            info = RateLimitHeaders.parse(response.headers)
            if info is not None and info.reset_at is not None:
                until_reset = max(info.reset_at - time.time(), MIN_RATE_LIMIT_PAUSE)
                retry_after = until_reset if retry_after is None else max(retry_after, until_reset)
        return error_from_response(response, retry_after=retry_after)

    def _transport_error(self, exc: httpx.TransportError, request: httpx.Request) -> TransportFailure:
        cls = ProcoreTimeout if isinstance(exc, httpx.TimeoutException) else ProcoreConnectionError
        return cls(f"Procore {request.method} {request.url.copy_with(query=None)}: {type(exc).__name__}: {exc}",
                   request=request, request_sent=not request_surely_unsent(exc))


def _in_project(parse: Callable[[Mapping[str, Any]], T], project_id: int | None) -> Callable[[Mapping[str, Any]], T]:
    """Records of a project-scoped call know their project even when Procore's JSON leaves it out."""
    if project_id is None:
        return parse

    def parse_in_project(data: Mapping[str, Any]) -> T:
        record = parse(data)
        if getattr(record, "project_id", project_id) is None:
            record = dataclasses.replace(record, project_id=project_id)  # type: ignore[type-var]
        return record

    return parse_in_project


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _failure(item: Any, chunk: Sequence[Mapping[str, Any]]) -> SyncFailure:
    """One entry of a sync response's `errors`: `{"id"|"origin_id", "errors": {field: [..]}}` (shapes vary)."""
    if not isinstance(item, Mapping):
        return SyncFailure(id=None, origin_id=None, field_errors={"base": [str(item)]})
    record = item.get("record") if isinstance(item.get("record"), Mapping) else item
    rid, origin_id = record.get("id"), record.get("origin_id")
    errors = item.get("errors")
    if isinstance(errors, Mapping):
        fields = {str(k): [str(m) for m in (v if isinstance(v, list | tuple) else [v])] for k, v in errors.items()}
    elif isinstance(errors, list | tuple):
        fields = {"base": [str(e) for e in errors]}
    else:
        fields = {"base": [str(errors or item.get("message") or "rejected")]}
    update = next((u for u in chunk if (rid is not None and str(u.get("id")) == str(rid))
                   or (origin_id is not None and str(u.get("origin_id")) == str(origin_id))), None)
    return SyncFailure(id=int(rid) if rid is not None and str(rid).isdigit() else None,
                       origin_id=None if origin_id is None else str(origin_id), field_errors=fields, update=update)

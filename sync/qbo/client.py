"""The QuickBooks Online Accounting API client (one instance per realm; thread-safe).

Methods are keyword-only and named for the remote call; each returns the entity dict QBO sent back (unwrapped from
``{"Vendor": {...}, "time": ...}``). Every call carries ``minorversion=75``; every write carries a ``requestid``
(QBO's idempotency key — pass the outbox row's, or one is made for this call and reused by its retries).
Limits per realm (500 req/min, 10 concurrent, 40 batch/min), retry and token refresh live in
`sync.http.base.BaseClient._request`. API reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
and shared/docs/qbo.md.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx

from core import jsonbody, logctx
from sync.http.base import BaseClient, TokenSource
from sync.http.errors import request_surely_unsent
from sync.http.limits import RateLimitPolicy
from sync.qbo.batch import BATCH_LIMIT, BatchItem, BatchResult, chunked
from sync.qbo.errors import (
    Fault,
    FaultError,
    QboApiError,
    QboConnectionError,
    QboTimeout,
    QboTransportError,
    QboValidationError,
    error_from_fault,
    error_from_response,
    fault_from_json,
)
from sync.qbo.query import MAX_RESULTS, Select, select

logger = logging.getLogger(__name__)

PRODUCTION_API_URL = "https://quickbooks.api.intuit.com"
SANDBOX_API_URL = "https://sandbox-quickbooks.api.intuit.com"
MINOR_VERSION = 75
MAX_REQUESTID = 50
#: Intuit's published per-realm limits; benchmarks and tests pass their own policy
QBO_POLICY = RateLimitPolicy(requests=500, window=60.0, max_concurrent=10, batch_requests=40, batch_window=60.0)
#: after a 429 without Retry-After, pause the realm this long (Intuit: "back off about 60 s")
QBO_RATE_LIMITED_PAUSE = 60.0
#: name lists: no delete, only Active=false (qbo.md)
NAME_LISTS = frozenset({"Vendor", "Customer", "Item", "Account", "Class", "Employee", "Department", "Term"})


def api_base_url(settings: Any) -> str:
    """``QBO_API_URL``, else derived from ``QBO_ENVIRONMENT`` (a discovery-document URL ⇒ the same origin)."""
    if getattr(settings, "qbo_api_url", None):
        return settings.qbo_api_url.rstrip("/")
    env = getattr(settings, "qbo_environment", "sandbox")
    if env in ("production", "prod"):
        return PRODUCTION_API_URL
    if env.startswith(("http://", "https://")):
        parts = urlsplit(env)
        return f"{parts.scheme}://{parts.netloc}"
    return SANDBOX_API_URL


def new_requestid() -> str:
    return uuid.uuid4().hex


def _check_requestid(requestid: str | None) -> str:
    rid = requestid or new_requestid()
    if len(rid) > MAX_REQUESTID:
        raise ValueError(f"a QBO requestid is at most {MAX_REQUESTID} characters")
    return rid


def _unwrap(data: Mapping[str, Any], entity: str) -> dict[str, Any]:
    """``{"Vendor": {...}, "time": ...}`` -> the Vendor dict (key matched case-insensitively)."""
    for key, value in data.items():
        if key.lower() == entity.lower() and isinstance(value, dict):
            return value
    raise ValueError(f"QBO answer has no {entity}: keys {sorted(data)}")


class QboClient(BaseClient):
    """One realm's API. ``tokens`` is a `TokenSource` (``TokenStore.source(connection_id)`` in production)."""

    provider = "qbo"

    def __init__(
        self,
        *,
        realm_id: str,
        tokens: TokenSource | None,
        base_url: str | None = None,
        settings: Any = None,
        policy: RateLimitPolicy = QBO_POLICY,
        count_batch_items: bool = False,
        minor_version: int = MINOR_VERSION,
        rate_limited_pause: float = QBO_RATE_LIMITED_PAUSE,
        **kwargs: Any,
    ) -> None:
        if base_url is None:
            if settings is None:  # settings are passed in, never read from a global
                raise TypeError("QboClient needs base_url or settings")
            base_url = api_base_url(settings)
        super().__init__(base_url=base_url, account=str(realm_id), tokens=tokens, policy=policy,
                         rate_limited_pause=rate_limited_pause, **kwargs)
        self.realm_id = str(realm_id)
        self.minor_version = minor_version
        #: Intuit's texts disagree whether each batch item counts against 500/min; True meters every item
        self.count_batch_items = count_batch_items

    @classmethod
    def for_connection(cls, store: Any, connection_id: int, *, settings: Any = None, **kwargs: Any) -> QboClient:
        """The client of a stored connection: realm from the row, tokens from the `sync.tokens.TokenStore`."""
        info = store.info(connection_id)
        if info.provider != "qbo" or not info.external_id:
            raise ValueError(f"connection {connection_id} is not a QBO connection with a realm id")
        return cls(realm_id=info.external_id, tokens=store.source(connection_id), settings=settings, **kwargs)

    # -- plumbing ----------------------------------------------------------------------------------------
    def _call(self, method: str, resource: str, *, entity: str | None = None, params: Mapping[str, Any] | None = None,
              **kwargs: Any) -> dict[str, Any]:
        """One API call under /v3/company/{realm}/; returns decoded JSON; Faults become typed errors."""
        all_params = {**(params or {}), "minorversion": self.minor_version}
        if kwargs.get("json") is not None:  # amounts are Decimal: send them as exact JSON numbers
            kwargs["content"] = jsonbody.encode(kwargs.pop("json"))
            kwargs["headers"] = {"Content-Type": "application/json", **(kwargs.get("headers") or {})}
        try:
            response = self._request(method, f"/v3/company/{self.realm_id}/{resource}", params=all_params, **kwargs)
        except QboApiError as err:
            err.entity = err.entity or entity
            raise
        try:
            data = jsonbody.decode(response.content)
        except ValueError:
            raise error_from_response(response, entity=entity) from None
        fault = fault_from_json(data) if isinstance(data, dict) and "Fault" in data else None
        if fault is not None:  # QBO sometimes says 200 with a Fault body
            raise error_from_fault(response, fault, entity=entity)
        if not isinstance(data, dict):
            raise self._unexpected(resource, "its answer", data, entity)
        return data

    def _unexpected(self, resource: str, what: str, got: Any, entity: str | None) -> QboValidationError:
        """QBO answered 200 with something of the wrong shape: a typed error (not retried) that says so."""
        message = (f"QuickBooks sent {what} to {resource.split('?')[0]} as {type(got).__name__}, not the shape its "
                   "API documents")
        fault = Fault(type="ValidationFault", errors=(FaultError(None, message, "", None),))
        return QboValidationError(response=self._synthetic_response(resource), fault=fault, entity=entity)

    def _error_for(self, response: httpx.Response) -> QboApiError:
        return error_from_response(response)

    def _transport_error(self, exc: httpx.TransportError, request: httpx.Request) -> QboTransportError:
        cls = QboTimeout if isinstance(exc, httpx.TimeoutException) else QboConnectionError
        return cls(f"QBO {request.method} {request.url.path}: {type(exc).__name__}: {exc}", request=request,
                   request_sent=not request_surely_unsent(exc))

    def _log_suffix(self, response: httpx.Response) -> str:
        tid = response.headers.get("intuit_tid")
        return f" intuit_tid={tid}" if tid else ""

    def _bind_log_ids(self, response: httpx.Response) -> None:
        logctx.bind(requestid=response.request.url.params.get("requestid"),
                    intuit_tid=response.headers.get("intuit_tid"))

    # -- entities ----------------------------------------------------------------------------------------
    def create(self, *, entity: str, body: Mapping[str, Any], requestid: str | None = None) -> dict[str, Any]:
        """POST /{entity} — create (body without Id). https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/bill#create-a-bill"""
        if "Id" in body:
            raise ValueError("create() takes a body without Id; use update() to change an existing record")
        data = self._call("POST", entity.lower(), entity=entity, json=dict(body),
                          params={"requestid": _check_requestid(requestid)}, idempotent=True)
        return _unwrap(data, entity)

    def read(self, *, entity: str, id: str) -> dict[str, Any]:  # noqa: A002 - QBO's name
        """GET /{entity}/{id}."""
        data = self._call("GET", f"{entity.lower()}/{id}", entity=entity)
        return _unwrap(data, entity)

    def update(self, *, entity: str, body: Mapping[str, Any], sparse: bool = True,
               requestid: str | None = None) -> dict[str, Any]:
        """POST /{entity} with Id + current SyncToken; ``sparse`` changes only the given fields (5010 if stale)."""
        if "Id" not in body or "SyncToken" not in body:
            raise ValueError("update() needs Id and the current SyncToken in the body")
        payload = {**body, "sparse": bool(sparse)}
        data = self._call("POST", entity.lower(), entity=entity, json=payload,
                          params={"requestid": _check_requestid(requestid)}, idempotent=True)
        return _unwrap(data, entity)

    def delete(self, *, entity: str, id: str, sync_token: str,  # noqa: A002
               requestid: str | None = None) -> dict[str, Any]:
        """POST /{entity}?operation=delete — transactions only (name lists: `deactivate`)."""
        if entity in NAME_LISTS:
            raise ValueError(f"QBO cannot delete a {entity}; use deactivate() (Active=false)")
        data = self._call("POST", entity.lower(), entity=entity, json={"Id": str(id), "SyncToken": str(sync_token)},
                          params={"operation": "delete", "requestid": _check_requestid(requestid)}, idempotent=True)
        return _unwrap(data, entity)

    def deactivate(self, *, entity: str, id: str, sync_token: str,  # noqa: A002
                   requestid: str | None = None) -> dict[str, Any]:
        """Sparse update Active=false — how a name-list record (Vendor, Customer, Item...) is "deleted"."""
        return self.update(entity=entity, body={"Id": str(id), "SyncToken": str(sync_token), "Active": False},
                           requestid=requestid)

    # -- queries -----------------------------------------------------------------------------------------
    def query(self, *, q: str | Select) -> dict[str, Any]:
        """GET /query — one page; returns the ``QueryResponse`` dict (``{}`` when nothing matched)."""
        text = q.build() if isinstance(q, Select) else q
        entity = q.entity if isinstance(q, Select) else None
        if len(text) > 1500:  # long IN (...) lists: POST the text, as python-quickbooks does
            data = self._call("POST", "query", entity=entity, content=text.encode(),
                              headers={"Content-Type": "application/text"}, idempotent=True)
        else:
            data = self._call("GET", "query", entity=entity, params={"query": text})
        page = data.get("QueryResponse") or {}
        if not isinstance(page, dict):
            raise self._unexpected("query", "QueryResponse", page, entity)
        return page

    def query_all(self, *, entity: str | None = None, where: Mapping[str, Any] | None = None,
                  select_: Select | None = None, page_size: int = MAX_RESULTS) -> Iterator[dict[str, Any]]:
        """Every matching row, streamed page by page (STARTPOSITION/MAXRESULTS); never holds more than one page.

        Give either ``entity`` (+ optional ``where`` equalities) or a built ``select_`` (its paging is replaced).
        """
        base = self._selection(entity, where, select_)
        start = 1
        while True:
            page = self.query(q=base.page(start, page_size))
            rows = next((v for k, v in page.items() if k.lower() == base.entity.lower()), None) or []
            if not isinstance(rows, list):
                raise self._unexpected("query", f"the {base.entity} rows", rows, base.entity)
            yield from rows
            if len(rows) < page_size:
                return
            start += len(rows)

    def count(self, *, entity: str | None = None, where: Mapping[str, Any] | None = None,
              select_: Select | None = None) -> int:
        """SELECT COUNT(*) — ``totalCount``."""
        page = self.query(q=self._selection(entity, where, select_).count())
        return int(page.get("totalCount", 0))

    @staticmethod
    def _selection(entity: str | None, where: Mapping[str, Any] | None, select_: Select | None) -> Select:
        if (entity is None) == (select_ is None):
            raise ValueError("give exactly one of entity= or select_=")
        base = select_ if select_ is not None else select(entity)  # type: ignore[arg-type]
        return base.where(**where) if where else base

    # -- batch -------------------------------------------------------------------------------------------
    def batch(self, *, items: Sequence[BatchItem], requestid: str | None = None) -> list[BatchResult]:
        """POST /batch — up to 30 operations in one call; each result holds its entity or its own typed error.

        HTTP 200 even when items fail (qbo.md). Results come back in the order of ``items``.
        """
        if not items:
            return []
        if len(items) > BATCH_LIMIT:
            raise ValueError(f"a QBO batch holds at most {BATCH_LIMIT} items; use batch_all() to chunk")
        bids = [item.bid or str(n) for n, item in enumerate(items, 1)]
        if len(set(bids)) != len(bids):
            raise ValueError("bId values must be unique within a batch")
        body = {"BatchItemRequest": [item.to_request(bid) for item, bid in zip(items, bids, strict=True)]}
        response_data = self._call("POST", "batch", json=body, params={"requestid": _check_requestid(requestid)},
                                   idempotent=True, batch=True, cost=len(items) if self.count_batch_items else 1)
        by_bid = {str(r.get("bId")): r for r in response_data.get("BatchItemResponse") or []}
        results = []
        for item, bid in zip(items, bids, strict=True):
            raw = by_bid.get(bid)
            results.append(BatchResult.from_response(item, bid, raw, self._synthetic_response("batch")))
        return results

    def batch_all(self, *, items: Iterable[BatchItem], requestid: str) -> Iterator[BatchResult]:
        """Any number of items, 30 per call; chunk n is sent with requestid ``{requestid}-{n}`` (stable on rerun)."""
        for n, chunk in enumerate(chunked(items, BATCH_LIMIT)):
            yield from self.batch(items=chunk, requestid=_check_requestid(f"{requestid}-{n}"))

    def _synthetic_response(self, resource: str) -> httpx.Response:
        """A Fault inside a 200 (batch item, upload) has no response of its own: errors point at this stand-in."""
        request = httpx.Request("POST", f"{self.base_url}/v3/company/{self.realm_id}/{resource}")
        return httpx.Response(200, request=request)

    # -- change data capture -----------------------------------------------------------------------------
    def cdc(self, *, entities: Sequence[str], changed_since: datetime | str) -> dict[str, list[dict[str, Any]]]:
        """GET /cdc — what changed since then (≤ 30 days back, ≤ 1000 per entity); deletions as
        ``{"Id": .., "status": "Deleted"}``. Returns ``{entity: [rows]}`` with every asked entity present."""
        if isinstance(changed_since, datetime):
            if changed_since.utcoffset() is None:
                raise ValueError("changed_since must be timezone-aware")
            since = changed_since.isoformat()
        else:
            since = changed_since
        data = self._call("GET", "cdc", params={"entities": ",".join(entities), "changedSince": since})
        out: dict[str, list[dict[str, Any]]] = {e: [] for e in entities}
        blocks = data.get("CDCResponse") or []
        if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
            raise self._unexpected("cdc", "CDCResponse", blocks, None)
        for block in blocks:
            responses = block.get("QueryResponse") or []
            if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
                raise self._unexpected("cdc", "QueryResponse", responses, None)
            for qr in responses:
                for key, value in qr.items():
                    if isinstance(value, list):
                        name = next((e for e in entities if e.lower() == key.lower()), key)
                        out.setdefault(name, []).extend(value)
        for name, rows in out.items():
            if len(rows) >= 1000:
                logger.warning("QBO CDC returned %d %s rows (the cap): narrow changed_since to see the rest",
                               len(rows), name)
        return out

    # -- attachments -------------------------------------------------------------------------------------
    def upload(self, *, entity_ref: Mapping[str, str], filename: str, content: bytes | BinaryIO, content_type: str,
               requestid: str | None = None) -> dict[str, Any]:
        """POST /upload — attach a file to a record, e.g. ``entity_ref={"type": "Invoice", "value": "145"}``.

        Multipart as Intuit documents it: part ``file_metadata_01`` (``attachment.json``, an Attachable with
        AttachableRef → EntityRef) and part ``file_content_01`` (the bytes). `content` may be an open file: httpx
        then sends it 64 KB at a time from the start (again on a retry). Returns the Attachable.
        """
        metadata = {"AttachableRef": [{"EntityRef": {"type": entity_ref["type"], "value": str(entity_ref["value"])}}],
                    "FileName": filename, "ContentType": content_type}
        files = {
            "file_metadata_01": ("attachment.json", json.dumps(metadata).encode(), "application/json"),
            "file_content_01": (filename, content, content_type),
        }
        data = self._call("POST", "upload", entity="Attachable", files=files,
                          params={"requestid": _check_requestid(requestid)}, idempotent=True)
        responses = data.get("AttachableResponse") or []
        first = responses[0] if responses else {}
        fault = fault_from_json(first) if "Fault" in first else None
        if fault is not None:
            raise error_from_fault(self._synthetic_response("upload"), fault, entity="Attachable")
        return _unwrap(first, "Attachable")

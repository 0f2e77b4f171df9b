"""Batch operations (POST /batch): items, results, chunking. https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch

A request holds at most 30 items, each ``{"bId", "operation": create|update|delete, "<Entity>": {...}}`` or
``{"bId", "Query": "select ..."}``. The answer is HTTP 200 even when items fail: each ``BatchItemResponse`` holds
the ``bId`` and one payload key — the entity, a ``QueryResponse`` or a ``Fault``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

import httpx

from sync.qbo.errors import Fault, FaultError, QboApiError, error_from_fault, fault_from_json
from sync.qbo.query import Select

BATCH_LIMIT = 30
OPERATIONS = ("create", "update", "delete", "query")


@dataclass(frozen=True)
class BatchItem:
    """One operation of a batch. Build with the class methods."""

    operation: str
    entity: str | None
    body: Mapping[str, Any] | str
    bid: str | None = None

    @classmethod
    def create(cls, entity: str, body: Mapping[str, Any], *, bid: str | None = None) -> BatchItem:
        return cls("create", entity, dict(body), bid)

    @classmethod
    def update(cls, entity: str, body: Mapping[str, Any], *, sparse: bool = True, bid: str | None = None) -> BatchItem:
        if "Id" not in body or "SyncToken" not in body:
            raise ValueError("a batch update needs Id and SyncToken")
        return cls("update", entity, {**body, "sparse": sparse}, bid)

    @classmethod
    def delete(cls, entity: str, id: str, sync_token: str, *, bid: str | None = None) -> BatchItem:  # noqa: A002
        return cls("delete", entity, {"Id": str(id), "SyncToken": str(sync_token)}, bid)

    @classmethod
    def query(cls, q: str | Select, *, bid: str | None = None) -> BatchItem:
        return cls("query", q.entity if isinstance(q, Select) else None, q.build() if isinstance(q, Select) else q, bid)

    def to_request(self, bid: str) -> dict[str, Any]:
        if self.operation not in OPERATIONS:
            raise ValueError(f"unknown batch operation {self.operation!r}")
        if self.operation == "query":
            return {"bId": bid, "Query": self.body}
        return {"bId": bid, "operation": self.operation, str(self.entity): dict(self.body)}  # type: ignore[arg-type]


@dataclass
class BatchResult:
    """The outcome of one item: ``data`` (the entity or the QueryResponse) or ``error`` (a typed QboApiError)."""

    bid: str
    item: BatchItem
    data: dict[str, Any] | None
    error: QboApiError | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def from_response(cls, item: BatchItem, bid: str, raw: Mapping[str, Any] | None,
                      response: httpx.Response) -> BatchResult:
        if raw is None:
            fault = Fault(type="Ledgerlink", errors=(FaultError(None, f"QBO returned no result for bId {bid}", "",
                                                                None),))
            return cls(bid, item, None, error_from_fault(response, fault, entity=item.entity))
        if "Fault" in raw or "fault" in raw:
            fault = fault_from_json(raw) or Fault()
            return cls(bid, item, None, error_from_fault(response, fault, entity=item.entity))
        if item.operation == "query":
            return cls(bid, item, raw.get("QueryResponse") or {}, None)
        payload = next((v for k, v in raw.items() if k != "bId" and isinstance(v, dict)), None)
        return cls(bid, item, payload, None)


def chunked(items: Iterable[BatchItem], size: int = BATCH_LIMIT) -> Iterator[list[BatchItem]]:
    """Split any iterable into lists of at most `size` (streams; never materialises the whole input)."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk

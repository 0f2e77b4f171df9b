"""`qbo.attach_file` with the real Procore and QBO clients over transports that stream: a 50 MB document goes from
its signed Procore link to QuickBooks' /upload without ever sitting in memory whole (the peak of Python's
allocations while it runs is measured), and the bytes QuickBooks receives are the document's."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from types import SimpleNamespace

import httpx

from core.models import OutboxEntry
from sync.http.base import StaticToken
from sync.http.retry import NO_RETRY
from sync.procore.client import ProcoreClient
from sync.qbo.client import QboClient
from sync.writes.attachments import AttachFile, _unique, documents_of

SIZE = 50 * 1024 * 1024
CHUNK = 64 * 1024
PATTERN = bytes(range(256)) * (CHUNK // 256)
FILE_URL = "https://storage.procore.example/files/11/drawings.pdf?sig=abc"


class PatternStream(httpx.SyncByteStream):
    """A file of `size` bytes made while it is read (the test itself holds no 50 MB either)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __iter__(self) -> Iterator[bytes]:
        left = self.size
        while left > 0:
            chunk = PATTERN[:left]
            left -= len(chunk)
            yield chunk


class Procore(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "storage.procore.example":
            assert "Authorization" not in request.headers  # a signed link: no bearer token goes to the file store
            return httpx.Response(200, headers={"Content-Length": str(SIZE)}, stream=PatternStream(SIZE))
        assert request.url.path == "/rest/v1.1/requisitions/7"
        return httpx.Response(200, json={"id": 7, "project_id": 3, "status": "approved", "attachments": [
            {"id": 11, "name": "drawings.pdf", "url": FILE_URL}]})


class Qbo(httpx.BaseTransport):
    """Reads the multipart upload chunk by chunk, as a server would, and keeps only counts and the metadata."""

    def __init__(self) -> None:
        self.received = 0
        self.largest_chunk = 0
        self.head = b""
        self.declared = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.declared = int(request.headers["Content-Length"])
        for chunk in request.stream:
            if len(self.head) < 4096:
                self.head += chunk[:4096]
            self.received += len(chunk)
            self.largest_chunk = max(self.largest_chunk, len(chunk))
        meta_at = self.head.index(b"{")
        meta, _ = json.JSONDecoder().raw_decode(self.head[meta_at:].decode("latin-1"))
        return httpx.Response(200, json={"AttachableResponse": [{"Attachable": {
            "Id": "5000000001", "SyncToken": "0", "FileName": meta["FileName"], "Size": SIZE,
            "AttachableRef": meta["AttachableRef"]}}]})


def _entry() -> OutboxEntry:
    return OutboxEntry(tenant_id=1, target="qbo", operation="qbo.attach_file", requestid="ll-test-attach-1",
                       payload={"entity": {"type": "Bill", "value": "145"}, "item_id": None, "filename": "drawings.pdf",
                                "document": {"id": 11, "name": "drawings.pdf", "content_type": "application/pdf"},
                                "project_id": 3, "requisition_id": 7})


def _context(qbo_transport: Qbo) -> SimpleNamespace:
    """The two real clients a TenantContext holds, over the streaming transports."""
    return SimpleNamespace(
        procore=ProcoreClient(base_url="https://api.procore.example", tokens=StaticToken("t"), company_id=1,
                              transport=Procore(), retry=NO_RETRY),
        qbo=QboClient(realm_id="9341", tokens=StaticToken("t"), base_url="https://qbo.example",
                      transport=qbo_transport, retry=NO_RETRY))


def test_a_50_mb_document_streams_from_procore_to_quickbooks():
    qbo_transport = Qbo()
    ctx = _context(qbo_transport)
    op = AttachFile(lambda _tenant: ctx)
    tracemalloc.start()
    try:
        result = op.execute(_entry())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.remote_id == "5000000001" and result.body["FileName"] == "drawings.pdf"
    assert qbo_transport.received > SIZE and qbo_transport.declared == qbo_transport.received
    assert qbo_transport.largest_chunk <= CHUNK
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB of Python memory for a {SIZE / 1e6:.0f} MB file"


def test_a_document_over_quickbooks_limit_is_refused_without_fetching_it(monkeypatch):
    monkeypatch.setattr("sync.writes.attachments.QBO_MAX_BYTES", 10 * 1024 * 1024)
    qbo_transport = Qbo()
    ctx = _context(qbo_transport)
    result = AttachFile(lambda _tenant: ctx).execute(_entry())
    assert result.remote_id == "" and "larger than the 10 MB QuickBooks takes" in result.body["refused"]
    assert qbo_transport.received == 0


def test_documents_and_unique_names():
    raw = {"attachments": [{"id": 1, "name": "a.pdf", "url": "https://x/1?sig=1"},
                           {"id": 2, "filename": "a.pdf", "url": "https://x/2?sig=2"}, {"id": 3}, "junk"]}
    docs = documents_of(raw)
    assert [d["name"] for d in docs] == ["a.pdf", "a.pdf", "file-3"] and all("url" not in d for d in docs)
    assert _unique(["a.pdf", "a.pdf", "b", "b"]) == ["a.pdf", "a (2).pdf", "b", "b (2)"]

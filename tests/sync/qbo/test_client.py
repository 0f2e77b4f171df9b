"""QboClient against httpx.MockTransport: URLs, minorversion, requestid, unwrapping, paging, batch, CDC, upload."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP

import httpx
import pytest

from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry, RateLimitPolicy
from sync.http.retry import RetryPolicy
from sync.qbo.batch import BatchItem
from sync.qbo.client import PRODUCTION_API_URL, SANDBOX_API_URL, QboClient, api_base_url
from sync.qbo.errors import QboDuplicate, QboNotFound, QboStaleObject, QboValidationError
from sync.qbo.query import select

FAST = RetryPolicy(max_attempts=3, initial_wait=0.001, max_wait=0.01, jitter=0.001, rate_limit_jitter=0.001)
REALM = "9130"


def make_client(handler, **kwargs) -> QboClient:
    return QboClient(realm_id=REALM, tokens=StaticToken("tok"), base_url="http://qbo.test", retry=FAST,
                     registry=LimiterRegistry(), transport=httpx.MockTransport(handler), **kwargs)


class Recorder:
    def __init__(self, reply):
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request):
        self.requests.append(request)
        out = self.reply(request)
        return out if isinstance(out, httpx.Response) else httpx.Response(200, json=out)


def test_create_read_update_delete_urls_params_and_unwrapping():
    rec = Recorder(lambda r: {"Vendor" if "vendor" in r.url.path else "Bill": {"Id": "7", "SyncToken": "1"},
                              "time": "t"})
    c = make_client(rec)
    assert c.create(entity="Vendor", body={"DisplayName": "A"}, requestid="rid-1") == {"Id": "7", "SyncToken": "1"}
    c.read(entity="Vendor", id="7")
    c.update(entity="Vendor", body={"Id": "7", "SyncToken": "0", "CompanyName": "B"}, requestid="rid-2")
    c.delete(entity="Bill", id="7", sync_token="1", requestid="rid-3")
    create, read, upd, delete = rec.requests
    assert all(r.url.params["minorversion"] == "75" for r in rec.requests)
    assert all(r.headers["Authorization"] == "Bearer tok" and r.headers["Accept"] == "application/json"
               for r in rec.requests)
    assert (create.method, create.url.path, create.url.params["requestid"]) == ("POST", f"/v3/company/{REALM}/vendor",
                                                                                "rid-1")
    assert json.loads(create.content) == {"DisplayName": "A"}
    assert (read.method, read.url.path, "requestid" in read.url.params) == ("GET", f"/v3/company/{REALM}/vendor/7",
                                                                            False)
    assert json.loads(upd.content) == {"Id": "7", "SyncToken": "0", "CompanyName": "B", "sparse": True}
    assert delete.url.params["operation"] == "delete" and json.loads(delete.content) == {"Id": "7", "SyncToken": "1"}


def test_a_write_without_requestid_gets_one_and_keeps_it_across_retries():
    n = 0

    def reply(request):
        nonlocal n
        n += 1
        return httpx.Response(503, text="busy") if n == 1 else {"Bill": {"Id": "1"}}

    rec = Recorder(reply)
    make_client(rec).create(entity="Bill", body={"VendorRef": {"value": "1"}})
    ids = [r.url.params["requestid"] for r in rec.requests]
    assert len(ids) == 2 and ids[0] == ids[1] and len(ids[0]) <= 50


def test_argument_checks():
    c = make_client(Recorder(lambda r: {}))
    with pytest.raises(ValueError):
        c.create(entity="Vendor", body={"Id": "1"})
    with pytest.raises(ValueError):
        c.update(entity="Vendor", body={"Id": "1"})
    with pytest.raises(ValueError):
        c.delete(entity="Vendor", id="1", sync_token="0")  # name lists cannot be deleted
    with pytest.raises(ValueError):
        c.create(entity="Bill", body={}, requestid="x" * 51)
    with pytest.raises(TypeError):
        c.read("Vendor", "1")  # keyword-only


def test_faults_carry_the_entity_for_their_hint():
    body = {"Fault": {"Error": [{"Message": "Stale Object Error", "Detail": "...", "code": "5010"}],
                      "type": "ValidationFault"}}
    c = make_client(Recorder(lambda r: httpx.Response(400, json=body)))
    with pytest.raises(QboStaleObject) as info:
        c.update(entity="Bill", body={"Id": "1", "SyncToken": "0"})
    assert info.value.entity == "Bill" and "this bill" in info.value.hint


def test_fault_inside_a_200_is_raised():
    body = {"Fault": {"Error": [{"Message": "Object Not Found", "code": "610"}], "type": "ValidationFault"}}
    with pytest.raises(QboNotFound):
        make_client(Recorder(lambda r: body)).read(entity="Vendor", id="1")


class Rows:
    """A fake /query that serves `total` Vendors and records the paging it was asked for."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.asked: list[tuple[int, int]] = []

    def __call__(self, request):
        q = request.url.params.get("query") or request.content.decode()
        if "COUNT(*)" in q:
            return {"QueryResponse": {"totalCount": self.total}}
        start = int(q.split("STARTPOSITION ")[1].split()[0])
        size = int(q.split("MAXRESULTS ")[1].split()[0])
        self.asked.append((start, size))
        rows = [{"Id": str(i)} for i in range(start, min(start + size, self.total + 1))]
        return {"QueryResponse": {"Vendor": rows, "startPosition": start, "maxResults": len(rows)} if rows else {}}


def test_query_all_pages_lazily():
    rows = Rows(2500)
    it = make_client(Recorder(rows)).query_all(entity="Vendor", where={"Active": True})
    first = next(it)
    assert first == {"Id": "1"} and rows.asked == [(1, 1000)]  # only one page fetched so far
    rest = list(it)
    assert len(rest) == 2499 and rest[-1] == {"Id": "2500"}
    assert rows.asked == [(1, 1000), (1001, 1000), (2001, 1000)]


def test_query_all_exact_multiple_stops_on_empty_page_and_count():
    rows = Rows(2000)
    c = make_client(Recorder(rows))
    assert sum(1 for _ in c.query_all(select_=select("Vendor").order_by("Id"), page_size=1000)) == 2000
    assert rows.asked == [(1, 1000), (1001, 1000), (2001, 1000)]
    assert c.count(entity="Vendor") == 2000
    with pytest.raises(ValueError):
        list(c.query_all(entity="Vendor", select_=select("Vendor")))


def test_long_queries_are_posted_as_text():
    rec = Recorder(lambda r: {"QueryResponse": {}})
    make_client(rec).query(q=select("Vendor").where_in("Id", [str(i) for i in range(400)]))
    req = rec.requests[0]
    assert req.method == "POST" and req.headers["Content-Type"] == "application/text"
    assert req.content.decode().startswith("SELECT * FROM Vendor WHERE Id IN ('0', '1'")


def test_batch_mixed_results_in_order():
    def reply(request):
        items = json.loads(request.content)["BatchItemRequest"]
        assert [i["bId"] for i in items] == ["1", "2", "3"]
        return {"BatchItemResponse": [  # QBO may answer out of order
            {"bId": "3", "QueryResponse": {"Vendor": [{"Id": "5"}], "maxResults": 1}},
            {"bId": "1", "Vendor": {"Id": "9", "DisplayName": "A"}},
            {"bId": "2", "Fault": {"Error": [{"Message": "Duplicate Name Exists Error", "code": "6240",
                                              "element": "DisplayName"}], "type": "ValidationFault"}},
        ], "time": "t"}

    rec = Recorder(reply)
    results = make_client(rec).batch(items=[BatchItem.create("Vendor", {"DisplayName": "A"}),
                                            BatchItem.create("Vendor", {"DisplayName": "B"}),
                                            BatchItem.query(select("Vendor").where(Id="5"))], requestid="b-1")
    assert [r.bid for r in results] == ["1", "2", "3"]
    assert results[0].ok and results[0].data == {"Id": "9", "DisplayName": "A"}
    assert isinstance(results[1].error, QboDuplicate) and results[1].error.element == "DisplayName"
    assert results[1].error.hint.startswith("A vendor with this name")
    assert results[2].data == {"Vendor": [{"Id": "5"}], "maxResults": 1}
    assert rec.requests[0].url.params["requestid"] == "b-1"


def test_batch_limits_and_chunking_with_stable_requestids():
    rec = Recorder(lambda r: {"BatchItemResponse": [
        {"bId": i["bId"], "Vendor": {"Id": i["bId"]}} for i in json.loads(r.content)["BatchItemRequest"]]})
    c = make_client(rec)
    with pytest.raises(ValueError):
        c.batch(items=[BatchItem.create("Vendor", {})] * 31)
    results = list(c.batch_all(items=(BatchItem.create("Vendor", {"DisplayName": str(i)}) for i in range(65)),
                               requestid="outbox-12"))
    assert len(results) == 65 and all(r.ok for r in results)
    assert [len(json.loads(r.content)["BatchItemRequest"]) for r in rec.requests] == [30, 30, 5]
    assert [r.url.params["requestid"] for r in rec.requests] == ["outbox-12-0", "outbox-12-1", "outbox-12-2"]


def test_batch_counts_once_or_per_item_against_the_window():
    rec = Recorder(lambda r: {"BatchItemResponse": []})
    policy = RateLimitPolicy(requests=100, window=60, batch_requests=40)
    per_item = make_client(rec, policy=policy, count_batch_items=True)
    per_item.batch(items=[BatchItem.create("Vendor", {})] * 30)
    assert per_item.limiter._window.done_units == 30
    once = make_client(rec, policy=policy)
    once.batch(items=[BatchItem.create("Vendor", {})] * 30)
    assert once.limiter._window.done_units == 1 and once.limiter._batch.done_units == 1


def test_batch_item_without_answer_is_an_error_not_a_silence():
    results = make_client(Recorder(lambda r: {"BatchItemResponse": []})).batch(
        items=[BatchItem.delete("Bill", "1", "0")])
    assert isinstance(results[0].error, QboValidationError)


def test_cdc_parses_every_entity_and_deletions():
    def reply(request):
        assert request.url.params["entities"] == "Bill,Vendor,BillPayment"
        assert request.url.params["changedSince"] == "2026-11-01T00:00:00+00:00"
        return {"CDCResponse": [{"QueryResponse": [
            {"Bill": [{"Id": "1", "SyncToken": "2"}, {"Id": "2", "status": "Deleted"}], "startPosition": 1,
             "maxResults": 2},
            {"Vendor": [{"Id": "3"}], "startPosition": 1, "maxResults": 1},
            {},
        ]}], "time": "t"}

    out = make_client(Recorder(reply)).cdc(entities=["Bill", "Vendor", "BillPayment"],
                                           changed_since=datetime(2026, 11, 1, tzinfo=UTC))
    assert out == {"Bill": [{"Id": "1", "SyncToken": "2"}, {"Id": "2", "status": "Deleted"}],
                   "Vendor": [{"Id": "3"}], "BillPayment": []}
    with pytest.raises(ValueError):
        make_client(Recorder(reply)).cdc(entities=["Bill"], changed_since=datetime(2026, 11, 1))


def test_upload_is_the_documented_multipart():
    def reply(request):
        return {"AttachableResponse": [{"Attachable": {"Id": "44", "FileName": "summary.pdf"}}], "time": "t"}

    rec = Recorder(reply)
    out = make_client(rec).upload(entity_ref={"type": "Invoice", "value": "145"}, filename="summary.pdf",
                                  content=b"%PDF-1.4 fake", content_type="application/pdf", requestid="up-1")
    assert out == {"Id": "44", "FileName": "summary.pdf"}
    req = rec.requests[0]
    assert req.url.path == f"/v3/company/{REALM}/upload" and req.url.params["requestid"] == "up-1"
    ctype = req.headers["Content-Type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.content)
    parts = {p.get_param("name", header="content-disposition"): p for p in msg.iter_parts()}
    meta, content = parts["file_metadata_01"], parts["file_content_01"]
    assert meta.get_content_type() == "application/json"
    assert meta.get_filename() == "attachment.json"
    assert json.loads(meta.get_payload(decode=True)) == {
        "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": "145"}}], "FileName": "summary.pdf",
        "ContentType": "application/pdf"}
    assert content.get_content_type() == "application/pdf" and content.get_filename() == "summary.pdf"
    assert content.get_payload(decode=True) == b"%PDF-1.4 fake"


def test_upload_fault_inside_200():
    body = {"AttachableResponse": [{"Fault": {"Error": [{"Message": "Object Not Found", "code": "610"}],
                                              "type": "ValidationFault"}}]}
    with pytest.raises(QboNotFound):
        make_client(Recorder(lambda r: body)).upload(entity_ref={"type": "Invoice", "value": "1"}, filename="a.pdf",
                                                     content=b"x", content_type="application/pdf")


def test_base_url_from_settings():
    class S:
        qbo_api_url = None
        qbo_environment = "production"

    assert api_base_url(S) == PRODUCTION_API_URL
    S.qbo_environment = "sandbox"
    assert api_base_url(S) == SANDBOX_API_URL
    S.qbo_environment = "http://127.0.0.1:8123/.well-known/openid-configuration"
    assert api_base_url(S) == "http://127.0.0.1:8123"
    S.qbo_api_url = "http://127.0.0.1:9999/"
    assert api_base_url(S) == "http://127.0.0.1:9999"


def test_default_policy_is_intuits():
    c = make_client(Recorder(lambda r: {}))
    p = c.limiter.policy
    assert (p.requests, p.window, p.max_concurrent, p.batch_requests, p.batch_window) == (500, 60.0, 10, 40, 60.0)
    assert c.rate_limited_pause == 60.0

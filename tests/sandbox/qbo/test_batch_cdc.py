"""Batch, change data capture and requestid idempotency."""

from __future__ import annotations

from tests.sandbox.qbo.conftest import fault_of
from tests.sandbox.qbo.test_crud import bill_body


def test_batch_mixed_results(qbo):
    response = qbo.post("/batch", {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Batch Vendor"}},
        {"bId": "2", "operation": "create", "Vendor": {"DisplayName": "Hicks Hardware"}},
        {"bId": "3", "operation": "update", "Vendor": {"Id": "46", "SyncToken": "9", "sparse": True, "AcctNum": "1"}},
        {"bId": "4", "operation": "delete", "Bill": {"Id": "101", "SyncToken": "0"}},
        {"bId": "5", "Query": "select * from Vendor where DisplayName = 'Batch Vendor'"},
        {"bId": "6", "operation": "create", "Bill": bill_body("9999")},
        {"bId": "7", "operation": "delete", "Bill": {"Id": "102", "SyncToken": "0"}},
    ]})
    assert response.status_code == 200
    items = {item["bId"]: item for item in response.json()["BatchItemResponse"]}
    assert all(len(item) == 2 for item in items.values())  # bId plus exactly one payload key
    assert items["1"]["Vendor"]["DisplayName"] == "Batch Vendor"
    assert items["2"]["Fault"]["Error"][0]["code"] == "6240" and items["2"]["Fault"]["type"] == "ValidationFault"
    assert items["3"]["Fault"]["Error"][0]["code"] == "5010"
    assert items["4"]["Fault"]["Error"][0]["code"] == "6000"  # bill 101 is paid
    assert "QueryResponse" in items["5"]  # items run independently, in no promised order
    assert items["6"]["Fault"]["Error"][0]["code"] == "2500"
    assert items["7"]["Bill"] == {"domain": "QBO", "status": "Deleted", "Id": "102"}


def test_batch_over_30_items_is_refused(qbo):
    items = [{"bId": str(n), "operation": "create", "Class": {"Name": f"C{n}"}} for n in range(31)]
    response = qbo.post("/batch", {"BatchItemRequest": items})
    assert response.status_code == 400 and "Fault" in response.json()
    assert qbo.rows("select * from Class where Name = 'C1'", "Class") == []
    ok = qbo.post("/batch", {"BatchItemRequest": items[:30]})
    assert ok.status_code == 200 and len(ok.json()["BatchItemResponse"]) == 30


def test_cdc_after_create_update_delete(qbo):
    since = qbo.admin("/clock")["now"]
    vendor = qbo.create("Vendor", {"DisplayName": "CDC Vendor"})
    qbo.create("Vendor", {"Id": "46", "SyncToken": "0", "sparse": True, "AcctNum": "N-1"})
    bill = qbo.create("Bill", bill_body(vendor["Id"]))
    qbo.post("/bill", {"Id": bill["Id"], "SyncToken": "0"}, params={"operation": "delete"})
    body = qbo.get("/cdc", params={"entities": "Vendor,Bill,Invoice", "changedSince": since}).json()
    groups = body["CDCResponse"][0]["QueryResponse"]
    assert len(groups) == 3
    vendors, bills, invoices = groups
    assert {v["Id"] for v in vendors["Vendor"]} == {vendor["Id"], "46"}
    assert vendors["startPosition"] == 1 and vendors["maxResults"] == 2
    deleted = bills["Bill"]
    assert deleted == [{"domain": "QBO", "status": "Deleted", "Id": bill["Id"],
                        "MetaData": {"LastUpdatedTime": deleted[0]["MetaData"]["LastUpdatedTime"]}}]
    assert "Invoice" not in invoices


def test_cdc_thirty_day_window(qbo):
    old = qbo.admin("/clock")["now"]
    qbo.admin("/clock", {"advance_days": 31})
    qbo.access_token = qbo.admin("/tokens", {"realm_id": qbo.realm})["access_token"]  # the old one expired
    response = qbo.get("/cdc", params={"entities": "Vendor", "changedSince": old})
    assert response.status_code == 400 and "Fault" in response.json()
    assert qbo.get("/cdc", params={"entities": "Vendor", "changedSince": qbo.admin("/clock")["now"][:10]}
                   ).status_code == 200


def test_requestid_replay_creates_one_record(qbo):
    first = qbo.post("/vendor", {"DisplayName": "Once Only"}, params={"requestid": "outbox-row-1"})
    again = qbo.post("/vendor", {"DisplayName": "Once Only"}, params={"requestid": "outbox-row-1"})
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert len(qbo.rows("select * from Vendor where DisplayName = 'Once Only'", "Vendor")) == 1
    failed = qbo.post("/vendor", {"DisplayName": "Hicks Hardware"}, params={"requestid": "outbox-row-2"})
    replay = qbo.post("/vendor", {"DisplayName": "Something Else"}, params={"requestid": "outbox-row-2"})
    assert failed.status_code == replay.status_code == 400 and failed.content == replay.content
    too_long = qbo.post("/vendor", {"DisplayName": "Long Id"}, params={"requestid": "r" * 51})
    assert too_long.status_code == 400 and fault_of(too_long)["code"] == "6000"


def test_requestid_on_batch(qbo):
    body = {"BatchItemRequest": [{"bId": "1", "operation": "create", "Bill": bill_body(DocNumber="B-1")}]}
    first = qbo.post("/batch", body, params={"requestid": "batch-1"})
    second = qbo.post("/batch", body, params={"requestid": "batch-1"})
    assert first.content == second.content
    assert len(qbo.rows("select * from Bill where DocNumber = 'B-1'", "Bill")) == 1

"""The query language: grammar, escaping, limits, COUNT, paging, and its error envelopes."""

from __future__ import annotations

import pytest

from tests.sandbox.qbo.conftest import fault_of


def test_select_all_shape(qbo):
    body = qbo.query("SELECT * FROM Vendor").json()
    response = body["QueryResponse"]
    assert response["startPosition"] == 1
    assert response["maxResults"] == len(response["Vendor"])
    assert body["time"][-6] in "+-" and "." in body["time"]
    vendor = response["Vendor"][0]
    assert isinstance(vendor["Id"], str) and isinstance(vendor["SyncToken"], str)
    assert vendor["domain"] == "QBO" and vendor["sparse"] is False


def test_keywords_are_case_insensitive_and_entity_too(qbo):
    upper = qbo.rows("SELECT * FROM Vendor WHERE DisplayName = 'Hicks Hardware'", "Vendor")
    lower = qbo.rows("select * from vendor where DisplayName = 'Hicks Hardware'", "Vendor")
    assert [v["Id"] for v in upper] == [v["Id"] for v in lower] == ["42"]


def test_count(qbo):
    total = qbo.query("SELECT COUNT(*) FROM Vendor").json()["QueryResponse"]
    assert total == {"totalCount": 25}  # the inactive one (of 26) is not counted
    assert qbo.query("select count(*) from Vendor where Active IN (true, false)").json()["QueryResponse"] == {
        "totalCount": 26}


def test_paging_and_order(qbo):
    all_ids = [v["Id"] for v in qbo.rows("SELECT * FROM Vendor ORDERBY DisplayName", "Vendor")]
    page1 = qbo.query("SELECT * FROM Vendor ORDERBY DisplayName STARTPOSITION 1 MAXRESULTS 5").json()
    page2 = qbo.query("SELECT * FROM Vendor ORDERBY DisplayName STARTPOSITION 6 MAXRESULTS 5").json()
    assert page1["QueryResponse"]["maxResults"] == 5
    assert page2["QueryResponse"]["startPosition"] == 6
    ids = [v["Id"] for v in page1["QueryResponse"]["Vendor"] + page2["QueryResponse"]["Vendor"]]
    assert ids == all_ids[:10]
    desc = qbo.rows("SELECT * FROM Vendor ORDER BY DisplayName DESC", "Vendor")
    assert [v["Id"] for v in desc] == list(reversed(all_ids))


def test_past_last_page_and_no_match_are_empty(qbo):
    assert qbo.query("SELECT * FROM Vendor STARTPOSITION 500").json()["QueryResponse"] == {}
    assert qbo.query("SELECT * FROM Vendor WHERE DisplayName = 'Nobody'").json()["QueryResponse"] == {}


def test_default_page_is_100(qbo):
    for n in range(105):
        qbo.create("Class", {"Name": f"Class {n:03d}"})
    assert len(qbo.rows("SELECT * FROM Class", "Class")) == 100


def test_operators_like_in_and_refs(qbo):
    like = qbo.rows("SELECT * FROM Vendor WHERE DisplayName LIKE '%hard%'", "Vendor")
    assert [v["DisplayName"] for v in like] == ["Hicks Hardware"]
    starts = qbo.rows("SELECT * FROM Vendor WHERE DisplayName LIKE 'B%'", "Vendor")
    assert {v["DisplayName"] for v in starts} == {"Books by Bessie", "Brosnahan Insurance Agency", "Bob's Burger Joint"}
    in_list = qbo.rows("SELECT * FROM Vendor WHERE Id IN ('42', '46')", "Vendor")
    assert {v["Id"] for v in in_list} == {"42", "46"}
    bills = qbo.rows("SELECT * FROM Bill WHERE VendorRef = '42'", "Bill")
    assert [b["Id"] for b in bills] == ["103"]
    open_bills = qbo.rows("SELECT * FROM Bill WHERE Balance > '0' AND TxnDate >= '2000-01-01'", "Bill")
    assert {b["Id"] for b in open_bills} == {"102", "103"}
    projects = qbo.rows("SELECT * FROM Customer WHERE IsProject = true", "Customer")
    assert {c["DisplayName"] for c in projects} == {"Showroom Remodel", "Medical Office Fit-Out"}


def test_metadata_filter(qbo):
    vendor = qbo.create("Vendor", {"DisplayName": "Fresh Vendor"})
    since = vendor["MetaData"]["LastUpdatedTime"]
    rows = qbo.rows(f"SELECT * FROM Vendor WHERE MetaData.LastUpdatedTime >= '{since}'", "Vendor")
    assert [v["Id"] for v in rows] == [vendor["Id"]]


def test_escaped_quote(qbo):
    rows = qbo.rows(r"SELECT * FROM Vendor WHERE DisplayName = 'Bob\'s Burger Joint'", "Vendor")
    assert [v["Id"] for v in rows] == ["56"]
    qbo.create("Customer", {"DisplayName": "Pat O'Brien"})
    assert len(qbo.rows(r"select * from Customer where DisplayName = 'Pat O\'Brien'", "Customer")) == 1


def test_injection_attempts_are_rejected_or_inert(qbo):
    # an unescaped quote ends the string; what follows is not valid grammar
    response = qbo.query("SELECT * FROM Vendor WHERE DisplayName = 'x' OR 1=1")
    assert response.status_code == 400
    error = fault_of(response)
    assert error["code"] == "4000" and error["Message"] == "Error parsing query"
    assert error["Detail"].startswith("QueryParserError: Encountered")
    response = qbo.query("SELECT * FROM Vendor WHERE DisplayName = '' OR '1'='1'")
    assert fault_of(response)["code"] == "4000"
    # properly escaped, the same text is just a name that matches nothing
    assert qbo.query(r"SELECT * FROM Vendor WHERE DisplayName = 'x\' OR 1=1'").json()["QueryResponse"] == {}
    assert fault_of(qbo.query("SELECT * FROM Vendor; DELETE FROM Vendor"))["code"] == "4000"


@pytest.mark.parametrize("text", [
    "", "SELECT", "SELECT * Vendor", "SELECT * FROM", "SELECT * FROM Vendor WHERE", "SELECT * FROM Vendor WHERE Id",
    "SELECT * FROM Vendor WHERE (Id = '1')", "SELECT * FROM Vendor WHERE Id = '1' OR Id = '2'",
    "SELECT * FROM Vendor WHERE NOT Id = '1'", "SELECT * FROM Vendor WHERE DisplayName = 'open",
    "SELECT * FROM Vendor MAXRESULTS ten", "SELECT * FROM Vendor ORDERBY", "DELETE FROM Vendor",
    "SELECT * FROM Vendor WHERE DisplayName LIKE 5", "SELECT * FROM Vendor MAXRESULTS 5 MAXRESULTS 6",
])
def test_bad_queries_are_4000(qbo, text):
    response = qbo.query(text)
    assert response.status_code == 400
    body = response.json()
    assert body["Fault"]["type"] == "ValidationFault"
    assert fault_of(response)["code"] == "4000"


def test_maxresults_over_1000_and_unknown_property(qbo):
    too_many = qbo.query("SELECT * FROM Vendor MAXRESULTS 1001")
    assert too_many.status_code == 400 and fault_of(too_many)["code"] == "4001"
    assert qbo.query("SELECT * FROM Vendor MAXRESULTS 1000").status_code == 200
    unknown = qbo.query("SELECT * FROM Vendor WHERE Colour = 'red'")
    assert fault_of(unknown)["code"] == "4001"
    assert "Colour" in fault_of(unknown)["Detail"]


def test_post_query_with_application_text_body(qbo):
    response = qbo.http.post(qbo.api_base + "/query", params={"minorversion": "75"},
                             content="select * from Item where Name = 'Services'",
                             headers={**qbo.headers(), "Content-Type": "application/text"})
    assert response.status_code == 200
    assert response.json()["QueryResponse"]["Item"][0]["Id"] == "1"


def test_inactive_records_hidden_unless_asked(qbo):
    names = {v["DisplayName"] for v in qbo.rows("SELECT * FROM Vendor", "Vendor")}
    assert "Fidelity (deleted)" not in names
    inactive = qbo.rows("SELECT * FROM Vendor WHERE Active = false", "Vendor")
    assert [v["DisplayName"] for v in inactive] == ["Fidelity (deleted)"]


def test_projection(qbo):
    rows = qbo.rows("SELECT Id, DisplayName FROM Vendor WHERE Id = '42'", "Vendor")
    assert rows[0]["DisplayName"] == "Hicks Hardware"
    assert "Balance" not in rows[0]


@pytest.mark.parametrize("text", [
    "select * from billpayment Where Metadata.LastUpdatedTime>'2014-12-12T14:50:22-08:00' Order By "
    "Metadata.LastUpdatedTime",  # Intuit's documented sample, verbatim
    "SELECT *, Sku FROM Item MAXRESULTS 100",  # python-quickbooks Item.all()
    "SELECT * FROM Vendor  WHERE DisplayName = 'a' AND Active = true ORDERBY Id STARTPOSITION 1 MAXRESULTS 10",
    "SELECT * FROM Invoice WHERE Balance > '0.0' StartPosition 0 MaxResults 500",
    "select count(*) from Customer where Job = false",
    "SELECT * FROM Vendor MAXRESULTS 5 STARTPOSITION 2",
])
def test_good_queries(qbo, text):
    assert qbo.query(text).status_code == 200, qbo.query(text).text

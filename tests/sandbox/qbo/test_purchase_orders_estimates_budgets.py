"""PurchaseOrder, Estimate and Budget as Intuit documents them: required fields, computed totals, statuses,
sparse line replacement with SyncToken, the expense-account rule on PO item lines, Budget query-only."""

from __future__ import annotations

from tests.sandbox.qbo.conftest import fault_of

ITEM_LINE = "ItemBasedExpenseLineDetail"


def po_line(amount: float, item: str = "13", customer: str = "58") -> dict:
    return {"DetailType": ITEM_LINE, "Amount": amount, "Description": "Subcontracted work",
            ITEM_LINE: {"ItemRef": {"value": item}, "CustomerRef": {"value": customer}, "Qty": 1,
                        "UnitPrice": amount}}


def test_purchase_order_create_defaults_and_read(qbo):
    owed_before = qbo.get("/vendor/51").json()["Vendor"]["Balance"]
    po = qbo.create("PurchaseOrder", {"VendorRef": {"value": "51"}, "Line": [po_line(1250), po_line(250.5)]})
    assert po["TotalAmt"] == 1500.5 and po["POStatus"] == "Open"
    assert po["APAccountRef"] == {"value": "33", "name": "Accounts Payable (A/P)"}
    assert po["VendorRef"]["name"] == "Tim Philip Masonry"
    assert po["DocNumber"] == "1001" and po["SyncToken"] == "0"
    assert [line["Id"] for line in po["Line"]] == ["1", "2"]
    assert po["Line"][0][ITEM_LINE]["CustomerRef"] == {"value": "58", "name": "Cool Cars:Showroom Remodel"}
    assert qbo.get(f"/purchaseorder/{po['Id']}").json()["PurchaseOrder"] == po
    # non-posting: the vendor owes nothing because of a purchase order
    assert qbo.get("/vendor/51").json()["Vendor"]["Balance"] == owed_before


def test_purchase_order_needs_vendor_lines_and_item_with_expense_account(qbo):
    missing = qbo.post("/purchaseorder", {"Line": [po_line(10)]})
    assert fault_of(missing)["code"] == "2020" and fault_of(missing)["element"] == "VendorRef"
    no_lines = qbo.post("/purchaseorder", {"VendorRef": {"value": "51"}})
    assert fault_of(no_lines)["element"] == "Line"
    # item 4 "Design" has an income account only: QBO can't post a purchase of it
    no_account = qbo.post("/purchaseorder", {"VendorRef": {"value": "51"}, "Line": [po_line(10, item="4")]})
    assert fault_of(no_account)["code"] == "6000"
    assert "You must select an account for this transaction." in fault_of(no_account)["Detail"]
    bad_status = qbo.post("/purchaseorder", {"VendorRef": {"value": "51"}, "Line": [po_line(10)],
                                             "POStatus": "Approved"})
    assert fault_of(bad_status)["code"] == "2010"


def test_purchase_order_sparse_update_replaces_lines_and_bumps_synctoken(qbo):
    po = qbo.create("PurchaseOrder", {"VendorRef": {"value": "51"}, "DocNumber": "SC-7", "Line": [po_line(100)]})
    lines = po["Line"] + [po_line(-20)]
    amended = qbo.create("PurchaseOrder", {"Id": po["Id"], "SyncToken": po["SyncToken"], "sparse": True,
                                           "Line": lines})
    assert amended["SyncToken"] == "1" and amended["TotalAmt"] == 80
    assert [line["Id"] for line in amended["Line"]] == ["1", "2"] and amended["DocNumber"] == "SC-7"
    stale = qbo.post("/purchaseorder", {"Id": po["Id"], "SyncToken": "0", "sparse": True, "Memo": "late"})
    assert fault_of(stale)["code"] == "5010"
    closed = qbo.create("PurchaseOrder", {"Id": po["Id"], "SyncToken": "1", "sparse": True, "POStatus": "Closed"})
    assert closed["POStatus"] == "Closed" and closed["TotalAmt"] == 80
    rows = qbo.rows("select * from PurchaseOrder where DocNumber = 'SC-7'", "PurchaseOrder")
    assert [r["Id"] for r in rows] == [po["Id"]]


def test_purchase_order_duplicate_number_and_delete(qbo):
    qbo.create("PurchaseOrder", {"VendorRef": {"value": "51"}, "DocNumber": "PO-9", "Line": [po_line(5)]})
    dup = qbo.post("/purchaseorder", {"VendorRef": {"value": "42"}, "DocNumber": "PO-9", "Line": [po_line(5)]})
    assert fault_of(dup)["code"] == "6140"
    po = qbo.create("PurchaseOrder", {"VendorRef": {"value": "51"}, "Line": [po_line(5)]})
    gone = qbo.post("/purchaseorder", {"Id": po["Id"], "SyncToken": "0"}, params={"operation": "delete"})
    assert gone.status_code == 200 and gone.json()["PurchaseOrder"]["status"] == "Deleted"


def sale(amount: float, item: str = "13") -> dict:
    return {"DetailType": "SalesItemLineDetail", "Amount": amount,
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": amount}}


def test_estimate_create_update_and_status(qbo):
    est = qbo.create("Estimate", {"CustomerRef": {"value": "58"}, "ExpirationDate": "2030-01-31",
                                  "Line": [sale(1000), sale(480.25)]})
    assert est["TotalAmt"] == 1480.25 and est["TxnStatus"] == "Pending"
    assert est["Line"][-1]["DetailType"] == "SubTotalLineDetail" and est["Line"][-1]["Amount"] == 1480.25
    assert est["Line"][0]["SalesItemLineDetail"]["ItemAccountRef"]["value"] == "93"
    assert est["DocNumber"] == "1001"
    amended = qbo.create("Estimate", {"Id": est["Id"], "SyncToken": "0", "sparse": True,
                                      "Line": est["Line"] + [sale(200)]})
    assert amended["SyncToken"] == "1" and amended["TotalAmt"] == 1680.25
    assert sum(1 for line in amended["Line"] if line["DetailType"] == "SubTotalLineDetail") == 1
    accepted = qbo.create("Estimate", {"Id": est["Id"], "SyncToken": "1", "sparse": True, "TxnStatus": "Accepted"})
    assert accepted["TxnStatus"] == "Accepted"
    rows = qbo.rows("select * from Estimate where CustomerRef = '58'", "Estimate")
    assert [r["Id"] for r in rows] == [est["Id"]]


def test_estimate_needs_customer_and_an_item_line(qbo):
    assert fault_of(qbo.post("/estimate", {"Line": [sale(5)]}))["element"] == "CustomerRef"
    only_text = qbo.post("/estimate", {"CustomerRef": {"value": "58"},
                                       "Line": [{"DetailType": "DescriptionOnly", "Description": "note"}]})
    assert fault_of(only_text)["code"] == "6000"
    bad = qbo.post("/estimate", {"CustomerRef": {"value": "58"}, "Line": [sale(5)], "TxnStatus": "Maybe"})
    assert fault_of(bad)["code"] == "2010"


def test_budget_is_query_only(qbo):
    planted = qbo.admin(f"/realms/{qbo.realm}/budgets", {
        "Name": "FY2025 Showroom", "StartDate": "2025-01-01", "EndDate": "2025-12-31",
        "BudgetDetail": [{"BudgetDate": "2025-01-01", "Amount": 5000, "AccountRef": {"value": "90"},
                          "CustomerRef": {"value": "58"}},
                         {"BudgetDate": "2025-02-01", "Amount": 2500.5, "AccountRef": {"value": "63"},
                          "CustomerRef": {"value": "58"}}]})["Budget"]
    assert planted["BudgetType"] == "ProfitAndLoss" and planted["BudgetEntryType"] == "Monthly"
    rows = qbo.rows("select * from Budget where Name = 'FY2025 Showroom'", "Budget")
    assert len(rows) == 1 and rows[0]["BudgetDetail"][0]["AccountRef"] == {"value": "90", "name": "Subcontractors"}
    assert rows[0]["BudgetDetail"][1]["Amount"] == 2500.5
    assert qbo.rows("select count(*) from Budget", "Budget") == []
    assert qbo.query("select count(*) from Budget").json()["QueryResponse"]["totalCount"] == 1
    create = qbo.post("/budget", {"Name": "Nope"})
    assert create.status_code == 400 and fault_of(create)["code"] == "500"
    read = qbo.get(f"/budget/{planted['Id']}")
    assert read.status_code == 400 and fault_of(read)["code"] == "500"

"""Create / read / update / delete rules, defaults QBO fills in, and the Fault envelopes for each rule."""

from __future__ import annotations

import json

from tests.sandbox.qbo.conftest import fault_of

EXPENSE = "AccountBasedExpenseLineDetail"


def bill_body(vendor: str = "42", amount: float = 100.0, **extra) -> dict:
    return {"VendorRef": {"value": vendor},
            "Line": [{"DetailType": EXPENSE, "Amount": amount, EXPENSE: {"AccountRef": {"value": "7"}}}], **extra}


def test_vendor_defaults_like_real_recordings(qbo):
    vendor = qbo.create("Vendor", {"DisplayName": "Ridge Electric"})
    for key in ("Active", "Balance", "CurrencyRef", "DisplayName", "PrintOnCheckName", "Vendor1099"):
        assert key in vendor
    assert vendor["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert vendor["SyncToken"] == "0" and vendor["domain"] == "QBO" and vendor["sparse"] is False
    created = vendor["MetaData"]["CreateTime"]
    assert created[-6] in "+-" and created[-3] == ":" and "." not in created


def test_bill_defaults_totals_and_read(qbo):
    bill = qbo.create("Bill", {"VendorRef": {"value": "42"}, "Line": [
        {"DetailType": EXPENSE, "Amount": 120.5, EXPENSE: {"AccountRef": {"value": "7"}}},
        {"DetailType": "ItemBasedExpenseLineDetail", "ItemBasedExpenseLineDetail": {
            "ItemRef": {"value": "13"}, "Qty": 2, "UnitPrice": 40, "CustomerRef": {"value": "58"}}}]})
    for key in ("APAccountRef", "Balance", "CurrencyRef", "DueDate", "Line", "TotalAmt", "TxnDate", "VendorRef"):
        assert key in bill
    assert bill["APAccountRef"] == {"value": "33", "name": "Accounts Payable (A/P)"}
    assert bill["VendorRef"] == {"value": "42", "name": "Hicks Hardware"}
    assert bill["TotalAmt"] == 200.5 and bill["Balance"] == 200.5
    assert [line["Id"] for line in bill["Line"]] == ["1", "2"]
    assert [line["LineNum"] for line in bill["Line"]] == [1, 2]
    assert bill["Line"][1]["Amount"] == 80
    assert bill["DueDate"] > bill["TxnDate"]  # Hicks Hardware pays Net 30
    read = qbo.get(f"/bill/{bill['Id']}").json()["Bill"]
    assert read == bill


def test_sparse_and_full_update_and_stale_synctoken(qbo):
    vendor = qbo.create("Vendor", {"DisplayName": "Sparse Co", "CompanyName": "Sparse Co LLC"})
    sparse = qbo.create("Vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "AcctNum": "A-1"})
    assert sparse["SyncToken"] == "1" and sparse["CompanyName"] == "Sparse Co LLC" and sparse["AcctNum"] == "A-1"
    full = qbo.create("Vendor", {"Id": vendor["Id"], "SyncToken": "1", "DisplayName": "Sparse Co"})
    assert full["SyncToken"] == "2" and "CompanyName" not in full and "AcctNum" not in full
    stale = qbo.post("/vendor", {"Id": vendor["Id"], "SyncToken": "1", "sparse": True, "AcctNum": "B"})
    assert stale.status_code == 400
    error = fault_of(stale)
    assert error["code"] == "5010" and error["Message"] == "Stale Object Error"
    assert stale.json()["Fault"]["type"] == "ValidationFault"


def test_duplicate_display_name_across_vendor_and_customer(qbo):
    response = qbo.post("/vendor", {"DisplayName": "hicks hardware"})
    assert response.status_code == 400
    error = fault_of(response)
    assert error == {"Message": "Duplicate Name Exists Error", "Detail": "The name supplied already exists. : Id=42",
                     "code": "6240", "element": ""}
    assert fault_of(qbo.post("/customer", {"DisplayName": "Hicks Hardware"}))["code"] == "6240"
    assert fault_of(qbo.post("/item", {"Name": "Services", "IncomeAccountRef": {"value": "1"}}))["code"] == "6240"


def test_deactivate_renames_and_frees_the_name(qbo):
    vendor = qbo.create("Vendor", {"DisplayName": "Gone Soon"})
    gone = qbo.create("Vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert gone["Active"] is False and gone["DisplayName"] == "Gone Soon (deleted)"
    assert qbo.create("Vendor", {"DisplayName": "Gone Soon"})["Id"] != vendor["Id"]
    response = qbo.post("/bill", bill_body(vendor["Id"]))
    assert fault_of(response)["code"] == "610"
    deleting = qbo.post("/vendor", {"Id": vendor["Id"], "SyncToken": "1"}, params={"operation": "delete"})
    assert deleting.status_code == 400 and fault_of(deleting)["code"] == "500"


def test_doc_number_rules(qbo):
    too_long = qbo.post("/bill", bill_body(DocNumber="X" * 22))
    error = fault_of(too_long)
    assert too_long.status_code == 400 and error["code"] == "2050" and error["element"] == "DocNumber"
    assert "Max:21" in error["Detail"]
    qbo.create("Bill", bill_body(DocNumber="INV-77"))
    duplicate = qbo.post("/bill", bill_body(DocNumber="INV-77"))
    assert fault_of(duplicate)["code"] == "6140"
    assert fault_of(duplicate)["Message"] == "Duplicate Document Number Error"
    qbo.create("Bill", bill_body(vendor="46", DocNumber="INV-77"))  # another vendor may reuse it
    qbo.create("Bill", bill_body(DocNumber="INV-77"), include="allowduplicatedocnum")
    invoice = {"CustomerRef": {"value": "1"}, "DocNumber": "1002",
               "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10, "SalesItemLineDetail": {}}]}
    assert fault_of(qbo.post("/invoice", invoice))["code"] == "6140"


def test_invalid_reference_and_missing_fields(qbo):
    bad_vendor = qbo.post("/bill", bill_body("9999"))
    error = fault_of(bad_vendor)
    assert error["code"] == "2500" and error["Message"] == "Invalid Reference Id"
    assert error["Detail"] == "Invalid Reference Id : Names element id 9999 not found"
    bad_account = qbo.post("/bill", {"VendorRef": {"value": "42"}, "Line": [
        {"DetailType": EXPENSE, "Amount": 1, EXPENSE: {"AccountRef": {"value": "777"}}}]})
    assert "Accounts element id 777" in fault_of(bad_account)["Detail"]
    missing = qbo.post("/bill", {"Line": bill_body()["Line"]})
    error = fault_of(missing)
    assert error["code"] == "2020"
    assert error["Message"] == "Required param missing, need to supply the required value for the API"
    assert error["element"] == "VendorRef"
    assert fault_of(qbo.post("/bill", {"VendorRef": {"value": "42"}}))["element"] == "Line"
    assert fault_of(qbo.post("/vendor", {}))["code"] == "2020"


def test_read_missing_object_is_610(qbo):
    response = qbo.get("/bill/424242")
    assert response.status_code == 400
    error = fault_of(response)
    assert error["code"] == "610" and error["Message"] == "Object Not Found"


def test_delete_transaction_shape(qbo):
    bill = qbo.create("Bill", bill_body())
    stale = qbo.post("/bill", {"Id": bill["Id"], "SyncToken": "7"}, params={"operation": "delete"})
    assert fault_of(stale)["code"] == "5010"
    deleted = qbo.post("/bill", {"Id": bill["Id"], "SyncToken": "0"}, params={"operation": "delete"})
    body = deleted.json()
    assert deleted.status_code == 200
    assert body["Bill"] == {"domain": "QBO", "status": "Deleted", "Id": bill["Id"]} and "time" in body
    assert fault_of(qbo.get(f"/bill/{bill['Id']}"))["code"] == "610"


def test_bill_payment_reduces_balance_and_delete_restores_it(qbo):
    bill = qbo.create("Bill", bill_body(amount=500))
    payment = qbo.create("BillPayment", {
        "VendorRef": {"value": "42"}, "PayType": "Check", "TotalAmt": 200,
        "CheckPayment": {"BankAccountRef": {"value": "35"}},
        "Line": [{"Amount": 200, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})
    paid = qbo.get(f"/bill/{bill['Id']}").json()["Bill"]
    assert paid["Balance"] == 300 and paid["TotalAmt"] == 500
    assert paid["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"}]
    vendor = qbo.get("/vendor/42").json()["Vendor"]
    assert vendor["Balance"] == 148.2 + 300
    still_linked = qbo.post("/bill", {"Id": bill["Id"], "SyncToken": paid["SyncToken"]}, params={"operation": "delete"})
    assert fault_of(still_linked)["code"] == "6000"
    qbo.post("/billpayment", {"Id": payment["Id"], "SyncToken": "0"}, params={"operation": "delete"})
    restored = qbo.get(f"/bill/{bill['Id']}").json()["Bill"]
    assert restored["Balance"] == 500 and restored.get("LinkedTxn", []) == []


def test_invoice_payment_and_void(qbo):
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": "58"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 250, "SalesItemLineDetail": {"ItemRef": {"value": "13"}}}]})
    assert invoice["DocNumber"] == "1004" and invoice["Balance"] == 250
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    qbo.create("Payment", {"CustomerRef": {"value": "58"}, "TotalAmt": 100,
                           "Line": [{"Amount": 100, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    assert qbo.get(f"/invoice/{invoice['Id']}").json()["Invoice"]["Balance"] == 150
    customer = qbo.get("/customer/3").json()["Customer"]
    assert customer["BalanceWithJobs"] == 5150  # the project's invoices roll up to its parent


def test_bill_moved_to_another_vendor_moves_its_balance_and_doc_number(qbo):
    owed = {v: qbo.get(f"/vendor/{v}").json()["Vendor"]["Balance"] for v in ("42", "56")}
    bill = qbo.create("Bill", bill_body(amount=100, DocNumber="MV-1"))
    moved = qbo.create("Bill", {**bill_body("56", amount=100, DocNumber="MV-1"), "Id": bill["Id"], "SyncToken": "0"})
    assert moved["VendorRef"]["value"] == "56"
    assert qbo.get("/vendor/42").json()["Vendor"]["Balance"] == owed["42"]
    assert qbo.get("/vendor/56").json()["Vendor"]["Balance"] == round(owed["56"] + 100, 2)
    qbo.create("Bill", bill_body(DocNumber="MV-1"))  # the number is free again at vendor 42
    assert fault_of(qbo.post("/bill", bill_body("56", DocNumber="mv-1")))["code"] == "6140"


def test_job_moved_to_another_parent_moves_its_balance_with_jobs(qbo):
    before = qbo.get("/customer/3").json()["Customer"]["BalanceWithJobs"]
    owner = qbo.create("Customer", {"DisplayName": "New Owner"})
    job = qbo.create("Customer", {"DisplayName": "Annex", "ParentRef": {"value": "3"}})
    qbo.create("Invoice", {"CustomerRef": {"value": job["Id"]}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 75, "SalesItemLineDetail": {"ItemRef": {"value": "13"}}}]})
    assert qbo.get("/customer/3").json()["Customer"]["BalanceWithJobs"] == before + 75
    job = qbo.get(f"/customer/{job['Id']}").json()["Customer"]
    qbo.create("Customer", {"Id": job["Id"], "SyncToken": job["SyncToken"], "sparse": True,
                            "ParentRef": {"value": owner["Id"]}})
    assert qbo.get("/customer/3").json()["Customer"]["BalanceWithJobs"] == before
    moved_to = qbo.get(f"/customer/{owner['Id']}").json()["Customer"]
    assert moved_to["Balance"] == 0 and moved_to["BalanceWithJobs"] == 75


def test_projects_and_sub_customers(qbo):
    project = qbo.create("Customer", {"DisplayName": "Warehouse Build", "IsProject": True,
                                      "ParentRef": {"value": "17"}})
    # Intuit's API ignores IsProject (projects are made in QuickBooks' UI): a sub-customer Job at level 1
    assert project["IsProject"] is False and project["Job"] is True
    assert qbo.rows("SELECT * FROM Customer WHERE Id = '58'", "Customer")[0]["IsProject"] is True  # a UI project
    assert project["ParentRef"] == {"value": "17", "name": "Paulsen Medical Supplies"}
    assert project["FullyQualifiedName"] == "Paulsen Medical Supplies:Warehouse Build" and project["Level"] == 1
    job = qbo.create("Customer", {"DisplayName": "Warehouse Build East Wing", "Job": True, "BillWithParent": True,
                                  "ParentRef": {"value": project["Id"]}})  # a sub-customer of the project
    assert job["Job"] is True and job["Level"] == 2 and job["IsProject"] is False
    orphan = qbo.post("/customer", {"DisplayName": "Loose Job", "Job": True})  # a Job needs its parent
    assert orphan.status_code == 400 and fault_of(orphan)["code"] == "2020"


def test_upload_attaches_a_pdf(qbo):
    bill = qbo.create("Bill", bill_body())
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    meta = json.dumps({"AttachableRef": [{"EntityRef": {"type": "Bill", "value": bill["Id"]}}],
                       "FileName": "inv.pdf", "ContentType": "application/pdf"})
    response = qbo.http.post(qbo.api_base + "/upload", headers=qbo.headers(), files={
        "file_metadata_01": (None, meta, "application/json"),
        "file_content_01": ("inv.pdf", pdf, "application/pdf")})
    assert response.status_code == 200
    attachable = response.json()["AttachableResponse"][0]["Attachable"]
    assert attachable["FileName"] == "inv.pdf" and attachable["Size"] == len(pdf)
    assert attachable["AttachableRef"][0]["EntityRef"] == {"type": "Bill", "value": bill["Id"]}
    assert qbo.http.get(attachable["TempDownloadUri"]).content == pdf
    linked = qbo.rows(f"select * from Attachable where AttachableRef.EntityRef.Type = 'bill' "
                      f"and AttachableRef.EntityRef.value = '{bill['Id']}'", "Attachable")
    assert linked[0]["FileName"] == "inv.pdf"
    bad = qbo.http.post(qbo.api_base + "/upload", headers=qbo.headers(), files={
        "file_metadata_01": (None, meta.replace(bill["Id"], "999999"), "application/json"),
        "file_content_01": ("inv.pdf", pdf, "application/pdf")})
    assert bad.status_code == 200 and bad.json()["AttachableResponse"][0]["Fault"]["Error"][0]["code"] == "2500"


def test_upload_refuses_unsupported_types_and_big_files_per_file(qbo):
    bill = qbo.create("Bill", bill_body())
    ref = {"AttachableRef": [{"EntityRef": {"type": "Bill", "value": bill["Id"]}}]}

    def upload(name: str, data: bytes) -> dict:
        r = qbo.http.post(qbo.api_base + "/upload", headers=qbo.headers(), files={
            "file_metadata_01": (None, json.dumps({**ref, "FileName": name}), "application/json"),
            "file_content_01": (name, data, "application/octet-stream")})
        assert r.status_code == 200  # like QuickBooks, the refusal rides inside the 200 answer
        return r.json()["AttachableResponse"][0]

    exe = upload("setup.exe", b"MZ" + bytes(64))["Fault"]["Error"][0]
    assert exe["code"] == "6030" and "setup.exe is not supported" in exe["Detail"]
    assert "Attachable" in upload("photo.JPG", b"\xff\xd8" + bytes(64))
    qbo.http.post(qbo.base + "/_sandbox/config", json={"upload_max_bytes": 1000})
    try:
        big = upload("scan.pdf", b"%PDF" + bytes(2000))["Fault"]["Error"][0]
        assert big["code"] == "6050" and "at most 1000 bytes" in big["Detail"]
        assert "Attachable" in upload("small.pdf", b"%PDF" + bytes(100))
    finally:
        qbo.http.post(qbo.base + "/_sandbox/config", json={"upload_max_bytes": None})


def test_void_bill_payment_reopens_the_bill(qbo):
    bill = qbo.create("Bill", bill_body(amount=80))
    payment = qbo.create("BillPayment", {
        "VendorRef": {"value": "42"}, "PayType": "Check", "TotalAmt": 80, "PrivateNote": "ck 1001",
        "CheckPayment": {"BankAccountRef": {"value": "35"}},
        "Line": [{"Amount": 80, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})
    assert payment["CheckPayment"]["PrintStatus"] == "NeedToPrint"
    assert qbo.get(f"/bill/{bill['Id']}").json()["Bill"]["Balance"] == 0
    voided = qbo.post("/billpayment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
                      params={"operation": "update", "include": "void"}).json()["BillPayment"]
    assert voided["TotalAmt"] == 0 and voided["Line"] == [] and voided["PrivateNote"].startswith("Voided")
    assert qbo.get(f"/bill/{bill['Id']}").json()["Bill"]["Balance"] == 80


def test_bulk_route_plants_like_single_creates_and_stops_at_the_first_fault(qbo):
    """`/_sandbox/realms/<realm>/bulk` (the benchmarks' planting) creates through the same path as POST /vendor:
    readable through the API afterwards, duplicate names refused the same way, nothing after the fault kept."""
    made = qbo.admin(f"/realms/{qbo.realm}/bulk", {"entity": "vendor", "items": [
        {"DisplayName": "Bulk Paving"}, {"DisplayName": "Bulk Glass"}]})["Vendor"]
    assert [v["DisplayName"] for v in made] == ["Bulk Paving", "Bulk Glass"] and made[0]["SyncToken"] == "0"
    assert qbo.rows("select * from Vendor where DisplayName = 'Bulk Glass'", "Vendor")[0]["Id"] == made[1]["Id"]
    bad = qbo.http.post(f"{qbo.base}/_sandbox/realms/{qbo.realm}/bulk", json={"entity": "Vendor", "items": [
        {"DisplayName": "Bulk Crane"}, {"DisplayName": "Bulk Paving"}, {"DisplayName": "Bulk Never"}]})
    assert bad.status_code == 400 and bad.json()["created"] == 1
    assert "Duplicate" in json.dumps(bad.json()["Fault"])
    assert qbo.rows("select * from Vendor where DisplayName = 'Bulk Never'", "Vendor") == []
    assert qbo.http.post(f"{qbo.base}/_sandbox/realms/{qbo.realm}/bulk",
                         json={"entity": "NoSuch", "items": []}).status_code == 400

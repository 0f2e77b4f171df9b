"""Commitments, subcontractor invoices, owner invoices, payments issued, direct costs and budget: shapes and math."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.sandbox.procore.conftest import COMPANY

MONEY = re.compile(r"^-?\d+\.\d{2}$")
STATUSES = {"draft", "under_review", "revise_and_resubmit", "approved", "approved_as_noted", "pending_owner_approval"}


def test_requisitions_have_procore_fields_money_strings_and_consistent_summaries(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    reqs = api.get("/requisitions", params={"project_id": project["id"]}).json()
    assert len(reqs) == 6 and {r["status"] for r in reqs} <= STATUSES
    total = sum(len(api.get("/requisitions", params={"project_id": p["id"]}).json())
                for p in sandbox.records("projects") if p["company_id"] == COMPANY)
    assert total == 12
    first, second = (r for r in reqs if r["invoice_number"].startswith("SC-2024-001-01-00") and r["number"] in (1, 2))
    for req in (first, second):
        assert req["commitment_type"] == "WorkOrderContract" and req["vendor_name"] == "ACME Concrete"
        assert MONEY.match(req["total_claimed_amount"])
        assert all(MONEY.match(v) for k, v in req["summary"].items() if k != "formatted_period")
        assert req["percent_complete"].endswith("%")
    assert first["summary"]["current_payment_due"] == "75600.00"  # 84,000 less 10% retainage
    assert second["summary"]["less_previous_certificates_for_payment"] == "75600.00"
    earned = Decimal(second["summary"]["total_earned_less_retainage"])
    assert Decimal(second["summary"]["current_payment_due"]) == earned - Decimal("75600.00")
    assert second["summary"]["stored_materials_retainage_amount"] == "1200.00"
    assert second["summary"]["formatted_period"] == "04/01/24 - 04/30/24"

    items = api.get(f"/requisitions/{second['id']}/contract_items", params={"project_id": project["id"]}).json()
    assert [i["work_completed_from_previous_application"] for i in items] == ["84000.00", "0.00"]
    assert items[1]["materials_presently_stored"] == "12000.00"
    assert items[0]["work_completed_retainage_from_previous_application"] == "8400.00"
    v11 = sandbox.http.get(f"/rest/v1.1/requisitions/{second['id']}", params={"project_id": project["id"]},
                           headers=api.headers).json()
    assert v11["vendor_id"] and len(v11["items"]) == 2 and v11["items"][0]["item_type"] == "contract_item"


def test_create_and_move_a_requisition(sandbox):
    api = sandbox.api()
    project = sandbox.project(index=1)
    drywall = next(c for c in sandbox.records("work_order_contracts") if c["title"] == "Drywall and framing")
    created = api.post("/requisitions", json={"project_id": project["id"], "commitment_id": drywall["id"],
                                              "requisition": {"requisition_start": "2024-09-01",
                                                              "requisition_end": "2024-09-30", "status": "draft",
                                                              "invoice_number": "TD-1002"}})
    assert created.status_code == 201
    req = created.json()
    assert req["number"] == 2 and req["status"] == "draft" and req["summary"]["current_payment_due"] == "0.00"
    item = api.get(f"/requisitions/{req['id']}/contract_items", params={"project_id": project["id"]}).json()[0]
    updated = api.patch(f"/requisitions/{req['id']}/contract_items/{item['id']}", params={"project_id": project["id"]},
                        json={"requisition_contract_item": {"work_completed_this_period": "10000"}})
    assert updated.json()["work_completed_retainage_retained_this_period"] == "500.00"
    bad = api.patch(f"/requisitions/{req['id']}", params={"project_id": project["id"]},
                    json={"requisition": {"status": "paid"}})
    assert bad.status_code == 422
    moved = api.patch(f"/requisitions/{req['id']}", params={"project_id": project["id"]},
                      json={"requisition": {"status": "approved", "origin_id": "QBO-BILL-1"}}).json()
    assert moved["status"] == "approved" and moved["origin_id"] == "QBO-BILL-1"
    assert moved["summary"]["current_payment_due"] == "9500.00"


def test_contract_payment_create_list_and_reverse(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    contract = next(c for c in sandbox.records("work_order_contracts") if c["title"] == "Cast-in-place concrete")
    req = next(r for r in sandbox.records("requisitions") if r["commitment_id"] == contract["id"] and r["number"] == 2)
    created = api.post("/contract_payments", json={
        "project_id": project["id"], "contract_id": contract["id"],
        "contract_payment": {"date": "2024-05-30", "amount": 171450, "check_number": "10455",
                             "draw_request_number": 2, "origin_id": "QBO-BP-88", "notes": "QBO BillPayment 88"}})
    assert created.status_code == 201
    payment = created.json()
    assert payment["amount"] == "171450.00" and payment["requisition_id"] == req["id"]
    assert payment["contract_id"] == contract["id"] and payment["date"] == "2024-05-30"
    assert payment["payment_number"] == 2 and payment["origin_id"] == "QBO-BP-88"
    listed = api.get("/contract_payments", params={"project_id": project["id"], "contract_id": contract["id"]}).json()
    assert [p["check_number"] for p in listed] == ["10231", "10455"]
    shown = api.get(f"/work_order_contracts/{contract['id']}", params={"project_id": project["id"]}).json()
    assert shown["total_payments"] == "247050.00" and len(shown["payments_issued"]) == 2
    invalid = api.post("/contract_payments", json={"project_id": project["id"], "contract_id": contract["id"],
                                                   "contract_payment": {"amount": "", "draw_request_number": 9}})
    assert invalid.status_code == 422
    assert set(invalid.json()["errors"]) == {"amount", "date", "draw_request_number"}
    duplicate = api.post("/contract_payments", json={"project_id": project["id"], "contract_id": contract["id"],
                                                     "contract_payment": {"date": "2024-05-30", "amount": "1",
                                                                          "origin_id": "QBO-BP-88"}})
    assert duplicate.status_code == 409
    deleted = api.delete(f"/contract_payments/{payment['id']}",
                         params={"project_id": project["id"], "contract_id": contract["id"]})
    assert deleted.status_code == 200
    assert len(api.get("/contract_payments", params={"project_id": project["id"],
                                                     "contract_id": contract["id"]}).json()) == 1


def test_commitments_list_compact_and_show_sov(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    listed = api.get("/work_order_contracts", params={"project_id": project["id"]}).json()
    assert "line_items" not in listed[0] and set(listed[0]["vendor"]) == {"id", "company"}
    assert listed[0]["status"] == "Approved" and listed[0]["grand_total"] == "1035000.00"
    shown = api.get(f"/work_order_contracts/{listed[0]['id']}", params={"project_id": project["id"]}).json()
    assert [li["amount"] for li in shown["line_items"]] == ["420000.00", "615000.00"]
    assert shown["line_items"][0]["cost_code"]["full_code"] == "03-300"
    assert shown["line_items"][0]["line_item_type"]["code"] == "S"
    assert shown["vendor"]["company"] == "ACME Concrete"
    pos = api.get("/purchase_order_contracts", params={"project_id": project["id"]}).json()
    assert [p["title"] for p in pos] == ["Rebar supply"]
    assert api.get(f"/purchase_order_contracts/{listed[0]['id']}",
                   params={"project_id": project["id"]}).status_code == 404


def test_direct_cost_crud_with_line_items(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    codes = {c["full_code"]: c for c in api.get("/cost_codes", params={"project_id": project["id"],
                                                                        "per_page": 200}).json()}
    types = {t["code"]: t for t in api.get("/line_item_types", params={"company_id": COMPANY}).json()}
    vendor = next(v for v in sandbox.records("vendors") if v["name"] == "Star Electric Supply")
    base = f"/projects/{project['id']}/direct_costs"
    item = {"direct_cost_type": "invoice", "direct_cost_date": "2024-07-02", "invoice_number": "SES-4410",
            "vendor_id": vendor["id"], "status": "approved", "origin_id": "QBO-PUR-17",
            "line_items": [{"cost_code_id": codes["26-500"]["id"], "line_item_type_id": types["M"]["id"],
                            "description": "LED fixtures", "amount": "1250"},
                           {"cost_code_id": codes["26-500"]["id"], "line_item_type_id": types["M"]["id"],
                            "description": "Freight", "amount": "85.5"}]}
    created = api.post(base, json={"item": item})
    assert created.status_code == 201
    cost = created.json()
    assert cost["grand_total"] == "1335.50" and cost["vendor"] == {"id": vendor["id"], "name": vendor["name"]}
    assert cost["line_items_count"] == 2 and cost["origin_id"] == "QBO-PUR-17"
    lines = api.get(f"{base}/{cost['id']}/line_items").json()
    assert [li["amount"] for li in lines] == ["1250.00", "85.50"]
    assert lines[0]["cost_code"]["full_code"] == "26-500" and lines[0]["line_item_type"]["name"] == "Material"
    v11 = sandbox.http.get(f"/rest/v1.1{base}/{cost['id']}", headers=api.headers).json()
    assert [li["description"] for li in v11["line_items"]] == ["LED fixtures", "Freight"]
    listed = api.get(base).json()
    assert next(c for c in listed if c["id"] == cost["id"])["vendor"] == vendor["name"]

    patched = api.patch(f"{base}/{cost['id']}", json={"item": {"status": "pending", "description": "Q3 lighting"}})
    assert patched.status_code == 200 and patched.json()["status"] == "pending"
    retype = api.patch(f"{base}/{cost['id']}", json={"item": {"direct_cost_type": "expense"}})
    assert retype.status_code == 422
    invalid = api.post(base, json={"item": {"direct_cost_type": "invoice", "line_items": [{"amount": "1"}]}})
    assert invalid.status_code == 422
    assert {"direct_cost_date", "invoice_number"} <= set(invalid.json()["errors"])
    conflict = api.post(base, json={"item": dict(item, line_items=[])})
    assert conflict.status_code == 409

    deleted = api.delete(f"{base}/{cost['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"id": cost["id"]}
    assert api.get(f"{base}/{cost['id']}").status_code == 404
    other = sandbox.project(index=1)
    assert api.get(f"/projects/{other['id']}/direct_costs/{listed[0]['id']}").status_code == 404


def test_payment_applications_and_budget_amounts(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    apps = api.get("/payment_applications", params={"project_id": project["id"]}).json()
    assert [a["status"] for a in apps] == ["approved", "under_review"]
    assert apps[0]["g702"]["current_payment_due"] == "153900.00"  # 162,000 less 5% retainage
    assert apps[1]["g702"]["less_previous_certificates_for_payment"] == "153900.00"
    assert apps[0]["contract"]["type"] == "PrimeContract" and apps[0]["total_amount_accrued_this_period"] == "162000.00"
    detail = api.get(f"/payment_applications/{apps[1]['id']}", params={"project_id": project["id"]}).json()
    assert [line["work_completed_from_previous_application"] for line in detail["g703"]] == \
        ["52000.00", "110000.00", "0.00"]
    budget = api.get("/budget_line_items", params={"project_id": project["id"]}).json()
    concrete = next(b for b in budget if b["cost_code"]["full_code"] == "03-300" and b["line_item_type"]["name"]
                    == "Subcontract")
    assert concrete["original_budget_amount"] == 1250000.0 and isinstance(concrete["committed_costs"], float)
    assert concrete["committed_costs"] == 1035000.0

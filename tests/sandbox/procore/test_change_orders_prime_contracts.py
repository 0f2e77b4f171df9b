"""Prime contracts, commitment change orders and prime change orders: Procore's paths, shapes and money math."""

from __future__ import annotations

import re

MONEY = re.compile(r"^-?\d+\.\d{2}$")


def _codes(sandbox, project_id: int) -> dict[str, dict]:
    codes = [c for c in sandbox.records("cost_codes") if c["project_id"] == project_id]
    by_id = {c["id"]: c for c in codes}
    return {f"{by_id[c['parent_id']]['code']}-{c['code']}": c for c in codes if c.get("parent_id")}


def _type(sandbox, code: str) -> dict:
    return next(t for t in sandbox.records("line_item_types") if t["code"] == code and t["company_id"] == 4278)


def test_prime_contracts_list_show_create_and_origin_conflict(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    listed = api.get("/prime_contracts", params={"project_id": project["id"]}).json()
    assert len(listed) == 1 and "line_items" not in listed[0]
    prime = listed[0]
    assert prime["grand_total"] == "3010000.00" and "revised_contract" not in prime
    assert prime["vendor"]["company"] == "Riverside Health Partners" and MONEY.match(prime["retainage_percent"])
    shown = api.get(f"/prime_contracts/{prime['id']}", params={"project_id": project["id"]}).json()
    assert shown["revised_contract"] == "3010000.00"
    assert [li["amount"] for li in shown["line_items"]] == ["620000.00", "1480000.00", "910000.00"]
    assert shown["line_items"][0]["cost_code"]["full_code"] == "01-100"
    assert shown["line_items"][0]["holder"] == {"id": prime["id"], "holder_type": "PrimeContract"}

    codes = _codes(sandbox, project["id"])
    created = api.post("/prime_contracts", json={"project_id": project["id"], "prime_contract": {
        "title": "Tenant improvements", "status": "Approved", "origin_id": "EST-145",
        "line_items": [{"cost_code_id": codes["09-200"]["id"], "line_item_type_id": _type(sandbox, "S")["id"],
                        "description": "Drywall", "amount": "12500.5"}]}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["grand_total"] == "12500.50" and body["origin_id"] == "EST-145" and body["number"] == "2"
    assert body["line_items"][0]["line_item_type"]["name"] == "Subcontract"
    again = api.post("/prime_contracts", json={"project_id": project["id"],
                                               "prime_contract": {"title": "Twin", "origin_id": "EST-145"}})
    assert again.status_code == 409
    bad = api.post("/prime_contracts", json={"project_id": project["id"], "prime_contract": {
        "title": "Bad", "line_items": [{"cost_code_id": 1, "amount": "1"}]}})
    assert bad.status_code == 422 and "line_items.cost_code" in bad.json()["errors"]
    found = api.get("/prime_contracts", params={"project_id": project["id"], "filters[origin_id]": "EST-145"}).json()
    assert [p["id"] for p in found] == [body["id"]]


def test_commitment_change_orders_show_lines_and_raise_the_revised_contract(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    concrete = next(c for c in sandbox.records("work_order_contracts") if c["title"] == "Cast-in-place concrete")
    codes = _codes(sandbox, project["id"])
    sub = _type(sandbox, "S")
    planted = sandbox.admin.post("/records/commitment_change_orders", json={
        "project_id": project["id"], "contract_id": concrete["id"], "number": "1", "title": "Added slab edge",
        "status": "approved", "line_items": [
            {"cost_code_id": codes["03-300"]["id"], "line_item_type_id": sub["id"], "description": "Slab edge",
             "amount": "15000.00"},
            {"cost_code_id": codes["03-300"]["id"], "line_item_type_id": sub["id"], "description": "Credit",
             "amount": "-2500.00"}]}).json()
    pending = api.post(f"/projects/{project['id']}/commitment_change_orders", json={"change_order": {
        "contract_id": concrete["id"], "title": "Pump truck", "status": "pending"}})
    assert pending.status_code == 201 and pending.json()["number"] == "2" and pending.json()["line_items"] == []

    listed = api.get(f"/projects/{project['id']}/commitment_change_orders",
                     params={"filters[contract_id]": concrete["id"]}).json()
    assert [co["title"] for co in listed] == ["Added slab edge", "Pump truck"] and "line_items" not in listed[0]
    approved = api.get(f"/projects/{project['id']}/commitment_change_orders",
                       params={"filters[status]": "approved"}).json()
    assert [co["id"] for co in approved] == [planted["id"]] and approved[0]["grand_total"] == "12500.00"
    assert approved[0]["type"] == "CommitmentChangeOrder"
    shown = api.get(f"/projects/{project['id']}/commitment_change_orders/{planted['id']}").json()
    assert [li["amount"] for li in shown["line_items"]] == ["15000.00", "-2500.00"]
    assert shown["line_items"][0]["cost_code"]["full_code"] == "03-300"
    assert shown["line_items"][0]["line_item_type"]["code"] == "S"

    contract = api.get(f"/work_order_contracts/{concrete['id']}", params={"project_id": project["id"]}).json()
    assert contract["approved_change_orders"] == "12500.00" and contract["grand_total"] == "1035000.00"
    assert contract["revised_contract"] == "1047500.00"

    moved = api.patch(f"/projects/{project['id']}/commitment_change_orders/{pending.json()['id']}",
                      json={"change_order": {"status": "approved"}}).json()
    assert moved["status"] == "approved" and moved["reviewed_at"]
    wrong = api.post(f"/projects/{project['id']}/commitment_change_orders",
                     json={"change_order": {"contract_id": 12345, "status": "draft"}})
    assert wrong.status_code == 422
    bad_status = api.patch(f"/projects/{project['id']}/commitment_change_orders/{planted['id']}",
                           json={"change_order": {"status": "Approved"}})
    assert bad_status.status_code == 422
    refused = api.delete(f"/projects/{project['id']}/commitment_change_orders/{planted['id']}")
    assert refused.status_code == 422
    other = sandbox.project(index=1)
    assert api.get(f"/projects/{other['id']}/commitment_change_orders/{planted['id']}").status_code == 404


def test_prime_change_orders_follow_their_prime_contract(sandbox):
    api = sandbox.api()
    project = sandbox.project()
    prime = next(p for p in sandbox.records("prime_contracts") if p["project_id"] == project["id"])
    codes = _codes(sandbox, project["id"])
    co = api.post(f"/projects/{project['id']}/prime_change_orders", json={"change_order": {
        "contract_id": prime["id"], "title": "Owner upgrade: lobby lighting", "status": "draft"}}).json()
    sandbox.admin.patch(f"/records/prime_change_orders/{co['id']}", json={
        "status": "approved", "line_items": [{"cost_code_id": codes["26-100"]["id"], "description": "Lobby fixtures",
                                              "amount": "42000.00"}]})
    shown = api.get(f"/projects/{project['id']}/prime_change_orders/{co['id']}").json()
    assert shown["grand_total"] == "42000.00" and shown["type"] == "PrimeContractChangeOrder"
    assert shown["line_items"][0]["holder"]["holder_type"] == "PrimeContract"
    contract = api.get(f"/prime_contracts/{prime['id']}", params={"project_id": project["id"]}).json()
    assert contract["approved_change_orders"] == "42000.00" and contract["revised_contract"] == "3052000.00"
    commitment = next(c for c in sandbox.records("work_order_contracts") if c["project_id"] == project["id"])
    mismatched = api.post(f"/projects/{project['id']}/prime_change_orders",
                          json={"change_order": {"contract_id": commitment["id"]}})
    assert mismatched.status_code == 422

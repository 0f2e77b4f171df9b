"""Bulk sync actions (200 with per-record errors), validation errors (422), origin_id conflicts (409)."""

from __future__ import annotations

from tests.sandbox.procore.conftest import COMPANY


def test_vendor_sync_reports_per_record_errors(sandbox):
    api = sandbox.api()
    existing = next(v for v in sandbox.records("vendors") if v["name"] == "Sawtooth Roofing")
    updates = [
        {"origin_id": "QB-900", "name": "Frontier Framing"},  # new, by origin_id
        {"id": existing["id"], "origin_id": "QB-901", "notes": "linked"},  # update by id (sets origin_id)
        {"id": 1, "name": "Nobody"},  # unknown id
        {"origin_id": "QB-902", "name": "  "},  # invalid
        {"id": existing["id"], "origin_id": "58"},  # origin_id held by Rocky Mountain Electric
    ]
    response = api.patch("/vendors/sync", json={"company_id": COMPANY, "updates": updates})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"entities", "errors"}
    assert [e["name"] for e in body["entities"]] == ["Frontier Framing", "Sawtooth Roofing"]
    assert body["entities"][1]["origin_id"] == "QB-901" and body["entities"][1]["notes"] == "linked"
    assert body["errors"] == [
        {"id": 1, "name": "Nobody", "errors": {"id": ["Entity with this ID not found"]}},
        {"origin_id": "QB-902", "name": "  ", "errors": {"name": ["can't be blank"]}},
        {"id": existing["id"], "origin_id": "58", "errors": {"origin_id": ["has already been taken"]}},
    ]
    again = api.patch("/vendors/sync", json={"company_id": COMPANY,
                                             "updates": [{"origin_id": "QB-900", "city": "Boise"}]}).json()
    assert again["errors"] == [] and again["entities"][0]["name"] == "Frontier Framing"
    assert again["entities"][0]["city"] == "Boise"


def test_project_sync_and_the_1000_record_cap(sandbox):
    api = sandbox.api()
    response = api.patch("/projects/sync", json={"company_id": COMPANY, "updates": [
        {"origin_id": "QBO-77", "name": "Depot Remodel", "project_number": "2025-003"}, {"name": ""}]})
    body = response.json()
    assert response.status_code == 200
    assert body["entities"][0]["display_name"] == "2025-003 - Depot Remodel"
    assert body["errors"][0]["errors"] == {"name": ["can't be blank"]}
    too_many = api.patch("/vendors/sync", json={"company_id": COMPANY,
                                                "updates": [{"name": f"V{n}"} for n in range(1001)]})
    assert too_many.status_code == 413


def test_validation_errors_are_422_with_field_messages(sandbox):
    api = sandbox.api()
    vendor = api.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": ""}})
    assert vendor.status_code == 422 and vendor.json() == {"errors": {"name": ["can't be blank"]}}
    project = api.post("/projects", json={"company_id": COMPANY, "project": {"project_number": "X"}})
    assert project.status_code == 422 and project.json() == {"errors": {"name": ["can't be blank"]}}
    missing = api.post("/vendors", json={"company_id": COMPANY})
    assert missing.status_code == 400 and missing.json() == {"errors": "vendor is missing"}
    garbage = api.post("/vendors", content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbage.status_code == 400


def test_create_update_and_origin_id_conflict(sandbox):
    api = sandbox.api()
    created = api.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": "Northstar Glass",
                                                                            "origin_id": 4411}})
    assert created.status_code == 201
    vendor = created.json()
    assert vendor["origin_id"] == "4411" and vendor["is_active"] is True and vendor["company"] == "Northstar Glass"
    conflict = api.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": "Dup", "origin_id": "4411"}})
    assert conflict.status_code == 409 and conflict.json() == {"errors": {"origin_id": ["has already been taken"]}}
    patched = api.patch(f"/vendors/{vendor['id']}", json={"company_id": COMPANY,
                                                         "vendor": {"origin_data": '{"SyncToken": "0"}'}})
    assert patched.status_code == 200 and patched.json()["origin_data"] == '{"SyncToken": "0"}'
    assert api.get(f"/vendors/{vendor['id']}", params={"company_id": COMPANY}).json()["synced_to_erp"] is True
    archived = api.patch(f"/vendors/{vendor['id']}", json={"company_id": COMPANY, "vendor": {"is_active": False}})
    assert archived.json()["is_active"] is False
    listed = [v["id"] for v in api.get("/vendors", params={"company_id": COMPANY, "per_page": 100}).json()]
    assert vendor["id"] not in listed
    inactive = api.get(f"/companies/{COMPANY}/vendors/inactive").json()
    assert [v["id"] for v in inactive] == [vendor["id"]]


def test_projects_create_show_update(sandbox):
    api = sandbox.api()
    created = api.post("/projects", json={"company_id": COMPANY, "project": {
        "name": "Library Annex", "project_number": "2025-010", "origin_id": "QBO-12", "city": "Boise"}})
    assert created.status_code == 201
    project = created.json()
    assert project["company"] == {"id": COMPANY, "name": "Summit Builders"}
    assert project["project_stage"] == {"id": 3, "name": "Course of Construction"}
    shown = api.get(f"/projects/{project['id']}", params={"company_id": COMPANY}).json()
    assert shown["origin_id"] == "QBO-12" and shown["display_name"] == "2025-010 - Library Annex"
    updated = api.patch(f"/projects/{project['id']}", json={"company_id": COMPANY, "project": {"active": False}})
    assert updated.json()["active"] is False
    active = api.get("/projects", params={"company_id": COMPANY}).json()
    assert project["id"] not in [p["id"] for p in active]
    everything = api.get("/projects", params={"company_id": COMPANY, "filters[by_status]": "All"}).json()
    assert project["id"] in [p["id"] for p in everything]


def test_cost_codes_and_cost_types(sandbox):
    api = sandbox.api()
    types = api.get("/line_item_types", params={"company_id": COMPANY}).json()
    assert [(t["name"], t["code"]) for t in types] == [("Labor", "L"), ("Material", "M"), ("Equipment", "E"),
                                                      ("Subcontract", "S"), ("Other", "O")]
    lists = api.get("/standard_cost_code_lists", params={"company_id": COMPANY}).json()
    standard = api.get("/standard_cost_codes", params={"company_id": COMPANY,
                                                       "standard_cost_code_list_id": lists[0]["id"]}).json()
    assert {"01-100", "03-300"} <= {c["full_code"] for c in standard}
    assert next(c for c in standard if c["full_code"] == "03-300")["name"] == "Cast-in-place Concrete"
    project = sandbox.project()
    codes = api.get("/cost_codes", params={"project_id": project["id"], "per_page": 100}).json()
    concrete = next(c for c in codes if c["full_code"] == "03-300")
    assert concrete["budgeted"] is True and concrete["biller_type"] == "Project"
    assert api.delete(f"/cost_codes/{concrete['id']}", params={"project_id": project["id"]}).status_code == 422
    new = api.post("/cost_codes", json={"project_id": project["id"], "cost_code": {"code": "999", "name": "Misc"}})
    assert new.status_code == 201
    assert api.delete(f"/cost_codes/{new.json()['id']}", params={"project_id": project["id"]}).status_code == 204
    assert api.get(f"/cost_codes/{new.json()['id']}", params={"project_id": project["id"]}).status_code == 404

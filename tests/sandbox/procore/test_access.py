"""Bearer tokens (401), the Procore-Company-Id header (400), companies the token can't see (403), scoping (404)."""

from __future__ import annotations

import httpx

from tests.sandbox.procore.conftest import COMPANY, OTHER


def test_missing_company_header_is_400_with_procore_message(sandbox):
    api = sandbox.api(company=None)
    response = api.get("/vendors", params={"company_id": COMPANY})
    assert response.status_code == 400
    assert "Missing Procore-Company-Id header!" in response.json()["errors"]
    assert response.headers["X-Rate-Limit-Remaining"]


def test_companies_and_me_need_no_header_and_list_only_visible_companies(sandbox):
    api = sandbox.api(company=None, companies=[COMPANY])
    companies = api.get("/companies")
    assert companies.status_code == 200
    assert [c["id"] for c in companies.json()] == [COMPANY]
    assert set(companies.json()[0]) == {"id", "name", "is_active", "logo_url", "pcn_business_experience",
                                        "my_company"}
    assert api.get("/me").json()["login"] == "dana@summitbuilders.com"


def test_unknown_or_missing_token_is_401(sandbox):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = httpx.get(f"{sandbox.url}/rest/v1.0/companies", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_expires_on_the_sandbox_clock(sandbox):
    api = sandbox.api()
    assert api.get("/projects", params={"company_id": COMPANY}).status_code == 200
    sandbox.admin.post("/clock", json={"advance": 5401})
    response = api.get("/projects", params={"company_id": COMPANY})
    assert response.status_code == 401
    assert response.json()["error_description"] == "The access token expired"


def test_company_the_token_cannot_see_is_403(sandbox):
    token = sandbox.token([COMPANY])["access_token"]
    api = sandbox.api(company=OTHER, token=token)
    response = api.get("/projects", params={"company_id": OTHER})
    assert response.status_code == 403
    assert response.json() == {"errors": "App is not connected to this company."}
    # The header names a visible company but the query names another one.
    api = sandbox.api(company=COMPANY, token=token)
    assert api.get("/vendors", params={"company_id": OTHER}).status_code == 403


def test_a_company_that_disconnected_the_app_is_403_for_oauth_tokens(sandbox):
    created = sandbox.admin.post("/companies", json={"name": "Gone Co", "id": 777, "app_connected": False})
    assert created.status_code == 201
    form = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    token = httpx.post(f"{sandbox.url}/oauth/token", data=form).json()["access_token"]
    api = sandbox.api(company=777, token=token)
    assert api.get("/projects", params={"company_id": 777}).status_code == 403
    assert sandbox.api(company=COMPANY, token=token).get("/projects", params={"company_id": COMPANY}).status_code == 200


def test_records_of_another_company_or_project_are_404(sandbox):
    token = sandbox.token([COMPANY, OTHER])["access_token"]
    api = sandbox.api(company=COMPANY, token=token)
    mine, theirs = sandbox.project(COMPANY), sandbox.project(OTHER)
    assert api.get(f"/projects/{theirs['id']}", params={"company_id": COMPANY}).status_code == 404
    assert api.get("/requisitions", params={"project_id": theirs["id"]}).status_code == 404
    their_req = next(r for r in sandbox.records("requisitions") if r["project_id"] == theirs["id"])
    assert api.get(f"/requisitions/{their_req['id']}", params={"project_id": mine["id"]}).status_code == 404
    other_project = sandbox.project(COMPANY, 1)
    my_req = next(r for r in sandbox.records("requisitions") if r["project_id"] == mine["id"])
    assert api.get(f"/requisitions/{my_req['id']}", params={"project_id": other_project["id"]}).status_code == 404
    assert api.get(f"/requisitions/{my_req['id']}", params={"project_id": mine["id"]}).status_code == 200
    their_vendor = next(v for v in sandbox.records("vendors") if v["company_id"] == OTHER)
    assert api.get(f"/vendors/{their_vendor['id']}", params={"company_id": COMPANY}).status_code == 404


def test_project_scoped_lists_need_project_id(sandbox):
    api = sandbox.api()
    response = api.get("/requisitions")
    assert response.status_code == 400 and response.json() == {"errors": "project_id is missing"}
    project = sandbox.project()
    payments = api.get("/contract_payments", params={"project_id": project["id"]})
    assert payments.status_code == 400 and payments.json() == {"errors": "contract_id is missing"}

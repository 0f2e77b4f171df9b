"""The Procore sandbox's read-only pages answer the page routes Ledgerlink's "View in Procore" links build."""

from __future__ import annotations

import pytest

from blocks.links import Links
from sandbox.procore import create_app

HTML = {"Accept": "text/html"}
BASE = "http://procore.test"


@pytest.fixture(scope="module")
def world():
    app = create_app()
    store = app.extensions["procore_sandbox"].store
    company = next(c for c in store.all("companies") if c["name"] == "Summit Builders")
    project = sorted(store.find("projects", company_id=company["id"]), key=lambda p: p["project_number"])[0]
    contract = sorted(store.find("work_order_contracts", project_id=project["id"]), key=lambda c: c["number"])[0]
    return app, store, company, project, contract


def _get(app, url: str, status: int = 200) -> str:
    response = app.test_client().get(url.removeprefix(BASE), headers=HTML)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_card_links_open_the_record(world):
    app, store, company, project, contract = world
    links = Links(procore_web=BASE)
    req = store.find("requisitions", commitment_id=contract["id"])[0]
    html = _get(app, links.procore("sub_invoice", req["id"], project_id=project["id"], company_id=company["id"],
                                   detail={"commitment_id": contract["id"]}))
    assert f"Invoice {req['invoice_number']}" in html and contract["number"] in html
    assert store.get("vendors", contract["vendor_id"])["name"] in html
    html = _get(app, links.procore("commitment", contract["id"], project_id=project["id"], company_id=None))
    assert contract["title"] in html and "Schedule of values" in html and req["invoice_number"] in html
    vendor = store.get("vendors", contract["vendor_id"])
    assert vendor["name"] in _get(app, links.procore("company", vendor["id"], project_id=None,
                                                     company_id=company["id"]))
    assert project["name"] in _get(app, links.procore("project", project["id"], project_id=project["id"],
                                                      company_id=None))
    assert "Budget" in _get(app, links.procore("budget", project["id"], project_id=project["id"], company_id=None))
    app_ = store.all("payment_applications")[0]
    html = _get(app, links.procore("owner_invoice", app_["id"], project_id=app_["project_id"], company_id=None,
                                   detail={"prime_contract_id": app_["prime_contract_id"]}))
    assert f"Owner invoice {app_['invoice_number']}" in html


def test_project_pages_list_commitments_invoices_direct_costs_and_directory(world):
    app, store, company, project, contract = world
    home = _get(app, f"/{project['id']}/project/home")
    assert "Commitments" in home and "Subcontractor invoices" in home and "Direct costs" in home
    assert contract["number"] in home
    assert store.get("vendors", contract["vendor_id"])["name"] in _get(app, f"/{project['id']}/project/directory")
    assert project["name"] in _get(app, f"/{company['id']}/company/home")
    assert "Summit Builders" in _get(app, "/")


def test_a_record_of_another_project_is_not_found(world):
    app, store, company, project, contract = world
    other = next(p for p in store.find("projects", company_id=company["id"]) if p["id"] != project["id"])
    _get(app, f"/{other['id']}/project/commitments/work_order_contracts/{contract['id']}", 404)
    assert app.test_client().get("/").status_code == 404  # API clients: nothing at the root, as before

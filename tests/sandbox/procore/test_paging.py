"""Lists are bare arrays paged by `page`/`per_page` with `Total`, `Per-Page` and `Link` headers."""

from __future__ import annotations

import re

from tests.sandbox.procore.conftest import COMPANY


def _links(response) -> dict[str, str]:
    header = response.headers.get("Link", "")
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


def test_following_link_headers_walks_every_vendor_once(sandbox):
    vendors = [{"company_id": COMPANY, "name": f"Bulk Vendor {n:04d}", "is_active": True} for n in range(1500)]
    assert sandbox.admin.post("/records/vendors", json={"records": vendors}).status_code == 201
    api = sandbox.api()
    sandbox.admin.post("/requests/reset")

    seen, pages = [], 0
    response = api.get("/vendors", params={"company_id": COMPANY, "per_page": 100})
    first_links = _links(response)
    assert "first" not in first_links and "prev" not in first_links
    while True:
        pages += 1
        assert response.status_code == 200
        body = response.json()
        assert isinstance(body, list)
        assert response.headers["Total"] == "1540" and response.headers["Per-Page"] == "100"
        seen += [v["id"] for v in body]
        links = _links(response)
        if "next" not in links:
            assert "last" not in links and {"first", "prev"} <= set(links)
            break
        response = api.get(links["next"])

    assert pages == 16 and len(seen) == len(set(seen)) == 1540
    counts = sandbox.admin.get("/requests").json()
    assert counts["counts"] == {"GET /rest/v1.0/vendors": 16}


def test_link_header_shape_on_a_middle_page(sandbox):
    api = sandbox.api()
    response = api.get("/vendors", params={"company_id": COMPANY, "per_page": 5, "page": 3})
    links = _links(response)
    assert list(links) == ["first", "prev", "last", "next"]
    assert "page=1&per_page=5" in links["first"] and "page=8&per_page=5" in links["last"]
    assert "company_id=4278" in links["next"] and "page=4" in links["next"]
    assert len(response.json()) == 5


def test_per_page_is_capped_and_a_page_past_the_end_is_empty(sandbox):
    api = sandbox.api()
    response = api.get("/vendors", params={"company_id": COMPANY, "per_page": 50000})
    assert response.headers["Per-Page"] == "10000" and len(response.json()) == 40
    assert "Link" not in response.headers
    beyond = api.get("/vendors", params={"company_id": COMPANY, "page": 9})
    assert beyond.status_code == 200 and beyond.json() == []


def test_filters_origin_id_and_search(sandbox):
    api = sandbox.api()
    linked = api.get("/vendors", params={"company_id": COMPANY, "filters[origin_id]": "58"}).json()
    assert [v["name"] for v in linked] == ["Rocky Mountain Electric"]
    acme = api.get("/vendors", params={"company_id": COMPANY, "filters[search]": "acme"}).json()
    assert sorted(v["name"] for v in acme) == ["ACME CONCRETE LLC", "ACME Concrete", "Acme Concrete, Inc."]

"""The QBO sandbox's read-only QuickBooks pages answer the deep links Ledgerlink's cards build."""

from __future__ import annotations

import base64

import pytest

from blocks.links import Links
from sandbox.qbo.app import create_app

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
BASE = "http://qbo.test"


@pytest.fixture(scope="module")
def app():
    return create_app(realms=2)


@pytest.fixture
def page(app):
    client = app.test_client()

    def get(url: str, status: int = 200) -> str:
        response = client.get(url.removeprefix(BASE), headers=HTML)
        assert response.status_code == status, url
        return response.get_data(as_text=True)

    return get


@pytest.mark.parametrize(("item_type", "remote_id", "shows"), [
    ("sub_invoice", "102", ["Bill TPM-2240", "Tim Philip Masonry", "Subcontracted Work", "$1,250.00"]),
    ("owner_invoice", "109", ["Invoice 1001", "Showroom Remodel", "$5,000.00"]),
    ("company", "46", ["Norton Lumber and Building Materials", "NL-1001"]),
    ("project", "58", ["Showroom Remodel", "Cool Cars", "1001"]),
])
def test_card_links_open_the_record(page, item_type, remote_id, shows):
    url = Links(qbo_app=BASE).qbo(item_type, remote_id)
    html = page(url)
    for text in shows:
        assert text in html


def test_the_newest_company_is_shown_unless_one_is_picked(app, page):
    realms = sorted(app.extensions["qbo_sandbox"].store.realms)
    assert f"realm {realms[-1]}" in page("/app/homepage")
    client = app.test_client()
    picked = client.get(f"/app/homepage?realmId={realms[0]}", headers=HTML)
    assert f"realm {realms[0]}" in picked.get_data(as_text=True)
    assert f"realm {realms[0]}" in client.get("/app/bills", headers=HTML).get_data(as_text=True)  # cookie


def test_lists_payments_items_and_attachments(app, page):
    sb = app.extensions["qbo_sandbox"]
    realm = sb.store.realm(sorted(sb.store.realms)[-1])
    assert "TPM-2240" in page("/app/bills") and "Norton Lumber" in page("/app/vendors")
    assert "Rock Fountain" in page("/app/items") and "Bill payments" in page("/app/payments")
    assert "NL-1001" in page("/app/billpayment?txnId=104")  # the bill it paid, linked
    with sb.store.lock:
        sb.store.put(realm, "Attachable", {"Id": "900", "FileName": "invoice-<1>.pdf", "ContentType": "application/pdf",
                                           "Size": 5, "AttachableRef": [{"EntityRef": {"type": "Bill",
                                                                                       "value": "102"}}]})
        sb.store.kv_put("file", f"{realm.realm_id}:900", {"data": base64.b64encode(b"%PDF-").decode(),
                                                          "secret": "s", "content_type": "application/pdf"})
    html = page("/app/bill?txnId=102")
    assert "invoice-&lt;1&gt;.pdf" in html and "<1>" not in html  # escaped
    assert app.test_client().get("/app/attachment?id=900").data == b"%PDF-"


def test_unknown_records_are_a_404_page_and_api_clients_still_get_json(app, page):
    assert "Bill not found" in page("/app/bill?txnId=999999", 404)
    assert app.test_client().get("/").is_json
    assert app.test_client().get("/", headers=HTML).status_code == 302

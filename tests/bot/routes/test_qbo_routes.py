"""bot/routes/qbo.py: the webhook (signature, dedupe, enqueue) and the OAuth connect/callback flow through
intuit-oauth against a small fake Intuit (discovery document + authorize + token endpoints) over real HTTP."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time

import httpx
import pytest
from flask import Flask, jsonify, redirect, request
from sqlmodel import Session, select

from bot.routes.qbo import make_state, read_state
from bot.web import create_web_app
from core.config import load_settings
from core.crypto import SecretBox
from core.models import Connection, SyncRequest, Tenant
from sync.qbo.webhooks import signature
from tests.support.connect_links import admin_link, path_of
from tests.support.servers import running_wsgi

KEY = os.environ["LEDGERLINK_SECRET_KEY"]
VERIFIER = "verify_me"


def settings_for(engine, **env):
    base = dict(_env_file=None, DATABASE_URL=engine.url.render_as_string(hide_password=False),
                LEDGERLINK_SECRET_KEY=KEY, QBO_WEBHOOK_VERIFIER_TOKEN=VERIFIER)
    base.update(env)
    return load_settings(**base)


def add_tenant(engine, realm: str | None = None) -> int:
    with Session(engine) as s:
        t = Tenant(name="Acme", qbo_realm_id=realm)
        s.add(t)
        s.commit()
        return t.id


def sync_requests(engine) -> list[SyncRequest]:
    with Session(engine) as s:
        return list(s.exec(select(SyncRequest).order_by(SyncRequest.id)))


def legacy(realm: str, *entities: tuple[str, str, str, str]) -> bytes:
    return json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [
        {"name": n, "id": i, "operation": op, "lastUpdated": ts} for n, i, op, ts in entities]}}]}).encode()


def post(client, body: bytes, sig: str | None = "auto"):
    headers = {"Content-Type": "application/json"}
    if sig == "auto":
        sig = signature(VERIFIER, body)
    if sig is not None:
        headers["intuit-signature"] = sig
    return client.post("/webhooks/qbo", data=body, headers=headers)


# -- webhook ---------------------------------------------------------------------------------------------
def test_signature_test_vector():
    assert signature("verify_me", b'{"stuff":"5"}') == "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="


def test_test_vector_passes_the_signature_check_but_is_no_event(engine):
    client = create_web_app(settings_for(engine), engine=engine).test_client()
    r = client.post("/webhooks/qbo", data=b'{"stuff":"5"}',
                    headers={"intuit-signature": "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="})
    assert r.status_code == 400 and "eventNotifications" in r.json["error"]


def test_events_are_queued_once_and_redelivery_queues_nothing(engine):
    tenant_id = add_tenant(engine, realm="4620")
    client = create_web_app(settings_for(engine), engine=engine).test_client()
    body = legacy("4620", ("Bill", "145", "Create", "2026-11-25T10:00:00.000Z"),
                  ("Vendor", "56", "Update", "2026-11-25T10:00:01.000Z"))
    r = post(client, body)
    assert r.status_code == 200 and r.json == {"accepted": 2, "duplicates": 0}
    r = post(client, body)
    assert r.status_code == 200 and r.json == {"accepted": 0, "duplicates": 2}
    rows = sync_requests(engine)
    assert [(x.tenant_id, x.source, x.entity, x.entity_id, x.operation, x.external_account, x.status)
            for x in rows] == [(tenant_id, "qbo", "Bill", "145", "create", "4620", "pending"),
                               (tenant_id, "qbo", "Vendor", "56", "update", "4620", "pending")]
    # a later change of the same Bill is new work
    post(client, legacy("4620", ("Bill", "145", "Update", "2026-11-25T11:00:00.000Z")))
    assert len(sync_requests(engine)) == 3


def test_concurrent_redeliveries_queue_one_request(engine):
    add_tenant(engine, realm="77")
    app = create_web_app(settings_for(engine), engine=engine)
    body = legacy("77", ("Bill", "1", "Create", "2026-11-25T10:00:00Z"))
    headers = {"intuit-signature": signature(VERIFIER, body), "Content-Type": "application/json"}
    codes = []
    with running_wsgi(app) as base:
        def send():
            codes.append(httpx.post(f"{base}/webhooks/qbo", content=body, headers=headers, timeout=30).status_code)

        threads = [threading.Thread(target=send) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [200] * 12
    assert len(sync_requests(engine)) == 1


@pytest.mark.parametrize("sig", [None, "", "bm90IGEgc2lnbmF0dXJl", signature("another-token", b"{}")])
def test_missing_or_forged_signature_is_401(engine, sig):
    client = create_web_app(settings_for(engine), engine=engine).test_client()
    body = legacy("1", ("Bill", "1", "Create", "t"))
    r = post(client, body, sig=sig)
    assert r.status_code == 401
    tampered = post(client, body + b" ", sig=signature(VERIFIER, body))
    assert tampered.status_code == 401
    assert sync_requests(engine) == []


@pytest.mark.parametrize("body, needle", [(b"{not json", "not JSON"), (b'{"eventNotifications": {}}', "list"),
                                          (b'{"eventNotifications": [{"dataChangeEvent": {}}]}', "realmId")])
def test_bad_payload_is_400_with_a_message(engine, body, needle, caplog):
    client = create_web_app(settings_for(engine), engine=engine).test_client()
    r = post(client, body)
    assert r.status_code == 400 and needle in r.json["error"]
    assert any("bad payload" in rec.getMessage() for rec in caplog.records)


def test_cloudevents_array_is_accepted(engine):
    client = create_web_app(settings_for(engine), engine=engine).test_client()
    body = json.dumps([{"specversion": "1.0", "id": "e1", "source": "intuit.dsnBgbseACLLRZNxo2dfc4evm",
                        "type": "qbo.billpayment.created.v1", "datacontenttype": "application/json",
                        "time": "2026-11-25T10:00:00Z", "intuitentityid": "99", "intuitaccountid": "310687",
                        "data": {}}]).encode()
    r = post(client, body)
    assert r.status_code == 200 and r.json["accepted"] == 1
    (row,) = sync_requests(engine)
    assert (row.entity, row.entity_id, row.operation, row.external_account, row.tenant_id) == (
        "BillPayment", "99", "create", "310687", None)


def test_unconfigured_verifier_is_503(engine):
    settings = settings_for(engine)
    settings.qbo_webhook_verifier_token = None
    client = create_web_app(settings, engine=engine).test_client()
    assert post(client, legacy("1", ("Bill", "1", "Create", "t"))).status_code == 503


# -- OAuth -----------------------------------------------------------------------------------------------
def fake_intuit(codes: dict[str, str]) -> Flask:
    """Discovery document, auto-consenting authorize, token endpoint with single-use codes."""
    app = Flask("fake-intuit")

    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = request.host_url.rstrip("/")
        return jsonify(issuer=base, authorization_endpoint=f"{base}/connect/oauth2",
                       token_endpoint=f"{base}/oauth2/v1/tokens/bearer", revocation_endpoint=f"{base}/revoke",
                       jwks_uri=f"{base}/jwks", userinfo_endpoint=f"{base}/userinfo")

    @app.get("/connect/oauth2")
    def authorize():
        assert request.args["scope"] == "com.intuit.quickbooks.accounting"
        codes["C1"] = request.args["redirect_uri"]
        sep = "&" if "?" in request.args["redirect_uri"] else "?"
        return redirect(f"{request.args['redirect_uri']}{sep}code=C1&state={request.args['state']}&realmId=4620")

    @app.post("/oauth2/v1/tokens/bearer")
    def token():
        auth = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
        if auth != "cid:csecret":
            return jsonify(error="invalid_client"), 401
        if request.form.get("grant_type") != "authorization_code" or codes.pop(request.form.get("code"), None) is None:
            return jsonify(error="invalid_grant"), 400
        return jsonify(access_token="AT-1", refresh_token="RT-1", token_type="bearer", expires_in=3600,
                       x_refresh_token_expires_in=8726400)

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connect_and_callback_store_an_encrypted_connection(engine):
    tenant_id = add_tenant(engine)
    with running_wsgi(fake_intuit({})) as intuit:
        port = free_port()
        settings = settings_for(engine, QBO_CLIENT_ID="cid", QBO_CLIENT_SECRET="csecret",
                                QBO_ENVIRONMENT=f"{intuit}/.well-known/openid-configuration",
                                QBO_REDIRECT_URI=f"http://127.0.0.1:{port}/qbo/callback")
        app = create_web_app(settings, engine=engine)
        with running_wsgi(app, port=port) as base, httpx.Client(follow_redirects=True, timeout=30) as browser:
            r = browser.get(base + path_of(admin_link(engine, settings, tenant_id, "qbo")))
            assert r.status_code == 200, r.text
            assert "Connected to QuickBooks company 4620" in r.text
            assert [h.status_code for h in r.history] == [302, 302]
            # the same callback again (code spent, state replayed): refused, nothing changes
            again = browser.get(str(r.url))
            assert again.status_code == 400
    with Session(engine) as s:
        conn = s.exec(select(Connection)).one()
        tenant = s.get(Tenant, tenant_id)
    box = SecretBox(KEY)
    assert (conn.tenant_id, conn.provider, conn.external_id, conn.status) == (tenant_id, "qbo", "4620", "active")
    assert box.decrypt(conn.access_token_enc) == "AT-1" and box.decrypt(conn.refresh_token_enc) == "RT-1"
    assert "AT-1" not in conn.access_token_enc
    assert conn.access_expires_at is not None and conn.refresh_expires_at is not None
    assert tenant.qbo_realm_id == "4620"


def test_callback_refuses_bad_state(engine):
    tenant_id = add_tenant(engine)
    settings = settings_for(engine, QBO_CLIENT_ID="cid", QBO_CLIENT_SECRET="csecret",
                            QBO_ENVIRONMENT="http://127.0.0.1:9/unused")
    client = create_web_app(settings, engine=engine).test_client()
    good = make_state(KEY, tenant_id, nonce="n1", link_id=1)
    forged = good.replace(f"{tenant_id}.", f"{tenant_id + 1}.", 1)
    for state, cookie in [(forged, "n1"), (good, None), (good, "other"), ("garbage", "n1")]:
        if cookie:
            client.set_cookie(key="ledgerlink_qbo_nonce", value=cookie, path="/qbo/")
        else:
            client.delete_cookie(key="ledgerlink_qbo_nonce", path="/qbo/")
        r = client.get("/qbo/callback", query_string={"code": "C", "state": state, "realmId": "1"})
        assert r.status_code == 400, state
    assert client.get("/qbo/callback", query_string={"error": "access_denied"}).status_code == 400
    with Session(engine) as s:
        assert s.exec(select(Connection)).all() == []


def test_state_expires():
    state = make_state(KEY, 5, nonce="n", link_id=7, now=time.time() - 3600)
    with pytest.raises(ValueError, match="expired"):
        read_state(KEY, state, nonce="n")
    assert read_state(KEY, make_state(KEY, 5, nonce="n", link_id=7), nonce="n") == (5, 7)


def test_connect_needs_an_admin_link_and_configuration(engine):
    settings = settings_for(engine)
    client = create_web_app(settings, engine=engine).test_client()
    assert client.get("/qbo/connect").status_code == 403
    assert client.get("/qbo/connect?tenant=12345").status_code == 403
    tenant_id = add_tenant(engine)
    r = client.get(path_of(admin_link(engine, settings, tenant_id, "qbo")))  # QBO_CLIENT_ID unset
    assert r.status_code == 503 and b"QBO_CLIENT_ID" in r.data

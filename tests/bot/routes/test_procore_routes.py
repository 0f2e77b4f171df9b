"""/procore/connect + /procore/callback and POST /webhooks/procore over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from flask import Flask, jsonify, redirect, request
from sqlmodel import Session, select

from bot.routes.procore import NONCE_COOKIE, make_state, read_state
from bot.web import create_web_app
from core.config import load_settings
from core.crypto import SecretBox
from core.db import make_engine
from core.models import Connection, ConnectLink, ProcessedWebhook, SyncRequest, Tenant
from tests.support.connect_links import admin_link, path_of
from tests.support.servers import running_wsgi

SECRET = "hook-secret-123"
DELIVERY = {"id": 991, "ulid": "01JD3XKQ6W3C9V0T8M5Z2R4B7N", "company_id": 4264, "project_id": 7,
            "resource_name": "Requisitions", "resource_id": 88, "event_type": "update",
            "timestamp": "2026-11-25T12:00:00Z", "api_version": "v2"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(db_url, **env):
    base = {"DATABASE_URL": db_url, "PROCORE_WEBHOOK_SECRET": SECRET}
    base.update(env)
    return load_settings(_env_file=None, **base)


def _tenant(engine, **fields) -> int:
    with Session(engine, expire_on_commit=False) as s:
        t = Tenant(name="Summit Builders", **fields)
        s.add(t)
        s.commit()
        return t.id


@pytest.fixture
def web(db_url, monkeypatch):
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    settings = _settings(db_url)
    engine = make_engine(db_url)
    with running_wsgi(create_web_app(settings, engine=engine)) as base:
        yield base, engine
    engine.dispose()


def _post(base, body, auth: str | None = f"Bearer {SECRET}"):
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{base}/webhooks/procore", content=content, headers=headers)


def _rows(engine, model):
    with Session(engine) as s:
        return list(s.exec(select(model)))


# -- webhooks ------------------------------------------------------------------------------------------------
def test_delivery_enqueues_one_sync_request(web):
    base, engine = web
    tenant_id = _tenant(engine, procore_company_id=4264)

    r = _post(base, DELIVERY)

    assert r.status_code == 200 and r.json() == {"status": "queued"}
    (req,) = _rows(engine, SyncRequest)
    assert (req.source, req.entity, req.entity_id, req.operation, req.external_account, req.tenant_id,
            req.status) == ("procore", "Requisitions", "88", "update", "4264", tenant_id, "pending")
    (seen,) = _rows(engine, ProcessedWebhook)
    assert (seen.source, seen.dedupe_key) == ("procore", DELIVERY["ulid"])


def test_redelivery_is_processed_once(web):
    base, engine = web
    assert _post(base, DELIVERY).json() == {"status": "queued"}
    for _ in range(3):
        r = _post(base, DELIVERY, auth=SECRET)  # the bare secret is accepted too
        assert r.status_code == 200 and r.json() == {"status": "duplicate"}
    assert len(_rows(engine, SyncRequest)) == 1 and len(_rows(engine, ProcessedWebhook)) == 1
    assert _post(base, {**DELIVERY, "ulid": "01JD3XKQ6W3C9V0T8M5Z2R4B7P"}).json() == {"status": "queued"}
    assert len(_rows(engine, SyncRequest)) == 2


def test_concurrent_duplicates_neither_error_nor_double_queue(web):
    base, engine = web
    start = threading.Barrier(12)

    def deliver(_):
        start.wait()
        return _post(base, DELIVERY)

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(deliver, range(12)))

    assert [r.status_code for r in responses] == [200] * 12
    assert sorted(r.json()["status"] for r in responses) == ["duplicate"] * 11 + ["queued"]
    assert len(_rows(engine, SyncRequest)) == 1


FORGED = [None, "", "Bearer wrong", "wrong", f"Bearer {SECRET}x", f"Basic {SECRET}", SECRET.upper()]


def test_forged_or_missing_authorization_is_401(web):
    base, engine = web
    for auth in FORGED:
        r = _post(base, DELIVERY, auth=auth)
        assert r.status_code == 401, auth
    assert _rows(engine, SyncRequest) == [] and _rows(engine, ProcessedWebhook) == []


BAD_PAYLOADS = [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({k: v for k, v in DELIVERY.items() if k != "ulid"}).encode(), "'ulid'"),
    (json.dumps({**DELIVERY, "event_type": ""}).encode(), "'event_type'"),
    (json.dumps({**DELIVERY, "company_id": "acme"}).encode(), "'company_id'"),
]


def test_bad_payload_is_400_with_a_message(web, caplog):
    base, engine = web
    for body, words in BAD_PAYLOADS:
        r = _post(base, body)
        assert r.status_code == 400 and words in r.json()["error"], body
    assert _rows(engine, SyncRequest) == []
    assert sum("bad payload" in rec.getMessage() for rec in caplog.records) == len(BAD_PAYLOADS)


def test_webhooks_refused_when_no_secret_is_configured(db_url):
    settings = load_settings(_env_file=None, DATABASE_URL=db_url)
    app = create_web_app(settings, engine=make_engine(db_url))
    r = app.test_client().post("/webhooks/procore", json=DELIVERY, headers={"Authorization": "Bearer "})
    assert r.status_code == 503


def test_connect_says_what_is_missing_when_procore_is_not_configured(db_url):
    engine = make_engine(db_url)
    tenant_id = _tenant(engine)
    settings = load_settings(_env_file=None, DATABASE_URL=db_url)
    app = create_web_app(settings, engine=engine)
    r = app.test_client().get(path_of(admin_link(engine, settings, tenant_id, "procore")))
    assert r.status_code == 503 and b"PROCORE_CLIENT_ID" in r.data
    engine.dispose()


# -- OAuth connect / callback --------------------------------------------------------------------------------
def _fake_procore(companies: list[dict]) -> Flask:
    """Procore's login (authorize auto-consents, token endpoint) and the companies list."""
    fake = Flask("fake-procore")
    fake.config["codes"] = {}

    @fake.get("/oauth/authorize")
    def authorize():
        code = f"code-{len(fake.config['codes']) + 1}"
        fake.config["codes"][code] = request.args["redirect_uri"]
        return redirect(f"{request.args['redirect_uri']}?code={code}&state={request.args['state']}")

    @fake.post("/oauth/token")
    def token():
        form = request.form
        if (form["client_id"], form["client_secret"]) != ("cid", "csecret"):
            return jsonify(error="invalid_client"), 401
        if fake.config["codes"].pop(form.get("code"), None) != form.get("redirect_uri"):
            return jsonify(error="invalid_grant"), 400
        return jsonify(access_token="acc-1", refresh_token="ref-1", token_type="bearer", expires_in=5400,
                       created_at=0)

    @fake.get("/rest/v1.0/companies")
    def list_companies():
        if request.headers.get("Authorization") != "Bearer acc-1":
            return jsonify(errors="unauthorized"), 401
        return jsonify(companies)

    return fake


@pytest.fixture
def oauth_env(db_url, monkeypatch):
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    companies = [{"id": 4264, "name": "Summit Builders", "is_active": True}]
    port = _free_port()
    with running_wsgi(_fake_procore(companies)) as procore:
        settings = _settings(db_url, PROCORE_CLIENT_ID="cid", PROCORE_CLIENT_SECRET="csecret",
                             PROCORE_LOGIN_URL=procore, PROCORE_API_URL=procore,
                             LEDGERLINK_PUBLIC_URL=f"http://127.0.0.1:{port}")
        engine = make_engine(db_url)
        with running_wsgi(create_web_app(settings, engine=engine), port=port) as base:
            yield base, engine, settings, companies
        engine.dispose()


def test_connect_and_callback_store_an_encrypted_connection(oauth_env):
    base, engine, settings, _ = oauth_env
    tenant_id = _tenant(engine)
    with httpx.Client(follow_redirects=True) as browser:
        r = browser.get(admin_link(engine, settings, tenant_id, "procore"))
    assert r.status_code == 200 and "Connected to Procore company 4264" in r.text

    (conn,) = _rows(engine, Connection)
    assert (conn.tenant_id, conn.provider, conn.external_id, conn.status) == (tenant_id, "procore", "4264", "active")
    box = SecretBox(settings.require_secret_key())
    assert "acc-1" not in conn.access_token_enc and "ref-1" not in conn.refresh_token_enc
    assert (box.decrypt(conn.access_token_enc), box.decrypt(conn.refresh_token_enc)) == ("acc-1", "ref-1")
    assert conn.access_expires_at is not None
    with Session(engine) as s:
        assert s.get(Tenant, tenant_id).procore_company_id == 4264


def test_connect_redirects_with_signed_state_and_nonce_cookie(oauth_env):
    base, engine, settings, _ = oauth_env
    tenant_id = _tenant(engine)
    r = httpx.get(admin_link(engine, settings, tenant_id, "procore") + "&company=4264")
    assert r.status_code == 302
    url = httpx.URL(r.headers["Location"])
    assert url.path == "/oauth/authorize" and url.params["client_id"] == "cid"
    assert url.params["redirect_uri"] == f"{base}/procore/callback"
    nonce = r.cookies[NONCE_COOKIE]
    assert read_state(settings.require_secret_key(), url.params["state"], nonce=nonce)[:2] == (tenant_id, 4264)
    with pytest.raises(ValueError, match="another browser"):
        read_state(settings.require_secret_key(), url.params["state"], nonce="other")


def test_callback_refuses_a_forged_or_foreign_state(oauth_env):
    base, engine, settings, _ = oauth_env
    tenant_id = _tenant(engine)
    forged = make_state("not-the-key", tenant_id, nonce="n1", link_id=1)
    r = httpx.get(f"{base}/procore/callback", params={"code": "x", "state": forged}, cookies={NONCE_COOKIE: "n1"})
    assert r.status_code == 400
    good = make_state(settings.require_secret_key(), tenant_id, nonce="n1", link_id=1)
    r = httpx.get(f"{base}/procore/callback", params={"code": "x", "state": good})  # no cookie: other browser
    assert r.status_code == 400
    expired = make_state(settings.require_secret_key(), tenant_id, nonce="n1", link_id=1, now=0)
    r = httpx.get(f"{base}/procore/callback", params={"code": "x", "state": expired}, cookies={NONCE_COOKIE: "n1"})
    assert r.status_code == 400
    assert _rows(engine, Connection) == []


def test_callback_with_a_used_code_and_errors(oauth_env):
    base, engine, settings, _ = oauth_env
    tenant_id = _tenant(engine)
    state = make_state(settings.require_secret_key(), tenant_id, nonce="n1", link_id=1)
    r = httpx.get(f"{base}/procore/callback", params={"code": "never-issued", "state": state},
                  cookies={NONCE_COOKIE: "n1"})
    assert r.status_code == 400 and "already used or expired" in r.text
    r = httpx.get(f"{base}/procore/callback", params={"error": "access_denied"})
    assert r.status_code == 400 and "access_denied" in r.text
    no_link, other_tenant = (httpx.get(f"{base}/procore/connect"),
                             httpx.get(f"{base}/procore/connect", params={"tenant": 999}))
    assert no_link.status_code == other_tenant.status_code == 403 and no_link.text == other_tenant.text


def test_several_companies_ask_which_one(oauth_env):
    base, engine, settings, companies = oauth_env
    companies.append({"id": 5000, "name": "Other Co"})
    tenant_id = _tenant(engine)
    with httpx.Client(follow_redirects=True) as browser:
        r = browser.get(admin_link(engine, settings, tenant_id, "procore"))
        assert r.status_code == 200 and "Choose a Procore company" in r.text
        choice = re.search(r"href='([^']*/procore/connect\?link=[^']*&amp;company=5000)'", r.text)
        assert choice, r.text  # a fresh link: the first one was spent when it was opened
        assert _rows(engine, Connection) == []
        r = browser.get(choice.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and "company 5000" in r.text
    (conn,) = _rows(engine, Connection)
    assert conn.external_id == "5000"


def test_another_company_waits_for_an_admins_confirm(oauth_env):
    """Connected to 4264, an admin's link consents as a user who picks 5000: held, 4264 stays in use."""
    base, engine, settings, companies = oauth_env
    companies.append({"id": 5000, "name": "Other Co"})
    tenant_id = _tenant(engine)
    with httpx.Client(follow_redirects=True) as browser:
        first = browser.get(admin_link(engine, settings, tenant_id, "procore") + "&company=4264")
        assert first.status_code == 200 and "company 4264" in first.text
        held = browser.get(admin_link(engine, settings, tenant_id, "procore") + "&company=5000")
    assert held.status_code == 202 and "confirm" in held.text.lower(), held.text
    (conn,) = _rows(engine, Connection)
    assert conn.external_id == "4264"
    with Session(engine) as s:
        assert s.get(Tenant, tenant_id).procore_company_id == 4264
        link = s.exec(select(ConnectLink).where(ConnectLink.pending_external_id == "5000")).one()
    assert link.previous_external_id == "4264" and link.pending_tokens_enc.startswith("gAAAAA")

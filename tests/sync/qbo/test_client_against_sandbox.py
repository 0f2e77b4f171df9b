"""QboClient, QboOAuth, TokenStore and bot/routes/qbo.py against the real local QBO sandbox over HTTP."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from bot.web import create_web_app
from core.config import load_settings
from core.crypto import SecretBox
from core.models import Connection, Tenant
from sandbox.qbo import create_app
from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry, RateLimitPolicy
from sync.http.retry import RetryPolicy
from sync.qbo.batch import BatchItem
from sync.qbo.client import QboClient
from sync.qbo.errors import QboAuthError, QboDuplicate, QboNotFound, QboStaleObject, QboValidationError
from sync.qbo.oauth import QboOAuth
from sync.qbo.query import select as qselect
from sync.tokens import TokenSet, TokenStore
from tests.support.connect_links import admin_link, path_of
from tests.support.servers import running_wsgi

KEY = os.environ["LEDGERLINK_SECRET_KEY"]
CLIENT_ID, CLIENT_SECRET = "ledgerlink-test", "secret-xyz"
FAST = RetryPolicy(max_attempts=4, initial_wait=0.01, max_wait=0.05, jitter=0.01, rate_limit_jitter=0.01)
FAULTS_OFF = {k: 0 for k in ("429", "500", "503", "slow", "drop_after_commit")}


@pytest.fixture(scope="module")
def sandbox_url():
    with running_wsgi(create_app()) as base:
        yield base


class Realm:
    """A fresh seeded company with tokens minted for our client id."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.admin = httpx.Client(base_url=f"{base}/_sandbox", timeout=10)
        self.configure(limits=False, time_scale=1.0, fault_rates=FAULTS_OFF, reset_windows=True)
        self.id = self.admin.post("/realms", json={}).json()["realm_id"]
        tokens = self.admin.post("/tokens", json={"realm_id": self.id, "client_id": CLIENT_ID}).json()
        self.access_token, self.refresh_token = tokens["access_token"], tokens["refresh_token"]

    def configure(self, **body) -> dict:
        r = self.admin.post("/config", json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def requests(self) -> dict:
        return self.admin.get("/requests", params={"realm_id": self.id}).json()

    def client(self, **kwargs) -> QboClient:
        kwargs.setdefault("tokens", StaticToken(self.access_token))
        kwargs.setdefault("retry", FAST)
        kwargs.setdefault("registry", LimiterRegistry())
        return QboClient(realm_id=self.id, base_url=self.base, **kwargs)


@pytest.fixture
def realm(sandbox_url):
    r = Realm(sandbox_url)
    yield r
    r.configure(limits=False, fault_rates=FAULTS_OFF)
    r.admin.close()


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def bill_body(doc: str) -> dict:
    return {"VendorRef": {"value": "42"}, "DocNumber": doc, "Line": [
        {"DetailType": "AccountBasedExpenseLineDetail", "Amount": 120.5,
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}}]}


def test_crud_sparse_update_stale_synctoken_and_delete(realm):
    qbo = realm.client()
    name = unique("Sparse Co")
    vendor = qbo.create(entity="Vendor", body={"DisplayName": name, "CompanyName": "Sparse LLC"})
    assert vendor["DisplayName"] == name and vendor["SyncToken"] == "0"
    assert qbo.read(entity="Vendor", id=vendor["Id"]) == vendor
    updated = qbo.update(entity="Vendor", body={"Id": vendor["Id"], "SyncToken": "0", "AcctNum": "A-1"})
    assert updated["SyncToken"] == "1" and updated["CompanyName"] == "Sparse LLC" and updated["AcctNum"] == "A-1"
    with pytest.raises(QboStaleObject) as stale:
        qbo.update(entity="Vendor", body={"Id": vendor["Id"], "SyncToken": "0", "AcctNum": "B"})
    assert stale.value.code == "5010" and stale.value.intuit_tid and "this vendor" in stale.value.hint
    with pytest.raises(QboDuplicate) as dup:
        qbo.create(entity="Vendor", body={"DisplayName": name})
    assert dup.value.hint == ("A vendor with this name already exists in QuickBooks — link to it instead of "
                              "exporting a new one")
    gone = qbo.deactivate(entity="Vendor", id=vendor["Id"], sync_token="1")
    assert gone["Active"] is False

    bill = qbo.create(entity="Bill", body=bill_body(unique("B")[:21]))
    assert bill["TotalAmt"] == 120.5 and bill["APAccountRef"]["value"] == "33"
    deleted = qbo.delete(entity="Bill", id=bill["Id"], sync_token=bill["SyncToken"])
    assert deleted["status"] == "Deleted"
    with pytest.raises(QboNotFound) as missing:
        qbo.read(entity="Bill", id=bill["Id"])
    assert missing.value.code == "610"
    with pytest.raises(QboValidationError) as bad_ref:
        qbo.create(entity="Bill", body={**bill_body("X1"), "VendorRef": {"value": "999999"}})
    assert bad_ref.value.code == "2500"


def test_query_builder_escaping_round_trips_through_the_sandbox_parser(realm):
    qbo = realm.client()
    tricky = unique("O'Brien's \\ Supply")
    made = qbo.create(entity="Vendor", body={"DisplayName": tricky})
    rows = qbo.query(q=qselect("Vendor").where(DisplayName=tricky))["Vendor"]
    assert [r["Id"] for r in rows] == [made["Id"]]
    attack = "x' OR DisplayName LIKE '%"
    assert qbo.query(q=qselect("Vendor").where(DisplayName=attack)) == {}
    assert qbo.count(select_=qselect("Vendor").where(DisplayName=attack)) == 0


def test_query_all_pages_and_count(realm):
    qbo = realm.client()
    prefix = unique("Pager")
    for i in range(23):
        qbo.create(entity="Vendor", body={"DisplayName": f"{prefix} {i:02d}"})
    sel = qselect("Vendor").like("DisplayName", f"{prefix}%").order_by("DisplayName")
    before = realm.requests()["by_path"].get("GET /query", 0)
    names = [v["DisplayName"] for v in qbo.query_all(select_=sel, page_size=5)]
    assert names == [f"{prefix} {i:02d}" for i in range(23)]
    assert realm.requests()["by_path"]["GET /query"] - before == 5  # 5+5+5+5+3 rows
    assert qbo.count(select_=sel) == 23
    total = qbo.count(entity="Vendor")
    assert sum(1 for _ in qbo.query_all(entity="Vendor")) == total > 23


def test_batch_with_mixed_faults(realm):
    qbo = realm.client()
    existing = qbo.create(entity="Vendor", body={"DisplayName": unique("Existing")})
    qbo.update(entity="Vendor", body={"Id": existing["Id"], "SyncToken": "0", "AcctNum": "1"})
    fresh = unique("Fresh")
    results = qbo.batch(items=[
        BatchItem.create("Vendor", {"DisplayName": fresh}),
        BatchItem.create("Vendor", {"DisplayName": existing["DisplayName"]}),
        BatchItem.update("Vendor", {"Id": existing["Id"], "SyncToken": "0", "AcctNum": "2"}),
        BatchItem.query(qselect("Vendor").where(DisplayName=fresh)),
        BatchItem.create("Bill", {**bill_body("Q1"), "VendorRef": {"value": "999999"}}),
    ], requestid=uuid.uuid4().hex)
    assert results[0].ok and results[0].data["DisplayName"] == fresh
    assert isinstance(results[1].error, QboDuplicate)
    assert isinstance(results[2].error, QboStaleObject)
    assert results[3].ok and results[3].data["Vendor"][0]["DisplayName"] == fresh
    assert isinstance(results[4].error, QboValidationError) and results[4].error.code == "2500"
    assert realm.requests()["by_path"]["POST /batch"] == 1


def test_cdc_sees_changes_and_deletions(realm):
    qbo = realm.client()
    since = datetime.now(UTC) - timedelta(seconds=5)
    vendor = qbo.create(entity="Vendor", body={"DisplayName": unique("CDC")})
    bill = qbo.create(entity="Bill", body=bill_body("C1"))
    qbo.delete(entity="Bill", id=bill["Id"], sync_token=bill["SyncToken"])
    changes = qbo.cdc(entities=["Vendor", "Bill", "BillPayment"], changed_since=since)
    assert vendor["Id"] in {v["Id"] for v in changes["Vendor"]}
    assert {"Id": bill["Id"], "status": "Deleted"}.items() <= next(
        b for b in changes["Bill"] if b["Id"] == bill["Id"]).items()
    assert changes["BillPayment"] == []


def test_upload_attaches_a_pdf_to_an_invoice(realm):
    qbo = realm.client()
    invoice = qbo.create(entity="Invoice", body={"CustomerRef": {"value": "58"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 250, "SalesItemLineDetail": {"ItemRef": {"value": "13"}}}]})
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    att = qbo.upload(entity_ref={"type": "Invoice", "value": invoice["Id"]}, filename="summary.pdf", content=pdf,
                     content_type="application/pdf")
    assert att["FileName"] == "summary.pdf" and att["Size"] == len(pdf)
    assert att["AttachableRef"][0]["EntityRef"] == {"type": "Invoice", "value": invoice["Id"]}
    with pytest.raises(QboValidationError) as bad:
        qbo.upload(entity_ref={"type": "Invoice", "value": "999999"}, filename="x.pdf", content=pdf,
                   content_type="application/pdf")
    assert bad.value.code == "2500"


class DropOnce(httpx.BaseTransport):
    """Passes requests to the real transport; after the first dropped connection it switches the fault off,
    as a flaky network would recover."""

    def __init__(self, realm: Realm) -> None:
        self.inner = httpx.HTTPTransport()
        self.realm = realm
        self.failures = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.inner.handle_request(request)
        except httpx.TransportError:
            self.failures += 1
            self.realm.configure(fault_rates=FAULTS_OFF)
            raise

    def close(self) -> None:
        self.inner.close()


def test_requestid_replay_after_a_dropped_connection_makes_exactly_one_bill(realm):
    transport = DropOnce(realm)
    qbo = realm.client(transport=transport)
    doc = uuid.uuid4().hex[:12]
    realm.configure(fault_rates={**FAULTS_OFF, "drop_after_commit": 1.0})
    bill = qbo.create(entity="Bill", body=bill_body(doc), requestid=f"outbox-{doc}")
    assert transport.failures == 1
    assert realm.requests()["by_path"]["POST /bill"] == 2  # the write was sent twice...
    assert qbo.count(select_=qselect("Bill").where(DocNumber=doc)) == 1  # ...and made one Bill
    assert qbo.read(entity="Bill", id=bill["Id"])["DocNumber"] == doc
    again = qbo.create(entity="Bill", body=bill_body(doc), requestid=f"outbox-{doc}")  # a later outbox retry
    assert again["Id"] == bill["Id"]
    assert qbo.count(select_=qselect("Bill").where(DocNumber=doc)) == 1


def _storm(realm: Realm, policy: RateLimitPolicy, *, threads: int = 12, each: int = 4) -> tuple[float, dict]:
    qbo = realm.client(policy=policy, rate_limited_pause=1.0,
                       retry=RetryPolicy(max_attempts=20, initial_wait=0.01, max_wait=0.2, jitter=0.01,
                                         rate_limit_jitter=0.05))
    prefix = unique("Storm")
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(each):
                qbo.create(entity="Vendor", body={"DisplayName": f"{prefix} {t}-{i}"})
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    realm.admin.post("/requests/reset", json={"realm_id": realm.id})
    started = time.monotonic()
    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for p in pool:
        p.start()
    for p in pool:
        p.join(60)
    elapsed = time.monotonic() - started
    assert not errors, errors[:3]
    assert qbo.count(select_=qselect("Vendor").like("DisplayName", f"{prefix}%")) == threads * each
    return elapsed, realm.requests()


def test_429_storm_with_limits_on_completes(realm):
    """The sandbox allows 20 calls per (scaled) minute of 1 s; a client believing 100/s gets 429s, pauses the realm
    for the (scaled) 60 s = 1 s, and every write still lands exactly once."""
    realm.configure(limits=True, time_scale=60.0, per_minute=20, concurrent=10, batch_per_minute=40,
                    reset_windows=True)
    _, stats = _storm(realm, RateLimitPolicy(requests=100, window=1.0, max_concurrent=10))
    assert stats["by_status"].get("429", 0) > 0
    assert stats["by_status"]["200"] == 48 + 1  # the creates and the final count


def test_matching_limits_mean_no_429(realm):
    realm.configure(limits=True, time_scale=60.0, per_minute=20, concurrent=3, batch_per_minute=40,
                    reset_windows=True)
    elapsed, stats = _storm(realm, RateLimitPolicy(requests=20, window=1.0, max_concurrent=3))
    assert stats["by_status"] == {"200": 48 + 1}
    assert elapsed >= 2.0  # 48 calls at 20 per second need more than two windows


# -- tokens and OAuth ------------------------------------------------------------------------------------
def oauth_for(base: str) -> QboOAuth:
    return QboOAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri="http://127.0.0.1:1/qbo/callback",
                    environment=f"{base}/.well-known/openid-configuration", timeout=10)


def test_401_refreshes_once_through_intuit_oauth_and_succeeds(realm, engine):
    box = SecretBox(KEY)
    store = TokenStore(engine, box, {"qbo": oauth_for(realm.base).refresh})
    with Session(engine) as s:
        tenant = Tenant(name="Acme", qbo_realm_id=realm.id)
        s.add(tenant)
        s.commit()
        tenant_id = tenant.id
    cid = store.save(tenant_id=tenant_id, provider="qbo", external_id=realm.id,
                     tokens=TokenSet(access_token=realm.access_token, refresh_token=realm.refresh_token,
                                     access_expires_at=datetime.now(UTC) + timedelta(hours=1)))
    qbo = realm.client(tokens=store.source(cid))
    assert qbo.read(entity="Vendor", id="42")["DisplayName"] == "Hicks Hardware"
    realm.admin.post(f"/realms/{realm.id}/expire-access-tokens")  # the sandbox now says 401 to our token
    assert qbo.read(entity="Vendor", id="42")["DisplayName"] == "Hicks Hardware"
    assert store.refresh_count == 1
    assert realm.requests()["by_status"]["401"] == 1
    assert store.current_tokens(cid).access_token != realm.access_token
    # a revoked grant: the one refresh gets invalid_grant => needs_reauth, surfaced to the caller
    oauth_for(realm.base).revoke(token=store.current_tokens(cid).refresh_token)
    realm.admin.post(f"/realms/{realm.id}/expire-access-tokens")
    from sync.tokens import ReauthorizationRequired

    with pytest.raises(ReauthorizationRequired):
        qbo.read(entity="Vendor", id="42")
    assert store.info(cid).status == "needs_reauth"


def test_401_without_a_refresher_is_an_auth_error(realm):
    qbo = realm.client(tokens=StaticToken("not-a-token"))
    with pytest.raises(QboAuthError) as info:
        qbo.read(entity="Vendor", id="42")
    assert info.value.code == "3200" and info.value.status_code == 401


def test_refresh_rotation_is_saved(realm, engine):
    """After 24 h the sandbox rotates the refresh token; the store keeps the newest and the old one dies."""
    store = TokenStore(engine, SecretBox(KEY), {"qbo": oauth_for(realm.base).refresh})
    with Session(engine) as s:
        tenant = Tenant(name="Acme")
        s.add(tenant)
        s.commit()
        tenant_id = tenant.id
    cid = store.save(tenant_id=tenant_id, provider="qbo", external_id=realm.id,
                     tokens=TokenSet(access_token=realm.access_token, refresh_token=realm.refresh_token,
                                     access_expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    realm.admin.post("/clock", json={"advance_seconds": 25 * 3600})
    try:
        token = store.access_token(cid)
        saved = store.current_tokens(cid)
        assert saved.access_token == token and saved.refresh_token != realm.refresh_token
        assert realm.client(tokens=store.source(cid)).read(entity="Vendor", id="42")["Id"] == "42"
    finally:
        realm.admin.post("/clock", json={"offset_seconds": 0})


def test_full_connect_and_callback_flow_through_the_web_app(sandbox_url, engine):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = load_settings(_env_file=None, DATABASE_URL=engine.url.render_as_string(hide_password=False),
                             LEDGERLINK_SECRET_KEY=KEY, QBO_CLIENT_ID=CLIENT_ID, QBO_CLIENT_SECRET=CLIENT_SECRET,
                             QBO_ENVIRONMENT=f"{sandbox_url}/.well-known/openid-configuration",
                             QBO_REDIRECT_URI=f"http://127.0.0.1:{port}/qbo/callback")
    with Session(engine) as s:
        tenant = Tenant(name="Acme")
        s.add(tenant)
        s.commit()
        tenant_id = tenant.id
    app = create_web_app(settings, engine=engine)
    with running_wsgi(app, port=port) as base, httpx.Client(follow_redirects=True, timeout=30) as browser:
        r = browser.get(base + path_of(admin_link(engine, settings, tenant_id, "qbo")))
        assert r.status_code == 200, r.text
        assert [h.url.path for h in r.history] == ["/qbo/connect", "/connect/oauth2"]
    with Session(engine) as s:
        conn = s.exec(select(Connection).where(Connection.tenant_id == tenant_id)).one()
        realm_id = s.get(Tenant, tenant_id).qbo_realm_id
    assert f"Connected to QuickBooks company {conn.external_id}" in r.text
    assert realm_id == conn.external_id and conn.status == "active"
    store = TokenStore(engine, SecretBox(KEY), {"qbo": QboOAuth.from_settings(settings).refresh})
    qbo = QboClient.for_connection(store, conn.id, settings=settings, registry=LimiterRegistry(), retry=FAST)
    assert qbo.base_url == sandbox_url  # derived from the discovery URL, QBO_API_URL unset
    assert qbo.read(entity="CompanyInfo", id=conn.external_id)["Id"] == "1"
    assert qbo.count(entity="Vendor") > 0

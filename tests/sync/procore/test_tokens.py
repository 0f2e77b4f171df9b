"""Procore's single-use refresh tokens through the shared TokenStore, on SQLite and PostgreSQL.

The fake token endpoint enforces single use: a spent refresh token answers `invalid_grant`. Many threads (over
two TokenStore instances, standing in for two processes) find the access token expired at once: exactly one
refresh reaches Procore, everybody gets the new access token, and the stored refresh token is the live one.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from sqlmodel import Session

from core.crypto import SecretBox
from core.models import Tenant
from sync.procore.oauth import CLIENT_CREDENTIALS, ProcoreOAuth, ProcoreOAuthConfigError
from sync.tokens import (
    NEEDS_REAUTH,
    InvalidGrant,
    ReauthorizationRequired,
    TokenRefreshFailed,
    TokenSet,
    TokenStore,
    utcnow,
)
from tests.sync.procore.fakes import FakeProcore

LOGIN = "https://login.procore.test"


class FakeTokenEndpoint:
    """`/oauth/token` with single-use refresh tokens, single-use codes and client credentials."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.live_refresh = {"r0"}
        self.codes = {"code-1"}
        self.serial = 0
        self.calls: list[dict[str, str]] = []
        self.delay = delay
        self.valid_access: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        time.sleep(self.delay)  # widen the race window
        with self.lock:
            self.calls.append(form)
            if (form.get("client_id"), form.get("client_secret")) != ("cid", "csecret"):
                return httpx.Response(401, json={"error": "invalid_client"})
            grant = form.get("grant_type")
            if grant == "refresh_token":
                if form.get("refresh_token") not in self.live_refresh:
                    return httpx.Response(400, json={"error": "invalid_grant",
                                                     "error_description": "refresh token already used"})
                self.live_refresh.discard(form["refresh_token"])
            elif grant == "authorization_code":
                if form.get("code") not in self.codes:
                    return httpx.Response(400, json={"error": "invalid_grant"})
                self.codes.discard(form["code"])
            elif grant != "client_credentials":
                return httpx.Response(400, json={"error": "unsupported_grant_type"})
            self.serial += 1
            access = f"a{self.serial}"
            self.valid_access.add(access)
            body = {"access_token": access, "token_type": "bearer", "expires_in": 5400, "created_at": 0}
            if grant != "client_credentials":
                body["refresh_token"] = f"r{self.serial}"
                self.live_refresh.add(body["refresh_token"])
            return httpx.Response(200, json=body)


def _oauth(endpoint: FakeTokenEndpoint, **kw) -> ProcoreOAuth:
    return ProcoreOAuth(login_url=LOGIN, client_id=kw.pop("client_id", "cid"), client_secret="csecret",
                        redirect_uri="http://127.0.0.1:3000/procore/callback",
                        transport=httpx.MockTransport(endpoint), **kw)


def _expired_connection(engine, box: SecretBox, *, refresh_token: str = "r0") -> int:
    with Session(engine, expire_on_commit=False) as s:
        tenant = Tenant(name="Summit", procore_company_id=4264)
        s.add(tenant)
        s.commit()
    store = TokenStore(engine, box)
    return store.save(tenant_id=tenant.id, provider="procore", external_id="4264",
                      tokens=TokenSet(access_token="a0", refresh_token=refresh_token,
                                      access_expires_at=utcnow() - timedelta(minutes=1)))


@pytest.fixture
def box():
    from cryptography.fernet import Fernet

    return SecretBox(Fernet.generate_key().decode())


def test_concurrent_refreshes_have_exactly_one_winner(engine, box):
    endpoint = FakeTokenEndpoint(delay=0.05)
    conn_id = _expired_connection(engine, box)
    oauth = _oauth(endpoint)
    stores = [TokenStore(engine, box, {"procore": oauth.refresh}) for _ in range(2)]  # two "processes"

    with ThreadPoolExecutor(12) as pool:
        tokens = list(pool.map(lambda n: stores[n % 2].access_token(conn_id), range(24)))

    refreshes = [c for c in endpoint.calls if c["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0]["refresh_token"] == "r0"
    assert set(tokens) == {"a1"}
    saved = stores[0].current_tokens(conn_id)
    assert saved.refresh_token == "r1" and saved.refresh_token in endpoint.live_refresh  # nobody holds a dead one
    assert stores[0].info(conn_id).status == "active"

    # the next rotation (a 401 on a1) spends r1 and works: the chain is unbroken
    assert stores[1].access_token(conn_id, rejected="a1") == "a2"
    assert stores[0].current_tokens(conn_id).refresh_token == "r2"


def test_concurrent_401s_through_the_client_refresh_once(engine, box):
    endpoint = FakeTokenEndpoint(delay=0.02)
    with Session(engine, expire_on_commit=False) as s:
        tenant = Tenant(name="Summit")
        s.add(tenant)
        s.commit()
    store = TokenStore(engine, box)
    # the access token looks fresh but Procore revoked it: every thread's first call gets 401
    conn_id = store.save(tenant_id=tenant.id, provider="procore", external_id="4264",
                         tokens=TokenSet(access_token="revoked", refresh_token="r0",
                                         access_expires_at=utcnow() + timedelta(hours=1)))
    _oauth(endpoint).register(store)
    api = FakeProcore()

    def vendor(request):
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if token not in endpoint.valid_access:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={"id": 1, "name": "ACME"})

    api.routes[("GET", "/rest/v1.0/vendors/1")] = vendor
    client = api.client(tokens=store.source(conn_id))

    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(lambda _: client.get_vendor(vendor_id=1).name, range(16)))

    assert names == ["ACME"] * 16
    assert [c["grant_type"] for c in endpoint.calls] == ["refresh_token"]
    assert store.current_tokens(conn_id).refresh_token == "r1"


def test_a_spent_refresh_token_needs_reauthorisation(engine, box):
    endpoint = FakeTokenEndpoint()
    endpoint.live_refresh.clear()  # r0 was spent elsewhere
    conn_id = _expired_connection(engine, box)
    store = TokenStore(engine, box, {"procore": _oauth(endpoint).refresh})
    with pytest.raises(ReauthorizationRequired) as info:
        store.access_token(conn_id)
    assert "Procore" in info.value.detail and "reconnect" in info.value.detail
    assert store.info(conn_id).status == NEEDS_REAUTH


def test_client_credentials_connection_just_asks_again(engine, box):
    endpoint = FakeTokenEndpoint()
    oauth = _oauth(endpoint)
    with Session(engine, expire_on_commit=False) as s:
        tenant = Tenant(name="Summit")
        s.add(tenant)
        s.commit()
    store = TokenStore(engine, box)
    conn_id = oauth.connect_service_account(store, tenant_id=tenant.id, company_id=4264)
    assert store.access_token(conn_id) == "a1"
    assert store.current_tokens(conn_id).refresh_token == CLIENT_CREDENTIALS

    assert store.access_token(conn_id, rejected="a1") == "a2"  # expired/revoked: a new one, no refresh token
    assert [c["grant_type"] for c in endpoint.calls] == ["client_credentials", "client_credentials"]
    assert "refresh_token" not in endpoint.calls[1]


def test_oauth_calls_and_their_failures():
    endpoint = FakeTokenEndpoint()
    oauth = _oauth(endpoint)
    url = httpx.URL(oauth.authorization_url(state="s1"))
    assert str(url).startswith(f"{LOGIN}/oauth/authorize?")
    assert url.params["client_id"] == "cid" and url.params["state"] == "s1"
    assert url.params["response_type"] == "code"
    assert url.params["redirect_uri"] == "http://127.0.0.1:3000/procore/callback"

    tokens = oauth.exchange_code(code="code-1")
    assert (tokens.access_token, tokens.refresh_token) == ("a1", "r1") and tokens.access_expires_at > utcnow()
    assert endpoint.calls[0]["redirect_uri"] == "http://127.0.0.1:3000/procore/callback"
    with pytest.raises(InvalidGrant):
        oauth.exchange_code(code="code-1")  # codes are single-use too
    with pytest.raises(ProcoreOAuthConfigError):
        _oauth(endpoint, client_id="wrong").refresh("r1")

    def unreachable(request):
        raise httpx.ConnectError("refused", request=request)

    flaky = ProcoreOAuth(login_url=LOGIN, client_id="cid", client_secret="csecret",
                         transport=httpx.MockTransport(unreachable), attempts=2)
    with pytest.raises(TokenRefreshFailed):
        flaky.refresh("r1")

    reads = []

    def read_timeout(request):
        reads.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    slow = ProcoreOAuth(login_url=LOGIN, client_id="cid", client_secret="csecret",
                        transport=httpx.MockTransport(read_timeout), attempts=3)
    with pytest.raises(TokenRefreshFailed):
        slow.refresh("r1")
    assert len(reads) == 1  # the token may have been spent: never resend it


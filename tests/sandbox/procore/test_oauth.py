"""OAuth 2.0: client credentials, authorization code (single-use, 10 minutes), single-use refresh tokens."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.sandbox.procore.conftest import COMPANY

REDIRECT = "https://ledgerlink.example/procore/callback"


def _token(sandbox, **form) -> httpx.Response:
    return httpx.post(f"{sandbox.url}/oauth/token", data={"client_id": "cid", "client_secret": "secret", **form})


def _authorize(sandbox, **extra) -> str:
    params = {"response_type": "code", "client_id": "cid", "redirect_uri": REDIRECT, "state": "xyz-1", **extra}
    response = httpx.get(f"{sandbox.url}/oauth/authorize", params=params)
    assert response.status_code == 302
    location = urlparse(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz-1"]
    return query["code"][0]


def test_client_credentials_has_no_refresh_token(sandbox):
    response = _token(sandbox, grant_type="client_credentials")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "created_at"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 5400
    api = sandbox.api(token=body["access_token"])
    assert api.get("/projects", params={"company_id": COMPANY}).status_code == 200


def test_client_credentials_without_a_secret_is_invalid_client(sandbox):
    response = httpx.post(f"{sandbox.url}/oauth/token", data={"grant_type": "client_credentials", "client_id": "x"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_authorization_code_flow_and_code_reuse(sandbox):
    code = _authorize(sandbox)
    response = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in", "refresh_token", "created_at"]
    me = sandbox.api(company=None, token=body["access_token"]).get("/me").json()
    assert me["login"] == "dana@summitbuilders.com"
    reused = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_authorization_code_for_a_chosen_user_expires_after_ten_minutes(sandbox):
    code = _authorize(sandbox, login="sam@summitbuilders.com")
    wrong_redirect = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri="https://evil.example")
    assert wrong_redirect.status_code == 400
    fresh = _authorize(sandbox, login="sam@summitbuilders.com")
    ok = _token(sandbox, grant_type="authorization_code", code=fresh, redirect_uri=REDIRECT).json()
    assert sandbox.api(company=None, token=ok["access_token"]).get("/me").json()["login"] == "sam@summitbuilders.com"
    stale = _authorize(sandbox)
    sandbox.admin.post("/clock", json={"advance": 601})
    assert _token(sandbox, grant_type="authorization_code", code=stale, redirect_uri=REDIRECT).status_code == 400


def test_refresh_tokens_are_single_use(sandbox):
    code = _authorize(sandbox)
    first = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    second = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"] and renewed["access_token"] != first["access_token"]
    again = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant" and "error_description" in again.json()
    # the access token issued with the spent refresh token is revoked with it; the new one works
    projects = {"company_id": COMPANY}
    assert sandbox.api(token=first["access_token"]).get("/projects", params=projects).status_code == 401
    assert sandbox.api(token=renewed["access_token"]).get("/projects", params=projects).status_code == 200
    assert _token(sandbox, grant_type="refresh_token", refresh_token=renewed["refresh_token"]).status_code == 200


def test_a_refresh_whose_answer_is_lost_still_spends_the_refresh_token(sandbox):
    code = _authorize(sandbox)
    first = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    sandbox.config(fault_next=[{"kind": "drop_after_commit", "path": "/oauth/token"}])
    with pytest.raises(httpx.TransportError):
        _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    retry = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert retry.status_code == 400 and retry.json()["error"] == "invalid_grant"
    counts = sandbox.admin.get("/requests").json()["counts"]
    assert counts["POST /oauth/token"] == 3


def test_unknown_grant_type_and_token_info_and_revoke(sandbox):
    assert _token(sandbox, grant_type="password").json()["error"] == "unsupported_grant_type"
    token = sandbox.token()["access_token"]
    info = httpx.get(f"{sandbox.url}/oauth/token/info", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 200 and 0 < info.json()["expires_in_seconds"] <= 5400
    assert httpx.post(f"{sandbox.url}/oauth/revoke", data={"token": token}).status_code == 200
    assert sandbox.api(token=token).get("/projects", params={"company_id": COMPANY}).status_code == 401


def test_concurrent_refreshes_with_one_token_succeed_once(sandbox):
    code = _authorize(sandbox)
    refresh = _token(sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()["refresh_token"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: _token(sandbox, grant_type="refresh_token",
                                                  refresh_token=refresh).status_code, range(8)))
    assert sorted(statuses) == [200] + [400] * 7

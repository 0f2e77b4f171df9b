"""The unmodified vendor libraries against the sandbox: intuit-oauth's AuthClient and python-quickbooks."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.base import AttachableRef, Ref
from quickbooks.objects.bill import Bill
from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
from quickbooks.objects.vendor import Vendor

REDIRECT = "http://127.0.0.1:1/qbo/callback"


def auth_client(base: str, **tokens) -> AuthClient:
    return AuthClient("client-abc", "secret-xyz", REDIRECT, f"{base}/.well-known/openid-configuration", **tokens)


def authorize(base: str, client: AuthClient, scopes: list) -> tuple[str, str]:
    url = client.get_authorization_url(scopes)
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    location = urlparse(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == client.state_token
    return params["code"], params["realmId"]


def test_auth_client_full_flow(qbo):
    base = qbo.base
    client = auth_client(base)
    assert client.token_endpoint == f"{base}/oauth2/v1/tokens/bearer"
    code, realm = authorize(base, client, [Scopes.ACCOUNTING, Scopes.OPENID])
    client.get_bearer_token(code, realm_id=realm)
    assert client.realm_id == realm and client.expires_in == 3600
    assert client.x_refresh_token_expires_in > 8_000_000
    assert client.id_token  # signed RS256, validated by the library against our jwks_uri
    with pytest.raises(AuthClientError) as reused:
        auth_client(base).get_bearer_token(code, realm_id=realm)  # codes are single-use
    assert reused.value.status_code == 400 and "invalid_grant" in str(reused.value.content)

    assert client.get_user_info().json()["email"]
    api = f"{base}/v3/company/{realm}/companyinfo/{realm}"
    assert httpx.get(api, headers={"Authorization": f"Bearer {client.access_token}"}).status_code == 200
    code2, realm2 = authorize(base, auth_client(base), [Scopes.ACCOUNTING])
    assert realm2 == realm  # one company per client id

    first = client.refresh_token
    client.refresh()
    assert client.refresh_token == first  # within 24 h of issue: same value
    qbo.admin("/clock", {"advance_seconds": 25 * 3600})
    client.refresh()
    rotated = client.refresh_token
    assert rotated != first
    late = auth_client(base, refresh_token=first)
    late.refresh()  # the superseded token still works inside the grace period...
    assert late.refresh_token == rotated  # ...and hands out the newest
    qbo.admin("/clock", {"advance_seconds": 121})
    with pytest.raises(AuthClientError) as stale:
        auth_client(base, refresh_token=first).refresh()
    assert stale.value.status_code == 400 and "invalid_grant" in str(stale.value.content)

    assert client.revoke() is True
    with pytest.raises(AuthClientError):
        client.refresh()
    revoked = httpx.get(api, headers={"Authorization": f"Bearer {client.access_token}"})
    assert revoked.status_code == 401


def test_admin_minted_tokens_refresh_with_any_client(qbo):
    client = auth_client(qbo.base, refresh_token=qbo.refresh_token)
    client.refresh()
    assert client.refresh_token == qbo.refresh_token and client.access_token != qbo.access_token


def test_token_endpoint_needs_client_credentials(qbo):
    response = httpx.post(f"{qbo.base}/oauth2/v1/tokens/bearer",
                          data={"grant_type": "refresh_token", "refresh_token": qbo.refresh_token})
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}
    unknown = httpx.post(f"{qbo.base}/oauth2/v1/tokens/bearer", auth=("a", "b"),
                         data={"grant_type": "refresh_token", "refresh_token": "nope"})
    assert unknown.status_code == 400 and unknown.json() == {"error": "invalid_grant"}


@pytest.fixture
def quickbooks(qbo, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # requests-oauthlib refuses http:// otherwise
    client = auth_client(qbo.base, access_token=qbo.access_token, refresh_token=qbo.refresh_token)
    qb = QuickBooks(auth_client=client, refresh_token=qbo.refresh_token, company_id=qbo.realm, minorversion=75)
    qb.api_url_v3 = f"{qbo.base}/v3"  # environment is a URL, not "sandbox", so api_url uses api_url_v3
    return qb


def test_python_quickbooks_crud_query_batch_delete(quickbooks, qbo):
    qb = quickbooks
    vendor = Vendor()
    vendor.DisplayName = "Pat O'Brien Plumbing"
    vendor.CompanyName = "O'Brien Plumbing"
    created = vendor.save(qb=qb)
    assert created.Id and created.SyncToken == "0" and created.Balance == 0

    found = Vendor.filter(DisplayName="Pat O'Brien Plumbing", qb=qb)
    assert [v.Id for v in found] == [created.Id]
    assert Vendor.count(qb=qb) == 26  # the sample company's 25 active vendors and this one
    fetched = Vendor.get(created.Id, qb=qb)
    fetched.AcctNum = "OB-7"
    updated = fetched.save(qb=qb)  # full update with the read SyncToken
    assert updated.SyncToken == "1" and updated.AcctNum == "OB-7"
    with pytest.raises(QuickbooksException) as stale:
        fetched.save(qb=qb)  # same SyncToken again
    assert stale.value.error_code == 5010

    bill = Bill()
    bill.VendorRef = created.to_ref()
    line = AccountBasedExpenseLine()
    line.Amount = 420.0
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    account = Ref()
    account.value = "90"
    line.AccountBasedExpenseLineDetail.AccountRef = account
    bill.Line.append(line)
    bill.DocNumber = "OB-2024-01"
    saved = bill.save(qb=qb)
    assert saved.TotalAmt == 420.0 and saved.Balance == 420.0 and saved.APAccountRef.value == "33"

    batch = []
    for n in range(3):
        v = Vendor()
        v.DisplayName = f"Batch Supplier {n}"
        batch.append(v)
    duplicate = Vendor()
    duplicate.DisplayName = "Hicks Hardware"
    batch.append(duplicate)
    results = batch_create(batch, qb=qb)
    assert len(results.successes) == 3 and len(results.faults) == 1
    assert results.faults[0].Error[0].code == "6240"

    attachable = Attachable()
    attachable.FileName = "invoice.pdf"
    attachable.ContentType = "application/pdf"
    attachable._FileBytes = b"%PDF-1.4 sandbox test\n%%EOF\n"
    ref = AttachableRef()
    ref.EntityRef = saved.to_ref()
    attachable.AttachableRef.append(ref)
    uploaded = attachable.save(qb=qb)
    assert uploaded.Id and uploaded.Size == len(attachable._FileBytes)
    assert httpx.get(uploaded.TempDownloadUri).content == attachable._FileBytes

    since = datetime.fromisoformat(saved.MetaData["CreateTime"]) - timedelta(minutes=1)
    cdc = change_data_capture([Vendor, Bill], since.strftime("%Y-%m-%dT%H:%M:%S%z"), qb=qb)
    assert saved.Id in [b.Id for b in cdc.Bill]

    saved.delete(qb=qb)
    assert qbo.get(f"/bill/{saved.Id}").json()["Fault"]["Error"][0]["code"] == "610"


def test_python_quickbooks_sees_401(quickbooks, qbo):
    qbo.admin(f"/realms/{qbo.realm}/expire-access-tokens")
    with pytest.raises(AuthorizationException):
        Vendor.get("42", qb=quickbooks)

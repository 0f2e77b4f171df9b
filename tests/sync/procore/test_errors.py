"""Status → typed error, every body shape → a readable message, a one-line hint on each."""

from __future__ import annotations

import httpx
import pytest

from sync.http.errors import AuthenticationError, ClientError, RateLimitedError, ServerError
from sync.procore.errors import (
    MISSING_COMPANY_HINT,
    NOT_CONNECTED_HINT,
    ProcoreApiError,
    ProcoreAuthError,
    ProcoreClientError,
    ProcoreConflict,
    ProcoreConnectionError,
    ProcoreForbidden,
    ProcoreNotFound,
    ProcoreRateLimited,
    ProcoreServerError,
    ProcoreTimeout,
    ProcoreValidationError,
    parse_error_body,
)
from tests.sync.procore.fakes import FakeProcore, json_response


@pytest.mark.parametrize(("status", "cls", "neutral"), [
    (400, ProcoreClientError, ClientError),
    (401, ProcoreAuthError, AuthenticationError),
    (403, ProcoreForbidden, ClientError),
    (404, ProcoreNotFound, ClientError),
    (409, ProcoreConflict, ClientError),
    (422, ProcoreValidationError, ClientError),
    (429, ProcoreRateLimited, RateLimitedError),
    (500, ProcoreServerError, ServerError),
    (502, ProcoreServerError, ServerError),
    (418, ProcoreClientError, ClientError),
])
def test_status_maps_to_class(status, cls, neutral):
    fake = FakeProcore()
    fake.script.extend([json_response(status, {"message": "nope"})] * 5)
    with pytest.raises(cls) as info:
        fake.client().get_vendor(vendor_id=1)
    err = info.value
    assert isinstance(err, ProcoreApiError) and isinstance(err, neutral)
    assert err.status == status and err.message == "nope"
    assert err.hint and "\n" not in err.hint
    assert f"HTTP {status}" in str(err) and "/rest/v1.0/vendors/1" in str(err)


def test_client_errors_are_not_retried():
    fake = FakeProcore()
    fake.script.extend([json_response(404, {"errors": "Not Found"})] * 3)
    with pytest.raises(ProcoreNotFound):
        fake.client().get_project(project_id=9)
    assert len(fake.requests) == 1


def test_server_errors_are_retried_then_surface():
    fake = FakeProcore()
    fake.script.extend([json_response(500, "Internal Server Error")] * 4)
    with pytest.raises(ProcoreServerError) as info:
        fake.client().get_vendor(vendor_id=1)
    assert len(fake.requests) == 4  # FAST_RETRY: 4 attempts
    assert info.value.message == "Internal Server Error"


def test_a_5xx_then_success_is_invisible():
    fake = FakeProcore()
    fake.script.append(json_response(502, "<html><body>Bad gateway</body></html>", **{"Content-Type": "text/html"}))
    fake.routes[("GET", "/rest/v1.0/vendors/1")] = lambda r: httpx.Response(200, json={"id": 1, "name": "A"})
    assert fake.client().get_vendor(vendor_id=1).name == "A"
    assert len(fake.requests) == 2


def test_401_is_an_auth_error_after_one_refresh_attempt():
    fake = FakeProcore()
    fake.script.extend([json_response(401, {"error": "invalid_token",
                                            "error_description": "The access token expired"})] * 3)
    with pytest.raises(ProcoreAuthError) as info:
        fake.client().get_vendor(vendor_id=1)
    assert "The access token expired" in info.value.message
    assert len(fake.requests) == 2  # the original + one resend after the refresh
    assert "reconnect Procore" in info.value.hint


def test_missing_company_header_is_a_400_with_a_hint():
    fake = FakeProcore()
    with pytest.raises(ProcoreApiError) as info:
        fake.client(company_id=None).get_vendor(vendor_id=1)
    err = info.value
    assert err.status == 400 and isinstance(err, ProcoreClientError)
    assert err.hint == MISSING_COMPANY_HINT and "Procore-Company-Id" in str(err)
    assert "Procore-Company-Id" not in fake.requests[0].headers


def test_403_not_connected_and_permission_hints():
    fake = FakeProcore()
    fake.script.append(json_response(403, {"errors": "App is not connected to this company"}))
    with pytest.raises(ProcoreForbidden) as info:
        fake.client().list_projects().first()
    assert info.value.hint == NOT_CONNECTED_HINT

    fake.script.append(json_response(403, {"message": "You do not have permission to access Direct Costs"}))
    with pytest.raises(ProcoreForbidden) as info:
        fake.client().list_direct_costs(project_id=1).first()
    assert "permission" in info.value.hint


def test_422_keeps_field_messages():
    fake = FakeProcore()
    fake.script.append(json_response(422, {"errors": {"name": ["can't be blank"], "origin_id": ["is invalid"]}}))
    with pytest.raises(ProcoreValidationError) as info:
        fake.client().create_vendor(name="")
    err = info.value
    assert err.field_errors == {"name": ["can't be blank"], "origin_id": ["is invalid"]}
    assert err.message == "name can't be blank; origin_id is invalid"


def test_409_origin_id_conflict():
    fake = FakeProcore()
    fake.script.append(json_response(409, {"errors": {"origin_id": ["has already been taken"]}}))
    with pytest.raises(ProcoreConflict) as info:
        fake.client().create_project(name="Tower", origin_id="17")
    assert "origin_id has already been taken" in str(info.value)
    assert "origin_id" in info.value.hint


@pytest.mark.parametrize(("body", "content_type", "message", "fields"), [
    (b'{"errors": {"name": ["can\'t be blank"]}}', "application/json", "name can't be blank",
     {"name": ["can't be blank"]}),
    (b'{"errors": {"base": ["Locked"]}}', "application/json", "Locked", {"base": ["Locked"]}),
    (b'{"errors": {"vendor": {"name": ["taken"]}}}', "application/json", "vendor.name taken",
     {"vendor.name": ["taken"]}),
    (b'{"errors": "Not Found"}', "application/json", "Not Found", {}),
    (b'{"errors": ["a", "b"]}', "application/json", "a; b", {}),
    (b'{"message": "Bad thing", "error": "bad_request"}', "application/json", "bad_request: Bad thing", {}),
    (b'{"error": "invalid_grant", "error_description": "already used"}', "application/json",
     "invalid_grant: already used", {}),
    (b"Rate limit exceeded\n", "text/plain", "Rate limit exceeded", {}),
    (b'{"error": {"error": "You have surpassed the max number of requests"}}', "application/json",
     "You have surpassed the max number of requests", {}),
    (b'{"errors": "App is not connected to this company."}', "application/json",
     "App is not connected to this company.", {}),
    (b"<html><h1>502</h1></html>", "text/html", "(an HTML error page)", {}),
    (b"", "", "(empty response body)", {}),
    (b'{"unexpected": 1}', "application/json", '{"unexpected": 1}', {}),
])
def test_parse_error_body_shapes(body, content_type, message, fields):
    assert parse_error_body(body, content_type) == (message, fields)


def test_transport_errors_are_typed_after_retries():
    def boom(request):
        raise httpx.ConnectError("refused", request=request)

    fake = FakeProcore()
    fake.script.extend([boom] * 4)
    with pytest.raises(ProcoreConnectionError) as info:
        fake.client().get_vendor(vendor_id=1)
    assert len(fake.requests) == 4 and info.value.hint

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    fake.script.extend([slow] * 4)
    with pytest.raises(ProcoreTimeout):
        fake.client().get_vendor(vendor_id=1)


def test_a_post_is_not_resent_after_a_read_timeout():
    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    fake = FakeProcore()
    fake.script.extend([slow] * 4)
    with pytest.raises(ProcoreTimeout):
        fake.client().create_vendor(name="ACME")
    assert len(fake.requests) == 1  # it may have been created: never duplicate a write

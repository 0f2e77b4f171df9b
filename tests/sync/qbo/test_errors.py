"""Fault bodies (API envelope, gateway envelope, XML and text 429s) → typed errors with hints."""

from __future__ import annotations

import httpx
import pytest

from sync.http.errors import AuthenticationError, ClientError, RateLimitedError, ServerError
from sync.qbo.errors import (
    QboApiError,
    QboAuthError,
    QboDuplicate,
    QboError,
    QboNotFound,
    QboQueryError,
    QboRateLimited,
    QboServerError,
    QboStaleObject,
    QboValidationError,
    error_from_response,
    hint_for,
)

REQ = httpx.Request("POST", "https://quickbooks.api.intuit.com/v3/company/1/vendor")


def fault(code: str, message: str = "msg", detail: str = "detail", element: str | None = "") -> dict:
    err = {"Message": message, "Detail": detail, "code": code}
    if element is not None:
        err["element"] = element
    return {"Fault": {"Error": [err], "type": "ValidationFault"}, "time": "2026-11-25T10:00:00.000-08:00"}


def response(status: int, **kwargs) -> httpx.Response:
    return httpx.Response(status, request=REQ, **kwargs)


@pytest.mark.parametrize("code, cls", [("6240", QboDuplicate), ("6140", QboDuplicate), ("5010", QboStaleObject),
                                       ("610", QboNotFound), ("4000", QboQueryError), ("2020", QboValidationError),
                                       ("2500", QboValidationError), ("6000", QboValidationError),
                                       ("9999", QboValidationError)])
def test_validation_fault_codes(code, cls):
    err = error_from_response(response(400, json=fault(code), headers={"intuit_tid": "tid-123"}))
    assert type(err) is cls
    assert isinstance(err, QboApiError) and isinstance(err, QboError) and isinstance(err, ClientError)
    assert (err.status_code, err.code, err.message, err.detail, err.fault_type) == (400, code, "msg", "detail",
                                                                                      "ValidationFault")
    assert err.intuit_tid == "tid-123" and "tid-123" in str(err)
    assert err.response.status_code == 400


def test_duplicate_name_hint_names_the_entity():
    err = error_from_response(response(400, json=fault("6240", "Duplicate Name Exists Error",
                                                       "The name supplied already exists. : Another vendor...",
                                                       element="DisplayName")))
    err.entity = "Vendor"
    assert err.hint == ("A vendor with this name already exists in QuickBooks — link to it instead of exporting a "
                        "new one")
    assert err.element == "DisplayName"
    assert "6240" in str(err) and "Duplicate Name Exists Error" in str(err)


def test_element_absent_or_empty_is_none():
    assert error_from_response(response(400, json=fault("2020", element=None))).element is None
    assert error_from_response(response(400, json=fault("2020", element=""))).element is None


def test_gateway_401_lowercase_envelope():
    body = {"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                 "detail": "Token expired: eyJ...", "code": "3200", "element": None}],
                      "type": "AUTHENTICATION"}, "time": 1732550000000}
    err = error_from_response(response(401, json=body, headers={
        "WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}))
    assert type(err) is QboAuthError and isinstance(err, AuthenticationError)
    assert err.code == "3200" and err.fault_type == "AUTHENTICATION"
    assert "reconnect" in err.hint


def test_gateway_message_without_code_field_still_gives_code():
    body = {"fault": {"error": [{"message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                                 "detail": "The request limit was reached."}], "type": "SERVICE"}}
    err = error_from_response(response(429, json=body))
    assert type(err) is QboRateLimited and err.code == "3001"


def test_xml_429():
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2026-11-25T10:00:00.000-08:00">'
           '<Fault type="SERVICE"><Error code="003001"><Message>message=ThrottleExceeded; errorCode=003001; '
           'statusCode=429</Message><Detail>The request limit was reached.</Detail></Error></Fault>'
           '</IntuitResponse>')
    err = error_from_response(response(429, text=xml, headers={"Content-Type": "application/xml",
                                                               "Retry-After": "60"}))
    assert type(err) is QboRateLimited and isinstance(err, RateLimitedError)
    assert err.code == "3001" and err.detail == "The request limit was reached." and err.fault_type == "SERVICE"
    assert err.retry_after == 60.0
    assert "throttling" in err.hint


@pytest.mark.parametrize("body", ["Too Many Requests", "", "<html><body>429</body></html>", "<not xml"])
def test_non_json_429(body):
    err = error_from_response(response(429, text=body))
    assert type(err) is QboRateLimited
    assert err.code is None and err.message  # something readable, never a crash


def test_5xx_html_is_a_server_error():
    err = error_from_response(response(503, text="<html>Service Unavailable</html>"))
    assert type(err) is QboServerError and isinstance(err, ServerError)
    assert "Service Unavailable" in err.message
    assert "retries by itself" in err.hint


def test_404_and_403():
    assert type(error_from_response(response(404, text="Not Found"))) is QboNotFound
    assert type(error_from_response(response(403, json=fault("3100")))) is QboAuthError


def test_hint_table_fallbacks():
    assert hint_for("5010", 400, "Bill").startswith("Someone changed this bill")
    assert hint_for(None, 400, None).startswith("QuickBooks refused this record")
    assert hint_for(None, 500) .startswith("QuickBooks is having trouble")

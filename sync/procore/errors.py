"""What can go wrong talking to Procore, by meaning.

    ProcoreError (RemoteError)
    ├── ProcoreTransportError        no usable HTTP answer, after the retry policy gave up (TransportFailure)
    │   ├── ProcoreConnectionError   refused / reset / DNS                                  (ConnectionFailed)
    │   └── ProcoreTimeout           connect / read / write / pool timeout                  (RequestTimeout)
    ├── ProcoreRecordError           a record Procore sent lacks a field Ledgerlink needs (names the record)
    └── ProcoreApiError              Procore answered with an error (.status, .message, .field_errors, .hint, .response)
        ├── ProcoreAuthError         401: token expired/revoked even after one refresh    (AuthenticationError)
        ├── ProcoreForbidden         403: app not connected to the company, or no permission on the tool
        ├── ProcoreNotFound          404: missing, or a record this user may not see (Procore says 404 for both)
        ├── ProcoreConflict          409: another record already carries this origin_id
        ├── ProcoreValidationError   422: business rules; .field_errors {field: [messages]}
        ├── ProcoreClientError       400 and other 4xx (e.g. a missing Procore-Company-Id header)  (ClientError)
        ├── ProcoreRateLimited       429 still failing after waiting for X-Rate-Limit-Reset     (RateLimitedError)
        └── ProcoreServerError       5xx (503 + Retry-After included) still failing after retries  (ServerError)

The classes in brackets are the provider-neutral bases in `sync/http/errors.py` that the shared retry policy
looks at; 403/404/409/422 are ClientErrors too (never retried). Every error has a one-line `hint` for people
(Slack cards, logs), and `str(err)` reads as a sentence.
Procore's error bodies vary: `{"errors": {field: [..]}}`, `{"errors": "..."}`, `{"message": .., "error": ..}`,
OAuth's `{"error": .., "error_description": ..}`, or plain text/HTML from a proxy; `parse_error_body` reads them all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from sync.http.errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    ConnectionFailed,
    RateLimitedError,
    RemoteError,
    RequestTimeout,
    ServerError,
    TransportFailure,
)

COMPANY_HEADER = "Procore-Company-Id"


class ProcoreError(RemoteError):
    """Base of every Procore failure."""

    hint: str = "Procore could not be reached or answered unexpectedly."


class ProcoreTransportError(ProcoreError, TransportFailure):
    """No HTTP answer: timeout or connection failure, after the retry policy gave up."""

    hint = "Procore did not answer (timeout or connection failure); it will be retried later."


class ProcoreConnectionError(ProcoreTransportError, ConnectionFailed):
    """The connection to Procore could not be made or was dropped."""


class ProcoreTimeout(ProcoreTransportError, RequestTimeout):
    """Procore did not answer in time."""


class ProcoreRecordError(ProcoreError, ValueError):
    """A record from Procore lacks a required field; the message names the record kind, id and field."""

    hint = "Procore sent a record without a field Ledgerlink needs; the record is skipped and reported."


class ProcoreApiError(ProcoreError, ApiError):
    """Procore answered with an error status: `.status`, `.message`, `.field_errors`, `.hint`, `.response`."""

    hint = "Procore refused the request."

    def __init__(self, message: str, *, response: httpx.Response, field_errors: Mapping[str, list[str]] | None = None,
                 hint: str | None = None, retry_after: float | None = None) -> None:
        self.message = message
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        if hint is not None:
            self.hint = hint
        where = ""
        try:
            req = response.request
            where = f" on {req.method} {req.url.copy_with(query=None)}"
        except RuntimeError:  # a Response built without a request (unit tests)
            pass
        ApiError.__init__(self, f"Procore HTTP {response.status_code}{where}: {message} — {self.hint}",
                          response=response, retry_after=retry_after)

    @property
    def status(self) -> int:
        return self.status_code


class ProcoreAuthError(ProcoreApiError, AuthenticationError):
    hint = ("The Procore access token was rejected (expired or revoked) even after a refresh; "
            "reconnect Procore at /procore/connect.")


class ProcoreForbidden(ProcoreApiError, ClientError):
    hint = ("The Procore user lacks permission on this tool (give the Ledgerlink service account Standard or "
            "Admin on it), or the app is not installed for this company.")


class ProcoreNotFound(ProcoreApiError, ClientError):
    hint = ("Procore has no such record, or this Procore user may not see it (Procore answers 404 for both); "
            "check the id and the user's project access.")


class ProcoreConflict(ProcoreApiError, ClientError):
    hint = ("Another Procore record already carries this origin_id; link to that record instead of creating "
            "a new one.")


class ProcoreValidationError(ProcoreApiError, ClientError):
    hint = "Procore refused the values (business rules); fix the fields named in the message."


class ProcoreRateLimited(ProcoreApiError, RateLimitedError):
    """429: over Procore's hourly or 10-second window; `.retry_after` seconds until X-Rate-Limit-Reset."""

    hint = "Procore's rate limit is used up; requests wait for the reset and are retried."


class ProcoreClientError(ProcoreApiError, ClientError):
    """Any other 4xx (400 bad request, missing Procore-Company-Id, …): not retried."""

    hint = "Procore found the request malformed; check the parameters named in the message."


class ProcoreServerError(ProcoreApiError, ServerError):
    hint = "Procore is having trouble (HTTP 5xx); the request was retried with backoff and will be again later."


NOT_CONNECTED_HINT = ("App is not connected to this company: a Procore company admin must install Ledgerlink from "
                      "the App Marketplace (App Management) for this company, or the company id is wrong.")
MISSING_COMPANY_HINT = (f"Procore needs the {COMPANY_HEADER} header on company-scoped calls: create the client "
                        "with company_id (the tenant's Procore company, or PROCORE_COMPANY_ID).")
BAD_REQUEST_HINT = ProcoreClientError.hint

_BY_STATUS: dict[int, type[ProcoreApiError]] = {
    401: ProcoreAuthError, 403: ProcoreForbidden, 404: ProcoreNotFound, 409: ProcoreConflict,
    422: ProcoreValidationError, 429: ProcoreRateLimited,
}


def _flatten_field_errors(errors: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, msgs in errors.items():
        if isinstance(msgs, list | tuple):
            out[str(field)] = [str(m) for m in msgs]
        elif isinstance(msgs, Mapping):
            for sub, sub_msgs in _flatten_field_errors(msgs).items():
                out[f"{field}.{sub}"] = sub_msgs
        else:
            out[str(field)] = [str(msgs)]
    return out


def describe_field_errors(field_errors: Mapping[str, list[str]]) -> str:
    """`{"name": ["can't be blank"]}` -> "name can't be blank" (base errors without the field name)."""
    parts = []
    for field, msgs in field_errors.items():
        for msg in msgs:
            parts.append(msg if field in ("base", "") else f"{field} {msg}")
    return "; ".join(parts)


def parse_error_body(content: bytes | str, content_type: str = "") -> tuple[str, dict[str, list[str]]]:
    """Return (one-line message, field errors) from any of Procore's error body shapes."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    text = text.strip()
    if not text:
        return "(empty response body)", {}
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if body is None:
        if "html" in content_type or text.lstrip().startswith("<"):
            return "(an HTML error page)", {}
        return " ".join(text.split())[:300], {}
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, Mapping) and errors:
            fields = _flatten_field_errors(errors)
            return describe_field_errors(fields), fields
        parts: list[str] = []
        if isinstance(errors, list | tuple) and errors:
            parts.append("; ".join(str(e) for e in errors))
        elif isinstance(errors, str) and errors:
            parts.append(errors)
        for key in ("error", "message", "error_description", "reason"):
            value = body.get(key)
            if isinstance(value, Mapping):  # a 429 wraps its message: {"error": {"error": "..."}}
                value = value.get("error") or value.get("message")
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
        if parts:
            return ": ".join(parts)[:500], {}
        return json.dumps(body)[:300], {}
    if isinstance(body, list):
        return "; ".join(str(e) for e in body)[:500], {}
    return str(body)[:300], {}


def _hint_for(status: int, message: str, *, company_sent: bool) -> str | None:
    low = message.lower()
    if status == 400:
        about_company = "company" in low and any(w in low for w in ("header", "required", "missing", "company-id"))
        return MISSING_COMPANY_HINT if not company_sent or about_company else BAD_REQUEST_HINT
    if status == 403 and "not connected" in low:
        return NOT_CONNECTED_HINT
    return None


def error_from_response(response: httpx.Response, *, retry_after: float | None = None) -> ProcoreApiError:
    """Map an error response to the typed exception (status → class, body → message + field errors).

    `retry_after` is how many seconds Procore asked us to wait (Retry-After, or X-Rate-Limit-Reset - now).
    """
    status = response.status_code
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    message, fields = parse_error_body(content, response.headers.get("content-type", ""))
    try:
        company_sent = COMPANY_HEADER in response.request.headers
    except RuntimeError:  # a Response built without a request (unit tests)
        company_sent = True
    hint = _hint_for(status, message, company_sent=company_sent)
    cls = _BY_STATUS.get(status) or (ProcoreServerError if status >= 500 else ProcoreClientError)
    return cls(message, response=response, field_errors=fields, hint=hint, retry_after=retry_after)

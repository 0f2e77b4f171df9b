"""QuickBooks Online errors, each with a one-line ``hint`` telling a person what to do::

    QboError                                  (sync.http.errors.RemoteError)
    ├── QboTransportError                     no usable answer (TransportFailure)
    │   ├── QboConnectionError                (ConnectionFailed)
    │   └── QboTimeout                        (RequestTimeout)
    └── QboApiError                           QBO answered with a Fault (ApiError): .response, .status_code,
        │                                     .code, .message, .detail, .element, .fault_type, .errors, .intuit_tid
        ├── QboRateLimited                    429 / 3001 (RateLimitedError)
        ├── QboServerError                    5xx (ServerError)
        ├── QboAuthError                      401 / 3200, 403 / 3100 (AuthenticationError)
        └── QboValidationError                400 ValidationFault and friends (ClientError)
            ├── QboNotFound                   610 object not found or inactive; HTTP 404
            ├── QboStaleObject                5010 stale SyncToken
            ├── QboDuplicate                  6240 duplicate name, 6140 duplicate DocNumber
            └── QboQueryError                 4000 query parse error

Fault bodies come in three shapes (see shared/docs/qbo.md): the API's ``{"Fault": {"Error": [...]}}``, the
gateway's lowercase ``{"fault": {"error": [...]}}`` (401, 429), and for some 429s an XML ``<Fault>`` or plain text.
`parse_fault` reads all of them; the first error of the list gives code/message/detail/element.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: N817
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.http.errors import ApiError as _ApiError
from sync.http.errors import (
    AuthenticationError,
    ClientError,
    ConnectionFailed,
    RateLimitedError,
    RemoteError,
    RequestTimeout,
    ServerError,
    TransportFailure,
)
from sync.http.limits import parse_retry_after

#: code -> what a person should do. ``{entity}`` becomes the entity's name in lower case ("vendor", "bill")
HINTS: dict[str, str] = {
    "610": "This {entity} no longer exists or is inactive in QuickBooks — reactivate it there or relink it",
    "2020": "QuickBooks says a required field is missing on this {entity} — complete it in Procore and resend",
    "2500": "Something this {entity} refers to (vendor, item, account, project) no longer exists in QuickBooks — "
            "relink it and retry",
    "4000": "QuickBooks could not read Ledgerlink's query — this is a Ledgerlink bug; please report it",
    "5010": "Someone changed this {entity} in QuickBooks since Ledgerlink last read it — refresh it and retry",
    "6000": "QuickBooks refused this {entity} under one of its business rules — read the detail, fix it in Procore "
            "and resend",
    "6140": "A transaction with this number already exists in QuickBooks — change the number or link to the "
            "existing one",
    "6240": "A {entity} with this name already exists in QuickBooks — link to it instead of exporting a new one",
    "3001": "QuickBooks is throttling requests for this company — Ledgerlink waits and retries by itself",
    "3100": "The QuickBooks user who connected Ledgerlink lacks permission — reconnect with a company admin",
    "3200": "QuickBooks no longer accepts Ledgerlink's sign-in for this company — an admin must reconnect QuickBooks",
}
STATUS_HINTS: dict[int, str] = {
    401: HINTS["3200"],
    403: HINTS["3100"],
    404: HINTS["610"],
    429: HINTS["3001"],
}
SERVER_HINT = "QuickBooks is having trouble right now — Ledgerlink retries by itself; nothing to do yet"
TRANSPORT_HINT = "Ledgerlink could not reach QuickBooks — it retries by itself; if this persists check the network"
GENERIC_HINT = "QuickBooks refused this {entity} — read the detail and fix it in Procore, then resend"


def hint_for(code: str | None, status: int | None = None, entity: str | None = None) -> str:
    """The human sentence for a Fault code (or, failing that, an HTTP status)."""
    text = HINTS.get(code or "") or (STATUS_HINTS.get(status or 0))
    if text is None:
        text = SERVER_HINT if status and status >= 500 else GENERIC_HINT
    return text.replace("{entity}", (entity or "record").lower())


@dataclass(frozen=True)
class FaultError:
    code: str | None
    message: str
    detail: str
    element: str | None


@dataclass(frozen=True)
class Fault:
    """A parsed QBO Fault (any envelope). ``errors`` keeps every error of the list."""

    type: str | None = None
    errors: tuple[FaultError, ...] = field(default_factory=tuple)

    @property
    def first(self) -> FaultError:
        return self.errors[0] if self.errors else FaultError(None, "", "", None)


def _ci(d: dict[str, Any], name: str) -> Any:
    """Case-insensitive key lookup (QBO's API says ``Fault``/``Error``/``Message``, its gateway lower case)."""
    for key, value in d.items():
        if key.lower() == name.lower():
            return value
    return None


def fault_from_json(data: Any) -> Fault | None:
    """Read a ``Fault``/``fault`` envelope from decoded JSON, or from a bare fault object (batch items)."""
    if not isinstance(data, dict):
        return None
    env = _ci(data, "fault")
    if not isinstance(env, dict):
        if _ci(data, "error") is None:
            return None
        env = data
    raw_errors = _ci(env, "error") or []
    if isinstance(raw_errors, dict):
        raw_errors = [raw_errors]
    errors = []
    for e in raw_errors if isinstance(raw_errors, list) else []:
        if not isinstance(e, dict):
            continue
        code = _ci(e, "code")
        message = str(_ci(e, "message") or "")
        if code is None:  # gateway messages say "message=...; errorCode=003200; statusCode=401"
            m = re.search(r"errorCode=0*(\d+)", message)
            code = m.group(1) if m else None
        errors.append(FaultError(code=str(code).lstrip("0") or "0" if code is not None else None,
                                 message=message, detail=str(_ci(e, "detail") or ""),
                                 element=_ci(e, "element") or None))
    return Fault(type=_ci(env, "type"), errors=tuple(errors))


def _fault_from_xml(text: str) -> Fault | None:
    try:
        root = ET.fromstring(text[:65536])  # noqa: S314 - bounded; expat refuses entity expansion bombs
    except ET.ParseError:
        return None
    errors = []
    for el in root.iter():
        if _local(el.tag).lower() != "error":
            continue
        parts = {_local(c.tag).lower(): (c.text or "").strip() for c in el}
        code = el.get("code") or el.get("Code")
        if code is None:
            m = re.search(r"errorCode=0*(\d+)", parts.get("message", ""))
            code = m.group(1) if m else None
        errors.append(FaultError(code=code.lstrip("0") if code else None, message=parts.get("message", ""),
                                 detail=parts.get("detail", ""), element=el.get("element") or None))
    fault_type = next((el.get("type") for el in root.iter() if _local(el.tag).lower() == "fault"), None)
    return Fault(type=fault_type, errors=tuple(errors)) if errors else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_fault(response: httpx.Response) -> Fault:
    """Whatever the body is (JSON either case, XML, text, empty), a Fault with at least a message."""
    text = response.text or ""
    fault: Fault | None = None
    try:
        fault = fault_from_json(json.loads(text)) if text.strip() else None
    except ValueError:
        if text.lstrip().startswith("<"):
            fault = _fault_from_xml(text)
    if fault is None or not fault.errors:
        snippet = re.sub(r"\s+", " ", text.strip())[:200]
        fault = Fault(type=fault.type if fault else None,
                      errors=(FaultError(code=None, message=snippet or response.reason_phrase, detail="",
                                         element=None),))
    return fault


class QboError(RemoteError):
    """Base of every error the QBO client raises."""

    hint = TRANSPORT_HINT


class QboTransportError(QboError, TransportFailure):
    """QuickBooks could not be reached, or stopped answering."""


class QboConnectionError(QboTransportError, ConnectionFailed):
    pass


class QboTimeout(QboTransportError, RequestTimeout):
    pass


class QboApiError(QboError, _ApiError):
    """QuickBooks answered with a Fault."""

    def __init__(self, *, response: httpx.Response, fault: Fault, entity: str | None = None,
                 retry_after: float | None = None, status_code: int | None = None) -> None:
        first = fault.first
        self.fault = fault
        self.code = first.code
        self.message = first.message
        self.detail = first.detail
        self.element = first.element
        self.fault_type = fault.type
        self.errors = fault.errors
        self.entity = entity
        self.intuit_tid = response.headers.get("intuit_tid")
        status = status_code or response.status_code
        text = f"QBO {status}"
        if self.code:
            text += f" code {self.code}"
        text += f": {first.message}"
        if first.detail and first.detail != first.message:
            text += f" — {first.detail}"
        if first.element:
            text += f" (element {first.element})"
        if self.intuit_tid:
            text += f" [intuit_tid {self.intuit_tid}]"
        _ApiError.__init__(self, text, response=response, retry_after=retry_after)
        if status_code is not None:  # a Fault inside a 200 (batch item, upload): keep the logical status
            self.status_code = status_code

    @property  # type: ignore[override]
    def hint(self) -> str:
        """One sentence for a person (entity-aware: the client fills `entity` in)."""
        return hint_for(self.code, self.status_code, self.entity)


class QboRateLimited(QboApiError, RateLimitedError):
    pass


class QboServerError(QboApiError, ServerError):
    pass


class QboAuthError(QboApiError, AuthenticationError):
    pass


class QboValidationError(QboApiError, ClientError):
    pass


class QboNotFound(QboValidationError):
    pass


class QboStaleObject(QboValidationError):
    pass


class QboDuplicate(QboValidationError):
    pass


class QboQueryError(QboValidationError):
    pass


CODE_CLASSES: dict[str, type[QboApiError]] = {
    "610": QboNotFound,
    "5010": QboStaleObject,
    "6140": QboDuplicate,
    "6240": QboDuplicate,
    "4000": QboQueryError,
    "3001": QboRateLimited,
    "3200": QboAuthError,
    "3100": QboAuthError,
}


def error_class(status: int, code: str | None) -> type[QboApiError]:
    if status == 429:
        return QboRateLimited
    if status in (401, 403):
        return QboAuthError
    if status >= 500:
        return QboServerError
    if code in CODE_CLASSES:
        return CODE_CLASSES[code]
    if status == 404:
        return QboNotFound
    return QboValidationError


def error_from_response(response: httpx.Response, *, entity: str | None = None) -> QboApiError:
    """The typed exception for an error response (any Fault envelope)."""
    fault = parse_fault(response)
    cls = error_class(response.status_code, fault.first.code)
    return cls(response=response, fault=fault, entity=entity, retry_after=parse_retry_after(response.headers))


def error_from_fault(response: httpx.Response, fault: Fault, *, entity: str | None = None) -> QboApiError:
    """The typed exception for a Fault found inside a 200 body (batch item, upload); status taken from the code."""
    code = fault.first.code
    status = 429 if code == "3001" else 401 if code == "3200" else 400
    return error_class(status, code)(response=response, fault=fault, entity=entity, status_code=status)

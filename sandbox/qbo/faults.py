"""Intuit's error envelopes, word for word as recorded from the real API.

Two families: the data service's `{"Fault": {"Error": [...], "type": ...}, "time": ...}` (HTTP 400, or 200
inside a batch/upload), and the API gateway's lowercase envelope for 401/403 with epoch-millisecond `time`.
Codes: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
"""

from __future__ import annotations

INACTIVE_DETAIL = ("Object Not Found : Something you're trying to use has been made inactive. "
                   "Check the fields with accounts, customers, items, vendors or employees.")

# What Intuit calls each entity in "Invalid Reference Id : <Kind> element id N not found".
REF_KIND = {"Vendor": "Names", "Customer": "Names", "Employee": "Names", "Account": "Accounts",
            "Item": "Items", "Class": "Klasses", "Term": "SalesTerms", "Bill": "Transactions",
            "Invoice": "Transactions", "VendorCredit": "Transactions", "BillPayment": "Transactions",
            "Payment": "Transactions", "Purchase": "Transactions", "PurchaseOrder": "Transactions",
            "Estimate": "Transactions", "Department": "Departments"}


class QboFault(Exception):
    """One or more Intuit errors; `status` is the HTTP status of a stand-alone response."""

    def __init__(self, code: str, message: str, detail: str, element: str | None = "",
                 status: int = 400, fault_type: str = "ValidationFault") -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.status = status
        self.fault_type = fault_type
        error = {"Message": message, "Detail": detail, "code": str(code)}
        if element is not None:
            error["element"] = element
        self.errors = [error]

    def fault(self) -> dict:
        return {"Error": self.errors, "type": self.fault_type}


def not_found() -> QboFault:
    return QboFault("610", "Object Not Found", INACTIVE_DETAIL)


def inactive(element: str = "") -> QboFault:
    return QboFault("610", "Object Not Found", INACTIVE_DETAIL, element)


def required(name: str) -> QboFault:
    return QboFault("2020", "Required param missing, need to supply the required value for the API",
                    f"Required parameter {name} is missing in the request", name)


def invalid_ref(entity: str, value: str, element: str = "") -> QboFault:
    kind = REF_KIND.get(entity, entity + "s")
    return QboFault("2500", "Invalid Reference Id", f"Invalid Reference Id : {kind} element id {value} not found",
                    element)


def string_length(element: str, maximum: int, supplied: int) -> QboFault:
    return QboFault("2050", "String length is either shorter or longer than supported by specification",
                    f"String length specified does not match the supported length. Min:0 Max:{maximum} "
                    f"supported. Supplied length:{supplied}", element)


def invalid_property(detail: str) -> QboFault:
    return QboFault("2010", "Request has invalid or unsupported property", detail)


def stale(user: str = "Sandbox Admin") -> QboFault:
    return QboFault("5010", "Stale Object Error",
                    f"Stale Object Error : You and {user} were working on this at the same time. {user} "
                    "finished before you did, so your work was not saved.")


def duplicate_name(existing_id: str) -> QboFault:
    # Current recordings carry the clashing record's Id; older ones said "Another customer, vendor or employee..."
    return QboFault("6240", "Duplicate Name Exists Error", f"The name supplied already exists. : Id={existing_id}")


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return QboFault("6140", "Duplicate Document Number Error",
                    "Duplicate Document Number Error : You must specify a different number. This number has "
                    f"already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with "
                    f"TxnId={txn_id}")


def business(detail: str) -> QboFault:
    return QboFault("6000", "A business validation error has occurred while processing your request",
                    f"Business Validation Error: {detail}")


def unsupported(detail: str) -> QboFault:
    return QboFault("500", "Unsupported Operation", detail)


def query_parse(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}", None)


def query_invalid(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}", None)


def throttled() -> QboFault:
    return QboFault("3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                    "The request limit was reached.", None, status=429, fault_type="SERVICE")


def server_error() -> QboFault:
    return QboFault("10000", "An application error has occurred while processing your request",
                    "System Failure Error: An unexpected error occurred while accessing or saving your data. "
                    "Please wait a few minutes and try again. If the problem persists, contact customer support.",
                    None, status=500, fault_type="SystemFault")


def gateway_envelope(status: int, detail: str, time_ms: int) -> dict:
    """The API gateway's lowercase envelope (401 bad/expired token, 403 wrong company)."""
    if status == 401:
        message, code, kind = "message=AuthenticationFailed; errorCode=003200; statusCode=401", "3200", "AUTHENTICATION"
    else:
        message, code, kind = ("message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", "3100",
                               "AUTHORIZATION")
    return {"warnings": None, "intuitObject": None,
            "fault": {"error": [{"message": message, "detail": detail, "code": code, "element": None}], "type": kind},
            "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
            "syncErrorResponse": None, "requestId": None, "time": time_ms, "status": None, "cdcresponse": []}

"""Procore: the REST client, its errors, typed records, OAuth and the webhook receiver's parsing.

    from sync.procore import ProcoreClient
    procore = ProcoreClient.for_connection(store, connection_id, settings=settings)
    for invoice in procore.list_requisitions(project_id=562949953421361):      # follows Link rel="next"
        ...
    result = procore.sync_vendors(updates)                                       # ≤ 1000 a call
    for failure in result.failures: log(failure.message)                         # per-record, never swallowed
"""

from sync.procore.client import ProcoreClient
from sync.procore.errors import (
    ProcoreApiError,
    ProcoreAuthError,
    ProcoreClientError,
    ProcoreConflict,
    ProcoreConnectionError,
    ProcoreError,
    ProcoreForbidden,
    ProcoreNotFound,
    ProcoreRateLimited,
    ProcoreRecordError,
    ProcoreServerError,
    ProcoreTimeout,
    ProcoreTransportError,
    ProcoreValidationError,
)
from sync.procore.financials import (
    Commitment,
    CommitmentLine,
    ContractPayment,
    DirectCost,
    DirectCostLine,
    PaymentApplication,
    Requisition,
    RequisitionLine,
)
from sync.procore.oauth import ProcoreOAuth
from sync.procore.pagination import Listing
from sync.procore.records import (
    BudgetLineItem,
    Company,
    CompanyUser,
    CostCode,
    Hook,
    LineItemType,
    Project,
    StandardCostCodeList,
    SyncFailure,
    SyncResult,
    Trigger,
    Vendor,
)

__all__ = [
    "BudgetLineItem", "Commitment", "CommitmentLine", "Company", "CompanyUser", "ContractPayment", "CostCode",
    "DirectCost", "DirectCostLine", "Hook", "LineItemType", "Listing", "PaymentApplication", "ProcoreApiError",
    "ProcoreAuthError", "ProcoreClient", "ProcoreClientError", "ProcoreConflict", "ProcoreConnectionError",
    "ProcoreError", "ProcoreForbidden", "ProcoreNotFound", "ProcoreOAuth", "ProcoreRateLimited", "ProcoreRecordError",
    "ProcoreServerError", "ProcoreTimeout", "ProcoreTransportError", "ProcoreValidationError", "Project",
    "Requisition", "RequisitionLine", "StandardCostCodeList", "SyncFailure", "SyncResult", "Trigger", "Vendor",
]

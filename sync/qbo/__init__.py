"""QuickBooks Online: the API client, its errors, the query builder, batch items, OAuth and webhook parsing.

    from sync.qbo import QboClient, select, BatchItem
    qbo = QboClient.for_connection(store, connection_id, settings=settings)
    vendor = qbo.create(entity="Vendor", body={"DisplayName": "ACME"}, requestid=outbox.requestid)
"""

from sync.qbo.batch import BatchItem, BatchResult
from sync.qbo.client import QBO_POLICY, QboClient
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
    QboTransportError,
    QboValidationError,
)
from sync.qbo.query import Select, select

__all__ = ["QBO_POLICY", "BatchItem", "BatchResult", "QboApiError", "QboAuthError", "QboClient", "QboDuplicate",
           "QboError", "QboNotFound", "QboQueryError", "QboRateLimited", "QboServerError", "QboStaleObject",
           "QboTransportError", "QboValidationError", "Select", "select"]

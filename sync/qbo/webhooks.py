"""QBO webhook deliveries: signature check and event parsing (pure; the route in bot/routes/qbo.py stores them).

https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks — header ``intuit-signature`` is
base64(HMAC-SHA256(verifier token, raw body)). Two body formats: the legacy
``{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{name, id, operation, lastUpdated}]}}]}``
and the CloudEvents array ``[{"specversion": "1.0", "id", "type": "qbo.bill.created.v1", "intuitaccountid",
"intuitentityid", "time", ...}]``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from core import jsonbody
from core.domain.parsing import loads_bounded

SIGNATURE_HEADER = "intuit-signature"
MAX_DEDUPE_KEY = 128

# CloudEvents types spell entities in lower case; map back to QBO's names (unknown ones get capitalised)
_ENTITY_NAMES = {name.lower(): name for name in (
    "Account", "Attachable", "Bill", "BillPayment", "Budget", "Class", "CreditMemo", "Currency", "Customer",
    "Department", "Deposit", "Employee", "Estimate", "Invoice", "Item", "JournalCode", "JournalEntry", "Payment",
    "PaymentMethod", "Preferences", "Purchase", "PurchaseOrder", "RefundReceipt", "SalesReceipt", "TaxAgency",
    "Term", "TimeActivity", "Transfer", "Vendor", "VendorCredit")}
_CE_OPERATIONS = {"created": "Create", "updated": "Update", "deleted": "Delete", "merged": "Merge",
                  "voided": "Void", "emailed": "Emailed"}


class WebhookPayloadError(ValueError):
    """The body is not a QBO webhook we understand; the message says why (the route answers 400 with it)."""


def signature(verifier_token: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()


def verify_signature(verifier_token: str, body: bytes, header_value: str | None) -> bool:
    """Constant-time check of ``intuit-signature``; False when missing."""
    if not header_value:
        return False
    return hmac.compare_digest(signature(verifier_token, body).encode(), header_value.strip().encode())


@dataclass(frozen=True)
class EntityEvent:
    realm_id: str
    entity: str
    entity_id: str
    operation: str  # Create | Update | Delete | Merge | Void
    last_updated: str  # as sent (ISO-8601)
    deleted_id: str | None = None  # Merge: the record merged away

    @property
    def dedupe_key(self) -> str:
        """Same event redelivered ⇒ same key (realm:entity:id:operation:lastUpdated); hashed when too long."""
        key = f"{self.realm_id}:{self.entity}:{self.entity_id}:{self.operation}:{self.last_updated}"
        return key if len(key) <= MAX_DEDUPE_KEY else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def parse_events(body: bytes) -> list[EntityEvent]:
    """All entity events of one delivery, in order; raises `WebhookPayloadError` on anything malformed."""
    try:
        data = loads_bounded(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(f"body is not JSON ({exc})") from None
    if jsonbody.has_nul(data):
        raise WebhookPayloadError("a text field holds a NUL character")
    if isinstance(data, dict) and "eventNotifications" in data:
        return _legacy(data["eventNotifications"])
    if isinstance(data, list):
        return [_cloud_event(ev, n) for n, ev in enumerate(data)]
    if isinstance(data, dict) and "specversion" in data:
        return [_cloud_event(data, 0)]
    raise WebhookPayloadError("expected {\"eventNotifications\": [...]} or a CloudEvents array")


def _legacy(notifications: Any) -> list[EntityEvent]:
    if not isinstance(notifications, list):
        raise WebhookPayloadError("eventNotifications must be a list")
    events = []
    for n, note in enumerate(notifications):
        if not isinstance(note, dict) or not note.get("realmId"):
            raise WebhookPayloadError(f"eventNotifications[{n}] has no realmId")
        change = note.get("dataChangeEvent") or {}
        if not isinstance(change, dict):
            raise WebhookPayloadError(f"eventNotifications[{n}].dataChangeEvent must be an object")
        entities = change.get("entities") or []
        if not isinstance(entities, list):
            raise WebhookPayloadError(f"eventNotifications[{n}].dataChangeEvent.entities must be a list")
        for m, ent in enumerate(entities):
            if not isinstance(ent, dict) or not ent.get("name") or ent.get("id") in (None, ""):
                raise WebhookPayloadError(f"eventNotifications[{n}].dataChangeEvent.entities[{m}] needs name and id")
            events.append(EntityEvent(realm_id=str(note["realmId"]), entity=str(ent["name"]), entity_id=str(ent["id"]),
                                      operation=str(ent.get("operation") or "Update"),
                                      last_updated=str(ent.get("lastUpdated") or ""),
                                      deleted_id=str(ent["deletedId"]) if ent.get("deletedId") else None))
    return events


def _cloud_event(ev: Any, n: int) -> EntityEvent:
    if not isinstance(ev, dict):
        raise WebhookPayloadError(f"event [{n}] is not an object")
    parts = str(ev.get("type") or "").split(".")  # qbo.bill.created.v1
    realm, entity_id = ev.get("intuitaccountid"), ev.get("intuitentityid")
    if len(parts) < 3 or not realm or entity_id in (None, ""):
        raise WebhookPayloadError(f"event [{n}] needs type qbo.<entity>.<operation>.v1, intuitaccountid and "
                                  "intuitentityid")
    entity = _ENTITY_NAMES.get(parts[1].lower(), parts[1][:1].upper() + parts[1][1:])
    operation = _CE_OPERATIONS.get(parts[2].lower(), parts[2].capitalize())
    data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
    return EntityEvent(realm_id=str(realm), entity=entity, entity_id=str(entity_id), operation=operation,
                       last_updated=str(ev.get("time") or ev.get("id") or ""),
                       deleted_id=str(data["deletedId"]) if data.get("deletedId") else None)

"""Receipts sync: QBO Payments on owner Invoices Ledgerlink exported ⇒ payments received in Procore.

The paid job's machinery (`sync.jobs.paid.PaidJob`: CDC since the cursor, per-invoice transaction, partial
payments, voids and deletions, notices through `sync.events`) watching the other direction: synced owner
invoices (binder `invoice`), QBO `Payment` lines linked to their Invoice, written to Procore as payments
received on the prime contract against the payment application (`sync.writes.receipts`). The channel hears
"Riverside Medical paid $153,900.00 on invoice 0001".
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.domain.states import ItemType
from core.models import Item
from sync.jobs.base import register
from sync.jobs.paid import PaidJob
from sync.mappers.payments import Application, to_json
from sync.outbox import enqueue
from sync.writes.payments import known_payment
from sync.writes.receipts import CREATE, DELETE, RECEIPT


def _scope(item: Item) -> dict[str, Any]:
    detail = item.detail or {}
    return {"project_id": item.procore_project_id,
            "prime_contract_id": (detail.get("prime_contract") or {}).get("id"),
            "payment_application_id": detail.get("payment_application_id") or item.procore_id}


@register
class ReceiptsJob(PaidJob):
    name = "receipts"
    description = "QBO payments on exported owner Invoices → Procore payments received; owner invoices marked paid"
    item_type, link_entity = ItemType.OWNER_INVOICE, "invoice"
    document, payer, party_ref = "Invoice", "Payment", "CustomerRef"
    incoming = True

    def _enqueue_create(self, s: Session, item: Item, app: Application) -> Any:
        payload = {"key": app.key, **_scope(item), "application": to_json(app), "item": item.id}
        return enqueue(s, tenant_id=item.tenant_id, operation=CREATE, target="procore", record=f"{RECEIPT}:{app.key}",
                       version=app.sync_token, payload=payload)

    def _enqueue_delete(self, s: Session, item: Item, key: str, old: dict[str, Any]) -> None:
        known = known_payment(s, item.tenant_id, RECEIPT, key, old)
        payload = {"key": key, **_scope(item), "procore_payment_id": known,
                   "create_requestid": old.get("create_requestid"), "item": item.id}
        enqueue(s, tenant_id=item.tenant_id, operation=DELETE, target="procore", record=f"{RECEIPT}:{key}",
                version=f"delete:{old.get('sync_token')}", payload=payload)

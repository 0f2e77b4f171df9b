"""Outbox operations for money coming in: a QBO Payment on an exported owner Invoice → a payment received on
the Procore prime contract, against that owner invoice (payment application); and its removal.

`procore.create_prime_payment` — payload: `key` ("{Payment Id}:{Invoice Id}"), `project_id`,
`prime_contract_id`, `payment_application_id`, `application` (`sync.mappers.payments.to_json`). Procore has no
idempotency key, so the payment carries `origin_id` = "{key}:{SyncToken}" and a retry looks for it first.
Binds `receipt`: Procore payment id ↔ key.

`procore.delete_prime_payment` — payload: `key`, `project_id`, `prime_contract_id`, and `procore_payment_id`
or `create_requestid` (as `procore.delete_contract_payment`: waits for a create still on its way).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.models import OutboxEntry
from core.money import money
from sync import binder
from sync.context import TenantContext
from sync.mappers.payments import from_json
from sync.outbox import RemoteResult
from sync.procore.errors import ProcoreConflict, ProcoreNotFound
from sync.writes.payments import NEVER_THERE, delete_target, rebind, remote_errors
from sync.writes.registry import ContextFor, operation

RECEIPT = "receipt"  # binder entity: Procore prime contract payment id ↔ "{Payment Id}:{Invoice Id}"
CREATE, DELETE = "procore.create_prime_payment", "procore.delete_prime_payment"


def _scope(payload: dict[str, Any]) -> dict[str, int]:
    return {"project_id": int(payload["project_id"]), "prime_contract_id": int(payload["prime_contract_id"])}


@operation(CREATE)
class CreatePrimePayment:
    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    @staticmethod
    def _result(payment: Any, sync_token: str) -> RemoteResult:
        return RemoteResult(remote_id=str(payment.id), sync_token=sync_token, body={"amount": str(payment.amount)},
                            summary=f"Procore payment received {money(payment.amount)}")

    @staticmethod
    def _find(ctx: TenantContext, payload: dict[str, Any]) -> Any:
        origin = from_json(payload["application"]).origin_id
        return next((p for p in ctx.procore.list_prime_contract_payments(**_scope(payload)) if p.origin_id == origin),
                    None)

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("record the payment received in Procore"):
            app = from_json(payload["application"])
            ref = f" #{app.reference}" if app.reference else ""
            try:
                payment = ctx.procore.create_prime_contract_payment(
                    **_scope(payload), payment_application_id=int(payload["payment_application_id"]),
                    amount=app.amount, payment_date=app.payment_date, check_number=app.reference,
                    notes=(f"Received in QuickBooks{ref} (payment {app.bill_payment_id}). Synced by Ledgerlink: "
                           "change or void the payment in QuickBooks, not here."), origin_id=app.origin_id)
            except ProcoreConflict:  # our origin_id is taken: an earlier attempt got through
                payment = self._find(ctx, payload)
                if payment is None:
                    raise
        return self._result(payment, app.sync_token)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("look for the payment received in Procore"):
            payment = self._find(ctx, payload)
        return self._result(payment, payload["application"]["sync_token"]) if payment else None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        rebind(session, entry.tenant_id, RECEIPT, result.remote_id, entry.payload["key"], result.sync_token)


@operation(DELETE)
class DeletePrimePayment:
    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("remove the payment received from Procore"):
            target = delete_target(ctx, payload)
            if target is None:
                return RemoteResult(remote_id="", summary=NEVER_THERE)
            try:
                ctx.procore.delete_prime_contract_payment(**_scope(payload), payment_id=int(target))
            except ProcoreNotFound:
                pass  # already gone
        return RemoteResult(remote_id=target, summary=f"Removed Procore payment received {target}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # deleting again is harmless: 404 counts as done

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        link = binder.to_external(session, entry.tenant_id, RECEIPT, result.remote_id) if result.remote_id else None
        if link is not None:
            session.delete(link)
            session.flush()

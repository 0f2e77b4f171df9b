"""Outbox operations for paid sync: record a QBO bill payment as a Procore contract payment, or remove it.

`procore.create_contract_payment` — payload: `key` ("{BillPayment Id}:{Bill Id}"), `project_id`,
`requisition_id`, `commitment_id` (looked up from the invoice when absent), `application` (see
`sync.mappers.payments.to_json`), `invoice_number`. Procore has no idempotency key, so the payment carries
`origin_id` = "{key}:{SyncToken}" and a retry first looks for it (reconcile) before posting again. Binds
`payment`: Procore contract payment id ↔ key.

`procore.delete_contract_payment` — payload: `key`, `project_id`, and what to delete: `procore_payment_id`
when it was known at enqueue time, else `create_requestid` (the create may still be queued or in flight: the
delete then waits for it, so a payment voided before it reached Procore is still removed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session, select

from core.models import ExternalLink, OutboxEntry
from core.money import money
from sync import binder
from sync.context import NotConnected, TenantContext
from sync.http.errors import AuthenticationError, RemoteError
from sync.http.retry import RETRYABLE_ERRORS
from sync.mappers.payments import contract_payment_fields, from_json
from sync.outbox import OutboxStatus, PermanentError, RemoteResult, RetryableError
from sync.procore.errors import ProcoreConflict, ProcoreNotFound
from sync.writes.common import unauthorized_for_now
from sync.writes.registry import ContextFor, operation

PAYMENT = "payment"  # binder entity: Procore contract payment id ↔ "{BillPayment Id}:{Bill Id}"
CREATE, DELETE = "procore.create_contract_payment", "procore.delete_contract_payment"


@contextmanager
def remote_errors(doing: str) -> Iterator[None]:
    """Client errors → the outbox's vocabulary: retry what may pass, refuse the rest with a sentence."""
    try:
        yield
    except NotConnected as exc:
        raise PermanentError(f"Could not {doing}: {exc}") from exc
    except RETRYABLE_ERRORS as exc:
        raise RetryableError(f"{doing}: {exc}") from exc
    except AuthenticationError as exc:
        if unauthorized_for_now(exc):
            raise RetryableError(f"{doing}: {exc}") from exc
        # 403: the connected user lacks a permission: a person must reconnect
        raise PermanentError(f"Could not {doing}: {exc.hint}") from exc
    except RemoteError as exc:
        raise PermanentError(f"Could not {doing}: {exc} — {exc.hint}") from exc
    except (KeyError, TypeError, ValueError) as exc:  # a queued payload this version can't read
        raise PermanentError(f"Could not {doing}: the queued request is incomplete ({type(exc).__name__}: {exc}); "
                             "run the sync again to queue it afresh.") from exc


def entry_status(session: Session, requestid: str) -> tuple[str | None, str | None]:
    """(status, remote_id) of the outbox row with that requestid, (None, None) when there is none."""
    row = session.exec(select(OutboxEntry).where(OutboxEntry.requestid == requestid)).first()
    return (row.status, row.remote_id) if row else (None, None)


NEVER_THERE = "the payment never reached Procore; nothing to remove"


def delete_target(ctx: TenantContext, payload: dict[str, Any]) -> str | None:
    """The Procore payment a delete removes: known at enqueue time, else what its create made (None: it never
    got there); a create still queued or in flight makes the delete wait (RetryableError)."""
    if payload.get("procore_payment_id"):
        return str(payload["procore_payment_id"])
    with ctx.session() as s:
        status, remote_id = entry_status(s, payload.get("create_requestid") or "")
    if status in (OutboxStatus.PENDING, OutboxStatus.CLAIMED):
        raise RetryableError("the payment is still on its way to Procore; it is removed once it is there")
    return remote_id if status == OutboxStatus.DONE else None


def known_payment(session: Session, tenant_id: int, entity: str, key: str, old: dict[str, Any]) -> str | None:
    """The Procore payment made from `old`, if the binder says so for that very version (else None)."""
    link = session.exec(select(ExternalLink).where(
        ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == entity, ExternalLink.qbo_id == key)).first()
    return link.procore_id if link is not None and link.sync_token == old.get("sync_token") else None


def rebind(session: Session, tenant_id: int, entity: str, procore_id: str, qbo_key: str,
           sync_token: str | None) -> None:
    """Bind `procore_id` ↔ `qbo_key`, replacing a link of that key to an older Procore record."""
    old = binder.to_internal(session, tenant_id, entity, qbo_key)
    if old is not None and old.procore_id != procore_id:
        session.delete(old)
        session.flush()
    binder.bind(session, tenant_id, entity, procore_id, qbo_key, sync_token)


@operation(CREATE)
class CreateContractPayment:
    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def _commitment(self, ctx: TenantContext, payload: dict[str, Any]) -> int:
        if payload.get("commitment_id"):
            return int(payload["commitment_id"])
        req = ctx.procore.get_requisition(project_id=int(payload["project_id"]),
                                          requisition_id=int(payload["requisition_id"]), with_commitment=False)
        if req.commitment_id is None:
            raise PermanentError(f"Procore invoice {payload['requisition_id']} has no commitment, so the payment "
                                 "can't be recorded against it; check the invoice in Procore.")
        return req.commitment_id

    def _result(self, payment: Any, app_token: str, commitment_id: int) -> RemoteResult:
        return RemoteResult(remote_id=str(payment.id), sync_token=app_token,
                            body={"commitment_id": commitment_id, "amount": str(payment.amount)},
                            summary=f"Procore payment {money(payment.amount)}"
                                    + (f" on {payment.payment_date.isoformat()}" if payment.payment_date else ""))

    def _find(self, ctx: TenantContext, payload: dict[str, Any], commitment_id: int) -> Any:
        origin = from_json(payload["application"]).origin_id
        payments = ctx.procore.list_contract_payments(project_id=int(payload["project_id"]), contract_id=commitment_id)
        return next((p for p in payments if p.origin_id == origin), None)

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("record the payment in Procore"):
            app = from_json(payload["application"])
            commitment_id = self._commitment(ctx, payload)
            try:
                payment = ctx.procore.create_contract_payment(
                    project_id=int(payload["project_id"]), contract_id=commitment_id,
                    requisition_id=int(payload["requisition_id"]),
                    **contract_payment_fields(app, invoice_number=payload.get("invoice_number")))
            except ProcoreConflict:  # our origin_id is taken: an earlier attempt got through
                payment = self._find(ctx, payload, commitment_id)
                if payment is None:
                    raise
        return self._result(payment, app.sync_token, commitment_id)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("look for the payment in Procore"):
            commitment_id = self._commitment(ctx, payload)
            payment = self._find(ctx, payload, commitment_id)
        return self._result(payment, payload["application"]["sync_token"], commitment_id) if payment else None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        rebind(session, entry.tenant_id, PAYMENT, result.remote_id, entry.payload["key"], result.sync_token)


@operation(DELETE)
class DeleteContractPayment:
    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("remove the payment from Procore"):
            target = delete_target(ctx, payload)
            if target is None:
                return RemoteResult(remote_id="", summary=NEVER_THERE)
            try:
                ctx.procore.delete_contract_payment(project_id=int(payload["project_id"]),
                                                    contract_payment_id=int(target))
            except ProcoreNotFound:
                pass  # already gone (a previous attempt, or a person removed it)
        return RemoteResult(remote_id=target, summary=f"Removed Procore payment {target}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # deleting again is harmless: Procore answers 404, which counts as done

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        if not result.remote_id:
            return
        link = binder.to_external(session, entry.tenant_id, PAYMENT, result.remote_id)
        if link is not None:
            session.delete(link)
            session.flush()

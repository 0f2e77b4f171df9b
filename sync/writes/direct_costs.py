"""Outbox operations for job-cost sync: write a QBO transaction's lines on a project as a Procore direct cost.

`procore.put_direct_cost` — payload: `key` ("{entity}:{QBO Id}:{Procore project id}", also the direct
cost's `origin_id`), `project_id`, `sync_token` (the QBO SyncToken it was made from), `fields` (see
`DirectCostPlan.fields`, JSON). Creates the direct cost, or overwrites it wholesale when it exists (found by
the `direct_cost` link, else by origin_id) — which is how edits made in Procore are undone. A put older than
what is already in Procore (a lower SyncToken) does nothing. Binds `direct_cost`: Procore id ↔ key.

`procore.delete_direct_cost` — payload: `key`, `project_id`, `after_requestid` (the last put for that key, which
must finish first so nothing is left behind).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from core.models import OutboxEntry
from core.money import money
from sync import binder
from sync.context import TenantContext
from sync.outbox import OutboxStatus, RemoteResult, RetryableError
from sync.procore.errors import ProcoreConflict, ProcoreNotFound
from sync.writes.payments import entry_status, rebind, remote_errors
from sync.writes.registry import ContextFor, operation

DIRECT_COST = "direct_cost"  # binder entity: Procore direct cost id ↔ "{entity}:{QBO Id}:{project id}"
PUT, DELETE = "procore.put_direct_cost", "procore.delete_direct_cost"


def _newer(have: str | None, want: str) -> bool:
    try:
        return have is not None and int(have) > int(want)
    except ValueError:
        return False


def _fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON payload back to client arguments: money as Decimal, the date as a date."""
    fields = dict(payload["fields"])
    fields["direct_cost_date"] = date.fromisoformat(fields["direct_cost_date"])
    fields["line_items"] = [{**x, "amount": Decimal(str(x["amount"]))} for x in fields["line_items"]]
    return fields


def _find(ctx: TenantContext, project_id: int, key: str) -> Any:
    costs = ctx.procore.list_direct_costs(project_id=project_id, filters={"origin_id": key})
    return next((c for c in costs if c.origin_id == key), None)


@operation(PUT)
class PutDirectCost:
    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("write the direct cost to Procore"):
            key, project_id, token = payload["key"], int(payload["project_id"]), str(payload["sync_token"])
            fields = _fields(payload)
        with ctx.session() as s:
            link = binder.to_internal(s, entry.tenant_id, DIRECT_COST, key)
        if link is not None and _newer(link.sync_token, token):
            return RemoteResult(link.procore_id, link.sync_token, summary="a newer version is already in Procore")
        changes = {k: v for k, v in fields.items() if k != "direct_cost_type"}  # fixed once created
        with remote_errors("write the direct cost to Procore"):
            cost_id = int(link.procore_id) if link is not None else None
            if cost_id is None and entry.attempts > 1:
                found = _find(ctx, project_id, key)
                cost_id = found.id if found else None
            cost = None
            if cost_id is not None:
                try:
                    cost = ctx.procore.update_direct_cost(project_id=project_id, direct_cost_id=cost_id, **changes)
                except ProcoreNotFound:  # a person deleted it in Procore: it comes back, as the sync is one-way
                    cost = None
            if cost is None:
                try:
                    cost = ctx.procore.create_direct_cost(project_id=project_id, **fields)
                except ProcoreConflict:  # the origin_id is taken: an earlier attempt got through
                    found = _find(ctx, project_id, key)
                    if found is None:
                        raise
                    cost = ctx.procore.update_direct_cost(project_id=project_id, direct_cost_id=found.id, **changes)
        total = sum((x["amount"] for x in fields["line_items"]), Decimal(0))
        summary = f"Procore direct cost {fields['invoice_number']}, {money(total)}"
        return RemoteResult(str(cost.id), token, summary=summary)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # execute looks the cost up by origin_id itself on a retry (update, never a second create)

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        rebind(session, entry.tenant_id, DIRECT_COST, result.remote_id, entry.payload["key"], result.sync_token)


@operation(DELETE)
class DeleteDirectCost:
    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, payload = self.context_for(entry.tenant_id), entry.payload
        with remote_errors("remove the direct cost from Procore"):
            key, project_id = payload["key"], int(payload["project_id"])
        with ctx.session() as s:
            status, _ = entry_status(s, payload.get("after_requestid") or "")
            link = binder.to_internal(s, entry.tenant_id, DIRECT_COST, key)
        if status in (OutboxStatus.PENDING, OutboxStatus.CLAIMED):
            raise RetryableError("the direct cost is still being written to Procore; it is removed after that")
        with remote_errors("remove the direct cost from Procore"):
            cost_id = link.procore_id if link is not None else None
            if cost_id is None:
                found = _find(ctx, project_id, key)
                cost_id = str(found.id) if found else None
            if cost_id is None:
                return RemoteResult("", summary="not in Procore; nothing to remove")
            try:
                ctx.procore.delete_direct_cost(project_id=project_id, direct_cost_id=int(cost_id))
            except ProcoreNotFound:
                pass
        return RemoteResult(cost_id, summary=f"Removed Procore direct cost {cost_id}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # a second delete answers 404, which counts as done

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        link = binder.to_internal(session, entry.tenant_id, DIRECT_COST, entry.payload["key"])
        if link is not None and (not result.remote_id or link.procore_id == result.remote_id):
            session.delete(link)
            session.flush()

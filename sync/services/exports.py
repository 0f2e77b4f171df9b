"""What happens when an item is accepted (or exported directly, or retried): one hook per item type.

    from sync.services import exports
    exports.accept(ctx, actor, item_id)            # = workflow.accept(item_id, actor, then=export_hook(item.type))
    exports.export_directly(ctx, actor, item_id)   # direct exports; exports.retry(ctx, actor, item_id) after a failure

A hook runs inside the workflow's transaction and queues the item's remote write in the outbox, so the
decision and the write it asks for commit together. Each item type's module registers its hook with
`@registers(ItemType.X)` and lists itself in `EXPORT_HOOK_MODULES` (one line each, like OPERATION_MODULES).

`enqueue_for_item` is the helper those hooks share: it keeps one live write per item and makes a retry of a
write that failed for good a *new* outbox row (QBO replays a stored answer — even a refusal — for a reused
requestid, so a retry after the person fixed the cause must not reuse it). `not_before` in the payload is when
this round's first attempt was queued; reconcile-by-lookup only adopts a remote record created after it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.permissions import Actor
from core.domain.states import ItemType
from core.domain.workflow import Hook, Outcome
from core.models import Item, OutboxEntry
from sync.context import TenantContext
from sync.outbox import OutboxStatus, enqueue

#: item type → the hook that queues its remote write (filled by the modules below when imported)
EXPORT_HOOKS: dict[str, Hook] = {}
#: modules that register export hooks
EXPORT_HOOK_MODULES: list[str] = [
    "sync.services.companies",
    "sync.services.invoices",
    "sync.services.cost_codes",
    "sync.services.commitments",
]


def registers(item_type: ItemType | str) -> Callable[[Hook], Hook]:
    """Decorator: `fn(session, item)` is what accepting an item of this type does."""
    def decorate(fn: Hook) -> Hook:
        EXPORT_HOOKS[str(item_type)] = fn
        return fn
    return decorate


def export_hook(item_type: ItemType | str) -> Hook:
    """The hook to pass as `then=` when accepting, directly exporting or retrying an item of this type."""
    for module in EXPORT_HOOK_MODULES:
        importlib.import_module(module)
    try:
        return EXPORT_HOOKS[str(item_type)]
    except KeyError:
        label = ItemType(str(item_type)).label if str(item_type) in set(ItemType) else str(item_type)
        raise InvalidInput(f"Ledgerlink can't export a {label} to QuickBooks yet, so it can't be accepted; "
                           "retrieve it or ask your admin.") from None


def enqueue_for_item(session: Session, item: Item, *, operation: str, target: str,
                     payload: dict[str, Any]) -> OutboxEntry:
    """Queue `operation` for `item` in the caller's transaction (see the module docstring for retries)."""
    prior = list(session.exec(select(OutboxEntry).where(OutboxEntry.item_id == item.id,
                                                        OutboxEntry.operation == operation)
                              .order_by(OutboxEntry.id)))
    live = [e for e in prior if e.status in (OutboxStatus.PENDING, OutboxStatus.CLAIMED)]
    if live:
        return live[-1]
    this_round = [e for e in prior if (e.payload or {}).get("round") == item.round]
    version: str | int = item.round if not this_round else f"{item.round}.{len(this_round)}"
    not_before = (this_round[0].payload or {}).get("not_before") if this_round else None
    entry = enqueue(session, tenant_id=item.tenant_id, item_id=item.id, target=target, operation=operation,
                    record=f"{item.type}:{item.procore_id}", version=version,
                    payload={**payload, "round": item.round})
    if not_before is None:
        not_before = entry.created_at.isoformat()
    entry.payload = {**entry.payload, "not_before": not_before}
    session.add(entry)
    session.flush()
    return entry


# --- the decisions that write: the Slack handlers and the CLI call these ------------------------------------
def _item_type(ctx: TenantContext, actor: Actor, item_id: int) -> str:
    with ctx.session() as s:
        item = s.get(Item, item_id)
        if item is None or item.tenant_id != ctx.tenant_id or (actor.tenant_id not in (None, ctx.tenant_id)):
            raise ItemNotFound(f"There is no item #{item_id} in this company's Ledgerlink.")
        return item.type


def accept(ctx: TenantContext, actor: Actor, item_id: int, *, request_id: str | None = None) -> Outcome:
    """An approver accepts; the final acceptance queues the item's export in the same transaction."""
    hook = export_hook(_item_type(ctx, actor, item_id))
    return ctx.workflow.accept(item_id, actor, request_id=request_id, then=hook)


def export_directly(ctx: TenantContext, actor: Actor, item_id: int, *, workflow_complete: bool = False,
                    request_id: str | None = None) -> Outcome:
    """A sender exports without acceptance, when the tenant's direct-exports setting allows it."""
    hook = export_hook(_item_type(ctx, actor, item_id))
    return ctx.workflow.export(item_id, actor, workflow_complete=workflow_complete, request_id=request_id,
                               then=hook)


def retry(ctx: TenantContext, actor: Actor, item_id: int, *, request_id: str | None = None) -> Outcome:
    """An approver retries a failed export (a new outbox row when the last one failed for good)."""
    hook = export_hook(_item_type(ctx, actor, item_id))
    return ctx.workflow.retry(item_id, actor, request_id=request_id, then=hook)


def live_entry(session: Session, tenant_id: int, operation: str, **payload: Any) -> OutboxEntry | None:
    """A pending or running write of `operation` whose payload has these values (a double click finds it)."""
    rows = session.exec(select(OutboxEntry).where(
        OutboxEntry.tenant_id == tenant_id, OutboxEntry.operation == operation,
        OutboxEntry.status.in_([OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value])))
    return next((e for e in rows if all((e.payload or {}).get(k) == v for k, v in payload.items())), None)

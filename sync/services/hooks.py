"""Export hooks: what accepting an item of a type does, registered by the module of that type with
`@registers(ItemType.X)` (sync/services/exports.py imports those modules), and the helper they share. Types whose
send checks more than the workflow does (invoices re-read Procore; a linked company has nothing to export) register
that send with `@sends(...)`.

A hook runs inside the workflow's transaction and queues the item's remote write in the outbox, so the
decision and the write it asks for commit together.

`enqueue_for_item` keeps one live write per item and makes a retry of a write that failed for good a *new* outbox
row (QBO replays a stored answer — even a refusal — for a reused requestid, so a retry after the person fixed the
cause must not reuse it). `not_before` in the payload is when this round's first attempt was queued;
reconcile-by-lookup only adopts a remote record created after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, or_
from sqlmodel import Session, select

from core.domain.states import ItemType
from core.domain.workflow import Hook
from core.models import Item, OutboxEntry, utcnow
from sync.outbox import OutboxStatus, add_entry, enqueue, make_requestid

#: item type → the hook that queues its remote write (filled by `@registers` as the modules are imported)
EXPORT_HOOKS: dict[str, Hook] = {}


def registers(item_type: ItemType | str) -> Callable[[Hook], Hook]:
    """Decorator: `fn(session, item)` is what accepting an item of this type does."""
    def decorate(fn: Hook) -> Hook:
        EXPORT_HOOKS[str(item_type)] = fn
        return fn
    return decorate


#: the engine's own send of an item type: fn(ctx, actor, item, again=resend?) -> Outcome
SendHook = Callable[..., Any]
SEND_HOOKS: dict[str, SendHook] = {}


def sends(*item_types: ItemType | str) -> Callable[[SendHook], SendHook]:
    """Decorator: `fn(ctx, actor, item, *, again)` sends (or, `again`, resends) an item of these types."""
    def decorate(fn: SendHook) -> SendHook:
        for item_type in item_types:
            SEND_HOOKS[str(item_type)] = fn
        return fn
    return decorate


#: built once (building a statement costs more than running it; this one runs on every Accept)
ITEM_ROWS = select(OutboxEntry).where(OutboxEntry.operation == bindparam("operation"), or_(
    OutboxEntry.item_id == bindparam("item_id"), OutboxEntry.requestid == bindparam("requestid"))
    ).order_by(OutboxEntry.id)  # type: ignore[arg-type]


def enqueue_for_item(session: Session, item: Item, *, operation: str, target: str,
                     payload: dict[str, Any]) -> OutboxEntry:
    """Queue `operation` for `item` in the caller's transaction (see the module docstring for retries)."""
    record = f"{item.type}:{item.procore_id}"
    first = make_requestid(item.tenant_id, operation, record, item.round)  # this round's first attempt
    # one read on every Accept: the item's earlier rows, and whoever already holds the first attempt's requestid
    rows = list(session.exec(ITEM_ROWS, params={"operation": operation, "item_id": item.id,  # type: ignore[call-overload]
                                                "requestid": first}))
    prior = [e for e in rows if e.item_id == item.id]
    live = [e for e in prior if e.status in (OutboxStatus.PENDING, OutboxStatus.CLAIMED)]
    if live:
        return live[-1]
    this_round = [e for e in prior if (e.payload or {}).get("round") == item.round]
    not_before = (this_round[0].payload or {}).get("not_before") if this_round else None
    payload = {**payload, "round": item.round, "not_before": not_before or utcnow().isoformat()}
    if not this_round and not any(e.requestid == first for e in rows):
        return add_entry(session, tenant_id=item.tenant_id, item_id=item.id, target=target, operation=operation,
                         requestid=first, payload=payload)
    return enqueue(session, tenant_id=item.tenant_id, item_id=item.id, target=target, operation=operation,
                   record=record, version=f"{item.round}.{len(this_round)}" if this_round else item.round,
                   payload=payload)


def live_entry(session: Session, tenant_id: int, operation: str, **payload: Any) -> OutboxEntry | None:
    """A pending or running write of `operation` whose payload has these values (a double click finds it)."""
    rows = session.exec(select(OutboxEntry).where(
        OutboxEntry.tenant_id == tenant_id, OutboxEntry.operation == operation,
        OutboxEntry.status.in_([OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value])))
    return next((e for e in rows if all((e.payload or {}).get(k) == v for k, v in payload.items())), None)

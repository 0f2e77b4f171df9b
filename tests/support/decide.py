"""The engine's part of a decision, for tests that drive the engine without Slack: the domain rule with the item
type's export hook where there is one (what bot/actions/ do before they redraw the card)."""

from __future__ import annotations

from core.domain.errors import ItemNotFound
from core.domain.permissions import Actor
from core.domain.workflow import Outcome
from core.models import Item
from sync.context import TenantContext
from sync.services.exports import export_hook


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


def export(ctx: TenantContext, actor: Actor, item_id: int, *, workflow_complete: bool = False,
                    request_id: str | None = None) -> Outcome:
    """A sender exports without acceptance, when the tenant's direct-exports setting allows it."""
    hook = export_hook(_item_type(ctx, actor, item_id))
    return ctx.workflow.export(item_id, actor, workflow_complete=workflow_complete, request_id=request_id,
                               then=hook)


def retry(ctx: TenantContext, actor: Actor, item_id: int, *, request_id: str | None = None) -> Outcome:
    """An approver retries a failed export (a new outbox row when the last one failed for good)."""
    hook = export_hook(_item_type(ctx, actor, item_id))
    return ctx.workflow.retry(item_id, actor, request_id=request_id, then=hook)


def retrieve(ctx: TenantContext, actor: Actor, item_id: int) -> Outcome:
    """The sender takes an item back before any decision (editable again)."""
    _item_type(ctx, actor, item_id)
    return ctx.workflow.retrieve(item_id, actor)


def reject(ctx: TenantContext, actor: Actor, item_id: int, reason: str) -> Outcome:
    """An approver rejects with a reason; the item is editable again and can be resent."""
    _item_type(ctx, actor, item_id)
    return ctx.workflow.reject(item_id, actor, reason)

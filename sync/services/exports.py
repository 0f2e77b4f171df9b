"""What happens when an item is accepted (or exported directly, or retried): the hook of its type.

    from sync.services import exports
    exports.accept(ctx, actor, item_id)            # = workflow.accept(item_id, actor, then=export_hook(item.type))
    exports.export_directly(ctx, actor, item_id)   # direct exports; exports.retry(ctx, actor, item_id) after a failure

Each item type's module registers its hook with `@registers(ItemType.X)` (sync/services/hooks.py) when imported;
the imports below are that list (a new exportable type is one more import line here).
"""

from __future__ import annotations

import sync.services.commitments
import sync.services.companies
import sync.services.cost_codes
import sync.services.invoices  # noqa: F401 - the imports above and this one register the export hooks
from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.permissions import Actor
from core.domain.states import ItemType
from core.domain.workflow import Hook, Outcome
from core.models import Item
from sync.context import TenantContext
from sync.services.hooks import EXPORT_HOOKS


def export_hook(item_type: ItemType | str) -> Hook:
    """The hook to pass as `then=` when accepting, directly exporting or retrying an item of this type."""
    try:
        return EXPORT_HOOKS[str(item_type)]
    except KeyError:
        label = ItemType(str(item_type)).label if str(item_type) in set(ItemType) else str(item_type)
        raise InvalidInput(f"Ledgerlink can't export a {label} to QuickBooks yet, so it can't be accepted; "
                           "retrieve it or ask your admin.") from None


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

"""What happens when an item is accepted (or exported directly, or retried): the export hook of its type.

    workflow.accept(item_id, actor, then=exports.export_hook(item.type))   # bot/actions/accept.py

Each item type's module registers its hook with `@registers(ItemType.X)` (sync/services/hooks.py) when imported;
the imports below are that list (a new exportable type is one more import line here).
"""

from __future__ import annotations

import sync.services.commitments
import sync.services.companies
import sync.services.cost_codes
import sync.services.invoices
import sync.services.project_exports  # noqa: F401 - the imports above and this one register the export hooks
from core.domain.errors import InvalidInput
from core.domain.states import ItemType
from core.domain.workflow import Hook
from sync.services.hooks import EXPORT_HOOKS, SEND_HOOKS, SendHook


def export_hook(item_type: ItemType | str) -> Hook:
    """The hook to pass as `then=` when accepting, directly exporting or retrying an item of this type."""
    try:
        return EXPORT_HOOKS[str(item_type)]
    except KeyError:
        label = ItemType(str(item_type)).label if str(item_type) in set(ItemType) else str(item_type)
        raise InvalidInput(f"Ledgerlink can't export a {label} to QuickBooks yet, so it can't be accepted; "
                           "retrieve it or ask your admin.") from None


def send_hook(item_type: ItemType | str) -> SendHook | None:
    """The engine's own send for this item type, if it checks more than the workflow's send; else None."""
    return SEND_HOOKS.get(str(item_type))

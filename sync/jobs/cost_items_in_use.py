"""Which budget-line items live records still use, so the cost-codes job keeps them active.

Procore lets a commitment (and so its invoices) carry a cost code × cost type pair that no budget line has (an
unbudgeted line), and a budget line can be deleted while an invoice on it waits for acceptance. Deactivating that
pair's QBO item would make those exports fail ("the cost code item is inactive"), so the job leaves it active.
"""

from __future__ import annotations

from sqlmodel import Session, select

from core.domain.states import ItemState, ItemType
from core.models import Item
from sync.mappers.cost_items import cost_item_key

#: states in which an item's lines no longer need their QBO items (done, or set aside)
_DONE = (ItemState.SYNCED.value, ItemState.PAID.value, ItemState.ARCHIVED.value)
#: item types whose lines name a cost code × cost type (commitments stay live after export: invoices follow)
_LINED = (ItemType.SUB_INVOICE.value, ItemType.OWNER_INVOICE.value, ItemType.COMMITMENT.value, ItemType.CCO.value)
_ALWAYS_LIVE = (ItemType.COMMITMENT.value, ItemType.CCO.value)


def items_in_use(session: Session, tenant_id: int, project_id: int) -> dict[str, str]:
    """Binder key of a budget-line item → the title of a live record of the project whose lines use it."""
    rows = session.exec(select(Item).where(Item.tenant_id == tenant_id, Item.procore_project_id == project_id,
                                           Item.type.in_(_LINED), Item.state != ItemState.ARCHIVED.value))
    used: dict[str, str] = {}
    for item in rows:
        if item.state in _DONE and item.type not in _ALWAYS_LIVE:
            continue
        for line in (item.detail or {}).get("lines") or []:
            code, kind = line.get("cost_code_id"), line.get("line_item_type_id")
            if code is not None and kind is not None:
                used.setdefault(cost_item_key(project_id, code, kind), item.title)
    return used

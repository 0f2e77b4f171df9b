"""Procore records become Ledgerlink items: one upsert that every ingesting job uses.

An item that is with accounting or already in QBO is *locked* (Procore locks the record for edits once
sent). A change to its Procore record is then not copied in: the item keeps what was sent and records
`detail["changed_while_locked"]` so the card and the sender see that the edit will not reach QBO unless the
item is retrieved or rejected and resent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from core.domain.states import LOCKED_STATES, ItemState
from core.models import Item, utcnow


def source_hash(record: Any) -> str:
    """A stable fingerprint of a Procore record's JSON (key order does not matter)."""
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Ingested:
    item: Item
    created: bool
    changed: bool
    locked_change: bool  # the Procore record changed while the item was locked


def find_item(session: Session, tenant_id: int, item_type: str, procore_id: str | int) -> Item | None:
    return session.exec(select(Item).where(Item.tenant_id == tenant_id, Item.type == item_type,
                                           Item.procore_id == str(procore_id))).first()


#: `upsert_item(existing=...)` default: look the item up (one SELECT)
LOOK_UP: Any = object()


def upsert_item(session: Session, *, tenant_id: int, item_type: str, procore_id: str | int, title: str,
                amount: Decimal | None, procore_project_id: int | None, detail: dict[str, Any], raw: Any,
                initial_state: str = ItemState.READY_TO_EXPORT.value, existing: Item | None = LOOK_UP) -> Ingested:
    """Create the item, or refresh it from Procore unless it is locked (see the module docstring). `existing`:
    the item as the caller already read it in this session (None: there is none), to spare the SELECT."""
    digest = source_hash(raw)
    item = find_item(session, tenant_id, item_type, procore_id) if existing is LOOK_UP else existing
    if item is None:
        item = Item(tenant_id=tenant_id, type=item_type, procore_id=str(procore_id), title=title[:300],
                    amount=amount, procore_project_id=procore_project_id, detail=detail, source_hash=digest,
                    state=initial_state)
        session.add(item)
        session.flush()
        return Ingested(item, created=True, changed=True, locked_change=False)
    if item.source_hash == digest:
        return Ingested(item, created=False, changed=False, locked_change=False)
    if item.state in LOCKED_STATES:
        flagged = {**(item.detail or {}), "changed_while_locked": utcnow().isoformat()}
        if flagged != item.detail:
            item.detail = flagged
            session.add(item)
        return Ingested(item, created=False, changed=False, locked_change=True)
    item.title, item.amount, item.procore_project_id = title[:300], amount, procore_project_id
    item.detail, item.source_hash, item.updated_at = detail, digest, utcnow()
    item.version += 1  # a refresh is a change other writers must see (compare-and-set)
    session.add(item)
    session.flush()
    return Ingested(item, created=False, changed=True, locked_change=False)

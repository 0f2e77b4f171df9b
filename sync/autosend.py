"""The engine's side of auto-send: an ingesting job that sees a Procore record change status calls `note_change`,
which asks the rules (core/domain/autosend.py) and, when they say send, queues one `AutoSend` row in the job's
transaction. The worker sends it afterwards (bot/actions/autosend.py); nothing here talks to Slack.

Exactly once per status change: the row is unique on (record, new status, the record's `updated_at`) and
inserted with ON CONFLICT DO NOTHING, so three deliveries of one webhook — or a webhook and a poll, or two
workers — queue it once, while a later genuine re-approval (a new `updated_at`) queues another.

Who made the change is what Procore's webhook said (`user_id`, kept on the SyncRequest it queued); a poll that
found the change with no webhook for it leaves the sender unknown.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlmodel import Session, select

from core.db import insert_ignoring
from core.domain.autosend import CLOCK_SKEW, decide, parse_time
from core.models import AutoSend, Item, SyncRequest, TenantSettings, utcnow

logger = logging.getLogger(__name__)

#: item type → the Procore webhook resources whose changes name its records
RESOURCES: dict[str, tuple[str, ...]] = {
    "sub_invoice": ("Requisitions",),
    "owner_invoice": ("Payment Applications",),
    "commitment": ("Work Order Contracts", "Purchase Order Contracts"),
    "cco": ("Commitment Change Orders",),
    "pcco": ("Prime Change Orders",),
    "company": ("Company Vendors",),
}


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def note_change(session: Session, *, tenant_id: int, item_type: str, procore_id: str | int, before: str | None,
                after: str | None, changed_at: str | None, item: Item | None = None,
                settings: TenantSettings | None = None) -> AutoSend | None:
    """Queue an auto-send if this status change calls for one (in the caller's transaction); the row, or None.
    `settings`: the tenant's settings as a caller looping over many records read them once (read here if not)."""
    if before == after:
        return None
    settings = settings or session.get(TenantSettings, tenant_id)
    setting = settings.autosend if settings is not None else None
    if not setting:
        return None  # off for every type: the common case costs one primary-key read
    when = parse_time(changed_at)
    verdict = decide(item_type, before, after, setting=setting, changed_at=when,
                     item_state=item.state if item is not None else None)
    if not verdict:
        logger.debug("no auto-send for %s %s (%s → %s): %s", item_type, procore_id, before, after, verdict.reason)
        return None
    key = (changed_at or f"round-{item.round if item is not None else 0}")[:64]
    user_id = changed_by(session, tenant_id, item_type, procore_id, when)
    table = AutoSend.__table__  # type: ignore[attr-defined]
    stmt = (insert_ignoring(session.get_bind().dialect.name, table)
            .values(tenant_id=tenant_id, item_type=item_type, procore_id=str(procore_id),
                    item_id=item.id if item is not None else None, from_status=before, to_status=after,
                    change_key=key, procore_user_id=user_id, state="pending", attempts=0, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["tenant_id", "item_type", "procore_id", "to_status",
                                                    "change_key"])
            .returning(table.c.id))
    row_id = session.execute(stmt).scalar()
    if row_id is None:
        logger.info("auto-send of %s %s (%s) already queued", item_type, procore_id, verdict.reason)
        return None
    logger.info("auto-send queued for %s %s: %s (changed by Procore user %s)", item_type, procore_id,
                verdict.reason, user_id or "unknown")
    return session.get(AutoSend, row_id)


def changed_by(session: Session, tenant_id: int, item_type: str, procore_id: str | int,
               changed_at: datetime | None) -> int | None:
    """The Procore user whose change a webhook announced for this record (not one older than the change)."""
    names = {_norm(n) for n in RESOURCES.get(item_type, ())}
    query = (select(SyncRequest).where(SyncRequest.source == "procore", SyncRequest.entity_id == str(procore_id),
                                       SyncRequest.procore_user_id.is_not(None))  # type: ignore[union-attr]
             .where((SyncRequest.tenant_id == tenant_id) | (SyncRequest.tenant_id.is_(None)))  # type: ignore[union-attr]
             .order_by(SyncRequest.id.desc()).limit(20))  # type: ignore[union-attr]
    for row in session.exec(query):
        if _norm(row.entity) not in names:
            continue
        received = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        if changed_at is not None and received < changed_at - CLOCK_SKEW:
            return None  # the newest webhook for it is older than this change: someone else, unannounced
        return row.procore_user_id
    return None

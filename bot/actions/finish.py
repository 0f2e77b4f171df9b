"""After an accept, a retry or an export now: run the queued write and show the result on the card."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.actions.common import item_of
from bot.notify import exported_since
from bot.services.runtime import Services
from core.domain.permissions import SYSTEM
from core.models import Item, utcnow

logger = logging.getLogger(__name__)


def finish_export(svc: Services, item_id: int) -> Item:
    """Run the queued write now and show the result on the card (the caller waits: export now, retry's reply)."""
    _finish_round(svc, item_of(svc, item_id, SYSTEM).tenant_id, [item_id])
    return item_of(svc, item_id, SYSTEM)


def finish_export_soon(svc: Services, item_id: int) -> None:
    """After a click (on the later lane): as `finish_export`, but one drain per company at a time in this process;
    a click whose company has a drain running adds its item to that drain's next round and returns. Why: 50
    simultaneous Accepts started 50 drains, each holding a thread on the database's write lock and redrawing cards
    twice; one round batches all the waiting rows (up to 30 Bills per /batch). Exactly-once stays the outbox
    claims' (a row another process's drain claimed is skipped here, its card redrawn by that drain)."""
    tenant_id = item_of(svc, item_id, SYSTEM).tenant_id
    rounds = 0

    def round_(item_ids: list[int]) -> None:
        nonlocal rounds
        if rounds:  # the lane let the first round start; the next ones let pending decisions go first too
            svc.yield_to_clicks()
        rounds += 1
        _finish_round(svc, tenant_id, item_ids)

    svc.drains.run(tenant_id, item_id, round_)


def _finish_round(svc: Services, tenant_id: int, item_ids: list[int]) -> None:
    """Drain the company's due writes, then redraw the cards of `item_ids` and of every row this drain finished
    (also items accepted in another process, whose own drain found them taken), and tell approvers of a failure.
    Only this company's rows: a click's card never waits behind another company's bulk export (the workers')."""
    started = utcnow()
    svc.drain_outbox(tenant_id=tenant_id)
    ran = exported_since(svc.engine, started, claimed_by=svc.outbox_worker_id())
    svc.notifier.refresh_cards([i for i in ran if i.id not in item_ids])
    for item_id in item_ids:
        svc.notifier.refresh_card(item_id)
        if item_of(svc, item_id, SYSTEM).state == "failed_to_export":
            try:
                svc.notifier.failure_notice(item_id)
            except SlackApiError as exc:
                logger.warning("failure notice for item %s not posted: %s", item_id, exc.response.get("error"))

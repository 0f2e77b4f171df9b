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
    """Run the queued write now and show the result on the card (and tell approvers if it failed). The drain may
    also run other items' writes (accepted in another process, whose own drain found them taken): it redraws the
    cards of the rows it finished too. Only this item's company's rows: a click's card never waits behind
    another company's bulk export (the workers drain that one)."""
    started = utcnow()
    svc.drain_outbox(tenant_id=item_of(svc, item_id, SYSTEM).tenant_id)
    item = item_of(svc, item_id, SYSTEM)
    ran = exported_since(svc.engine, started, claimed_by=svc.outbox_worker_id())
    svc.notifier.refresh_cards([i for i in ran if i.id != item_id])
    svc.notifier.refresh_card(item_id)
    if item.state == "failed_to_export":
        try:
            svc.notifier.failure_notice(item_id)
        except SlackApiError as exc:
            logger.warning("failure notice for item %s not posted: %s", item_id, exc.response.get("error"))
    return item


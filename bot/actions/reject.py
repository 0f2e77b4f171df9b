"""Reject with a reason: checked before the modal opens, decided before its ack, announced after it."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.actions.common import item_of
from bot.services.runtime import Services
from core.domain.errors import IllegalTransition, PermissionDenied
from core.domain.permissions import Actor, check, perm_for
from core.domain.states import STATE_LABELS, Action, ItemState, ItemType
from core.domain.workflow import Outcome
from core.models import Item

logger = logging.getLogger(__name__)


def check_can_decide(svc: Services, item_id: int, actor: Actor) -> Item:
    """Before opening the reject modal: would this person be allowed to decide this item now?
    (The workflow checks again when the reason is submitted.)"""
    item = item_of(svc, item_id, actor)
    check(actor, perm_for(Action.REJECT, ItemType(item.type)))  # type: ignore[arg-type]
    if item.state != ItemState.AWAITING_ACCEPTANCE:
        raise IllegalTransition(f"{item.title} is {STATE_LABELS[ItemState(item.state)]}, so it can't be rejected "
                                "now.")
    if item.sender_id is not None and item.sender_id == actor.user_id:
        raise PermissionDenied(f"You sent {item.title}, so another approver must decide it (separation of duties).")
    return item


def reject(svc: Services, item_id: int, actor: Actor, reason: str) -> Outcome:
    """The decision only (fast, before the modal's ack); `announce_rejection` updates Slack afterwards."""
    return svc.workflow.reject(item_id, actor, reason)


def announce_rejection(svc: Services, item_id: int) -> None:
    svc.notifier.refresh_card(item_id)
    try:
        svc.notifier.rejection_dm(item_id)
    except SlackApiError as exc:
        logger.warning("rejection DM for item %s not sent: %s", item_id, exc.response.get("error"))


"""Send again after a rejection: a new card (the old one keeps showing the rejection)."""

from __future__ import annotations

from bot.actions.common import item_of
from bot.actions.send import engine_send, post_or_take_back
from bot.services.runtime import Services
from core.domain.permissions import Actor
from core.domain.workflow import Outcome


def resend(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Send again after a rejection: a new card (the old one keeps showing the rejection)."""
    item = item_of(svc, item_id, actor)
    outcome = engine_send(svc, item, actor, again=True) or svc.workflow.resend(item_id, actor)
    post_or_take_back(svc, item_id, outcome)
    return outcome


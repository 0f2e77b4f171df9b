"""The sender takes an item back before anyone decides it (ready to export again)."""

from __future__ import annotations

from bot.services.runtime import Services
from core.domain.permissions import Actor
from core.domain.workflow import Outcome


def retrieve(svc: Services, item_id: int, actor: Actor) -> Outcome:
    outcome = svc.workflow.retrieve(item_id, actor)
    svc.notifier.refresh_card(item_id)
    return outcome


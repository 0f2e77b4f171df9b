"""Retry a failed export: the write is queued again (mapped with today's links) and run in the background."""

from __future__ import annotations

from bot.actions import finish
from bot.actions.common import item_of
from bot.services.runtime import Services
from core.domain.permissions import Actor
from core.domain.workflow import Outcome


def retry(svc: Services, item_id: int, actor: Actor) -> Outcome:
    item = item_of(svc, item_id, actor)
    hook = svc.export_hook(item.type)
    outcome = svc.workflow.retry(item_id, actor, then=hook)
    svc.notifier.refresh_card(item_id)
    if hook is not None:
        svc.submit_later(finish.finish_export_soon, svc, item_id)
    return outcome


"""Accept: the decision and, with the final approval, the outbox row in one transaction (the item type's export
hook, sync/services/hooks.py); the card is redrawn and the write runs in the background (`finish`).

The one implementation of Accept: the card's button, the grouped card's Accept all and the CLI all come here.
"""

from __future__ import annotations

import logging

from bot.actions import finish
from bot.actions.common import item_of
from bot.services.runtime import Services
from core.domain.permissions import Actor
from core.domain.workflow import Outcome

logger = logging.getLogger(__name__)


def accept_only(svc: Services, item_id: int, actor: Actor) -> tuple[Outcome, bool]:
    """The decision, and with the final approval the outbox row, in one transaction (no Slack update);
    returns the outcome and whether an export was queued."""
    item = item_of(svc, item_id, actor)
    hook = svc.export_hook(item.type)
    if hook is None:
        logger.warning("no export hook for %s items yet: item %s is accepted without an outbox write",
                       item.type, item_id)
    outcome = svc.workflow.accept(item_id, actor, then=hook)
    return outcome, outcome.changed_state and hook is not None


def accept(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Accept; the final approval also queues the export (same transaction) and starts it in the background."""
    outcome, queued = accept_only(svc, item_id, actor)
    svc.notifier.refresh_card(item_id)
    if queued:
        svc.submit(finish.finish_export, svc, item_id)
    return outcome


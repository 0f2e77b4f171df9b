"""Accept: the decision and, with the final approval, the outbox row in one transaction (the item type's export
hook, sync/services/hooks.py); the card is redrawn and the write runs in the background (`finish`).

The one implementation of Accept: the card's button, the grouped card's Accept all and the CLI all come here.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from blocks.cards import CardData
from bot.actions import finish
from bot.cardview import card_data
from bot.services.runtime import Services
from core.domain.permissions import Actor
from core.domain.workflow import Hook, Outcome
from core.models import Item

logger = logging.getLogger(__name__)


def accept_only(svc: Services, item_id: int, actor: Actor, *, after: Hook | None = None) -> tuple[Outcome, bool]:
    """The decision, and with the final approval the outbox row, in one transaction (no Slack update);
    returns the outcome and whether an export was queued. The export hook is chosen from the item the decision
    reads (no read of its own: this runs on every click). `after`: reads in the decision's session once committed."""

    def export(s: Session, item: Item) -> None:
        hook = svc.export_hook(item.type)
        if hook is None:
            logger.warning("no export hook for %s items yet: item %s is accepted without an outbox write",
                           item.type, item_id)
            return
        hook(s, item)

    outcome = svc.workflow.accept(item_id, actor, then=export, after=after)
    return outcome, outcome.changed_state and svc.export_hook(outcome.item.type) is not None


def accept(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Accept; the final approval also queues the export (same transaction) and starts it in the background."""
    drawn: list[CardData] = []  # the card as the decision committed it, read in its session (no second read)
    outcome, queued = accept_only(svc, item_id, actor,
                                  after=lambda s, item: drawn.append(card_data(s, item.id, svc.notifier.links)))
    # the card now (the clicker waits for it); the rest on the later lane, which yields to other clicks' decisions
    # (bot/services/lanes.py): with an export, its round redraws card and receipt DM (finish.py), so only the card
    # now; else the receipt DM and the card's bookkeeping
    svc.notifier.refresh_card(item_id, card_only=queued, later=svc.submit_later, read=(outcome.item, drawn[0]))
    if queued:
        svc.submit_later(finish.finish_export_soon, svc, item_id)
    return outcome


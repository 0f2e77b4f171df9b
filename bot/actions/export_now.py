"""Export now, without acceptance (the tenant's direct-exports setting decides); the caller waits for
`finish.finish_export` and tells the person `export_sentence`."""

from __future__ import annotations

from bot.actions.common import item_of
from bot.services.runtime import Services
from core.domain.errors import DomainError
from core.domain.permissions import Actor
from core.domain.workflow import Outcome
from core.models import Item


def export(svc: Services, item_id: int, actor: Actor) -> Outcome:
    """Direct export (the tenant's direct-exports setting decides); the caller waits for `finish_export`."""
    item = item_of(svc, item_id, actor)
    hook = svc.export_hook(item.type)
    if hook is None:
        raise DomainError(f"Exporting {item.type.replace('_', ' ')} items to QuickBooks isn't available yet in "
                          "this Ledgerlink; send it for acceptance instead.")
    complete = bool((item.detail or {}).get("workflow_complete"))
    return svc.workflow.export(item_id, actor, workflow_complete=complete, then=hook)


def export_sentence(svc: Services, item: Item) -> str:
    """What the person who exported directly is told once `finish_export` is done."""
    if item.state == "synced":
        return f":white_check_mark: {item.title} is in QuickBooks: {svc.notifier.card(item.id).result or 'synced'}."  # type: ignore[arg-type]
    if item.state == "failed_to_export":
        return f":x: Exporting {item.title} failed: {item.last_error}"
    return f":hourglass_flowing_sand: {item.title} is queued; the worker will finish the export."


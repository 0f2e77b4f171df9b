"""What every action shares: the item as the acting person may see it, and the errors written for that person."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.services.runtime import Services
from core.domain.errors import DomainError, InvalidInput, ItemNotFound
from core.domain.permissions import Actor
from core.models import Item, OutboxEntry
from sync.binder import MissingLink
from sync.context import NotConnected, TenantContext
from sync.mappers.errors import MappingError
from sync.outbox import PermanentError

#: errors whose message is written for the person who clicked
SENTENCE_ERRORS = (DomainError, MappingError, PermanentError, MissingLink, NotConnected)


def sentence_of(exc: BaseException) -> str:
    return getattr(exc, "sentence", None) or str(exc)


class CardNotPosted(DomainError):
    pass


def item_of(svc: Services, item_id: int, actor: Actor) -> Item:
    with Session(svc.engine, expire_on_commit=False) as s:
        item = s.get(Item, item_id)
        if item is None or (actor.tenant_id is not None and item.tenant_id != actor.tenant_id):
            raise ItemNotFound(f"There is no item #{item_id} in this company's Ledgerlink.")
        return item



@dataclass(frozen=True)
class Confirm:
    """A destructive action asks first: the question, and the label of the button that goes ahead."""

    question: str
    button: str


def tenant_context(svc: Services, tenant_id: int) -> TenantContext:
    """The engine's context for one company; a sentence when QuickBooks and Procore aren't configured here."""
    if svc.context_for is None:
        raise InvalidInput("This needs the QuickBooks and Procore connections, which aren't configured here.")
    return svc.context_for(tenant_id)


def queued_outcome(svc: Services, entry_id: int | None, done: str, what: str) -> str:
    """Run the queued Procore write now (the worker would, within a minute) and say how it ended."""
    svc.drain_outbox()
    with Session(svc.engine) as s:
        entry = s.get(OutboxEntry, entry_id) if entry_id is not None else None
    if entry is None or entry.status == "done":
        return done + (f" (Procore id {entry.remote_id})" if entry is not None and entry.remote_id else "") + "."
    if entry.status == "failed":
        return f":warning: Procore refused {what}: {entry.last_error or 'no reason given'}."
    return f":hourglass_flowing_sand: {what[0].upper() + what[1:]} is queued; Procore will have it within a minute."

"""What every action shares: the item as the acting person may see it, and the errors written for that person."""

from __future__ import annotations

from sqlmodel import Session

from bot.services.runtime import Services
from core.domain.errors import DomainError, ItemNotFound
from core.domain.permissions import Actor
from core.models import Item
from sync.binder import MissingLink
from sync.context import NotConnected
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


"""Find the item a person means from what they typed: a type word and a Procore id, `#<item id>` or a title."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.domain.errors import InvalidInput, ItemNotFound
from bot.models import Item
from sync.services import companies

TYPE_WORDS = {
    "company": "company", "companies": "company", "vendor": "company",
    "cost-code": "cost_code", "cost_code": "cost_code", "costcode": "cost_code",
    "project": "project", "sub-job": "sub_job", "sub_job": "sub_job", "subjob": "sub_job",
    "budget": "budget", "commitment": "commitment", "subcontract": "commitment", "po": "commitment",
    "cco": "cco", "pcco": "pcco",
    "invoice": "sub_invoice", "sub-invoice": "sub_invoice", "sub_invoice": "sub_invoice", "bill": "sub_invoice",
    "requisition": "sub_invoice",
    "owner-invoice": "owner_invoice", "owner_invoice": "owner_invoice", "pay-app": "owner_invoice",
    "payment-application": "owner_invoice",
}
TYPE_CHOICES = ("company", "cost-code", "project", "sub-job", "budget", "commitment", "cco", "pcco", "invoice",
                "owner-invoice")


def item_type(word: str) -> str:
    try:
        return TYPE_WORDS[word.strip().lower()]
    except KeyError:
        raise InvalidInput(f"'{word}' isn't an item type; use one of: {', '.join(TYPE_CHOICES)}.") from None


def find_item(engine: Engine, tenant_id: int, type_word: str, ref: str) -> Item:
    """By Procore id, by `#<Ledgerlink item id>`, or by exact title (case-insensitive)."""
    kind = item_type(type_word)
    ref = ref.strip()
    with Session(engine, expire_on_commit=False) as s:
        base = select(Item).where(Item.tenant_id == tenant_id, Item.type == kind)
        item = None
        if ref.startswith("#") and ref[1:].isdigit():
            item = s.exec(base.where(Item.id == int(ref[1:]))).first()
        if item is None:
            item = s.exec(base.where(Item.procore_id == ref)).first()
        if item is None:
            matches = s.exec(base.where(func.lower(Item.title) == ref.lower()).limit(2)).all()
            if len(matches) > 1:
                raise InvalidInput(f"More than one {type_word} is called '{ref}'; use its Procore id.")
            item = matches[0] if matches else None
        if item is None:
            raise ItemNotFound(f"I can't find {type_word} '{ref}' in Ledgerlink. Use the Procore id (or the "
                               "exact title in quotes); new Procore records appear after the next sync.")
        return item


def find_or_ingest(engine: Engine, tenant_id: int, type_word: str, ref: str,
                   context_for: Callable[[int], Any] | None) -> Item:
    """Like `find_item`; a Procore company that isn't an item yet becomes one (the engine's `company_item`),
    so `/ledgerlink send company <Procore id>` works for any company in the directory."""
    try:
        return find_item(engine, tenant_id, type_word, ref)
    except ItemNotFound:
        if item_type(type_word) != "company" or not ref.strip().isdigit() or context_for is None:
            raise
        return companies.company_item(context_for(tenant_id), procore_vendor_id=ref.strip())

"""Find what a person means from what they typed: an item (a type word and a Procore id, `#<item id>` or its title)
or a cached Procore/QuickBooks record (its id or its name). Names are matched unicode-normalised and
case-insensitively; a near miss says "Did you mean …?" (core/domain/matching.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.services import pickers
from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.matching import Choice, not_found_sentence, resolve
from core.domain.parsing import strict_id
from core.models import Item
from sync.services import companies, project_exports, projects

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


ITEM_HINT = ("Use the Procore id (or the exact title in quotes); new Procore records appear after the next sync.")
RECORD_HINTS = {
    pickers.PROCORE_COMPANY: f"Pick it in `/ledgerlink link company`, or {companies.REFRESH_HINT}.",
    pickers.QBO_VENDOR_PICK: f"Pick it in `/ledgerlink link company`, or {companies.REFRESH_HINT}.",
    pickers.PROCORE_PROJECT_PICK: f"Pick it in `/ledgerlink link project`, or {projects.REFRESH_HINT}.",
    pickers.QBO_PROJECT_PICK: f"Pick it in `/ledgerlink link project`, or {projects.REFRESH_HINT}.",
    pickers.QBO_SUB_JOB_PICK: f"`/ledgerlink projects` lists them, or {projects.REFRESH_HINT}.",
}


def find_item(engine: Engine, tenant_id: int, type_word: str, ref: str) -> Item:
    """By `#<Ledgerlink item id>`, by Procore id, by title (exact, then unicode-normalised and by its words:
    "acme #12" finds "ACME Concrete invoice #12" when no other invoice has both words)."""
    kind = item_type(type_word)
    ref = ref.strip()
    with Session(engine, expire_on_commit=False) as s:
        base = select(Item).where(Item.tenant_id == tenant_id, Item.type == kind)
        item = None
        if ref.startswith("#") and strict_id(ref[1:]) is not None:
            item = s.exec(base.where(Item.id == strict_id(ref[1:]))).first()
        if item is None:
            item = s.exec(base.where(Item.procore_id == ref)).first()
        if item is None:
            matches = s.exec(base.where(func.lower(Item.title) == ref.lower()).limit(2)).all()
            if len(matches) > 1:
                raise InvalidInput(f"More than one {type_word} is called '{ref}'; use its Procore id.")
            item = matches[0] if matches else None
        if item is None:
            resolved = resolve(ref, pickers.items(s, tenant_id, types=[kind], states=None))
            if resolved.choice is None:
                sentence = not_found_sentence(type_word, ref, resolved, ITEM_HINT, where=" in Ledgerlink")
                raise (InvalidInput if resolved.ambiguous else ItemNotFound)(sentence)
            item = s.get(Item, int(resolved.choice.value))
        return item


def find_record(engine: Engine, tenant_id: int, source: str, ref: str) -> Choice:
    """A cached Procore or QuickBooks record (pickers' sources) by id or name, inactive and archived ones too (the
    link service then says what is wrong with them); InvalidInput with "Did you mean …?" when none is meant."""
    with Session(engine) as s:
        choices = pickers.LOADERS[source](s, tenant_id, hidden=True)
    resolved = resolve(ref.strip(), choices)
    if resolved.choice is None:
        raise InvalidInput(not_found_sentence(pickers.NOUNS[source], ref.strip(), resolved, RECORD_HINTS[source]))
    return resolved.choice


def find_or_ingest(engine: Engine, tenant_id: int, type_word: str, ref: str,
                   context_for: Callable[[int], Any] | None, *, customer: str | None = None) -> Item:
    """Like `find_item`; a Procore company, project or sub job that isn't an item yet becomes one (the engine's
    `company_item`, `project_item`, `read_sub_jobs`), so `/ledgerlink send company|project|sub-job <Procore id or
    name>` works for any of them. `customer`: the QuickBooks customer a project goes under."""
    kind = item_type(type_word)
    if kind == "project" and context_for is not None:  # (re)built each time: the customer may change on a resend
        project = find_record(engine, tenant_id, pickers.PROCORE_PROJECT_PICK, ref)
        return project_exports.project_item(context_for(tenant_id), procore_project_id=project.value,
                                            customer=customer)
    try:
        return find_item(engine, tenant_id, type_word, ref)
    except ItemNotFound:
        if context_for is None or kind not in ("company", "sub_job"):
            raise
        if kind == "sub_job":
            project_exports.read_sub_jobs(context_for(tenant_id))
            return find_item(engine, tenant_id, type_word, ref)
        company = find_record(engine, tenant_id, pickers.PROCORE_COMPANY, ref)
        return companies.company_item(context_for(tenant_id), procore_vendor_id=company.value)


def ingest_sendable(context_for: Callable[[int], Any] | None, tenant_id: int, kind: str | None) -> None:
    """Before `send project|sub-job`'s picker opens: make items of the projects and sub jobs not in QuickBooks."""
    if context_for is None:
        return
    if kind == "project":
        project_exports.ready_projects(context_for(tenant_id))
    elif kind == "sub_job":
        project_exports.read_sub_jobs(context_for(tenant_id))

"""`/ledgerlink unlink <type> …`: forget the QuickBooks twin of a synced company, commitment, CCO, PCCO or
invoice (it stays in QuickBooks); the engine's unlink services check the seed's Admin rows and audit it."""

from __future__ import annotations

from bot.actions.common import Confirm, tenant_context
from bot.identity import Identity
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.errors import InvalidInput
from core.domain.permissions import check, perm_for
from core.domain.states import Action, ItemType
from sync.services import commitments, companies, invoices

TYPES = ("company", "commitment", "cco", "pcco", "invoice", "owner-invoice")
_ENGINE = {ItemType.COMMITMENT: commitments.unlink, ItemType.CCO: commitments.unlink,
           ItemType.PCCO: commitments.unlink, ItemType.SUB_INVOICE: invoices.unlink,
           ItemType.OWNER_INVOICE: invoices.unlink}


def _kind(type_word: str) -> ItemType:
    kind = ItemType(lookup.item_type(type_word))
    if kind is not ItemType.COMPANY and kind not in _ENGINE:
        raise InvalidInput(f"Only these can be unlinked: {', '.join(TYPES)}.")
    return kind


def unlink(svc: Services, me: Identity, type_word: str, ref: str, *, confirmed: bool) -> Confirm | str:
    """Unlink one record; unconfirmed, say what would be unlinked and ask first."""
    kind = _kind(type_word)
    check(me.actor, perm_for(Action.UNLINK, kind))  # type: ignore[arg-type]  # before names are shown
    ctx = tenant_context(svc, me.tenant_id)
    if kind is ItemType.COMPANY:
        company = lookup.find_record(svc.engine, me.tenant_id, pickers.PROCORE_COMPANY, ref)
        if not confirmed:
            return Confirm(f"Unlink Procore company *{company.title}* from its QuickBooks vendor? The vendor stays "
                           "in QuickBooks; the company can be linked again.", "Unlink")
        qid = companies.unlink_company(ctx, me.actor, procore_vendor_id=company.value)
        svc.drain_outbox()  # clears the company's origin_id in Procore now, not at the worker's next round
        return f":broken_chain: Unlinked {company.title} from QuickBooks vendor {qid}."
    item = lookup.find_item(svc.engine, me.tenant_id, type_word, ref)
    if not confirmed:
        return Confirm(f"Unlink {kind.label.lower()} *{item.title}* from QuickBooks? The QuickBooks record stays; "
                       "the item becomes ready to export again.", "Unlink")
    _ENGINE[kind](ctx, me.actor, item.id)  # type: ignore[arg-type]
    return f":broken_chain: Unlinked {item.title}; it is ready to export again."

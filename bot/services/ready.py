"""What a sender sees in App Home: the tenant's items *Ready to export* and *Rejected*, per Procore project.

Anyone who may send (Standard and up, `Perm.SEND_RETRIEVE_RESEND`) sees every project's items: Ledgerlink keeps
no per-project membership, so the ERP-tool permission is the whole rule. Projects are ordered by their longest
waiting item; items oldest first. Full card data is read only for the rows App Home can show; the other
checkbox options need just the title and amount.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from blocks.cards import CardData
from blocks.ready import FITS, PICKS_MAX, ProjectGroup
from bot.cardview import card_data, read_settings
from bot.services.runtime import Services
from core.domain.errors import DomainError
from core.domain.permissions import Actor, Perm, allowed
from core.domain.settings import direct_export_refusal
from core.domain.states import ItemState
from core.models import Item

MAX_PROJECTS = max(p for _, p in FITS)  # projects read (App Home shows as many as fit)
MAX_ROWS = max(r for r, _ in FITS)  # rows per project with full card data
NO_PROJECT = "none"


def can_send(actor: Actor) -> bool:
    return allowed(actor, Perm.SEND_RETRIEVE_RESEND)


def groups(svc: Services, s: Session, actor: Actor, tenant_id: int, state: ItemState) -> tuple[
        tuple[ProjectGroup, ...], int]:
    """The first projects with items in `state`, and how many projects have any."""
    where = (Item.tenant_id == tenant_id, Item.state == state.value)
    per_project = list(s.exec(select(Item.procore_project_id, func.count(), func.min(Item.updated_at))
                              .where(*where).group_by(Item.procore_project_id)))
    # the project whose item has waited longest first; items without a project (companies) last
    per_project.sort(key=lambda row: (row[0] is None, row[2], row[0] or 0))
    exporter = _exporter(svc, s, actor, tenant_id) if state is ItemState.READY_TO_EXPORT else None
    out = []
    for project_id, total, _oldest in per_project[:MAX_PROJECTS]:
        in_project = Item.procore_project_id == project_id if project_id is not None else \
            Item.procore_project_id.is_(None)  # type: ignore[union-attr]
        rows = list(s.exec(select(Item).where(*where, in_project).order_by(Item.updated_at, Item.id)
                           .limit(PICKS_MAX)))
        cards = tuple(card_data(s, r.id, svc.links) if n < MAX_ROWS else _light(r)  # type: ignore[arg-type]
                      for n, r in enumerate(rows))
        exportable = frozenset(r.id for r in rows[:MAX_ROWS] if exporter and exporter(r))  # type: ignore[misc]
        out.append(ProjectGroup(key=str(project_id) if project_id is not None else NO_PROJECT,
                                name=_project_name(project_id, cards), total=int(total), cards=cards,
                                exportable=exportable))
    return tuple(out), len(per_project)


def _light(item: Item) -> CardData:
    """What a checkbox option shows (title, amount, vendor) without the card's other queries."""
    vendor = (item.detail or {}).get("vendor")
    name = vendor.get("name") if isinstance(vendor, dict) else vendor if isinstance(vendor, str) else None
    return CardData(item_id=item.id, type=item.type, title=item.title or f"#{item.procore_id}",  # type: ignore[arg-type]
                    state=item.state, amount=item.amount, vendor=name)


def _project_name(project_id: int | None, cards: tuple[CardData, ...]) -> str:
    if project_id is None:
        return "Company directory and other items"
    named = next((c.project for c in cards if c.project), None)
    return named or f"Procore project {project_id}"


def _exporter(svc: Services, s: Session, actor: Actor, tenant_id: int) -> Any:
    """item → may this person export it directly now (setting, permission, and an exporter for its type)."""
    if not allowed(actor, Perm.DIRECT_EXPORT):
        return None
    mode = read_settings(s, tenant_id).direct_exports

    def may(item: Item) -> bool:
        complete = bool((item.detail or {}).get("workflow_complete"))
        return direct_export_refusal(mode, item.title, workflow_complete=complete) is None and \
            _has_exporter(svc, item.type)
    return may


def _has_exporter(svc: Services, item_type: str) -> bool:
    try:
        return svc.export_hook(item_type) is not None
    except DomainError:  # the engine says the type can't be exported yet
        return False

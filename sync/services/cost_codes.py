"""Cost codes and cost types: what people do (seed: Configure Cost Code Preferences for ERP, Assign Default Cost
Types To ERP Standard Cost Codes, Send Unsynced ERP Standard Cost Codes … for Accounting Acceptance, Refresh the
Cost Codes on an ERP Integrated Project, Delete Project Cost Codes from an ERP Integrated Project, Delete Cost
Type Assignments from a Synced ERP Project Cost Code List, Accept or Reject Cost Codes / a Budget).

Each function takes the tenant's `TenantContext` and the acting `Actor`, checks the seed permission and writes its
change with an audit row in one transaction; remote writes go through the outbox. What accepting does:
- a `cost_code` item joins the ERP standard cost code list (Ledgerlink's, since QBO has none): no QBO write of its
  own — from then on `sync cost-codes` creates an item for every budget line that uses it, as Procore's connector
  does for codes on its ERP list;
- a `budget` item queues `qbo.export_budget`: the items of every line of that project's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from core.domain import audit
from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.permissions import SYSTEM, Actor, Perm, check
from core.domain.states import Action, ItemState, ItemType
from core.domain.workflow import Outcome, Workflow
from core.models import CostCodePreference, Item, RemoteRecord, utcnow
from sync import binder, cache
from sync.context import TenantContext
from sync.jobs.base import JobReport
from sync.jobs.cost_codes import E_CODE, E_STANDARD, E_TYPE, PROCORE, PROJECT_LINK, refresh_one_project
from sync.mappers.cost_items import ITEM_LINK, cost_item_key
from sync.outbox import enqueue
from sync.services.hooks import enqueue_for_item, registers
from sync.writes.cost_items import (
    OP_EXPORT_BUDGET,
    OP_UPDATE,
    PREF_CODE,
    PREF_SETTING,
    PREF_TYPE,
    enqueue_item_write,
    linked_items,
)

REFRESH_HINT = "refresh the cost codes (`/ledgerlink refresh cost-codes`) and try again"
SETTINGS = ("income_account", "expense_account")


def authorize(ctx: TenantContext, actor: Actor, perm: Perm) -> None:
    if actor.tenant_id is not None and actor.tenant_id != ctx.tenant_id:
        raise ItemNotFound("That is not in this company's Ledgerlink.")
    check(actor, perm)


def preference_row(s: Session, tenant_id: int, kind: str, key: str | int) -> CostCodePreference:
    row = s.exec(select(CostCodePreference).where(CostCodePreference.tenant_id == tenant_id,
                                                  CostCodePreference.kind == kind,
                                                  CostCodePreference.key == str(key))).first()
    if row is None:
        row = CostCodePreference(tenant_id=tenant_id, kind=kind, key=str(key))
    return row


def _cached(s: Session, tenant_id: int, entity: str, remote_id: int | str, what: str) -> RemoteRecord:
    row = cache.get(s, tenant_id, PROCORE, entity, str(remote_id))
    if row is None:
        raise InvalidInput(f"Ledgerlink doesn't know {what} {remote_id}: {REFRESH_HINT}.")
    return row


# --- preferences ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostCodeRow:
    standard_cost_code_id: int
    full_code: str
    name: str
    synced: bool
    default_cost_types: tuple[str, ...]
    state: str | None  # the cost_code item's state (None: no item, e.g. a division)


def cost_code_preferences(ctx: TenantContext, actor: Actor) -> list[CostCodeRow]:
    """Every standard cost code with its synced flag, default cost types and acceptance state."""
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        prefs = {r.key: r for r in s.exec(select(CostCodePreference).where(
            CostCodePreference.tenant_id == ctx.tenant_id, CostCodePreference.kind == PREF_CODE))}
        types = {r.remote_id: r.name for r in cache.listing(s, ctx.tenant_id, PROCORE, E_TYPE)}
        states = {i.procore_id: i.state for i in s.exec(select(Item).where(
            Item.tenant_id == ctx.tenant_id, Item.type == ItemType.COST_CODE.value))}
        out = []
        for row in cache.listing(s, ctx.tenant_id, PROCORE, E_STANDARD):
            pref = prefs.get(row.remote_id)
            defaults = tuple(types.get(str(t), str(t)) for t in (pref.default_cost_type_ids if pref else None) or ())
            out.append(CostCodeRow(int(row.remote_id), row.data.get("full_code", ""), row.data.get("name") or "",
                                   pref.synced if pref else True, defaults, states.get(row.remote_id)))
        return sorted(out, key=lambda r: r.full_code)


def set_cost_code_synced(ctx: TenantContext, actor: Actor, standard_cost_code_id: int, synced: bool) -> None:
    """Configure Cost Code Preferences: whether a standard cost code's budget lines become QBO items (Admin).
    Leaving a code out stops new items and renames; items already in QBO stay as they are."""
    authorize(ctx, actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    with ctx.session() as s:
        row = _cached(s, ctx.tenant_id, E_STANDARD, standard_cost_code_id, "standard cost code")
        pref = preference_row(s, ctx.tenant_id, PREF_CODE, standard_cost_code_id)
        pref.synced, pref.updated_at, pref.updated_by_id = bool(synced), utcnow(), actor.user_id
        s.add(pref)
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="cost_code_preference",
                     detail={"standard_cost_code_id": standard_cost_code_id, "code": row.name, "synced": synced})
        s.commit()


def set_cost_type_synced(ctx: TenantContext, actor: Actor, line_item_type_id: int, synced: bool) -> None:
    """Configure Cost Code Preferences: whether a cost type's budget lines become QBO items (Admin)."""
    authorize(ctx, actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    with ctx.session() as s:
        row = _cached(s, ctx.tenant_id, E_TYPE, line_item_type_id, "cost type")
        pref = preference_row(s, ctx.tenant_id, PREF_TYPE, line_item_type_id)
        pref.synced, pref.updated_at, pref.updated_by_id = bool(synced), utcnow(), actor.user_id
        s.add(pref)
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="cost_type_preference",
                     detail={"line_item_type_id": line_item_type_id, "cost_type": row.name, "synced": synced})
        s.commit()


def assign_default_cost_types(ctx: TenantContext, actor: Actor, standard_cost_code_id: int,
                              line_item_type_ids: list[int]) -> tuple[str, ...]:
    """Assign Default Cost Types To ERP Standard Cost Codes (Admin): the cost types a project cost code made from
    this standard code carries when Procore lists none for it. Returns the cost type names."""
    authorize(ctx, actor, Perm.ASSIGN_DEFAULT_COST_TYPES)
    with ctx.session() as s:
        code = _cached(s, ctx.tenant_id, E_STANDARD, standard_cost_code_id, "standard cost code")
        names = tuple(_cached(s, ctx.tenant_id, E_TYPE, t, "cost type").name for t in line_item_type_ids)
        pref = preference_row(s, ctx.tenant_id, PREF_CODE, standard_cost_code_id)
        pref.default_cost_type_ids = sorted({int(t) for t in line_item_type_ids}) or None
        pref.updated_at, pref.updated_by_id = utcnow(), actor.user_id
        s.add(pref)
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="default_cost_types",
                     detail={"standard_cost_code_id": standard_cost_code_id, "code": code.name,
                             "cost_types": list(names)})
        s.commit()
    return names


def set_item_account(ctx: TenantContext, actor: Actor, kind: str, account: str | None, *,
                     cost_type_id: int | None = None) -> None:
    """Which QBO account new cost-code items use: kind "income" or "expense" (optionally per cost type), given as
    an account Id or name; None goes back to the default picked from the chart of accounts (Admin)."""
    authorize(ctx, actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    if kind not in ("income", "expense"):
        raise InvalidInput("Say which account: income or expense.")
    if cost_type_id is not None and kind != "expense":
        raise InvalidInput("Only the expense account can differ per cost type.")
    key = f"{kind}_account" + (f":{cost_type_id}" if cost_type_id is not None else "")
    with ctx.session() as s:
        pref = preference_row(s, ctx.tenant_id, PREF_SETTING, key)
        pref.value, pref.updated_at, pref.updated_by_id = (account or None), utcnow(), actor.user_id
        s.add(pref)
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="cost_item_account",
                     detail={"setting": key, "account": account})
        s.commit()


# --- sending and accepting -----------------------------------------------------------------------------------
def unsynced_cost_codes(ctx: TenantContext, actor: Actor) -> list[Item]:
    """Standard cost codes not yet in the ERP list and not with accounting (ready to send, or rejected)."""
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        return list(s.exec(select(Item).where(
            Item.tenant_id == ctx.tenant_id, Item.type == ItemType.COST_CODE.value,
            Item.state.in_([ItemState.READY_TO_EXPORT.value, ItemState.REJECTED.value])).order_by(Item.title)))


def send_unsynced_cost_codes(ctx: TenantContext, actor: Actor, standard_cost_code_ids: list[int] | None = None
                             ) -> list[Outcome]:
    """Send Unsynced ERP Standard Cost Codes to ERP Integrations for Accounting Acceptance (Standard): every
    unsynced code, or the ones named; rejected ones are resent."""
    authorize(ctx, actor, Perm.SEND_RETRIEVE_RESEND)
    items = unsynced_cost_codes(ctx, actor)
    if standard_cost_code_ids is not None:
        wanted = {str(i) for i in standard_cost_code_ids}
        items = [i for i in items if i.procore_id in wanted]
    outcomes = []
    for item in items:
        if item.state == ItemState.REJECTED.value:
            outcomes.append(ctx.workflow.resend(item.id, actor))
        else:
            outcomes.append(ctx.workflow.send(item.id, actor))
    return outcomes


@registers(ItemType.COST_CODE)
def accept_cost_code(session: Session, item: Item) -> None:
    """Accepted: the code joins the ERP standard cost code list (Ledgerlink's record of it), so nothing is written to
    QuickBooks now — its budget lines' items follow on the next cost-code sync."""
    Workflow(session.get_bind()).transition_in(
        session, item.id, SYSTEM, Action.MARK_SYNCED,
        detail={"summary": f"{item.title} is an ERP standard cost code; its budget lines' QuickBooks items follow "
                           "on the next cost-code sync"})


@registers(ItemType.BUDGET)
def export_budget(session: Session, item: Item) -> None:
    """Accepted budget: queue the items of every budget line, from the snapshot the approver saw."""
    detail = item.detail or {}
    if not detail.get("lines"):
        raise InvalidInput(f"{item.title} has no budget lines to export; refresh it (`/ledgerlink sync budget`).")
    if binder.to_external(session, item.tenant_id, PROJECT_LINK, detail.get("project_id")) is None:
        raise InvalidInput(f"{item.title}: the Procore project is not linked to a QuickBooks project; link it first.")
    enqueue_for_item(session, item, operation=OP_EXPORT_BUDGET, target="qbo",
                     payload={k: detail.get(k) for k in ("project_id", "project_number", "project_name", "lines")})


# --- one project -------------------------------------------------------------------------------------------
def refresh_project_cost_codes(ctx: TenantContext, actor: Actor, project_id: int, *,
                               dry_run: bool = False) -> JobReport:
    """Refresh the Cost Codes on an ERP Integrated Project (Standard): read its cost codes and budget from
    Procore and queue its QBO item writes now (a dry run only reports them)."""
    authorize(ctx, actor, Perm.REFRESH_COST_CODES)
    with ctx.session() as s:
        if binder.to_external(s, ctx.tenant_id, PROJECT_LINK, project_id) is None:
            raise InvalidInput(f"Procore project {project_id} is not linked to a QuickBooks project, so it has no "
                               "cost-code items: link it first (`/ledgerlink link project …`).")
    report = refresh_one_project(ctx, project_id, dry_run=dry_run)
    if not dry_run:
        with ctx.session() as s:
            audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="refresh_cost_codes",
                         detail={"project_id": project_id, **report.counts()})
            s.commit()
    return report


def delete_project_cost_code(ctx: TenantContext, actor: Actor, project_id: int, cost_code_id: int) -> int:
    """Delete Project Cost Codes from an ERP Integrated Project (Admin): delete the cost code in Procore and
    deactivate its QBO items (history stays in QuickBooks). Returns how many items are being deactivated."""
    authorize(ctx, actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    with ctx.session() as s:
        code = _project_code(s, ctx.tenant_id, project_id, cost_code_id)
        enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.delete_cost_code",
                record=f"cost_code:{cost_code_id}", version="delete",
                payload={"project_id": project_id, "cost_code_id": cost_code_id, "name": code.name})
        count = _deactivate(s, ctx.tenant_id, project_id, lambda key: key.split(":")[1] == str(cost_code_id))
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="delete_project_cost_code",
                     detail={"project_id": project_id, "cost_code_id": cost_code_id, "code": code.name,
                             "items_deactivated": count})
        s.commit()
    return count


def delete_cost_type_assignment(ctx: TenantContext, actor: Actor, project_id: int, cost_code_id: int,
                                line_item_type_id: int) -> int:
    """Delete Cost Type Assignments from a Synced ERP Project Cost Code List (Admin): take the cost type off the
    project cost code in Procore and deactivate that item. Returns how many items are being deactivated."""
    authorize(ctx, actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    with ctx.session() as s:
        code = _project_code(s, ctx.tenant_id, project_id, cost_code_id)
        types = [int(t) for t in code.data.get("type_ids") or []]
        if line_item_type_id not in types:
            raise InvalidInput(f"Cost type {line_item_type_id} is not assigned to {code.name}: {REFRESH_HINT}.")
        remaining = [t for t in types if t != line_item_type_id]
        enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.set_cost_code_types",
                record=f"cost_code:{cost_code_id}", version=",".join(map(str, remaining)) or "none",
                payload={"project_id": project_id, "cost_code_id": cost_code_id, "line_item_type_ids": remaining,
                         "name": code.name})
        key = cost_item_key(project_id, cost_code_id, line_item_type_id)
        count = _deactivate(s, ctx.tenant_id, project_id, lambda k: k == key)
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="delete_cost_type_assignment",
                     detail={"project_id": project_id, "cost_code_id": cost_code_id, "code": code.name,
                             "line_item_type_id": line_item_type_id, "items_deactivated": count})
        s.commit()
    return count


def _project_code(s: Session, tenant_id: int, project_id: int, cost_code_id: int) -> RemoteRecord:
    row = cache.get(s, tenant_id, PROCORE, E_CODE, str(cost_code_id))
    if row is None or row.parent_id != str(project_id):
        raise InvalidInput(f"Ledgerlink doesn't know cost code {cost_code_id} on project {project_id}: "
                           f"{REFRESH_HINT}.")
    return row


def _deactivate(s: Session, tenant_id: int, project_id: int, which: Any) -> int:
    count = 0
    for key, link in linked_items(s, tenant_id, project_id).items():
        if which(key) and link.active:
            enqueue_item_write(s, tenant_id=tenant_id, operation=OP_UPDATE, key=key,
                               version=f"{link.sync_token or '-'}:deactivate:{link.name}",
                               payload={"qbo_id": link.qbo_id, "fields": {"Active": False}, "action": "deactivate"})
            count += 1
    return count


__all__ = ["ITEM_LINK", "accept_cost_code", "assign_default_cost_types", "cost_code_preferences",
           "delete_cost_type_assignment", "delete_project_cost_code", "export_budget", "refresh_project_cost_codes",
           "send_unsynced_cost_codes", "set_cost_code_synced", "set_cost_type_synced", "set_item_account",
           "unsynced_cost_codes"]

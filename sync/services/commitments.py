"""Commitments, change orders, prime contracts and budgets beyond Procore's QBO connector (seed: Accept or Reject a
Commitment / a CCO / a PCCO for Export to ERP, Import a Budget from ERP, Import a Prime Contract from an Integrated
ERP System into Procore).

Accepting maps the record *as the approver saw it* (the item's snapshot) to its QBO body in the same transaction
and queues the write; a record that can't be mapped yet (company not linked, a cost code without its QBO item, a
change order whose contract is not in QBO) is refused with a sentence that says what to do, and stays awaiting
acceptance. Imports read QBO (a Budget can only be queried; an Estimate) and queue Procore writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from core.domain import audit
from core.domain.errors import InvalidInput
from core.domain.permissions import Actor, Perm
from core.domain.states import ItemType
from core.domain.workflow import Outcome
from core.jsonbody import plain
from core.models import ExternalLink, Item, utcnow
from sync import binder, cache
from sync.context import TenantContext
from sync.jobs.commitments import PROJECT_LINK
from sync.mappers.commitments import (
    ExportContext,
    change_order_lines,
    change_order_marker,
    commitment_to_qbo_purchase_order,
    prime_contract_to_qbo_estimate,
    qbo_budget_to_procore_lines,
    qbo_estimate_to_procore_prime_contract,
)
from sync.mappers.cost_items import ITEM_LINK, cost_item_key, parse_cost_item_key
from sync.mappers.errors import MappingError
from sync.outbox import enqueue
from sync.qbo.query import select as qbo_select
from sync.services.cost_codes import authorize, preference_row
from sync.services.hooks import enqueue_for_item, registers
from sync.writes.cost_items import PREF_SETTING, load_preferences

VENDOR_LINK = "company"  # binder entity of Procore companies ⇄ QBO vendors (sync/jobs/vendors.py)


def _items_for(session: Session, tenant_id: int, project_id: int, lines: list[Mapping[str, Any]]
               ) -> dict[tuple[int | None, int | None], str]:
    out = {}
    for line in lines:
        pair = (line.get("cost_code_id"), line.get("line_item_type_id"))
        if None in pair:
            continue
        link = binder.to_external(session, tenant_id, ITEM_LINK, cost_item_key(project_id, *pair))
        if link is not None:
            out[pair] = link.qbo_id
    return out


def _context(session: Session, item: Item, *, vendor: bool = False) -> ExportContext:
    detail = item.detail or {}
    project_id = int(detail["project_id"])
    project = binder.to_external(session, item.tenant_id, PROJECT_LINK, project_id)
    if project is None:
        raise InvalidInput(f"{item.title}: its Procore project is not linked to a QuickBooks project; link it first.")
    vendor_id = None
    if vendor and detail.get("vendor_id") is not None:
        link = binder.to_external(session, item.tenant_id, VENDOR_LINK, detail["vendor_id"])
        vendor_id = link.qbo_id if link else None
    _, settings = load_preferences(session, item.tenant_id)
    return ExportContext(customer_id=project.qbo_id, vendor_id=vendor_id, label=item.title,
                         items=_items_for(session, item.tenant_id, project_id, detail.get("lines") or []),
                         sales_item_id=settings.get("sales_item"))


def _map(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except MappingError as exc:
        raise InvalidInput(exc.sentence) from None


@registers(ItemType.COMMITMENT)
def export_commitment(session: Session, item: Item) -> None:
    """Accepted commitment → `qbo.create_purchase_order` with the body mapped now."""
    detail = item.detail or {}
    body = _map(commitment_to_qbo_purchase_order, detail, _context(session, item, vendor=True))
    enqueue_for_item(session, item, operation="qbo.create_purchase_order", target="qbo",
                     payload={"body": plain(body), "procore_id": detail["id"], "label": item.title})


@registers(ItemType.CCO)
def export_commitment_change_order(session: Session, item: Item) -> None:
    """Accepted commitment change order → `qbo.amend_purchase_order` (its commitment must be in QBO)."""
    _amend(session, item, operation="qbo.amend_purchase_order", parent_link="commitment", sales=False)


@registers(ItemType.PCCO)
def export_prime_contract_or_change_order(session: Session, item: Item) -> None:
    """Accepted prime contract → `qbo.create_estimate`; accepted prime contract change order →
    `qbo.amend_estimate` (its prime contract must be in QBO)."""
    detail = item.detail or {}
    if detail.get("kind") == "prime_contract":
        ctx = _context(session, item)
        body = _map(prime_contract_to_qbo_estimate, detail, _with_sales_item(session, item, ctx))
        enqueue_for_item(session, item, operation="qbo.create_estimate", target="qbo",
                         payload={"body": plain(body), "procore_id": detail["id"], "label": item.title})
        return
    _amend(session, item, operation="qbo.amend_estimate", parent_link="prime_contract", sales=True)


def _with_sales_item(session: Session, item: Item, ctx: ExportContext) -> ExportContext:
    """Estimate lines without a cost-code item go on the tenant's sales item, else QBO's "Services" item."""
    if ctx.sales_item_id:
        return ctx
    services = next((r for r in cache.listing(session, item.tenant_id, "qbo", "Item", active=True)
                     if r.name.casefold() == "services"), None)
    if services is None:
        return ctx
    return ExportContext(ctx.customer_id, ctx.items, ctx.vendor_id, services.remote_id, ctx.label)


def _amend(session: Session, item: Item, *, operation: str, parent_link: str, sales: bool) -> None:
    detail = item.detail or {}
    parent = detail.get("parent") or {}
    parent_label = f"{parent.get('kind', 'contract').replace('_', ' ')} {parent.get('number') or parent.get('id')}"
    if binder.to_external(session, item.tenant_id, parent_link, parent.get("id")) is None:
        raise InvalidInput(f"{item.title} amends {parent_label}, which is not in QuickBooks yet: send and accept "
                           f"{parent_label} first.")
    ctx = _context(session, item)
    if sales:
        ctx = _with_sales_item(session, item, ctx)
    lines = _map(change_order_lines, detail, ctx, sales=sales)
    enqueue_for_item(session, item, operation=operation, target="qbo", payload={
        "lines": plain(lines), "procore_id": detail["id"], "parent_procore_id": parent.get("id"),
        "marker": change_order_marker(detail.get("number"), detail["id"]), "label": item.title,
        "parent_label": parent_label})


def set_sales_item(ctx: TenantContext, actor: Actor, qbo_item_id: str | None) -> None:
    """The QBO item estimate lines use when a contract line has no cost-code item (Admin); None: "Services"."""
    authorize(ctx, actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    with ctx.session() as s:
        pref = preference_row(s, ctx.tenant_id, PREF_SETTING, "sales_item")
        pref.value, pref.updated_at, pref.updated_by_id = qbo_item_id, utcnow(), actor.user_id
        s.add(pref)
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="sales_item", detail={"item": qbo_item_id})
        s.commit()


LINKS = {ItemType.COMMITMENT.value: "commitment", ItemType.CCO.value: "cco"}


def unlink(ctx: TenantContext, actor: Actor, item_id: int) -> Outcome:
    """Unlink Commitments / CCOs / PCCOs Synced with ERP (Admin): forget the QBO purchase order or estimate (it
    stays in QuickBooks, amendments included); the item is ready to export again."""
    with ctx.session() as s:
        item = s.get(Item, item_id)
        if item is None or item.tenant_id != ctx.tenant_id or item.type not in (*LINKS, ItemType.PCCO.value):
            raise InvalidInput(f"There is no commitment, change order or prime contract #{item_id} to unlink.")

    def forget(session: Session, it: Item) -> None:
        kind = (it.detail or {}).get("kind")
        link = LINKS.get(it.type) or ("prime_contract" if kind == "prime_contract" else "pcco")
        procore_id = str((it.detail or {}).get("id") or it.procore_id)
        found = binder.to_external(session, it.tenant_id, link, procore_id)
        binder.unbind(session, it.tenant_id, link, procore_id)
        history = [*((it.detail or {}).get("unlinked") or []),
                   {"qbo_id": found.qbo_id if found else it.remote_id, "at": utcnow().isoformat(), "by": actor.name}]
        it.detail, it.remote_id = {**(it.detail or {}), "unlinked": history}, None
        session.add(it)

    return ctx.workflow.unlink(item_id, actor, then=forget)


# --- imports from QBO --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    queued: int  # Procore writes queued
    skipped: tuple[str, ...]  # what was left out, and why


def _project_customer(s: Session, tenant_id: int, project_id: int) -> str:
    link = binder.to_external(s, tenant_id, PROJECT_LINK, project_id)
    if link is None:
        raise InvalidInput(f"Procore project {project_id} is not linked to a QuickBooks project: link it first.")
    return link.qbo_id


def import_budget_from_qbo(ctx: TenantContext, actor: Actor, project_id: int, budget_id: str,
                           accounts: Mapping[str, tuple[int, int]]) -> ImportResult:
    """Import a Budget from ERP (Standard): the QBO budget's amounts for this project's customer, per account,
    become Procore budget lines on the (cost code id, cost type id) each account is mapped to. Lines the project's
    budget already has are left alone (reported), as are accounts nobody mapped."""
    authorize(ctx, actor, Perm.IMPORT_BUDGET)
    with ctx.session() as s:
        customer_id = _project_customer(s, ctx.tenant_id, project_id)
    rows = ctx.qbo.query(q=qbo_select("Budget").where(Id=str(budget_id))).get("Budget") or []
    if not rows:
        raise InvalidInput(f"QuickBooks has no budget {budget_id}; pick one of the company's budgets.")
    lines, unmapped = qbo_budget_to_procore_lines(rows[0], customer_id, accounts)
    existing = {(b.cost_code_id, b.line_item_type_id)
                for b in ctx.procore.list_budget_line_items(project_id=project_id)}
    skipped = [f"account {a}: not mapped to a cost code" for a in unmapped]
    queued = 0
    with ctx.session() as s:
        for body in lines:
            pair = (body["cost_code_id"], body["line_item_type_id"])
            label = f"{pair[0]} × {pair[1]}"
            if pair in existing:
                skipped.append(f"{label}: the Procore budget already has this line")
                continue
            enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_budget_line_item",
                    record=f"budget_line:{project_id}:{pair[0]}:{pair[1]}", version=f"qbo-budget-{budget_id}",
                    payload={"project_id": project_id, "body": plain(body), "label": label})
            queued += 1
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="import_budget",
                     detail={"project_id": project_id, "qbo_budget_id": budget_id, "queued": queued,
                             "skipped": skipped})
        s.commit()
    return ImportResult(queued, tuple(skipped))


def import_prime_contract_from_qbo(ctx: TenantContext, actor: Actor, project_id: int, estimate_id: str, *,
                                   cost_codes: Mapping[str, int] | None = None,
                                   title: str | None = None) -> ImportResult:
    """Import a Prime Contract from an Integrated ERP System into Procore (Standard): a QBO Estimate of this
    project becomes a Procore prime contract (origin_id = the Estimate's Id). Lines on Ledgerlink's cost-code
    items land on their cost code and cost type; other items need `cost_codes` (item name → cost code id)."""
    authorize(ctx, actor, Perm.IMPORT_PRIME_CONTRACT)
    with ctx.session() as s:
        customer_id = _project_customer(s, ctx.tenant_id, project_id)
        if binder.to_internal(s, ctx.tenant_id, "prime_contract", str(estimate_id)) is not None:
            raise InvalidInput(f"QuickBooks estimate {estimate_id} is already linked to a Procore prime contract.")
        items = {lk.qbo_id: parse_cost_item_key(lk.procore_id)[1:] for lk in s.exec(select(ExternalLink).where(
            ExternalLink.tenant_id == ctx.tenant_id, ExternalLink.entity_type == ITEM_LINK,
            ExternalLink.procore_id.startswith(f"{project_id}:")))}
    estimate = ctx.qbo.read(entity="Estimate", id=str(estimate_id))
    if str((estimate.get("CustomerRef") or {}).get("value")) != str(customer_id):
        raise InvalidInput(f"QuickBooks estimate {estimate_id} is for another customer than this project's; pick "
                           "an estimate of the project.")
    body = _map(qbo_estimate_to_procore_prime_contract, estimate, items, cost_codes or {}, title=title)
    with ctx.session() as s:
        enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_prime_contract",
                record=f"estimate:{estimate_id}", version=str(estimate.get("SyncToken")),
                payload={"project_id": project_id, "estimate_id": str(estimate_id), "body": plain(body)})
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="import_prime_contract",
                     detail={"project_id": project_id, "qbo_estimate_id": estimate_id,
                             "lines": len(body["line_items"])})
        s.commit()
    return ImportResult(1, ())


__all__ = ["ImportResult", "export_commitment", "export_commitment_change_order",
           "export_prime_contract_or_change_order", "import_budget_from_qbo", "import_prime_contract_from_qbo",
           "set_sales_item", "unlink"]

"""Invoices' rules below the actions and the sync jobs: which QBO records play a role, and what an invoice would
become in QBO with today's links (`evaluate`: the body, or what is missing, said in words).

QBO records that play a *role* (the retainage payable account of Bills, the two items of owner invoices) are
never hard-coded Ids: an admin chooses them (`sync.services.invoices.choose_qbo_record`), or the sync jobs find
them in the realm by name and type (`ROLES`) and remember the choice in the binder (entity `qbo_account_role` /
`qbo_item_role`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from core.domain.errors import InvalidInput
from core.domain.states import ItemType
from core.models import Item
from sync import binder
from sync.context import TenantContext
from sync.mappers.bills import BillContext, bill_summary, procore_requisition_to_qbo_bill
from sync.mappers.errors import MappingError
from sync.mappers.invoices import InvoiceContext, invoice_summary, procore_payment_application_to_qbo_invoice
from sync.qbo.query import select
from sync.writes.bills import requisition_from_detail
from sync.writes.invoices import payment_application_from_detail

PLACEHOLDER = "?"


# --- roles: QBO records found by name and type, or chosen by an admin ----------------------------------
@dataclass(frozen=True)
class Role:
    key: str
    entity: str  # Account | Item
    names: tuple[str, ...]  # tried in order (exact name), then a LIKE on `like`
    label: str
    account_type: str | None = None
    like: str | None = None

    @property
    def link(self) -> str:
        return "qbo_account_role" if self.entity == "Account" else "qbo_item_role"

    def missing(self) -> str:
        kind = f"{self.account_type} account" if self.account_type else "service item"
        return (f"QuickBooks has no {kind} named '{self.names[0]}' for the {self.label}: create it in QuickBooks "
                "(or ask an admin to choose one in Ledgerlink's settings), then refresh.")


RETAINAGE_PAYABLE = Role("retainage_payable", "Account", ("Retainage Payable", "Retention Payable"),
                         "retainage withheld on subcontractor bills", "Other Current Liability", "%Retain%")
OWNER_WORK_ITEM = Role("owner_invoice_work", "Item", ("Progress Billing", "Contract Billing", "Services"),
                       "work-completed line of owner invoices")
OWNER_RETAINAGE_ITEM = Role("owner_invoice_retainage", "Item", ("Retainage", "Retention"),
                            "retainage line of owner invoices", like="%Retain%")
ROLES = {r.key: r for r in (RETAINAGE_PAYABLE, OWNER_WORK_ITEM, OWNER_RETAINAGE_ITEM)}


def role_id(session: Session, tenant_id: int, role: Role) -> str | None:
    link = binder.to_external(session, tenant_id, role.link, role.key)
    return link.qbo_id if link else None


def find_role(ctx: TenantContext, role: Role) -> dict[str, Any] | None:
    """Look the role's record up in the realm (reads only): exact names first, then one LIKE match."""
    base = select(role.entity).where(Active=True)
    if role.account_type:
        base = base.where(AccountType=role.account_type)
    for name in role.names:
        rows = ctx.qbo.query(q=base.where(Name=name)).get(role.entity) or []
        if rows:
            return rows[0]
    if role.like:
        rows = ctx.qbo.query(q=base.like("Name", role.like)).get(role.entity) or []
        if len(rows) == 1:
            return rows[0]
    return None


def resolve_role(ctx: TenantContext, session: Session, role: Role, *, dry_run: bool = False) -> str | None:
    """The role's QBO Id: the remembered choice, else found in the realm and remembered (not on a dry run)."""
    known = role_id(session, ctx.tenant_id, role)
    if known is not None:
        return known
    found = find_role(ctx, role)
    if found is None:
        return None
    if not dry_run:
        binder.bind(session, ctx.tenant_id, role.link, role.key, str(found["Id"]))
    return str(found["Id"])


# --- what an item would become, with today's links ------------------------------------------------------
@dataclass
class Evaluation:
    body: dict[str, Any] | None  # the QBO body when nothing is missing
    summary: str | None  # "Creates Bill 2024-117 for ACME Concrete, $48,250.00 across 3 cost codes"
    problems: list[str] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)  # QBO ref element → how people know it
    total: Decimal | None = None  # the QBO record's total (Bill: net of retainage)

    @property
    def blocked(self) -> str | None:
        return " ".join(self.problems) or None


def evaluate(session: Session, item: Item) -> Evaluation:
    if item.type == ItemType.SUB_INVOICE:
        return evaluate_sub_invoice(session, item.tenant_id, item.detail or {}, item.title)
    if item.type == ItemType.OWNER_INVOICE:
        return evaluate_owner_invoice(session, item.tenant_id, item.detail or {}, item.title)
    raise InvalidInput(f"{item.title} is not an invoice.")


def cost_item_key(project_id: Any, cost_code_id: Any, type_id: Any) -> str:
    return f"{project_id}:{cost_code_id}:{type_id}"


def _total(body: dict[str, Any]) -> Decimal:
    return sum((Decimal(str(x["Amount"])) for x in body["Line"]), Decimal(0))


def evaluate_sub_invoice(session: Session, tenant_id: int, detail: dict[str, Any], label: str, *,
                         retainage_account: str | None = None) -> Evaluation:
    """What this sub invoice would become with today's links (`retainage_account`: found but not yet stored)."""
    req = requisition_from_detail(detail)
    vendor, project = detail.get("vendor") or {}, detail.get("project") or {}
    problems: list[str] = []
    lines = detail.get("lines") or []
    # one query for every link the Bill names (an invoice is evaluated at every refresh and every Accept)
    found = binder.qbo_ids_of(session, tenant_id, {
        "company": [vendor.get("id")], "project": [project.get("id")],
        "cost_item": [cost_item_key(project.get("id"), line.get("cost_code_id"), line.get("line_item_type_id"))
                      for line in lines],
        RETAINAGE_PAYABLE.link: [RETAINAGE_PAYABLE.key]})
    vendor_id = found["company"].get(str(vendor.get("id")))
    if vendor_id is None:
        commitment = (detail.get("commitment") or {}).get("number") or "its commitment"
        problems.append(f"Link company {vendor.get('name') or 'of the commitment'} to a QuickBooks vendor first: "
                        f"the Bill goes to the company on {commitment}.")
    customer_id = found["project"].get(str(project.get("id")))
    if customer_id is None:
        problems.append(f"Link project {project.get('name')} to a QuickBooks project first.")
    items: dict[tuple[int | None, int | None], str] = {}
    missing: list[str] = []
    for line in lines:
        key = (line.get("cost_code_id"), line.get("line_item_type_id"))
        item_id = found["cost_item"].get(cost_item_key(project.get("id"), *key))
        items[key] = item_id or PLACEHOLDER
        name = f"{line.get('cost_code') or line.get('cost_code_id')}.{line.get('cost_type') or key[1]}"
        if item_id is None and Decimal(line.get("amount") or 0) != 0 and name not in missing:
            missing.append(name)
    if missing:
        problems.append(f"Create the QuickBooks items for {', '.join(missing)} first (refresh the cost codes of "
                        f"{project.get('name')}).")
    account = found[RETAINAGE_PAYABLE.link].get(RETAINAGE_PAYABLE.key) or retainage_account
    ctx = BillContext(vendor_id=vendor_id or PLACEHOLDER, customer_id=customer_id or PLACEHOLDER, items=items,
                      retainage_account_id=account or PLACEHOLDER, label=label)
    try:
        body = procore_requisition_to_qbo_bill(req, ctx)
    except MappingError as exc:
        return Evaluation(None, None, [exc.sentence, *problems])
    if account is None and any(x["DetailType"] == "AccountBasedExpenseLineDetail" for x in body["Line"]):
        problems.append(RETAINAGE_PAYABLE.missing())
    refs = {"VendorRef": f"vendor {vendor.get('name')}", "CustomerRef": f"project {project.get('name')}",
            "ItemRef": "cost code item", "AccountRef": "retainage payable account"}
    return Evaluation(None if problems else body, bill_summary(body, vendor.get("name") or "the vendor"),
                      problems, refs, _total(body))


def evaluate_owner_invoice(session: Session, tenant_id: int, detail: dict[str, Any], label: str) -> Evaluation:
    app = payment_application_from_detail(detail)
    project = detail.get("project") or {}
    problems: list[str] = []
    found = binder.qbo_ids_of(session, tenant_id, {"project": [project.get("id")], OWNER_WORK_ITEM.link: [
        OWNER_WORK_ITEM.key, OWNER_RETAINAGE_ITEM.key]})  # one query, as for a Bill
    customer_id = found["project"].get(str(project.get("id")))
    if customer_id is None:
        problems.append(f"Link project {project.get('name')} to a QuickBooks project first: the invoice goes to "
                        "the project's customer.")
    work, retainage = (found[OWNER_WORK_ITEM.link].get(r.key) for r in (OWNER_WORK_ITEM, OWNER_RETAINAGE_ITEM))
    problems += [r.missing() for r, have in ((OWNER_WORK_ITEM, work), (OWNER_RETAINAGE_ITEM, retainage))
                 if have is None]
    ctx = InvoiceContext(customer_id=customer_id or PLACEHOLDER,
                         work_item_id=work or PLACEHOLDER, retainage_item_id=retainage or PLACEHOLDER, label=label)
    try:
        body = procore_payment_application_to_qbo_invoice(app, ctx)
    except MappingError as exc:
        return Evaluation(None, None, [exc.sentence, *problems])
    refs = {"CustomerRef": f"project {project.get('name')}", "ItemRef": "owner invoice item"}
    return Evaluation(None if problems else body, invoice_summary(body, project.get("name") or "the project"),
                      problems, refs, _total(body))

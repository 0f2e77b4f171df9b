"""People's actions on subcontractor invoices (→ QBO Bills) and owner invoices (→ QBO Invoices), and the export
hooks that queue their outbox writes when they are accepted.

    send(ctx, actor, item_id)            refresh from Procore, refuse with the reason if it can't be exported
                                         (then `locked_message(item)` is what the sender is told)
    send_requisition(ctx, actor, requisition_id, project_id=)   the same, by Procore id (status gate first)
    retrieve / reject / resend / accept / export / retry / unlink(ctx, actor, item_id, …)
    choose_qbo_record(ctx, actor, role, qbo_id)                 which QBO account/item plays a role

Every state change goes through `core.domain.workflow.Workflow` (permission, compare-and-set, audit row).

What can't be exported yet is said, not failed: `evaluate(session, item)` maps the item's Procore snapshot with
today's links and lists what is missing ("Link ACME Concrete to a QuickBooks vendor first …"). The sync jobs
store that on the item (`detail["blocked"]`); send, resend and accept refuse with it.

QBO records that play a *role* (the retainage payable account of Bills, the two items of owner invoices) are
never hard-coded Ids: an admin chooses them (`choose_qbo_record`), or the sync jobs find them in the realm by
name and type (`ROLES`) and remember the choice in the binder (entity `qbo_account_role` / `qbo_item_role`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from core.domain import audit
from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.permissions import Actor, Perm, check
from core.domain.states import ItemType
from core.domain.workflow import Outcome
from core.models import Item, utcnow
from sync import binder
from sync.context import NotConnected, TenantContext
from sync.mappers.bills import BillContext, bill_summary, procore_requisition_to_qbo_bill
from sync.mappers.errors import MappingError
from sync.mappers.invoices import InvoiceContext, invoice_summary, procore_payment_application_to_qbo_invoice
from sync.procore.errors import ProcoreError
from sync.qbo.query import select
from sync.services.exports import enqueue_for_item, registers
from sync.writes.bills import BILL_LINK, OP_CREATE_BILL, record_on_item, requisition_from_detail
from sync.writes.common import plain
from sync.writes.invoices import INVOICE_LINK, OP_CREATE_INVOICE, payment_application_from_detail, summary_sheet

INVOICE_TYPES = (ItemType.SUB_INVOICE.value, ItemType.OWNER_INVOICE.value)
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


def choose_qbo_record(ctx: TenantContext, actor: Actor, role: str, qbo_id: str) -> str:
    """An admin picks the QBO account/item for a role (checked against the realm); returns its name."""
    check(actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    spec = ROLES.get(role)
    if spec is None:
        raise InvalidInput(f"There is no QuickBooks role '{role}'; choose one of: {', '.join(ROLES)}.")
    record = ctx.qbo.read(entity=spec.entity, id=str(qbo_id))
    if spec.account_type and record.get("AccountType") != spec.account_type:
        raise InvalidInput(f"{record.get('Name')} is a {record.get('AccountType')} account; the {spec.label} "
                           f"needs an {spec.account_type} account.")
    if record.get("Active") is False:
        raise InvalidInput(f"{record.get('Name')} is inactive in QuickBooks; reactivate it or choose another.")
    with ctx.session() as s:
        binder.unbind(s, ctx.tenant_id, spec.link, spec.key)
        binder.bind(s, ctx.tenant_id, spec.link, spec.key, str(qbo_id))
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="choose_qbo_record",
                     detail={"role": spec.key, "qbo_id": str(qbo_id), "name": record.get("Name")})
        s.commit()
    return str(record.get("Name") or qbo_id)


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
    vendor_link = binder.to_external(session, tenant_id, "company", vendor["id"]) if vendor.get("id") else None
    if vendor_link is None:
        commitment = (detail.get("commitment") or {}).get("number") or "its commitment"
        problems.append(f"Link company {vendor.get('name') or 'of the commitment'} to a QuickBooks vendor first: "
                        f"the Bill goes to the company on {commitment}.")
    project_link = binder.to_external(session, tenant_id, "project", project.get("id"))
    if project_link is None:
        problems.append(f"Link project {project.get('name')} to a QuickBooks project first.")
    items: dict[tuple[int | None, int | None], str] = {}
    missing: list[str] = []
    for line in detail.get("lines") or []:
        key = (line.get("cost_code_id"), line.get("line_item_type_id"))
        link = binder.to_external(session, tenant_id, "cost_item", cost_item_key(project.get("id"), *key))
        items[key] = link.qbo_id if link else PLACEHOLDER
        name = f"{line.get('cost_code') or line.get('cost_code_id')}.{line.get('cost_type') or key[1]}"
        if link is None and Decimal(line.get("amount") or 0) != 0 and name not in missing:
            missing.append(name)
    if missing:
        problems.append(f"Create the QuickBooks items for {', '.join(missing)} first (refresh the cost codes of "
                        f"{project.get('name')}).")
    account = role_id(session, tenant_id, RETAINAGE_PAYABLE) or retainage_account
    ctx = BillContext(vendor_id=vendor_link.qbo_id if vendor_link else PLACEHOLDER,
                      customer_id=project_link.qbo_id if project_link else PLACEHOLDER, items=items,
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
    project_link = binder.to_external(session, tenant_id, "project", project.get("id"))
    if project_link is None:
        problems.append(f"Link project {project.get('name')} to a QuickBooks project first: the invoice goes to "
                        "the project's customer.")
    work, retainage = role_id(session, tenant_id, OWNER_WORK_ITEM), role_id(session, tenant_id, OWNER_RETAINAGE_ITEM)
    problems += [r.missing() for r, found in ((OWNER_WORK_ITEM, work), (OWNER_RETAINAGE_ITEM, retainage))
                 if found is None]
    ctx = InvoiceContext(customer_id=project_link.qbo_id if project_link else PLACEHOLDER,
                         work_item_id=work or PLACEHOLDER, retainage_item_id=retainage or PLACEHOLDER, label=label)
    try:
        body = procore_payment_application_to_qbo_invoice(app, ctx)
    except MappingError as exc:
        return Evaluation(None, None, [exc.sentence, *problems])
    refs = {"CustomerRef": f"project {project.get('name')}", "ItemRef": "owner invoice item"}
    return Evaluation(None if problems else body, invoice_summary(body, project.get("name") or "the project"),
                      problems, refs, _total(body))


# --- export hooks (run inside the accept/export/retry transaction) --------------------------------------
def _payload(item: Item, ev: Evaluation) -> dict[str, Any]:
    if ev.body is None:
        raise InvalidInput(f"{item.title} can't be exported yet: {ev.blocked}")
    return {"procore_id": item.procore_id, "label": item.title, "refs": ev.refs,
            "vendor_name": ((item.detail or {}).get("vendor") or {}).get("name"),
            "customer_name": ((item.detail or {}).get("project") or {}).get("name")}


@registers(ItemType.SUB_INVOICE)
def export_sub_invoice(session: Session, item: Item) -> None:
    ev = evaluate(session, item)
    enqueue_for_item(session, item, operation=OP_CREATE_BILL, target="qbo",
                     payload={**_payload(item, ev), "bill": plain(ev.body)})


@registers(ItemType.OWNER_INVOICE)
def export_owner_invoice(session: Session, item: Item) -> None:
    ev = evaluate(session, item)
    enqueue_for_item(session, item, operation=OP_CREATE_INVOICE, target="qbo",
                     payload={**_payload(item, ev), "invoice": plain(ev.body),
                              "sheet": summary_sheet(item.detail or {}, plain(ev.body))})


HOOKS = {ItemType.SUB_INVOICE.value: export_sub_invoice, ItemType.OWNER_INVOICE.value: export_owner_invoice}
LINKS = {ItemType.SUB_INVOICE.value: BILL_LINK, ItemType.OWNER_INVOICE.value: INVOICE_LINK}


# --- people's actions -----------------------------------------------------------------------------------
def _item(ctx: TenantContext, item_id: int) -> Item:
    with ctx.session() as s:
        item = s.get(Item, item_id)
    if item is None or item.tenant_id != ctx.tenant_id or item.type not in INVOICE_TYPES:
        raise ItemNotFound(f"There is no invoice #{item_id} in this company's Ledgerlink.")
    return item


def _refresh(ctx: TenantContext, item: Item) -> Item:
    """Re-read the Procore record (so what is sent is what Procore has now) and re-check the links."""
    if item.type == ItemType.SUB_INVOICE:
        from sync.jobs.sub_invoices import refresh_item
    else:
        from sync.jobs.owner_invoices import refresh_item
    try:
        return refresh_item(ctx, item)
    except (ProcoreError, NotConnected) as exc:
        why = exc.hint if isinstance(exc, ProcoreError) else str(exc)
        raise InvalidInput(f"Ledgerlink couldn't read {item.title} from Procore just now ({why.rstrip('.')}), "
                           "so it wasn't sent; try again in a minute.") from exc


def locked_message(item: Item) -> str:
    """What the sender is told once an invoice is with accounting (for the card, the DM and the CLI)."""
    return (f"{item.title} is with accounting now and locked in Ledgerlink: edits made in Procore from here on are "
            "not exported. To change it, retrieve it before an approver decides (or ask them to reject it), edit "
            "it in Procore, then send it again.")


def _ready(ctx: TenantContext, item: Item, verb: str) -> None:
    with ctx.session() as s:
        ev = evaluate(s, s.get(Item, item.id))
    if ev.problems:
        raise InvalidInput(f"{item.title} can't be {verb} yet: {ev.blocked}")


def send(ctx: TenantContext, actor: Actor, item_id: int, *, refresh: bool = True) -> Outcome:
    """Send an invoice for accounting acceptance (it is locked for edits from then on)."""
    check(actor, Perm.SEND_RETRIEVE_RESEND)
    item = _item(ctx, item_id)
    if refresh:
        item = _refresh(ctx, item)
    _ready(ctx, item, "sent")
    return ctx.workflow.send(item.id, actor)


def send_requisition(ctx: TenantContext, actor: Actor, requisition_id: int, *, project_id: int) -> Outcome:
    """Send a subcontractor invoice by its Procore id; a status that can't be exported is refused with why."""
    from sync.jobs.sub_invoices import ingest_one

    check(actor, Perm.SEND_RETRIEVE_RESEND)
    item = ingest_one(ctx, project_id=project_id, requisition_id=requisition_id)
    return send(ctx, actor, item.id, refresh=False)


def resend(ctx: TenantContext, actor: Actor, item_id: int, *, refresh: bool = True) -> Outcome:
    """Resend a rejected invoice after its edits (refreshed from Procore first)."""
    check(actor, Perm.SEND_RETRIEVE_RESEND)
    item = _item(ctx, item_id)
    if refresh:
        item = _refresh(ctx, item)
    _ready(ctx, item, "resent")
    return ctx.workflow.resend(item.id, actor)


def retrieve(ctx: TenantContext, actor: Actor, item_id: int) -> Outcome:
    """The sender takes an invoice back before any decision (editable again)."""
    return ctx.workflow.retrieve(_item(ctx, item_id).id, actor)


def reject(ctx: TenantContext, actor: Actor, item_id: int, reason: str) -> Outcome:
    """An approver rejects with a reason; the invoice is editable again and can be resent."""
    return ctx.workflow.reject(_item(ctx, item_id).id, actor, reason)


def accept(ctx: TenantContext, actor: Actor, item_id: int) -> Outcome:
    """An approver accepts; the QBO write is queued in the same transaction."""
    item = _item(ctx, item_id)
    return ctx.workflow.accept(item.id, actor, then=HOOKS[item.type])


def export(ctx: TenantContext, actor: Actor, item_id: int, *, workflow_complete: bool = False) -> Outcome:
    """Direct export, when the company's direct-exports setting allows it."""
    item = _item(ctx, item_id)
    return ctx.workflow.export(item.id, actor, workflow_complete=workflow_complete, then=HOOKS[item.type])


def retry(ctx: TenantContext, actor: Actor, item_id: int) -> Outcome:
    """Retry a failed export (mapped again with today's links)."""
    item = _item(ctx, item_id)
    return ctx.workflow.retry(item.id, actor, then=HOOKS[item.type])


def unlink(ctx: TenantContext, actor: Actor, item_id: int) -> Outcome:
    """Admin: forget the QBO record of a synced invoice (it stays in QBO); the invoice is ready to export again."""
    item = _item(ctx, item_id)

    def forget(session: Session, it: Item) -> None:
        link = binder.to_external(session, it.tenant_id, LINKS[it.type], it.procore_id)
        qbo_id = link.qbo_id if link else it.remote_id
        binder.unbind(session, it.tenant_id, LINKS[it.type], it.procore_id)
        history = [*((it.detail or {}).get("unlinked") or []),
                   {"qbo_id": qbo_id, "at": utcnow().isoformat(), "by": actor.name}]
        record_on_item(session, it.id, None, None, extra={"unlinked": history})

    return ctx.workflow.unlink(item.id, actor, then=forget)

"""People's actions on subcontractor invoices (→ QBO Bills) and owner invoices (→ QBO Invoices), and the export
hooks that queue their outbox writes when they are accepted.

    send(ctx, actor, item_id)            refresh from Procore, refuse with the reason if it can't be exported
                                         (then `locked_message(item)` is what the sender is told)
    send_requisition(ctx, actor, requisition_id, project_id=)   the same, by Procore id (status gate first)
    resend / unlink(ctx, actor, item_id, …)   (accept, reject, retrieve, export now, retry: bot/actions/)
    choose_qbo_record(ctx, actor, role, qbo_id)                 which QBO account/item plays a role

Every state change goes through `core.domain.workflow.Workflow` (permission, compare-and-set, audit row).

What can't be exported yet is said, not failed: `evaluate(session, item)` (sync/invoice_rules.py) maps the item's
Procore snapshot with today's links and lists what is missing ("Link ACME Concrete to a QuickBooks vendor first …").
The sync jobs store that on the item (`detail["blocked"]`); send, resend and accept refuse with it.
The QBO records that play a role (`sync.invoice_rules.ROLES`) are chosen by an admin here (`choose_qbo_record`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.domain import audit
from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.permissions import Actor, Perm, check
from core.domain.states import ItemType
from core.domain.workflow import Outcome
from core.jsonbody import plain
from core.models import Item, utcnow
from sync import binder
from sync.context import NotConnected, TenantContext
from sync.invoice_rules import ROLES, Evaluation, evaluate
from sync.jobs import owner_invoices, sub_invoices
from sync.procore.errors import ProcoreError
from sync.services.hooks import enqueue_for_item, registers, sends
from sync.writes.bills import BILL_LINK, OP_CREATE_BILL, record_on_item
from sync.writes.invoices import INVOICE_LINK, OP_CREATE_INVOICE, summary_sheet

INVOICE_TYPES = (ItemType.SUB_INVOICE.value, ItemType.OWNER_INVOICE.value)


# --- roles: QBO records found by name and type, or chosen by an admin ----------------------------------


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
    refresh_item = sub_invoices.refresh_item if item.type == ItemType.SUB_INVOICE else owner_invoices.refresh_item
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
    check(actor, Perm.SEND_RETRIEVE_RESEND)
    item = sub_invoices.ingest_one(ctx, project_id=project_id, requisition_id=requisition_id)
    return send(ctx, actor, item.id, refresh=False)


def resend(ctx: TenantContext, actor: Actor, item_id: int, *, refresh: bool = True) -> Outcome:
    """Resend a rejected invoice after its edits (refreshed from Procore first)."""
    check(actor, Perm.SEND_RETRIEVE_RESEND)
    item = _item(ctx, item_id)
    if refresh:
        item = _refresh(ctx, item)
    _ready(ctx, item, "resent")
    return ctx.workflow.resend(item.id, actor)


@sends(ItemType.SUB_INVOICE, ItemType.OWNER_INVOICE)
def send_checked(ctx: TenantContext, actor: Actor, item: Item, *, again: bool) -> Outcome:
    """Send (or resend) from Slack: refreshed from Procore and checked first."""
    return (resend if again else send)(ctx, actor, item.id)


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

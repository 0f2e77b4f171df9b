"""Projects and sub jobs sent to accounting (seed: Accept or Reject a Project / a Sub Job for Export to ERP).

A Procore project not linked to QuickBooks becomes a `project` item; Accept makes it a QuickBooks project — a Customer
with `Job: true` under the parent customer the sender named (by default the customer the tenant's linked projects
sit under) — and a Procore sub job of a linked project becomes a `sub_job` item whose Accept makes a sub-customer of
the project's Customer. The write is `qbo.create_customer` (sync/writes/customers.py), queued by the export hook in
the accepting transaction; send, resend, retrieve and reject are the workflow's, as for companies.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core.domain.errors import InvalidInput
from core.domain.permissions import Actor, Perm
from core.domain.states import ItemState, ItemType
from core.domain.workflow import Outcome
from core.models import ExternalLink, Item, RemoteRecord
from sync import binder, cache
from sync.context import TenantContext
from sync.copies.projects import PROCORE, PROCORE_PROJECT, PROCORE_SUB_JOB, PROJECT, QBO, QBO_CUSTOMER, SUB_JOB
from sync.items import find_item, upsert_item
from sync.mappers.names import clean_name
from sync.procore.errors import ProcoreError
from sync.qbo.errors import QboError
from sync.qbo.query import select as qbo_select
from sync.services.companies import authorize
from sync.services.hooks import enqueue_for_item, registers, sends
from sync.services.projects import REFRESH_HINT, _project_title

DISPLAY_NAME_MAX = 100  # QBO's DisplayName limit for a Customer is 500; keep names people can read in lists
CUSTOMER_HINT = "`/ledgerlink send project {pid} for \"<QuickBooks customer>\"`"


# --- which QuickBooks customer a project goes under ----------------------------------------------------------------
def _usual_parent(s: Session, tenant_id: int) -> str | None:
    """The customer every linked QuickBooks project sits under, when they share one (e.g. "Summit Builders Owners")."""
    linked = list(s.exec(select(RemoteRecord.parent_id).join(
        ExternalLink, (ExternalLink.qbo_id == RemoteRecord.remote_id)
        & (ExternalLink.tenant_id == RemoteRecord.tenant_id)
        & (ExternalLink.entity_type == PROJECT)).where(
        RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == QBO, RemoteRecord.entity == QBO_CUSTOMER)))
    parents = {p for p in linked if p}
    return parents.pop() if len(parents) == 1 else None


def find_customer(ctx: TenantContext, ref: str) -> dict[str, Any]:
    """A QuickBooks customer by Id or DisplayName, read from QuickBooks (plain customers are not cached)."""
    ref = ref.strip()
    try:
        if ref.isdigit():
            rows = ctx.qbo.query(q=qbo_select("Customer").where(Id=ref)).get("Customer") or []
        else:
            rows = []
        rows = rows or ctx.qbo.query(q=qbo_select("Customer").where(DisplayName=ref)).get("Customer") or []
    except QboError:
        raise InvalidInput("QuickBooks didn't answer the customer lookup; try again in a minute.") from None
    if not rows:
        raise InvalidInput(f"QuickBooks has no customer '{ref}'. Name an existing customer (its exact name or Id).")
    customer = rows[0]
    if customer.get("Active") is False:
        raise InvalidInput(f"QuickBooks customer '{customer.get('DisplayName')}' is inactive; pick an active one.")
    if customer.get("Job") or customer.get("ParentRef"):
        raise InvalidInput(f"'{customer.get('FullyQualifiedName') or ref}' is itself a project or sub-customer in "
                           "QuickBooks; name the customer (the owner) the project is for.")
    return customer


# --- items -----------------------------------------------------------------------------------------------------------
def project_item(ctx: TenantContext, *, procore_project_id: str | int, customer: str | None = None) -> Item:
    """The `project` item of a Procore project (created or refreshed from the cache; locked once sent). `customer`
    names the QuickBooks parent customer (Id or name); without it the tenant's usual parent is used, if any."""
    pid = str(procore_project_id)
    parent = find_customer(ctx, customer) if customer else None
    with ctx.session() as s:
        project = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, pid)
        if project is None:
            raise InvalidInput(f"Ledgerlink doesn't know Procore project {pid}: {REFRESH_HINT}.")
        earlier = find_item(s, ctx.tenant_id, ItemType.PROJECT.value, pid)
        link = binder.to_external(s, ctx.tenant_id, PROJECT, pid)
        if link is not None and earlier is None:  # linked, never exported: no item to make (nor a Ready entry)
            row = cache.get(s, ctx.tenant_id, QBO, QBO_CUSTOMER, link.qbo_id)
            raise InvalidInput(f"{_project_title(project)} is already linked to QuickBooks project "
                               f"'{row.name if row else link.qbo_id}'; there is nothing to export.")
        kept = (earlier.detail or {}).get("parent_qbo_id") if earlier is not None else None
        parent_id = str(parent["Id"]) if parent else (kept or _usual_parent(s, ctx.tenant_id))
        parent_name = parent.get("DisplayName") if parent else None
        if parent_id and parent_name is None:
            row = cache.get(s, ctx.tenant_id, QBO, QBO_CUSTOMER, parent_id)
            parent_name = row.name if row else None
        got = upsert_item(s, tenant_id=ctx.tenant_id, item_type=ItemType.PROJECT.value, procore_id=pid,
                          title=_project_title(project), amount=None, procore_project_id=int(pid),
                          detail=_project_detail(project, parent_id, parent_name),
                          raw={"project": project.data, "parent": parent_id})
        s.commit()
        return got.item


def _project_detail(project: RemoteRecord, parent_id: str | None, parent_name: str | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"procore_name": project.name, "number": project.data.get("project_number")}
    if not parent_id:
        detail["blocked"] = ("Say which QuickBooks customer the project is for: "
                             + CUSTOMER_HINT.format(pid=project.remote_id) + ".")
        return detail
    body: dict[str, Any] = {"DisplayName": clean_name(project.name)[:DISPLAY_NAME_MAX], "Job": True,
                            "ParentRef": {"value": parent_id}, "BillWithParent": False}
    address = {k: project.data.get(src) for k, src in (("Line1", "address"), ("City", "city"),
                                                       ("CountrySubDivisionCode", "state_code"),
                                                       ("PostalCode", "zip")) if project.data.get(src)}
    if address:
        body["ShipAddr"] = address
    detail.update({"qbo_body": body, "customer": parent_name or parent_id, "parent_qbo_id": parent_id,
                   "summary": f"Creates the QuickBooks project “{body['DisplayName']}” under customer "
                              f"“{parent_name or parent_id}”"})
    return detail


def ready_projects(ctx: TenantContext) -> list[Item]:
    """Items for every active Procore project not linked to QuickBooks (what `send project`'s picker offers)."""
    with ctx.session() as s:
        linked = {lk.procore_id for lk in s.exec(select(ExternalLink).where(
            ExternalLink.tenant_id == ctx.tenant_id, ExternalLink.entity_type == PROJECT))}
        ids = [p.remote_id for p in cache.listing(s, ctx.tenant_id, PROCORE, PROCORE_PROJECT, archived=False,
                                                   active=True) if p.remote_id not in linked]
    return [project_item(ctx, procore_project_id=pid) for pid in ids]


def read_sub_jobs(ctx: TenantContext) -> list[Item]:
    """Read the sub jobs of every linked Procore project from Procore; items for those not in QuickBooks yet."""
    with ctx.session() as s:
        projects = [lk.procore_id for lk in s.exec(select(ExternalLink).where(
            ExternalLink.tenant_id == ctx.tenant_id, ExternalLink.entity_type == PROJECT))]
    out = []
    for project_id in projects:
        try:
            sub_jobs = list(ctx.procore.list_sub_jobs(project_id=int(project_id)))
        except ProcoreError:
            raise InvalidInput("Procore didn't answer the sub jobs list; try again in a minute.") from None
        with ctx.session() as s:
            for sub in sub_jobs:
                cache.upsert(s, ctx.tenant_id, PROCORE, PROCORE_SUB_JOB, str(sub.id), name=sub.name,
                             data=dict(sub.raw), parent_id=project_id)
                if binder.to_external(s, ctx.tenant_id, SUB_JOB, str(sub.id)) is None:
                    title = f"{sub.code} {sub.name}".strip()
                    out.append(upsert_item(s, tenant_id=ctx.tenant_id, item_type=ItemType.SUB_JOB.value,
                                           procore_id=str(sub.id), title=title, amount=None,
                                           procore_project_id=int(project_id),
                                           detail={"procore_name": sub.name, "code": sub.code, "summary":
                                                   f"Creates the sub-customer “{title}” under the project's "
                                                   "QuickBooks customer"},
                                           raw=dict(sub.raw)).item)
            s.commit()
    return out


# --- send and export ---------------------------------------------------------------------------------------------
def _linked_sentence(s: Session, item: Item) -> str | None:
    link = binder.to_external(s, item.tenant_id, item.type, item.procore_id)
    if link is None:
        return None
    row = cache.get(s, item.tenant_id, QBO, QBO_CUSTOMER, link.qbo_id)
    return (f"{item.title} is already linked to QuickBooks {ItemType(item.type).label} "
            f"'{row.name if row else link.qbo_id}'; there is nothing to export.")


@sends(ItemType.PROJECT, ItemType.SUB_JOB)
def send_project_item(ctx: TenantContext, actor: Actor, item: Item, *, again: bool) -> Outcome:
    """Send (or, once rejected, resend) a project or sub job: refused when it is linked already or has no parent."""
    authorize(ctx, actor, Perm.ADD_PROJECT_TO_ERP if item.type == ItemType.PROJECT else Perm.SEND_RETRIEVE_RESEND)
    with ctx.session() as s:
        current = s.get(Item, item.id)
        if (sentence := _linked_sentence(s, current)) is not None:
            raise InvalidInput(sentence)
        if current.type == ItemType.SUB_JOB and _project_link(s, current) is None:
            raise InvalidInput(f"Sub job {current.title} belongs to Procore project {current.procore_project_id}, "
                               "which is not in QuickBooks yet: send or link that project first.")
        if (blocked := (current.detail or {}).get("blocked")):
            raise InvalidInput(blocked)
    if current.state == ItemState.REJECTED:
        return ctx.workflow.resend(item.id, actor)
    return ctx.workflow.send(item.id, actor)


def _project_link(s: Session, item: Item) -> ExternalLink | None:
    return binder.to_external(s, item.tenant_id, PROJECT, str(item.procore_project_id))


@registers(ItemType.PROJECT)
@registers(ItemType.SUB_JOB)
def enqueue_export(session: Session, item: Item) -> None:
    """The accept hook: queue `qbo.create_customer` (in the accepting transaction)."""
    if (sentence := _linked_sentence(session, item)) is not None:
        raise InvalidInput(sentence.replace("there is nothing to export", "reject it instead"))
    detail = item.detail or {}
    if item.type == ItemType.SUB_JOB:
        link = _project_link(session, item)
        if link is None:
            raise InvalidInput(f"{item.title}'s project is not linked to QuickBooks any more; reject it, link the "
                               "project, and send it again.")
        body = {"DisplayName": clean_name(item.title)[:DISPLAY_NAME_MAX], "Job": True,
                "ParentRef": {"value": link.qbo_id}, "BillWithParent": True}
    else:
        body = detail.get("qbo_body")
        if not body:
            raise InvalidInput(detail.get("blocked") or f"{item.title} has nothing to export yet; resend it.")
    enqueue_for_item(session, item, operation="qbo.create_customer", target="qbo",
                     payload={"kind": item.type, "procore_id": item.procore_id, "name": detail.get("procore_name"),
                              "procore_project_id": item.procore_project_id, "body": body})

"""Companies ⇄ vendors: what people do with the companies list (seed: Link ERP Companies to Procore Companies, Add
an ERP Company to the Procore Company Directory, Export a Procore Company Record to ERP, Archive / Restore an ERP
Company, Unlink a Company Synced with ERP, View the Archived Companies List, duplicates).

Every function takes the tenant's `TenantContext` and the acting `Actor`, checks the seed permission, and makes its
change, its audit row and any outbox row in one transaction. They read the local cache (`sync vendors` fills it),
never a remote API, so they are fast enough for a Slack request. Refusals are `DomainError`s whose `sentence`
says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.domain import audit
from core.domain.errors import InvalidInput, ItemNotFound
from core.domain.permissions import Actor, Perm, check
from core.domain.states import Action, ItemState, ItemType
from core.domain.workflow import Outcome
from core.models import ExternalLink, Item, OutboxEntry, RemoteRecord
from sync import binder, cache
from sync.context import TenantContext
from sync.copies.vendors import LINK, PROCORE, PROCORE_VENDOR, QBO, QBO_VENDOR
from sync.duplicates import Company, find_duplicates, normalise_name, suggestions_for
from sync.items import find_item, upsert_item
from sync.mappers.vendors import procore_vendor_to_qbo_vendor, qbo_vendor_to_procore_vendor
from sync.outbox import OutboxStatus, enqueue
from sync.procore.records import Vendor
from sync.services.hooks import enqueue_for_item, live_entry, registers, sends
from sync.writes.companies import enqueue_set_vendor_origin

MAX_CAS_ATTEMPTS = 5
REFRESH_HINT = "refresh the companies list (`/ledgerlink refresh companies`) and try again"


def authorize(ctx: TenantContext, actor: Actor, perm: Perm) -> None:
    """The seed permission, and the actor must belong to this tenant (another tenant's data is 'not found')."""
    if actor.tenant_id is not None and actor.tenant_id != ctx.tenant_id:
        raise ItemNotFound("That is not in this company's Ledgerlink.")
    check(actor, perm)


@dataclass(frozen=True)
class CompanyRow:
    """One company of either side, as lists and pickers show it."""

    system: str  # qbo | procore
    remote_id: str
    name: str
    active: bool
    archived: bool
    linked_to: str | None = None  # the other side's id
    linked_name: str | None = None
    email: str | None = None
    phone: str | None = None
    tax_id: str | None = None


def _fields(row: RemoteRecord) -> dict[str, str | None]:
    d = row.data or {}
    if row.system == QBO:
        return {"email": (d.get("PrimaryEmailAddr") or {}).get("Address"),
                "phone": (d.get("PrimaryPhone") or {}).get("FreeFormNumber"), "tax_id": d.get("TaxIdentifier")}
    return {"email": d.get("email_address"), "phone": d.get("business_phone"), "tax_id": d.get("business_id")}


def _rows(s: Session, tenant_id: int, recs: list[RemoteRecord]) -> list[CompanyRow]:
    """Rows with their link and the other side's name (three queries, whatever the number of rows)."""
    links = list(s.exec(select(ExternalLink).where(ExternalLink.tenant_id == tenant_id,
                                                   ExternalLink.entity_type == LINK)))
    to_qbo = {lk.procore_id: lk.qbo_id for lk in links}
    to_procore = {lk.qbo_id: lk.procore_id for lk in links}
    names = {(r.system, r.remote_id): r.name for r in s.exec(select(  # columns only: no JSON to decode
        RemoteRecord.system, RemoteRecord.remote_id, RemoteRecord.name).where(
        RemoteRecord.tenant_id == tenant_id,
        ((RemoteRecord.system == QBO) & (RemoteRecord.entity == QBO_VENDOR))
        | ((RemoteRecord.system == PROCORE) & (RemoteRecord.entity == PROCORE_VENDOR))))}
    out = []
    for rec in recs:
        if rec.system == QBO:
            other_id, other_system = to_procore.get(rec.remote_id), PROCORE
        else:
            other_id, other_system = to_qbo.get(rec.remote_id), QBO
        out.append(CompanyRow(rec.system, rec.remote_id, rec.name, rec.active, rec.archived, other_id,
                              names.get((other_system, other_id)) if other_id else None, **_fields(rec)))
    return out


def _row(s: Session, tenant_id: int, rec: RemoteRecord) -> CompanyRow:
    return _rows(s, tenant_id, [rec])[0]


def _qbo_vendor(s: Session, tenant_id: int, qbo_vendor_id: str | int) -> RemoteRecord:
    row = cache.get(s, tenant_id, QBO, QBO_VENDOR, str(qbo_vendor_id))
    if row is None:
        raise InvalidInput(f"Ledgerlink doesn't know QuickBooks vendor {qbo_vendor_id}: {REFRESH_HINT}.")
    return row


def _procore_company(s: Session, tenant_id: int, procore_vendor_id: str | int) -> RemoteRecord:
    row = cache.get(s, tenant_id, PROCORE, PROCORE_VENDOR, str(procore_vendor_id))
    if row is None:
        raise InvalidInput(f"Ledgerlink doesn't know Procore company {procore_vendor_id}: {REFRESH_HINT}.")
    return row


# --- lists ----------------------------------------------------------------------------------------------------
def list_erp_companies(ctx: TenantContext, actor: Actor, *, name_prefix: str | None = None,
                       include_inactive: bool = False, limit: int | None = None) -> list[CompanyRow]:
    """The ERP (QBO) companies list: archived ones are hidden; inactive ones only when asked."""
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        rows = cache.listing(s, ctx.tenant_id, QBO, QBO_VENDOR, archived=False,
                             active=None if include_inactive else True, name_prefix=name_prefix, limit=limit)
        return _rows(s, ctx.tenant_id, rows)


def list_procore_companies(ctx: TenantContext, actor: Actor, *, name_prefix: str | None = None,
                           limit: int | None = None) -> list[CompanyRow]:
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        rows = cache.listing(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, archived=None, active=True,
                             name_prefix=name_prefix, limit=limit)
        return _rows(s, ctx.tenant_id, rows)


def archived_companies(ctx: TenantContext, actor: Actor) -> list[CompanyRow]:
    """View the Archived Companies List for ERP."""
    authorize(ctx, actor, Perm.VIEW_ARCHIVED_COMPANIES)
    with ctx.session() as s:
        return _rows(s, ctx.tenant_id, cache.listing(s, ctx.tenant_id, QBO, QBO_VENDOR, archived=True))


# --- link / unlink -------------------------------------------------------------------------------------------
def link_company(ctx: TenantContext, actor: Actor, *, procore_vendor_id: str | int,
                 qbo_vendor_id: str | int) -> ExternalLink:
    """Link an ERP company to a Procore company; also stores the QBO Id as the Procore company's origin_id.

    Each QBO vendor links to at most one Procore company (and back): the binder's unique constraints decide,
    so two people linking at once cannot both win.
    """
    authorize(ctx, actor, Perm.LINK_COMPANIES)
    pid, qid = str(procore_vendor_id), str(qbo_vendor_id)
    with ctx.session() as s:
        company, vendor = _procore_company(s, ctx.tenant_id, pid), _qbo_vendor(s, ctx.tenant_id, qid)
        current = binder.to_external(s, ctx.tenant_id, LINK, pid)
        if current is not None and current.qbo_id == qid:
            return current
        if current is not None:
            other = cache.get(s, ctx.tenant_id, QBO, QBO_VENDOR, current.qbo_id)
            raise InvalidInput(f"{company.name} is already linked to QuickBooks vendor "
                               f"'{other.name if other else current.qbo_id}'. An admin can unlink it first "
                               f"(`/ledgerlink unlink company {pid}`).")
        if vendor.archived:
            raise InvalidInput(f"QuickBooks vendor '{vendor.name}' is archived in Ledgerlink; restore it "
                               f"(`/ledgerlink restore company {qid}`) before linking.")
        if not vendor.active:
            raise InvalidInput(f"QuickBooks vendor '{vendor.name}' is inactive in QuickBooks; reactivate it there "
                               f"and {REFRESH_HINT}, or pick another vendor.")
        item = find_item(s, ctx.tenant_id, ItemType.COMPANY, pid)
        if item is not None and item.state in (ItemState.AWAITING_ACCEPTANCE, ItemState.EXPORTING):
            raise InvalidInput(f"{company.name} is {item.state.replace('_', ' ')} as a new QuickBooks vendor; "
                               "retrieve it (or let an approver reject it) before linking it to an existing vendor.")
        try:
            binder.bind(s, ctx.tenant_id, LINK, pid, qid, vendor.sync_token)
        except IntegrityError:
            s.rollback()
            raise _already_linked(ctx, vendor) from None
        event = audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="link_company",
                             detail={"procore_vendor_id": pid, "qbo_vendor_id": qid, "procore_name": company.name,
                                     "qbo_name": vendor.name})
        s.flush()
        enqueue_set_vendor_origin(s, tenant_id=ctx.tenant_id, vendor_id=pid, origin_id=qid, name=company.name,
                                  reason=event.id)
        link = binder.to_external(s, ctx.tenant_id, LINK, pid)
        s.commit()
        return link


def _already_linked(ctx: TenantContext, vendor: RemoteRecord) -> InvalidInput:
    with ctx.session() as s:
        other = binder.to_internal(s, ctx.tenant_id, LINK, vendor.remote_id)
        company = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, other.procore_id) if other else None
    who = company.name if company else f"Procore company {other.procore_id if other else '?'}"
    return InvalidInput(f"QuickBooks vendor '{vendor.name}' is already linked to {who}; each QuickBooks vendor links "
                        f"to one Procore company. Link {who} instead, or have an admin unlink it first.")


def unlink_company(ctx: TenantContext, actor: Actor, *, procore_vendor_id: str | int) -> str:
    """Unlink a company synced with ERP (Admin): the QBO vendor stays, the link goes, Procore's origin_id is
    cleared, and a synced company item returns to ready to export. Returns the QBO vendor id it was linked to."""
    authorize(ctx, actor, Perm.UNLINK_COMPANY)
    pid = str(procore_vendor_id)
    for _ in range(MAX_CAS_ATTEMPTS):
        with ctx.session() as s:
            link = binder.to_external(s, ctx.tenant_id, LINK, pid)
            if link is None:
                company = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, pid)
                raise InvalidInput(f"{company.name if company else f'Procore company {pid}'} is not linked to "
                                   "QuickBooks, so there is nothing to unlink.")
            qid = link.qbo_id
            item = find_item(s, ctx.tenant_id, ItemType.COMPANY, pid)
            if item is not None and item.state == ItemState.SYNCED:
                if ctx.workflow.transition_in(s, item.id, actor, Action.UNLINK, detail={"qbo_vendor_id": qid}) is None:
                    continue  # someone changed the item meanwhile: re-read and judge again
            company = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, pid)
            binder.unbind(s, ctx.tenant_id, LINK, pid)
            event = audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="unlink_company",
                                 item_id=item.id if item else None,
                                 detail={"procore_vendor_id": pid, "qbo_vendor_id": qid})
            s.flush()
            enqueue_set_vendor_origin(s, tenant_id=ctx.tenant_id, vendor_id=pid, origin_id=None,
                                      name=company.name if company else "", reason=event.id)
            s.commit()
            return qid
    raise InvalidInput("The company changed while unlinking it; try again.")


# --- ERP company → Procore directory ---------------------------------------------------------------------------
def add_company_to_procore(ctx: TenantContext, actor: Actor, *, qbo_vendor_id: str | int,
                           allow_similar: bool = False) -> OutboxEntry:
    """Add an ERP company to the Procore company directory (origin_id = QBO Id), linked once Procore answers."""
    authorize(ctx, actor, Perm.ADD_ERP_COMPANY_TO_DIRECTORY)
    qid = str(qbo_vendor_id)
    with ctx.session() as s:
        vendor = _qbo_vendor(s, ctx.tenant_id, qid)
        if (queued := live_entry(s, ctx.tenant_id, "procore.create_vendor", qbo_vendor_id=qid)) is not None:
            return queued  # already on its way (a second click)
        if vendor.archived:
            raise InvalidInput(f"QuickBooks vendor '{vendor.name}' is archived; restore it first.")
        linked = binder.to_internal(s, ctx.tenant_id, LINK, qid)
        if linked is not None:
            company = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, linked.procore_id)
            raise InvalidInput(f"QuickBooks vendor '{vendor.name}' is already in Procore's directory as "
                               f"{company.name if company else linked.procore_id} (linked).")
        if not allow_similar:
            wanted = normalise_name(vendor.name)
            same = [c for c in cache.listing(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, archived=None, active=True)
                    if normalise_name(c.name) == wanted]
            if same:
                raise InvalidInput(f"Procore's directory already has '{same[0].name}': link it to "
                                   f"'{vendor.name}' instead (`/ledgerlink link company {same[0].remote_id} {qid}`) "
                                   "so the directory doesn't get a duplicate.")
        try:
            body = qbo_vendor_to_procore_vendor(vendor.data)
        except (ValueError, KeyError) as exc:
            raise InvalidInput(f"QuickBooks vendor {qid} can't be added to Procore: {exc}.") from None
        event = audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="add_company_to_procore",
                             detail={"qbo_vendor_id": qid, "name": vendor.name})
        s.flush()
        entry = enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_vendor",
                        record=f"qbo_vendor:{qid}", version=1, payload={"qbo_vendor_id": qid, "body": body})
        if entry.status in (OutboxStatus.FAILED, OutboxStatus.DONE):  # asked again after it ended: a new request
            entry = enqueue(s, tenant_id=ctx.tenant_id, target="procore", operation="procore.create_vendor",
                            record=f"qbo_vendor:{qid}", version=f"again-{event.id}",
                            payload={"qbo_vendor_id": qid, "body": body})
        s.commit()
        return entry


# --- Procore company → QBO vendor, through acceptance ---------------------------------------------------------
def company_item(ctx: TenantContext, *, procore_vendor_id: str | int) -> Item:
    """The `company` item for a Procore company (created or refreshed from the cache; locked once sent)."""
    pid = str(procore_vendor_id)
    with ctx.session() as s:
        company = _procore_company(s, ctx.tenant_id, pid)
        try:
            body = procore_vendor_to_qbo_vendor(Vendor.from_api(company.data))
        except ValueError as exc:
            raise InvalidInput(f"{exc}.") from None
        wanted = normalise_name(body["DisplayName"])
        similar = [{"id": v.remote_id, "name": v.name}
                   for v in cache.listing(s, ctx.tenant_id, QBO, QBO_VENDOR, archived=None)
                   if normalise_name(v.name) == wanted][:3]
        detail = {"qbo_body": body, "procore_name": company.name, "similar_qbo_vendors": similar,
                  "email": body.get("PrimaryEmailAddr", {}).get("Address"),
                  "phone": body.get("PrimaryPhone", {}).get("FreeFormNumber")}
        got = upsert_item(s, tenant_id=ctx.tenant_id, item_type=ItemType.COMPANY.value, procore_id=pid,
                          title=company.name, amount=None, procore_project_id=None, detail=detail, raw=company.data)
        s.commit()
        return got.item


def send_company(ctx: TenantContext, actor: Actor, *, procore_vendor_id: str | int,
                 request_id: str | None = None) -> Outcome:
    """Export a Procore company record to ERP: send it to the approvers (Resend/Retrieve are the workflow's)."""
    authorize(ctx, actor, Perm.SEND_RETRIEVE_RESEND)
    pid = str(procore_vendor_id)
    with ctx.session() as s:
        link = binder.to_external(s, ctx.tenant_id, LINK, pid)
        if link is not None:
            company = _procore_company(s, ctx.tenant_id, pid)
            vendor = cache.get(s, ctx.tenant_id, QBO, QBO_VENDOR, link.qbo_id)
            raise InvalidInput(f"{company.name} is already linked to QuickBooks vendor "
                               f"'{vendor.name if vendor else link.qbo_id}'; there is nothing to export.")
    item = company_item(ctx, procore_vendor_id=pid)
    if item.state == ItemState.REJECTED:
        return ctx.workflow.resend(item.id, actor, request_id=request_id)
    return ctx.workflow.send(item.id, actor, request_id=request_id)


@sends(ItemType.COMPANY)
def send_company_item(ctx: TenantContext, actor: Actor, item: Item, *, again: bool) -> Outcome:
    """Send from Slack: `send_company` sends or resends, as the item's state says."""
    return send_company(ctx, actor, procore_vendor_id=item.procore_id)


@registers(ItemType.COMPANY)
def enqueue_export(session: Session, item: Item) -> None:
    """The accept hook for company items: queue `qbo.create_vendor` (in the accepting transaction)."""
    link = binder.to_external(session, item.tenant_id, LINK, item.procore_id)
    if link is not None:
        raise InvalidInput(f"{item.title} was linked to QuickBooks vendor {link.qbo_id} meanwhile, so it must not be "
                           "exported as a new vendor; reject it instead.")
    body = (item.detail or {}).get("qbo_body")
    if not body:
        raise InvalidInput(f"{item.title} has nothing to export yet; refresh the companies list and resend it.")
    enqueue_for_item(session, item, operation="qbo.create_vendor", target="qbo",
                     payload={"procore_vendor_id": item.procore_id, "body": body})


# --- archive / restore ----------------------------------------------------------------------------------------
def archive_company(ctx: TenantContext, actor: Actor, *, qbo_vendor_id: str | int) -> CompanyRow:
    """Archive an ERP company: hidden from the companies list and pickers, kept, restorable (Admin)."""
    return _set_archived(ctx, actor, str(qbo_vendor_id), True)


def restore_company(ctx: TenantContext, actor: Actor, *, qbo_vendor_id: str | int) -> CompanyRow:
    """Restore an archived ERP company to the companies list (Admin)."""
    return _set_archived(ctx, actor, str(qbo_vendor_id), False)


def _set_archived(ctx: TenantContext, actor: Actor, qid: str, archived: bool) -> CompanyRow:
    authorize(ctx, actor, Perm.ARCHIVE_ERP_COMPANY)
    with ctx.session() as s:
        vendor = _qbo_vendor(s, ctx.tenant_id, qid)
        if vendor.archived == archived:
            return _row(s, ctx.tenant_id, vendor)  # a second click changes nothing
        link = binder.to_internal(s, ctx.tenant_id, LINK, qid)
        if archived and link is not None:
            company = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, link.procore_id)
            raise InvalidInput(f"QuickBooks vendor '{vendor.name}' is linked to "
                               f"{company.name if company else link.procore_id}; archiving only hides companies "
                               "nobody uses. Unlink it first if it is really a duplicate.")
        vendor.archived = archived
        s.add(vendor)
        audit.record(s, tenant_id=ctx.tenant_id, actor=actor, action="archive_company" if archived else
                     "restore_company", detail={"qbo_vendor_id": qid, "name": vendor.name})
        s.commit()
        return _row(s, ctx.tenant_id, vendor)


# --- duplicates -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SuggestedAction:
    """One button under a duplicate pair. `kind`: link | consolidate | remove."""

    kind: str
    label: str
    procore_vendor_id: str | None = None
    qbo_vendor_id: str | None = None
    duplicate_procore_id: str | None = None  # consolidate: the Procore company to merge into the linked one


@dataclass(frozen=True)
class DuplicateSuggestion:
    a: CompanyRow
    b: CompanyRow
    score: float
    reasons: list[str]
    actions: list[SuggestedAction] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        return (f"{_side(self.a)} and {_side(self.b)} look like the same company ({', '.join(self.reasons)}).")


def _side(row: CompanyRow) -> str:
    return f"{'QuickBooks vendor' if row.system == QBO else 'Procore company'} '{row.name}'"


def duplicate_suggestions(ctx: TenantContext, actor: Actor, *, limit: int = 200) -> list[DuplicateSuggestion]:
    """Likely duplicates on both sides (Procore directory and ERP companies) with what can be done about each."""
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        rows = _rows(s, ctx.tenant_id,
                     cache.listing(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, archived=None, active=True)
                     + cache.listing(s, ctx.tenant_id, QBO, QBO_VENDOR, archived=False, active=True))
    by_key = {f"{r.system}:{r.remote_id}": r for r in rows}
    companies = [_company(r) for r in by_key.values()]
    out = []
    for match in find_duplicates(companies):
        a, b = by_key[match.a], by_key[match.b]
        if a.system == QBO and b.system == PROCORE:
            a, b = b, a
        if a.linked_to is not None and (a.linked_to, b.linked_to) == (b.remote_id, a.remote_id):
            continue  # already linked to each other: nothing to do
        out.append(DuplicateSuggestion(a, b, match.score, match.reasons, _actions(a, b, by_key)))
        if len(out) >= limit:
            break
    return out


def _company(row: CompanyRow) -> Company:
    return Company(key=f"{row.system}:{row.remote_id}", name=row.name, tax_id=row.tax_id, phone=row.phone,
                   email=row.email)


def likely_vendors(ctx: TenantContext, actor: Actor, *, procore_vendor_id: str | int,
                   limit: int = 5) -> list[tuple[CompanyRow, list[str]]]:
    """The QuickBooks vendors most likely to be this Procore company (duplicate detection: tax id, name, phone,
    e-mail, similar name), best first, with the reasons — for the link picker. Vendors linked to another company
    are left out: they can't be linked again."""
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        company = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, str(procore_vendor_id))
        if company is None:
            return []
        me, *vendors = _rows(s, ctx.tenant_id, [company, *cache.listing(s, ctx.tenant_id, QBO, QBO_VENDOR,
                                                                         archived=False, active=True)])
    free = {f"{QBO}:{v.remote_id}": v for v in vendors if v.linked_to in (None, me.remote_id)}
    return [(free[m.b], m.reasons) for m in suggestions_for(_company(me), [_company(v) for v in free.values()],
                                                            limit=limit)]


def _actions(a: CompanyRow, b: CompanyRow, by_key: dict[str, CompanyRow]) -> list[SuggestedAction]:
    if a.system == PROCORE and b.system == QBO:
        if a.linked_to is None and b.linked_to is None:
            return [SuggestedAction("link", f"Link {a.name} to QuickBooks vendor {b.name}", a.remote_id, b.remote_id)]
        if a.linked_to is not None and b.linked_to is None:
            return [SuggestedAction("remove", f"Remove QuickBooks vendor {b.name} from the list (archive it): "
                                    f"{a.name} is linked to {a.linked_name or a.linked_to}", qbo_vendor_id=b.remote_id)]
        if b.linked_to is not None and a.linked_to is None:
            survivor = by_key.get(f"{PROCORE}:{b.linked_to}")
            return [_consolidate(survivor.name if survivor else b.linked_to, b.linked_to, b, a.remote_id, a.name)]
        return []
    if a.system == QBO:  # two QuickBooks vendors: hide the one nobody uses
        return [SuggestedAction("remove", f"Remove QuickBooks vendor {r.name} from the list (archive it)",
                                qbo_vendor_id=r.remote_id) for r in (a, b) if r.linked_to is None]
    # two Procore companies: keep the linked one (or either) and merge the other into it in Procore
    actions = []
    for keep, dup in ((a, b), (b, a)):
        if dup.linked_to is not None:
            continue
        if keep.linked_to is not None:
            vendor = by_key.get(f"{QBO}:{keep.linked_to}")
            if vendor is not None:
                actions.append(_consolidate(keep.name, keep.remote_id, vendor, dup.remote_id, dup.name))
    return actions


def _consolidate(keep_name: str, keep_id: str, vendor: CompanyRow, dup_id: str, dup_name: str) -> SuggestedAction:
    return SuggestedAction("consolidate", f"Consolidate: keep {keep_name} linked to QuickBooks vendor {vendor.name} "
                           f"and merge {dup_name} into it in Procore's directory", keep_id, vendor.remote_id, dup_id)


def apply_suggestion(ctx: TenantContext, actor: Actor, action: SuggestedAction) -> str:
    """Do what a duplicate suggestion's button says; returns the sentence to show."""
    if action.kind == "link":
        link_company(ctx, actor, procore_vendor_id=action.procore_vendor_id, qbo_vendor_id=action.qbo_vendor_id)
        return f"Linked. {action.label.removeprefix('Link ')}."
    if action.kind == "remove":
        row = archive_company(ctx, actor, qbo_vendor_id=action.qbo_vendor_id)
        return f"Archived QuickBooks vendor {row.name}; it is on the archived companies list if you need it back."
    if action.kind == "consolidate":
        link = link_company(ctx, actor, procore_vendor_id=action.procore_vendor_id,
                            qbo_vendor_id=action.qbo_vendor_id)
        with ctx.session() as s:
            dup = cache.get(s, ctx.tenant_id, PROCORE, PROCORE_VENDOR, action.duplicate_procore_id or "")
        name = dup.name if dup else action.duplicate_procore_id
        return (f"Procore company {link.procore_id} stays linked to QuickBooks vendor {link.qbo_id}. Now merge {name} "
                "into it with Procore's Directory consolidation tool (Procore offers no API for merging), so "
                "commitments and invoices reach the linked company.")
    raise InvalidInput(f"Ledgerlink doesn't know the duplicate action '{action.kind}'.")


def describe(ctx: TenantContext, actor: Actor, *, procore_vendor_id: str | int) -> dict[str, Any]:
    """A Procore company with its link and item state, for a card or `/ledgerlink company`."""
    authorize(ctx, actor, Perm.VIEW_ITEMS)
    with ctx.session() as s:
        company = _procore_company(s, ctx.tenant_id, procore_vendor_id)
        row = _row(s, ctx.tenant_id, company)
        item = s.exec(select(Item).where(Item.tenant_id == ctx.tenant_id, Item.type == ItemType.COMPANY.value,
                                         Item.procore_id == company.remote_id)).first()
        return {"company": row, "item_state": item.state if item else None, "item_id": item.id if item else None,
                "last_error": item.last_error if item else None}

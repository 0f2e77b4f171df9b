"""What Slack's record pickers offer: Procore companies and projects, QuickBooks vendors and projects, items.

Every answer comes from the tenant's local copies (remote_records, external_links, items): Slack wants an options
request answered within 3 seconds, so a picker never calls QuickBooks or Procore. `options` ranks with
core/domain/matching.py; for the second picker of a link it first lists the likely twins of the record picked in
the first one (duplicate detection for vendors, origin id and name for projects).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.identity import Identity
from core.domain.errors import InvalidInput
from core.domain.matching import Choice, normalise, rank, similarity
from core.domain.parsing import strict_id
from core.domain.permissions import Perm, check
from core.domain.states import ItemState, ItemType
from core.models import ExternalLink, Item, RemoteRecord
from core.money import money
from sync.context import TenantContext
from sync.copies.projects import PROCORE_PROJECT, QBO_CUSTOMER
from sync.copies.projects import PROJECT as PROJECT_LINK
from sync.copies.vendors import LINK as COMPANY_LINK
from sync.copies.vendors import PROCORE, PROCORE_VENDOR, QBO, QBO_VENDOR
from sync.duplicates import normalise_name
from sync.services import companies

PROCORE_COMPANY, QBO_VENDOR_PICK, PROCORE_PROJECT_PICK, QBO_PROJECT_PICK, ITEM = (
    "procore_company", "qbo_vendor", "procore_project", "qbo_project", "item")
QBO_SUB_JOB_PICK = "qbo_sub_job"  # `/ledgerlink import sub-job`: its picker, and the names it resolves
LINKED_ITEM = "linked_item"  # items with a QuickBooks twin, picked as `#<item id>` (`/ledgerlink unlink <type>`)
MAX_OPTIONS = 100  # Slack shows at most 100 options
LIKELY = 5
SENDABLE = (ItemState.READY_TO_EXPORT.value, ItemState.REJECTED.value)  # what `send` (or resend) accepts
LINKED = (ItemState.SYNCED.value, ItemState.PAID.value)  # items QuickBooks has: what `unlink` accepts
PROJECT_NAME_CUTOFF = 85.0  # names this close make a QuickBooks project a likely twin


@dataclass(frozen=True)
class Group:
    """Options under one heading (None: no heading, a plain list)."""

    label: str | None
    choices: list[Choice]


# --- what each picker lists -------------------------------------------------------------------------------------
def _linked(s: Session, tenant_id: int, entity: str, side: str) -> set[str]:
    col = ExternalLink.procore_id if side == PROCORE else ExternalLink.qbo_id
    return set(s.exec(select(col).where(ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == entity)))


def _records(s: Session, tenant_id: int, system: str, entity: str, *, hidden: bool, data: bool = False) -> list:
    cols = (RemoteRecord.remote_id, RemoteRecord.name, RemoteRecord.data) if data else (
        RemoteRecord.remote_id, RemoteRecord.name)
    stmt = select(*cols).where(RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == system,
                               RemoteRecord.entity == entity)
    if not hidden:
        stmt = stmt.where(RemoteRecord.active == True, RemoteRecord.archived == False)  # noqa: E712
    return sorted(s.exec(stmt), key=lambda row: (normalise(row.name), row.remote_id))


def _with_link(name: str, linked: bool) -> str:
    return f"{name} · linked" if linked else name


def procore_companies(s: Session, tenant_id: int, *, hidden: bool = False) -> list[Choice]:
    linked = _linked(s, tenant_id, COMPANY_LINK, PROCORE)
    return [Choice(r.remote_id, _with_link(r.name, r.remote_id in linked), (r.remote_id,), r.name)
            for r in _records(s, tenant_id, PROCORE, PROCORE_VENDOR, hidden=hidden)]


def qbo_vendors(s: Session, tenant_id: int, *, hidden: bool = False) -> list[Choice]:
    linked = _linked(s, tenant_id, COMPANY_LINK, QBO)
    return [Choice(r.remote_id, _with_link(r.name, r.remote_id in linked), (r.remote_id,), r.name)
            for r in _records(s, tenant_id, QBO, QBO_VENDOR, hidden=hidden)]


def procore_projects(s: Session, tenant_id: int, *, hidden: bool = False) -> list[Choice]:
    linked = _linked(s, tenant_id, PROJECT_LINK, PROCORE)
    out = []
    for r in _records(s, tenant_id, PROCORE, PROCORE_PROJECT, hidden=hidden, data=True):
        number = (r.data or {}).get("project_number")
        title = f"{number} {r.name}" if number else r.name
        out.append(Choice(r.remote_id, _with_link(title, r.remote_id in linked),
                          tuple(k for k in (r.remote_id, number, r.name) if k), title))
    return out


def qbo_projects(s: Session, tenant_id: int, *, hidden: bool = False) -> list[Choice]:
    """QuickBooks projects (customers that are projects; sub jobs and plain customers are not linked this way)."""
    linked = _linked(s, tenant_id, PROJECT_LINK, QBO)
    return [Choice(r.remote_id, _with_link(r.name, r.remote_id in linked), (r.remote_id,), r.name)
            for r in _records(s, tenant_id, QBO, QBO_CUSTOMER, hidden=hidden, data=True)
            if (r.data or {}).get("kind", PROJECT_LINK) == PROJECT_LINK]


def qbo_sub_jobs(s: Session, tenant_id: int, *, hidden: bool = False) -> list[Choice]:
    """QuickBooks sub jobs (sub-customers of a project), for `/ledgerlink import sub-job`."""
    return [Choice(r.remote_id, r.name, (r.remote_id,), r.name)
            for r in _records(s, tenant_id, QBO, QBO_CUSTOMER, hidden=hidden, data=True)
            if (r.data or {}).get("kind") == "sub_job"]


def items(s: Session, tenant_id: int, *, types: Sequence[str] | None = None,
          states: Sequence[str] | None = SENDABLE) -> list[Choice]:
    """Items (newest first), by default those that can be sent; `#<id>` and the Procore id are keys too."""
    stmt = select(Item.id, Item.type, Item.procore_id, Item.title, Item.amount).where(Item.tenant_id == tenant_id)
    if types:
        stmt = stmt.where(Item.type.in_(list(types)))
    if states:
        stmt = stmt.where(Item.state.in_(list(states)))
    show_type = not types or len(types) > 1
    out = []
    for row in s.exec(stmt.order_by(Item.updated_at.desc(), Item.id.desc())):
        parts = [row.title or f"{row.type} {row.procore_id}"]
        if row.amount is not None:
            parts.append(money(row.amount))
        if show_type:
            parts.append(_type_label(row.type))
        out.append(Choice(str(row.id), " · ".join(parts), (row.procore_id, f"#{row.id}"), row.title))
    return out


def _type_label(value: str) -> str:
    try:
        return ItemType(value).label
    except ValueError:
        return value


LOADERS: dict[str, Callable[..., list[Choice]]] = {
    PROCORE_COMPANY: procore_companies, QBO_VENDOR_PICK: qbo_vendors, PROCORE_PROJECT_PICK: procore_projects,
    QBO_PROJECT_PICK: qbo_projects, QBO_SUB_JOB_PICK: qbo_sub_jobs,
}
NOUNS = {PROCORE_COMPANY: "Procore company", QBO_VENDOR_PICK: "QuickBooks vendor",
         PROCORE_PROJECT_PICK: "Procore project", QBO_PROJECT_PICK: "QuickBooks project", ITEM: "item",
         QBO_SUB_JOB_PICK: "QuickBooks sub job", LINKED_ITEM: "item"}
ALL_LABELS = {QBO_VENDOR_PICK: "All QuickBooks vendors", QBO_PROJECT_PICK: "All QuickBooks projects"}


# --- likely twins of the record picked first ----------------------------------------------------------------------
def _likely_vendors(engine: Engine, me: Identity, procore_vendor_id: str) -> list[tuple[str, str]]:
    found = companies.likely_vendors(TenantContext(engine, me.tenant_id), me.actor,
                                     procore_vendor_id=procore_vendor_id, limit=LIKELY)
    return [(row.remote_id, reasons[0]) for row, reasons in found]  # the strongest signal says enough


def _likely_projects(engine: Engine, me: Identity, procore_project_id: str) -> list[tuple[str, str]]:
    """QuickBooks projects named in the Procore project's origin id, or named (almost) the same."""
    with Session(engine) as s:
        project = s.exec(select(RemoteRecord).where(
            RemoteRecord.tenant_id == me.tenant_id, RemoteRecord.system == PROCORE,
            RemoteRecord.entity == PROCORE_PROJECT, RemoteRecord.remote_id == procore_project_id)).first()
        if project is None:
            return []
        taken = set(s.exec(select(ExternalLink.qbo_id).where(  # linked to another Procore project
            ExternalLink.tenant_id == me.tenant_id, ExternalLink.entity_type == PROJECT_LINK,
            ExternalLink.procore_id != procore_project_id)))
        candidates = [c for c in qbo_projects(s, me.tenant_id) if c.value not in taken]
    origin = str((project.data or {}).get("origin_id") or "")
    wanted = normalise_name(project.name)
    scored = []
    for c in candidates:
        if c.value == origin:
            scored.append((101.0, c.value, "its origin id in Procore"))
        elif normalise_name(c.title) == wanted:
            scored.append((100.0, c.value, "same name"))
        elif (score := similarity(wanted, normalise_name(c.title))) >= PROJECT_NAME_CUTOFF:
            scored.append((score, c.value, f"similar name ({score:.0f}%)"))
    scored.sort(key=lambda t: -t[0])
    return [(value, why) for _score, value, why in scored[:LIKELY]]


LIKELY_FOR: dict[str, Callable[[Engine, Identity, str], list[tuple[str, str]]]] = {
    QBO_VENDOR_PICK: _likely_vendors, QBO_PROJECT_PICK: _likely_projects,
}


def likely(engine: Engine, me: Identity, source: str, chosen: str) -> list[tuple[str, str]]:
    """(value, reason) of the records in `source` most likely to be the twin of `chosen`, best first. Worked out
    once when the first record is picked (it reads every cached vendor), then handed to `options` each keystroke."""
    fn = LIKELY_FOR.get(source)
    return fn(engine, me, chosen) if fn else []


# --- the answer -----------------------------------------------------------------------------------------------------
def options(engine: Engine, me: Identity, source: str, query: str, *, chosen: str | None = None,
            chosen_label: str | None = None, likely_ones: Sequence[tuple[str, str]] | None = None,
            item_types: Sequence[str] | None = None) -> list[Group]:
    """The options for one keystroke in a picker, best first, at most MAX_OPTIONS in all.

    `chosen` is what the person picked in the modal's first picker (a Procore company or project): its likely
    twins (`likely_ones`, else worked out now) come first under their own heading, with the reason."""
    check(me.actor, Perm.VIEW_ITEMS)
    with Session(engine) as s:
        if source == ITEM:
            choices = items(s, me.tenant_id, types=item_types)
        elif source == LINKED_ITEM:  # `#<id>`: how the unlink command names an item exactly
            choices = [Choice(f"#{c.value}", c.label, c.keys, c.name)
                       for c in items(s, me.tenant_id, types=item_types, states=LINKED)]
        else:
            choices = LOADERS[source](s, me.tenant_id)
    ranked = [r.choice for r in rank(query, choices, limit=None)]
    if not chosen or source not in LIKELY_FOR:
        return [Group(None, ranked[:MAX_OPTIONS])]
    why = dict(likely_ones if likely_ones is not None else likely(engine, me, source, chosen))
    by_value = {c.value: c for c in ranked}
    first = [Choice(v, f"{by_value[v].label} · {reason}", by_value[v].keys, by_value[v].name)
             for v, reason in why.items() if v in by_value]
    rest = [c for c in ranked if c.value not in why][:MAX_OPTIONS - len(first)]
    if not first:
        return [Group(None, rest)]
    heading = f"Likely matches for {chosen_label}" if chosen_label else "Likely matches"
    return [Group(heading, first), Group(ALL_LABELS.get(source, "All"), rest)]


def sendable_item(engine: Engine, tenant_id: int, value: str) -> Item:
    """The item the send modal's picker handed over, if this tenant's and still sendable; else a sentence."""
    item = None
    if strict_id(value) is not None:
        with Session(engine, expire_on_commit=False) as s:
            item = s.get(Item, strict_id(value))
    if item is None or item.tenant_id != tenant_id:
        raise InvalidInput("Pick an item from the list.")
    if item.state not in SENDABLE:
        raise InvalidInput(f"{item.title} is {item.state.replace('_', ' ')} now, so it can't be sent; pick another.")
    return item

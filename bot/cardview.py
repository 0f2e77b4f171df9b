"""Read what a card shows about an item from the database: `card_data(session, item_id, links)`.

`Item.detail` is written by the ingesting sync jobs; the keys read here (all optional) are:
  summary | qbo_summary         "Creates Bill 2024-117 for ACME Concrete, $48,250.00 across 3 cost codes"
  blocked                       why it can't be exported yet ("Link company ACME Concrete … first")
  vendor | vendor_name          the vendor / company name (a string or {"name": …})
  project | project_name        the project name (a string or {"id", "name", "number"})
  number | invoice_number       the Procore number people know the record by
  lines | sov                   one per line: {label} or {cost_code, cost_type, description}, amount | this_period
  procore_url                   a full web URL, used as is when present
  commitment {id, type} | commitment_id, contract_type | kind, prime_contract {id} | prime_contract_id,
  contract_id, parent {id, kind}, project_id — the ids a Procore page URL needs (see `link_ids`, blocks/links.py)
  changed_while_locked, locked_note   set when Procore changed after sending (sync/items.py, the invoice jobs)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, or_
from sqlmodel import Session, select

from blocks.cards import CardData, Document, LastEvent, Line, Person
from blocks.group_card import GroupData
from blocks.links import Links
from core.domain import audit, delegation
from core.models import AutoSend, Decision, Item, ItemGroup, OutboxEntry, Tenant, TenantSettings, User
from core.rows import by_key


def person(session: Session, user_id: int | None) -> Person | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return as_person(user) if user is not None else None


def as_person(user: User) -> Person:
    return Person(name=user.name or user.email or f"user {user.id}", slack_id=user.slack_user_id)


def _text(d: dict[str, Any], *keys: str) -> str | None:
    for k in keys:
        v = d.get(k)
        if isinstance(v, str | int) and str(v).strip():
            return str(v).strip()
        if isinstance(v, dict) and isinstance(v.get("name"), str):
            return v["name"]
    return None


def project_name(item: Item) -> str:
    """The item's project as people call it (the weekly chart groups by it)."""
    d = item.detail or {}
    return _text(d, "project", "project_name") or (f"Project {item.procore_project_id}" if item.procore_project_id
                                                   else "No project")


def _amount(v: Any) -> Decimal | None:
    try:
        return Decimal(str(v)) if v is not None and v != "" else None
    except (InvalidOperation, ValueError):
        return None


def _line_label(x: dict[str, Any]) -> str:
    """'03-100.Material — Footings' from a cost code, cost type and description (any may be missing)."""
    if _text(x, "label"):
        return _text(x, "label")  # type: ignore[return-value]
    code = ".".join(p for p in (_text(x, "cost_code"), _text(x, "cost_type")) if p)
    description = _text(x, "description", "name")
    return " — ".join(p for p in (code, description) if p) or "line"


def _lines(d: dict[str, Any]) -> tuple[Line, ...]:
    raw = d.get("lines") if isinstance(d.get("lines"), list) else d.get("sov")  # owner invoices: the G703 rows
    if not isinstance(raw, list):
        return ()
    out = []
    for x in raw:
        if isinstance(x, dict):
            out.append(Line(label=_line_label(x), amount=_amount(x.get("amount", x.get("this_period")))))
        elif isinstance(x, str):
            out.append(Line(label=x))
    return tuple(out)


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else None


def link_ids(item: Item, d: dict[str, Any]) -> dict[str, Any]:
    """The ids a Procore page URL needs, from whichever snapshot shape the ingesting job wrote."""
    parent = d.get("parent") if isinstance(d.get("parent"), dict) else {}
    commitment = d.get("commitment") if isinstance(d.get("commitment"), dict) else {}
    return {
        "procore_url": d.get("procore_url"),
        "project_id": d.get("project_id") or _id(d.get("project")),
        "commitment_id": commitment.get("id") or d.get("commitment_id") or parent.get("id")
        or (d.get("contract_id") if item.type == "cco" else None),
        "contract_type": commitment.get("type") or d.get("contract_type") or d.get("commitment_type")
        or (d.get("kind") if item.type == "commitment" else parent.get("kind")),
        "prime_contract_id": _id(d.get("prime_contract")) or d.get("prime_contract_id")
        or (d.get("contract_id") if item.type == "pcco" else None),
    }


#: built once (every synced card reads it)
LAST_DONE = select(OutboxEntry).where(OutboxEntry.item_id == bindparam("item_id"), OutboxEntry.status == "done"
                                      ).order_by(OutboxEntry.id.desc())  # type: ignore[union-attr]


def result_summary(session: Session, item: Item) -> str | None:
    """'Bill 2024-117': what the outbox recorded when it exported the item."""
    entry = session.exec(LAST_DONE, params={"item_id": item.id}).first()  # type: ignore[call-overload]
    if entry is not None and entry.result and entry.result.get("summary"):
        return str(entry.result["summary"])
    if item.remote_id:
        return f"QuickBooks record {item.remote_id}"
    return None


def approvals(session: Session, item: Item) -> tuple[Person, ...]:
    rows = session.exec(select(Decision).where(Decision.item_id == item.id, Decision.round == item.round,
                                               Decision.decision == "accept").order_by(Decision.id)).all()
    return tuple(p for p in (person(session, r.user_id) for r in rows) if p)


def read_settings(session: Session, tenant_id: int) -> TenantSettings:
    """The tenant's settings, or the defaults, without inserting a row (rendering must not write)."""
    return by_key(session, TenantSettings, tenant_id) or TenantSettings(tenant_id=tenant_id)


def approvals_needed(session: Session, item: Item) -> int:
    threshold = read_settings(session, item.tenant_id).two_approver_threshold
    return 2 if threshold is not None and item.amount is not None and item.amount >= threshold else 1


def _summary(item: Item, d: dict[str, Any]) -> str | None:
    text = _text(d, "summary", "qbo_summary")
    body = d.get("qbo_body") if isinstance(d.get("qbo_body"), dict) else {}
    if text is None and item.type == "company" and body.get("DisplayName"):
        text = f"Creates Vendor “{body['DisplayName']}” in QuickBooks"
    return text


def _documents(d: dict[str, Any]) -> tuple[Document, ...]:
    return tuple(Document(name=str(x.get("filename") or x.get("name")), status=str(x.get("status") or "pending"),
                          reason=x.get("reason"))
                 for x in d.get("attachments") or [] if isinstance(x, dict))


def _notes(d: dict[str, Any]) -> tuple[str, ...]:
    similar = [v for v in d.get("similar_qbo_vendors") or [] if isinstance(v, dict)]
    if similar:
        names = ", ".join(f"{v.get('name')} ({v.get('id')})" for v in similar[:3])
        return (f":warning: QuickBooks already has a vendor with this name: {names}. Linking may be better than "
                "exporting a second one.",)
    return ()


#: built once (every card drawn reads it; building a statement costs more than running it)
ROUND_AUTO_SEND = select(AutoSend).where(
    AutoSend.item_id == bindparam("item_id"), AutoSend.round == bindparam("round"),
    # not `.in_(...)`: SQLAlchemy expands an IN's values anew on every run, which cost more than this whole read
    or_(AutoSend.state == "sending", AutoSend.state == "sent")).order_by(AutoSend.id.desc())  # type: ignore[attr-defined]
#: the people a card names (at most four: the last event's actor, sender, creator, decider), built once; a fixed IN
#: list of parameters (unused ones NULL, which matches nothing), not an IN that SQLAlchemy expands on every run
PEOPLE_SLOTS = 4
PEOPLE = select(User).where(User.id.in_([bindparam(f"p{n}") for n in range(PEOPLE_SLOTS)]))  # type: ignore[union-attr]


def attribution(session: Session, item: Item) -> AutoSend | None:
    """The auto-send that started the item's current round (bot/actions/autosend.py): who sent it, and that it
    was automatic. Read while the send is still running too, so the card posted during the send shows it."""
    if not item.round:
        return None
    return session.exec(ROUND_AUTO_SEND, params={"item_id": item.id, "round": item.round}).first()  # type: ignore[call-overload]


def _auto_note(auto: AutoSend | None, sender: Person | None) -> tuple[str, ...]:
    if auto is None:
        return ()
    who = sender.name if sender and auto.procore_user_id else None  # notes are plain text: a name, not a mention
    if auto.to_status == "created":
        what = f"{who} added it to the Procore directory" if who else "it was added to the Procore directory"
    else:
        status = auto.to_status.replace("_", " ")
        what = f"{who} made it {status} in Procore" if who else f"it became {status} in Procore"
    return (f":robot_face: Sent automatically when {what}.",)


def card_data(session: Session, item_id: int, links: Links) -> CardData:
    item = by_key(session, Item, item_id)
    if item is None:
        raise LookupError(f"item {item_id} does not exist")
    tenant = by_key(session, Tenant, item.tenant_id)
    settings = read_settings(session, item.tenant_id)
    d: dict[str, Any] = dict(item.detail or {})
    last = audit.last_event(session, item.id)
    # the people the card names, in one read
    ids = {last.actor_id if last else None, item.sender_id, item.creator_id, item.decided_by_id} - {None}
    slots = {f"p{n}": user_id for n, user_id in enumerate([*ids, *[None] * (PEOPLE_SLOTS - len(ids))])}
    users = session.exec(PEOPLE, params=slots) if ids else ()  # type: ignore[call-overload]
    named = {u.id: as_person(u) for u in users}
    last_event = LastEvent(action=last.action, who=named.get(last.actor_id) or Person(last.actor_label),
                           at=last.created_at) if last else None
    synced = item.state in ("synced", "paid")
    auto = attribution(session, item)
    sender = named.get(item.sender_id) or (Person(auto.sender_label) if auto and auto.sender_label else None)
    return CardData(
        item_id=item.id, type=item.type, title=item.title or f"#{item.procore_id}", state=item.state,
        amount=item.amount, number=_text(d, "invoice_number", "number"),
        project=_text(d, "project", "project_name"), vendor=_text(d, "vendor", "vendor_name"),
        summary=_summary(item, d), lines=_lines(d), blocked=_text(d, "blocked"),
        notes=_notes(d) + _auto_note(auto, sender),
        locked_note=_text(d, "locked_note"),
        sender=sender, creator=named.get(item.creator_id),
        decided_by=named.get(item.decided_by_id), decided_for=delegation.decided_for(session, item, last),
        decided_at=item.decided_at, sent_at=item.sent_at,
        reject_reason=item.reject_reason, last_error=item.last_error,
        result=result_summary(session, item) if synced else None,
        procore_url=links.procore(item.type, item.procore_id, project_id=item.procore_project_id,
                                  company_id=tenant.procore_company_id if tenant else None, detail=link_ids(item, d)),
        qbo_url=links.qbo(item.type, item.remote_id) if synced else None,
        approvals=approvals(session, item) if item.state == "awaiting_acceptance" else (),
        approvals_needed=approvals_needed(session, item),
        confirm_above=settings.confirm_above_amount, round=item.round,
        changed_while_locked=bool(d.get("changed_while_locked")), last_event=last_event,
        tz=tenant.timezone if tenant else "UTC", documents=_documents(d),
    )


def offline_card_data(item: Item, links: Links, *, waiting_for_database: bool = False) -> CardData:
    """What a card can show from the item row alone, without the database (it is unreachable): the record, its
    amount and lines; not the people, history or the tenant's settings."""
    d: dict[str, Any] = dict(item.detail or {})
    return CardData(
        item_id=item.id, type=item.type, title=item.title or f"#{item.procore_id}", state=item.state,  # type: ignore[arg-type]
        amount=item.amount, number=_text(d, "invoice_number", "number"),
        project=_text(d, "project", "project_name"), vendor=_text(d, "vendor", "vendor_name"),
        summary=_summary(item, d), lines=_lines(d), decided_at=item.decided_at, sent_at=item.sent_at,
        procore_url=links.procore(item.type, item.procore_id, project_id=item.procore_project_id, company_id=None,
                                  detail=link_ids(item, d)),
        round=item.round, waiting_for_database=waiting_for_database)


def group_data(session: Session, group_id: int, links: Links) -> GroupData:
    """What a grouped card shows: each item of the group as it is now (see blocks/group_card.py)."""
    group = session.get(ItemGroup, group_id)
    if group is None:
        raise LookupError(f"item group {group_id} does not exist")
    items = list(session.exec(select(Item).where(Item.group_id == group_id).order_by(Item.id)))
    tenant = session.get(Tenant, group.tenant_id)
    return GroupData(group_id=group_id, lines=tuple(card_data(session, i.id, links) for i in items),  # type: ignore[arg-type]
                     own_card=frozenset(i.id for i in items if i.card_ts),  # type: ignore[misc]
                     sender=person(session, group.sender_id), sent_at=group.created_at,
                     tz=tenant.timezone if tenant else "UTC")

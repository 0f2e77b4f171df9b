"""Out of office: an approver names a delegate until a date; `back` ends it early; it ends by itself after the date.

While Dana is away with Kim as delegate, reminders and escalations meant for Dana go to Kim, and Kim's decisions
are recorded "on behalf of Dana". Kim decides with Kim's own rights: the workflow still checks Kim's permission,
the thresholds, and that nobody decides on what they sent themselves — and Kim does not act for Dana on an item
Dana sent (that would be Dana approving her own item through someone else).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, or_
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.domain.permissions import Actor
from core.models import AuditEvent, Delegation, Item, User, utcnow

MAX_DAYS = 92  # a quarter: longer than that is a change of approvers, not an absence


def zone(name: str | None) -> ZoneInfo:
    """The named time zone, UTC when unknown (a Slack profile without one, or a name this machine lacks)."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def end_of(until: date, tz: str | None) -> datetime:
    """The instant (UTC) `until` ends where the approver lives: "until Friday" means through Friday evening."""
    return datetime.combine(until + timedelta(days=1), time(0), zone(tz)).astimezone(UTC)


#: built once: every decision reads it (for its audit row)
ACTIVE = select(Delegation).where(
    Delegation.tenant_id == bindparam("tenant_id"), Delegation.ended_at.is_(None),  # type: ignore[union-attr]
    or_(Delegation.ends_at > bindparam("now"),  # type: ignore[operator]
        and_(Delegation.ends_at.is_(None), Delegation.until >= bindparam("today")))  # type: ignore[union-attr]
    ).order_by(Delegation.id)


def active(session: Session, tenant_id: int, now: datetime) -> list[Delegation]:
    """Delegations in force at `now`: not ended, their last day not over in the approver's time zone."""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    return list(session.exec(ACTIVE, params={"tenant_id": tenant_id, "now": now, "today": now.date()}))


def away(session: Session, actor: Actor, delegate: User, until: date, now: datetime, tz: str | None) -> Delegation:
    """Start (or replace) the actor's absence through the end of `until` in `tz` (theirs); the caller commits."""
    today = now.astimezone(zone(tz)).date()
    if actor.is_system or actor.user_id is None:
        raise PermissionDenied("Only a person can be away.")
    if delegate.tenant_id != actor.tenant_id:
        raise InvalidInput("Your delegate must be someone in your own company's Ledgerlink.")
    if delegate.id == actor.user_id:
        raise InvalidInput("Name someone else as your delegate.")
    if until < today:
        raise InvalidInput(f"{until.isoformat()} has passed; give the last day you are away.")
    if until > today + timedelta(days=MAX_DAYS):
        raise InvalidInput(f"An absence can last {MAX_DAYS} days at most; ask an admin to change approvers instead.")
    if any(d.user_id == delegate.id for d in active(session, delegate.tenant_id, now)):
        raise InvalidInput(f"{delegate.name or 'Your delegate'} is away too; name someone who is in.")
    back(session, actor, now)
    row = Delegation(tenant_id=delegate.tenant_id, user_id=actor.user_id, delegate_id=delegate.id, until=until,
                     ends_at=end_of(until, tz), timezone=str(zone(tz)))
    session.add(row)
    session.flush()
    return row


def mine(session: Session, actor: Actor, now: datetime) -> Delegation | None:
    """The actor's absence in force at `now`, if any (App Home shows it)."""
    return next((d for d in active(session, actor.tenant_id or 0, now) if d.user_id == actor.user_id), None)


def back(session: Session, actor: Actor, now: datetime) -> bool:
    """End the actor's absence now; False when they were not away."""
    rows = [d for d in active(session, actor.tenant_id or 0, now) if d.user_id == actor.user_id]
    for row in rows:
        row.ended_at = utcnow()
        session.add(row)
    session.flush()
    return bool(rows)


def stand_ins(session: Session, tenant_id: int, now: datetime) -> dict[int, int]:
    """Away person's user id → their delegate's, at `now`."""
    return {d.user_id: d.delegate_id for d in active(session, tenant_id, now)}


def recipients(session: Session, tenant_id: int, users: list[User], now: datetime) -> list[User]:
    """Who hears a reminder or escalation meant for `users`: each away person replaced by their delegate."""
    by_user = stand_ins(session, tenant_id, now)
    out: dict[int, User] = {}
    for user in users:
        target = session.get(User, by_user[user.id]) if user.id in by_user else user
        if target is not None and target.id is not None:
            out.setdefault(target.id, target)
    return list(out.values())


def on_behalf_of(session: Session, item: Item, actor: Actor, now: datetime) -> list[User]:
    """The away people whose place the actor takes on this item (none when the actor is no one's delegate)."""
    if actor.user_id is None:
        return []
    return [u for d in active(session, item.tenant_id, now) if d.delegate_id == actor.user_id
            and d.user_id != item.sender_id and (u := session.get(User, d.user_id)) is not None]


def behalf_detail(session: Session, item: Item, actor: Actor, now: datetime) -> dict[str, list[str]]:
    """What a decision's audit row adds: {"on_behalf_of": [names]} when the actor stands in for someone."""
    names = [u.name for u in on_behalf_of(session, item, actor, now)]
    return {"on_behalf_of": names} if names else {}


DECISIONS = ("accept", "approve", "reject")
#: built once, with its actions as `==`s (SQLAlchemy expands an IN's values anew on every run): every card reads it
LAST_DECISION = select(AuditEvent).where(AuditEvent.item_id == bindparam("item_id"), or_(
    *(AuditEvent.action == action for action in DECISIONS))).order_by(AuditEvent.id.desc())  # type: ignore[union-attr]


def decided_for(session: Session, item: Item, latest: AuditEvent | None = None) -> str | None:
    """'Dana' when the item's latest decision was taken on Dana's behalf (for the card), else None. `latest`: the
    item's latest event when the caller has it (a card drawn right after a click: that event is the decision)."""
    row = latest if latest is not None and latest.action in DECISIONS else session.exec(  # type: ignore[call-overload]
        LAST_DECISION, params={"item_id": item.id}).first()
    names = (row.detail or {}).get("on_behalf_of") if row is not None else None
    return " and ".join(names) if names else None

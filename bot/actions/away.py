"""Out of office: `/ledgerlink away @delegate until <date>`, `/ledgerlink back`, and the same from App Home
(rules: core/domain/delegation)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.domain import audit, delegation
from core.domain.errors import InvalidInput
from core.domain.permissions import Actor
from core.models import Tenant, User


def away(engine: Engine, actor: Actor, *, delegate_slack_id: str, until: date, now: datetime,
         tz: str | None = None) -> str:
    """Start the actor's absence through the end of `until` in `tz` (their Slack time zone; the company's when
    unknown); the answer names the delegate and the last day."""
    with Session(engine, expire_on_commit=False) as s:
        delegate = s.exec(select(User).where(User.tenant_id == actor.tenant_id,
                                             User.slack_user_id == delegate_slack_id)).first()
        if delegate is None:
            raise InvalidInput(f"<@{delegate_slack_id}> has no Ledgerlink access yet; ask an admin to "
                               "`/ledgerlink grant` them first.")
        tenant = s.get(Tenant, actor.tenant_id)
        row = delegation.away(s, actor, delegate, until, now, tz or (tenant.timezone if tenant else None))
        audit.record(s, tenant_id=row.tenant_id, actor=actor, action="away", item_id=None, before=None, after=None,
                     detail={"delegate": delegate.name, "delegate_id": delegate.id, "until": until.isoformat(),
                             "ends_at": row.ends_at.isoformat() if row.ends_at else None, "timezone": row.timezone})
        s.commit()
        rights = "" if delegate.can_push_to_accounting else (
            f" Note: {delegate.name or 'they'} can't accept items themselves, so they will see the reminders only.")
    return (f":palm_tree: You're away until the end of {until:%b} {until.day}, {until.year} ({row.timezone}). "
            f"<@{delegate_slack_id}> gets your reminders and escalations and may decide in your place.{rights} "
            "`/ledgerlink back` ends it early.")


def back(engine: Engine, actor: Actor, *, now: datetime) -> str:
    with Session(engine) as s:
        ended = delegation.back(s, actor, now)
        if ended:
            audit.record(s, tenant_id=actor.tenant_id or 0, actor=actor, action="back", item_id=None, before=None,
                         after=None, detail={})
        s.commit()
    return ":wave: Welcome back: reminders come to you again." if ended else "You weren't marked as away."


def current(engine: Engine, actor: Actor, *, now: datetime) -> tuple[str, date] | None:
    """(delegate's Slack id, last day) of the actor's absence in force, for App Home; None when they are in."""
    with Session(engine) as s:
        row = delegation.mine(s, actor, now)
        delegate = s.get(User, row.delegate_id) if row is not None else None
        if row is None or delegate is None:
            return None
        return delegate.slack_user_id or delegate.name, row.until

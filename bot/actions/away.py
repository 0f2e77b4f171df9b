"""Out of office: `/ledgerlink away @delegate until <date>`, `/ledgerlink back` (rules: core/domain/delegation)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.domain import audit, delegation
from core.domain.errors import InvalidInput
from core.domain.permissions import Actor
from core.models import User


def away(engine: Engine, actor: Actor, *, delegate_slack_id: str, until: date, today: date) -> str:
    """Start the actor's absence; the answer names the delegate and the last day."""
    with Session(engine, expire_on_commit=False) as s:
        delegate = s.exec(select(User).where(User.tenant_id == actor.tenant_id,
                                             User.slack_user_id == delegate_slack_id)).first()
        if delegate is None:
            raise InvalidInput(f"<@{delegate_slack_id}> has no Ledgerlink access yet; ask an admin to "
                               "`/ledgerlink grant` them first.")
        row = delegation.away(s, actor, delegate, until, today)
        audit.record(s, tenant_id=row.tenant_id, actor=actor, action="away", item_id=None, before=None, after=None,
                     detail={"delegate": delegate.name, "delegate_id": delegate.id, "until": until.isoformat()})
        s.commit()
        rights = "" if delegate.can_push_to_accounting else (
            f" Note: {delegate.name or 'they'} can't accept items themselves, so they will see the reminders only.")
    return (f":palm_tree: You're away until {until:%b} {until.day}, {until.year}. <@{delegate_slack_id}> gets your "
            f"reminders and escalations and may decide in your place.{rights} `/ledgerlink back` ends it early.")


def back(engine: Engine, actor: Actor, *, today: date) -> str:
    with Session(engine) as s:
        ended = delegation.back(s, actor, today)
        if ended:
            audit.record(s, tenant_id=actor.tenant_id or 0, actor=actor, action="back", item_id=None, before=None,
                         after=None, detail={})
        s.commit()
    return ":wave: Welcome back: reminders come to you again." if ended else "You weren't marked as away."

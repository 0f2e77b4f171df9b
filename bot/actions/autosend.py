"""Sending what auto-send queued (sync/autosend.py), in the worker, through the same `send.send` a person's
click runs: the item is re-read from Procore and checked, the approval card is posted and the sender gets the
receipt DM.

The sender is the Procore user who made the change (the webhook's `user_id`): their e-mail (Procore's company
users endpoint) finds our user, or their Slack account (users.lookupByEmail). They are the item's sender — so they
can't approve it themselves and they hear about a rejection — and the admin's auto-send setting is what
authorises the send, whatever their own ERP permission. Someone with no Slack account is named instead: the card
and App Home say "Sent by (Procore) Jane Roe". Without a webhook (a poll found the change) the sender is unknown.

Each queued row is claimed with a compare-and-set (pending → sending), so two workers never send it twice; a
crash mid-send leaves it `sending`, taken up again after `STALE_CLAIM` (the send itself refuses an item that
already left "ready to export").
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, update
from sqlmodel import Session, select

from bot.actions import common, resend, send
from bot.identity import user_for_procore
from bot.notify import Notifier
from bot.services.runtime import Services
from core.domain.autosend import SENDABLE_STATES
from core.domain.errors import DomainError
from core.domain.permissions import Actor, Level
from core.domain.states import ItemState
from core.domain.workflow import Workflow, actor_for_user
from core.models import AutoSend, Item, User, utcnow
from sync.services.companies import company_item

logger = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 3
UNKNOWN_SENDER = "Ledgerlink auto-send"
FINAL = ("sent", "skipped", "failed")


@dataclass(frozen=True)
class Sender:
    actor: Actor
    user_id: int | None
    label: str  # how the card names the sender


def services_for(runtime: Any) -> Services | None:
    """The Slack services a worker `Runtime` can send with; None when Slack is not configured."""
    notifier = runtime.notifier
    if not isinstance(notifier, Notifier):
        return None
    return Services(engine=runtime.engine, settings=runtime.settings, notifier=notifier, links=notifier.links,
                    workflow=Workflow(runtime.engine), context_for=runtime.context_for)


def process_in_worker(runtime: Any, tenant_id: int) -> Counter[str]:
    """`process` with the worker's notifier; without Slack the queued sends are skipped (nobody would see the
    cards), and said so, rather than piling up to go out all at once later."""
    svc = services_for(runtime)
    if svc is not None:
        return process(svc, tenant_id)
    done: Counter[str] = Counter()
    for row_id in pending_ids_of(runtime.engine, tenant_id):
        done[_finish(runtime.engine, row_id, "skipped", "Slack is not configured, so there is no approval card")] += 1
    return done


def pending_ids_of(engine: Engine, tenant_id: int, *, limit: int = 50) -> list[int]:
    stale = utcnow() - STALE_CLAIM
    with Session(engine) as s:
        return list(s.exec(select(AutoSend.id).where(AutoSend.tenant_id == tenant_id, or_(
            AutoSend.state == "pending", and_(AutoSend.state == "sending", AutoSend.claimed_at < stale)))
            .order_by(AutoSend.id).limit(limit)))  # type: ignore[arg-type]


def process(svc: Services, tenant_id: int, *, limit: int = 50) -> Counter[str]:
    """Send the tenant's queued auto-sends; how many ended sent / skipped / failed / retry."""
    done: Counter[str] = Counter()
    for row_id in pending_ids_of(svc.engine, tenant_id, limit=limit):
        row = _claim(svc, row_id)
        if row is not None:
            done[_send(svc, row)] += 1
    if done:
        logger.info("auto-send for tenant %s: %s", tenant_id, dict(done))
    return done


def _claim(svc: Services, row_id: int) -> AutoSend | None:
    now, stale = utcnow(), utcnow() - STALE_CLAIM
    with Session(svc.engine, expire_on_commit=False) as s:
        won = s.execute(update(AutoSend).where(AutoSend.id == row_id, or_(  # type: ignore[arg-type]
            AutoSend.state == "pending", and_(AutoSend.state == "sending", AutoSend.claimed_at < stale)))
            .values(state="sending", claimed_at=now, attempts=AutoSend.attempts + 1)).rowcount == 1
        s.commit()
        return s.get(AutoSend, row_id) if won else None


def _finish(engine: Engine, row_id: int, state: str, note: str | None = None, **values: Any) -> str:
    with Session(engine) as s:
        s.execute(update(AutoSend).where(AutoSend.id == row_id).values(  # type: ignore[arg-type]
            state=state, note=note, done_at=utcnow() if state in FINAL else None, **values))
        s.commit()
    if state not in ("sent", "sending"):
        logger.info("auto-send %s %s: %s", row_id, state, note)
    return state


def _send(svc: Services, row: AutoSend) -> str:
    rid = int(row.id or 0)

    def end(state: str, note: str | None = None, **values: Any) -> str:
        return _finish(svc.engine, rid, state, note, **values)

    try:
        ctx = svc.context_for(row.tenant_id) if svc.context_for is not None else None
        item = _item(svc, ctx, row)
        if item.state not in SENDABLE_STATES:
            return end("skipped", f"it was already {item.state.replace('_', ' ')}", item_id=item.id)
        sender = resolve_sender(svc, ctx, row)
        # the card drawn during the send reads who sent it from this row (bot/cardview.py)
        end("sending", item_id=item.id, round=item.round + 1, sender_id=sender.user_id, sender_label=sender.label)
        do_send = resend.resend if item.state == ItemState.REJECTED else send.send
        outcome = do_send(svc, int(item.id or 0), sender.actor)
    except common.CardNotPosted as exc:
        return end("failed", exc.sentence)
    except DomainError as exc:  # can't be sent (blocked, wrong status in Procore, already linked…): say why
        return end("skipped", common.sentence_of(exc))
    except common.SENTENCE_ERRORS as exc:
        return end("failed", common.sentence_of(exc))
    except Exception as exc:  # Procore or Slack unreachable…: try again on the next round, a few times
        logger.exception("auto-send %s failed", rid)
        return end("failed" if row.attempts >= MAX_ATTEMPTS else "pending", f"{type(exc).__name__}: {exc}"[:500])
    return end("sent", round=outcome.item.round)


def _item(svc: Services, ctx: Any, row: AutoSend) -> Item:
    if row.item_id is None and row.item_type == "company":  # a new Procore company: its item is made now

        if ctx is None:
            raise DomainError("Procore is not connected, so the new company can't be read.")
        return company_item(ctx, procore_vendor_id=row.procore_id)
    with Session(svc.engine, expire_on_commit=False) as s:
        item = s.get(Item, row.item_id)
    if item is None:
        raise DomainError(f"item {row.item_id} no longer exists")
    return item


def resolve_sender(svc: Services, ctx: Any, row: AutoSend) -> Sender:
    """Who sends: the Procore user behind the change, as our user (found by Procore id or e-mail, or through
    Slack), or named as '(Procore) Jane Roe' when they have no Slack account."""
    if row.procore_user_id is None:
        return _named(row.tenant_id, UNKNOWN_SENDER)
    name, email = f"Procore user {row.procore_user_id}", None
    with Session(svc.engine) as s:
        known = s.exec(select(User).where(User.tenant_id == row.tenant_id,
                                          User.procore_user_id == row.procore_user_id)).first()
    if known is None and ctx is not None:
        try:
            person = ctx.procore.get_company_user(user_id=row.procore_user_id)
            name, email = person.name or name, person.email_address
        except Exception as exc:  # noqa: BLE001 - the send goes on with the id as the name
            logger.warning("Procore user %s not read: %s", row.procore_user_id, exc)
    user = known or user_for_procore(svc.engine, svc.notifier.client_for(row.tenant_id), row.tenant_id,
                                     procore_user_id=row.procore_user_id, name=name, email=email)
    if user is None:
        return _named(row.tenant_id, f"(Procore) {name}")
    actor = actor_for_user(user)
    # the admin's auto-send setting authorises the send; the person is who it is attributed to
    actor = replace(actor, level=max(actor.level, Level.STANDARD))
    return Sender(actor=actor, user_id=user.id, label=user.name or user.email or name)


def _named(tenant_id: int, label: str) -> Sender:
    return Sender(actor=Actor(user_id=None, name=label[:200], level=Level.ADMIN, tenant_id=tenant_id),
                  user_id=None, label=label[:200])


"""What the worker's scheduled notification tasks do, through a `Notifier`: the daily digest, reminders and
escalation of items waiting for acceptance, the token check that asks admins to re-authorise, and the notices
from audit and paid-sync events (`pump_events`, which also keeps the daily ready posts current), and the daily
"ready to export" channel post. `bot.worker.Runtime` runs them (it is a `NotificationTasks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.notify import build_notifier
from bot.scheduler import SchedulerConfig, as_utc, settings_of
from bot.services import ready_post, weekly
from core.domain import delegation
from core.domain.permissions import Level
from core.domain.states import ItemState, ItemType
from core.models import AuditEvent, Connection, Decision, Item, Tenant, User
from sync import events
from sync.jobs.base import cursor

logger = logging.getLogger(__name__)


# --- notifications ------------------------------------------------------------------------------------------
class Notifier(Protocol):
    """Where the worker's messages go. bot/notify.py (Slack) implements it; `LoggingNotifier` is the default.
    Every method may raise: the caller logs the error and carries on with the next message."""

    def notify_digest(self, tenant: Tenant, user: User, items: list[Item]) -> None:
        """The daily digest for one approver: items awaiting acceptance that they can decide."""

    def notify_reminder(self, tenant: Tenant, channel: str, items: list[Item]) -> None:
        """Items waiting longer than the tenant's reminder_after_hours, to the approvers' channel."""

    def notify_escalation(self, tenant: Tenant, channel: str | None, approvers: list[User],
                          items: list[Item]) -> None:
        """Items waiting longer than escalate_after_hours: to escalation_channel, or (None) to each approver."""

    def notify_reauth(self, tenant: Tenant, admins: list[User], connection: Connection, problem: str) -> None:
        """A connection needs re-authorising now or soon; `problem` says what and what to do."""

    def notify_rejected(self, tenant: Tenant, item: Item, recipient: User | None, reason: str,
                        rejected_by: str) -> None:
        """An item was rejected: tell its sender (for commitments and change orders: its creator)."""

    def notify_failed(self, tenant: Tenant, item: Item, error: str) -> None:
        """An export failed for good: tell the approvers (the card already shows Retry)."""

    def notify_paid(self, tenant: Tenant, event: Any) -> None:
        """A payment was recorded or reversed (`sync.events.PaymentEvent`: `.text()`, `.channel`, …)."""

    def refresh_cards(self, items: list[Item]) -> None:
        """These items changed state without a person clicking (export done/failed, paid): redraw their cards."""

    def waiting_for_database(self, items: list[Item]) -> None:
        """These items' exports ran but the database could not record it (unreachable): say so on their cards,
        from the items as given (the database must not be used); `refresh_cards` follows once it is recorded."""


class LoggingNotifier:
    """Writes each notification to the log: the worker runs, and shows what it would say, without Slack."""

    log = logging.getLogger("ledgerlink.notify")

    def notify_digest(self, tenant: Tenant, user: User, items: list[Item]) -> None:
        self.log.info("digest to %s (%s): %d item(s) awaiting acceptance: %s", user.name or user.email,
                      tenant.name, len(items), _titles(items))

    def notify_reminder(self, tenant: Tenant, channel: str, items: list[Item]) -> None:
        self.log.info("reminder to %s (%s): still awaiting acceptance: %s", channel, tenant.name, _titles(items))

    def notify_escalation(self, tenant: Tenant, channel: str | None, approvers: list[User],
                          items: list[Item]) -> None:
        where = channel or ", ".join(u.name or str(u.id) for u in approvers) or "nobody (no approvers)"
        self.log.warning("escalation to %s (%s): waiting too long: %s", where, tenant.name, _titles(items))

    def notify_reauth(self, tenant: Tenant, admins: list[User], connection: Connection, problem: str) -> None:
        self.log.warning("re-authorisation needed (%s, %s connection) — to %s: %s", tenant.name,
                         connection.provider, ", ".join(u.name or str(u.id) for u in admins) or "no admins", problem)

    def notify_rejected(self, tenant: Tenant, item: Item, recipient: User | None, reason: str,
                        rejected_by: str) -> None:
        who = recipient.name if recipient else "nobody (no sender)"
        self.log.info("rejected (%s): %s by %s — to %s: %s", tenant.name, item.title, rejected_by, who, reason)

    def notify_failed(self, tenant: Tenant, item: Item, error: str) -> None:
        self.log.warning("export failed (%s): %s: %s", tenant.name, item.title, error)

    def notify_paid(self, tenant: Tenant, event: Any) -> None:
        self.log.info("paid notice (%s) to %s: %s", tenant.name, getattr(event, "channel", None),
                      event.text() if hasattr(event, "text") else event)

    def refresh_cards(self, items: list[Item]) -> None:
        if items:
            self.log.info("cards to refresh: %s", ", ".join(f"{i.title} → {i.state}" for i in items))

    def waiting_for_database(self, items: list[Item]) -> None:
        if items:
            self.log.info("cards waiting for the database: %s", _titles(items))


def _titles(items: Iterable[Item], limit: int = 10) -> str:
    items = list(items)
    shown = ", ".join(i.title or f"item {i.id}" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def load_notifier(settings: Any, engine: Engine) -> Notifier:
    """The Slack app's notifier (`bot.notify.build_notifier`) when Slack is configured, else the log."""
    notifier = build_notifier(settings, engine) if settings is not None else None
    if notifier is None:
        logger.info("Slack is not configured: notifications go to the log")
        return LoggingNotifier()
    return notifier


# --- tasks (each runs for one tenant; see bot.scheduler.TASKS) ------------------------------------------------
class NotificationTasks:
    """The notification tasks of `bot.worker.Runtime` (which gives them engine, config, notifier, clock, tokens)."""

    engine: Engine
    config: SchedulerConfig
    notifier: Notifier
    clock: Callable[[], datetime]
    tokens: Callable[[], Any]

    def pump(self, tenant_id: int) -> int:
        """The tenant's new audit events as notifications (`pump_events`)."""
        return pump_events(self, tenant_id)

    def notify(self, what: str, call: Callable[[], None]) -> bool:
        try:
            call()
            return True
        except Exception:
            logger.exception("notification failed: %s", what)
            return False

    def task_digest(self, tenant_id: int) -> int:
        """Each approver who has not opted out gets the items awaiting acceptance that they can decide."""
        with Session(self.engine, expire_on_commit=False) as s:
            tenant = s.get(Tenant, tenant_id)
            if tenant is None:
                return 0
            waiting = list(s.exec(select(Item).where(Item.tenant_id == tenant_id,
                                                     Item.state == ItemState.AWAITING_ACCEPTANCE.value)
                                  .order_by(Item.sent_at, Item.id)))
            if not waiting:
                return 0
            rounds = {i.id: i.round for i in waiting}
            decisions = s.exec(select(Decision).where(Decision.item_id.in_(rounds)))  # type: ignore[attr-defined]
            decided = {(d.item_id, d.user_id) for d in decisions if rounds[d.item_id] == d.round}
            # an away approver's digest goes to their delegate, merged with the delegate's own
            stand_in = delegation.stand_ins(s, tenant_id, self.clock())
            digests: dict[int, tuple[User, list[Item]]] = {}
            for user in _approvers(s, tenant_id):
                target = s.get(User, stand_in[user.id]) if user.id in stand_in else user
                if target is None or target.digest_opt_out:
                    continue
                mine = [i for i in waiting if i.sender_id != user.id and (i.id, user.id) not in decided
                        and i.sender_id != target.id]
                have = digests.setdefault(target.id, (target, []))[1]  # type: ignore[arg-type]
                have.extend(i for i in mine if i not in have)
            sent = 0
            for user, mine in digests.values():
                mine.sort(key=waiting.index)
                if mine and self.notify(f"digest to user {user.id}",
                                         lambda u=user, m=mine: self.notifier.notify_digest(tenant, u, m)):
                    sent += 1
            logger.info("digest for tenant %s: %d approver(s), %d item(s) waiting", tenant_id, sent, len(waiting))
            return sent

    def task_ready_post(self, tenant_id: int) -> int:
        """The daily channel post of items that became ready to export (bot/services/ready_post.py); how many
        messages it posted or extended. Slack only: without it there is nothing to keep up to date."""
        if not hasattr(self.notifier, "client_for"):
            logger.info("ready post for tenant %s skipped: Slack is not configured", tenant_id)
            return 0

        return len(ready_post.post_daily(self.engine, self.notifier, tenant_id, now=self.clock()))

    def task_weekly_digest(self, tenant_id: int) -> str | None:
        """Mondays: the chart of the week that ended, shared in the approvers' channel (bot/services/weekly.py);
        the shared file's id. Slack only: without it there is nowhere to upload a picture."""
        if not hasattr(self.notifier, "client_for"):
            logger.info("weekly digest for tenant %s skipped: Slack is not configured", tenant_id)
            return None
        shared = weekly.post(self.engine, self.notifier.client_for(tenant_id), tenant_id, now=self.clock(),
                             previous=True)
        return shared.file_id if shared else None

    def task_reminders(self, tenant_id: int) -> dict[str, int]:
        """Items whose wait crossed a multiple of N hours since the last check get a reminder in the approvers'
        channel; those that crossed M hours are escalated once. Stateless per item: the check's own cursor row
        (its last run) bounds the window, so a check that was missed still sends what fell inside it."""
        now = self.clock()
        hour = timedelta(seconds=self.config.hour)
        with Session(self.engine, expire_on_commit=False) as s:
            tenant = s.get(Tenant, tenant_id)
            if tenant is None:
                return {}
            ts = settings_of(s, tenant_id)
            cur = cursor(s, tenant_id, "reminders")
            since = as_utc(cur.last_run_at) if cur.last_run_at else now - timedelta(seconds=self.config.reminder_check)
            remind_every = hour * ts.reminder_after_hours if ts.reminder_after_hours > 0 else None
            escalate_at = hour * ts.escalate_after_hours if ts.escalate_after_hours > 0 else None
            waiting = list(s.exec(select(Item).where(Item.tenant_id == tenant_id,
                                                     Item.state == ItemState.AWAITING_ACCEPTANCE.value,
                                                     Item.sent_at.is_not(None))  # type: ignore[union-attr]
                                  .order_by(Item.sent_at, Item.id)))
            remind, escalate = [], []
            for item in waiting:
                before, after = since - as_utc(item.sent_at), now - as_utc(item.sent_at)
                if escalate_at is not None and before < escalate_at <= after:
                    escalate.append(item)
                elif remind_every is not None and after >= remind_every and (
                        _crossings(after, remind_every) > _crossings(before, remind_every)):
                    remind.append(item)
            # an approver who is away is replaced by their delegate (core/domain/delegation.py)
            approvers = delegation.recipients(s, tenant_id, _approvers(s, tenant_id), now) if escalate else []
            cur.last_run_at, cur.last_status = now, "ok"
            cur.last_stats = {"reminded": len(remind), "escalated": len(escalate)}
            s.add(cur)
            s.commit()
        if remind:
            self.notify("reminder", lambda: self.notifier.notify_reminder(tenant, ts.approvers_channel, remind))
        if escalate:
            self.notify("escalation", lambda: self.notifier.notify_escalation(
                tenant, ts.escalation_channel, approvers, escalate))
        if remind or escalate:
            logger.info("reminders for tenant %s: %d reminded, %d escalated", tenant_id, len(remind), len(escalate))
        return {"reminded": len(remind), "escalated": len(escalate)}

    def task_token_health(self, tenant_id: int) -> list[str]:
        """Connections that need re-authorising, or whose refresh token expires soon, are announced to the
        admins (once, then again each `renotify` while unsolved). A token near expiry is first renewed with a
        refresh where the provider rotates refresh tokens; only if that does not help is anyone told."""
        now = self.clock()
        warn = timedelta(days=self.config.token_warn_days)
        told = []
        with Session(self.engine, expire_on_commit=False) as s:
            conns = list(s.exec(select(Connection).where(Connection.tenant_id == tenant_id,
                                                         Connection.status != "revoked")))
        for conn in conns:
            if conn.status == "active" and _near(conn.refresh_expires_at, now, warn):
                conn = self._try_renew(conn) or conn
            problem = _token_problem(conn, now, warn)
            if problem is None:
                continue
            with Session(self.engine, expire_on_commit=False) as s:
                tenant = s.get(Tenant, tenant_id)
                mark = cursor(s, tenant_id, f"token-health:{conn.provider}")
                signature = f"{conn.status}|{conn.refresh_expires_at}"[:64]
                last = as_utc(mark.last_run_at) if mark.last_run_at else None
                if mark.cursor == signature and last and now - last < timedelta(seconds=self.config.renotify):
                    continue
                admins = [u for u in s.exec(select(User).where(User.tenant_id == tenant_id,
                                                               User.permission == Level.ADMIN.db_value))]
                if not self.notify(f"reauth {conn.provider}", lambda c=conn, a=admins, p=problem, t=tenant:
                                    self.notifier.notify_reauth(t, a, c, p)):
                    continue
                mark.cursor, mark.last_run_at, mark.last_status, mark.last_error = signature, now, "told", problem
                s.add(mark)
                s.commit()
                told.append(conn.provider)
        return told

    def _try_renew(self, conn: Connection) -> Connection | None:
        store = self.tokens()
        if store is None or conn.provider not in getattr(store, "refreshers", {}):
            return None
        try:
            store.access_token(conn.id, rejected=store.current_tokens(conn.id).access_token)
        except Exception as exc:  # noqa: BLE001 - the connection row now says what happened
            logger.warning("token check: renewing %s connection %s failed: %s", conn.provider, conn.id, exc)
        with Session(self.engine, expire_on_commit=False) as s:
            return s.get(Connection, conn.id)


def _approvers(s: Session, tenant_id: int) -> list[User]:
    return list(s.exec(select(User).where(
        User.tenant_id == tenant_id, User.can_push_to_accounting.is_(True),  # type: ignore[attr-defined]
        User.permission.in_([Level.STANDARD.db_value, Level.ADMIN.db_value]))  # type: ignore[attr-defined]
        .order_by(User.id)))


def _crossings(age: timedelta, every: timedelta) -> int:
    return int(age / every) if age > timedelta(0) else 0


def _near(expires: datetime | None, now: datetime, within: timedelta) -> bool:
    return expires is not None and as_utc(expires) - now < within


def _token_problem(conn: Connection, now: datetime, warn: timedelta) -> str | None:
    label = {"qbo": "QuickBooks", "procore": "Procore"}.get(conn.provider, conn.provider)
    fix = f"an admin can run `/ledgerlink connect {conn.provider}`"
    if conn.status != "active":
        return f"The {label} connection needs to be re-authorised ({conn.status_detail or conn.status}): {fix}."
    if _near(conn.refresh_expires_at, now, warn):
        when = as_utc(conn.refresh_expires_at).strftime("%Y-%m-%d")  # type: ignore[arg-type]
        if as_utc(conn.refresh_expires_at) <= now:  # type: ignore[arg-type]
            return f"Ledgerlink's {label} sign-in expired on {when}, so syncing has stopped: {fix}."
        return f"Ledgerlink's {label} sign-in expires on {when}; syncing stops then unless {fix[3:]} before."
    return None



EVENT_CONSUMER = "notifier"  # SyncCursor "events:notifier": rejections, failures, paid/unpaid card refreshes
PAYMENT_CONSUMER = "slack"  # sync.events' consumer name for the channel notices of payments
CREATOR_TYPES = {ItemType.COMMITMENT.value, ItemType.CCO.value, ItemType.PCCO.value}


def pump_events(runtime: NotificationTasks, tenant_id: int) -> int:
    """Turn the tenant's new audit events into notifications: rejections (to the sender, or the creator for
    commitments and change orders), failed exports (whichever process ran them), card refreshes of items paid
    sync moved, and the paid notices it records (`sync.events`). The Slack handlers may already have sent a
    rejection DM or failure notice at once; bot/notify.py sends each only once.
    Each kind keeps its own cursor; an event is announced at least once (a crash may repeat the last few)."""
    sent = 0
    settle = runtime.clock() - timedelta(seconds=runtime.config.event_settle)
    with Session(runtime.engine, expire_on_commit=False) as s:
        tenant = s.get(Tenant, tenant_id)
        if tenant is None:
            return 0
        cur = cursor(s, tenant_id, f"events:{EVENT_CONSUMER}")
        if cur.cursor is None:  # first run: start from now, never replay history
            top = s.exec(select(func.max(AuditEvent.id)).where(AuditEvent.tenant_id == tenant_id)).one()
            cur.cursor = str(top or 0)
            s.add(cur)
            newest = events.recent(s, tenant_id, limit=1)
            if newest:
                events.acknowledge(s, tenant_id, newest[0].id, consumer=PAYMENT_CONSUMER)
            s.commit()
            return 0
        rows = list(s.exec(select(AuditEvent).where(
            AuditEvent.tenant_id == tenant_id, AuditEvent.id > int(cur.cursor),
            AuditEvent.action.in_(("reject", "mark_failed", "mark_paid", "reverse_payment")))  # type: ignore[attr-defined]
            .order_by(AuditEvent.id).limit(200)))
        last = int(cur.cursor)
        refresh: list[Item] = []
        for ev in rows:
            if as_utc(ev.created_at) > settle:
                break  # a younger event may still have a lower id uncommitted: next round
            last = ev.id  # type: ignore[assignment]
            item = s.get(Item, ev.item_id) if ev.item_id else None
            if item is None:
                continue
            if ev.action == "reject":
                to_id = item.creator_id if item.type in CREATOR_TYPES and item.creator_id else item.sender_id
                recipient = s.get(User, to_id) if to_id else None
                reason = (ev.detail or {}).get("reason") or item.reject_reason or ""
                sent += runtime.notify(f"rejection of item {item.id}", lambda i=item, r=recipient, why=reason,
                                        by=ev.actor_label: runtime.notifier.notify_rejected(tenant, i, r, why, by))
            elif ev.action == "mark_failed":
                error = (ev.detail or {}).get("error") or item.last_error or ""
                sent += runtime.notify(f"failure of item {item.id}",
                                       lambda i=item, e=error: runtime.notifier.notify_failed(tenant, i, e))
            else:  # paid / unpaid: the channel notice comes from sync.events below; the card changes colour
                refresh.append(item)
        cur.cursor = str(last)
        s.add(cur)
        s.commit()
    if refresh:
        runtime.notify("card refresh", lambda: runtime.notifier.refresh_cards(refresh))
    return sent + _pump_payment_events(runtime, tenant) + _refresh_ready_posts(runtime, tenant_id)


def _refresh_ready_posts(runtime: NotificationTasks, tenant_id: int) -> int:
    """Redraw the daily ready posts whose items moved on (bot/services/ready_post.py): same message, in place."""
    if not hasattr(runtime.notifier, "client_for"):
        return 0

    try:
        return ready_post.refresh(runtime.engine, runtime.notifier, tenant_id, now=runtime.clock())
    except Exception:
        logger.exception("refreshing the ready posts of tenant %s failed", tenant_id)
        return 0


def _pump_payment_events(runtime: NotificationTasks, tenant: Tenant) -> int:
    sent = 0
    with Session(runtime.engine, expire_on_commit=False) as s:
        pending = events.pending(s, tenant.id, consumer=PAYMENT_CONSUMER)
        s.commit()  # (its cursor row may be new) no transaction stays open while Slack is called: on SQLite the
        # notice's card redraw writes too, and would wait on our own write lock until the busy timeout
    for event in pending:
        runtime.notify(f"paid notice {event.id}", lambda e=event: runtime.notifier.notify_paid(tenant, e))
        with Session(runtime.engine) as s:
            events.acknowledge(s, tenant.id, event.id, consumer=PAYMENT_CONSUMER)
            s.commit()
        sent += 1
    return sent

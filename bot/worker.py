"""`ledgerlink worker`: the outbox drain in every worker, the scheduler in the one that leads, and what the
scheduled tasks do (digest, reminders, token check, notifications from audit events) through a `Notifier`.

Why the outbox drain runs in *every* worker while scheduled jobs run only in the leader: an outbox claim is
already exclusive (`FOR UPDATE SKIP LOCKED` / one atomic `UPDATE … RETURNING`) and a result is recorded only by
the claim's holder, so N workers export N times faster and an export never waits for a failover. A scheduled
job has no such guard — two paid syncs at once would both read QBO and both notify — so only the leader
(bot/leader.py) runs the scheduler.

Stopping (SIGTERM or Ctrl-C): the scheduler stops taking jobs and waits for the running ones, the outbox loop
finishes the entries it has claimed, the leader lock is released (a follower takes over at once), and every
thread this module started is joined.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.domain.permissions import Level
from bot.domain.states import ItemState, ItemType
from bot.models import AuditEvent, Connection, Decision, Item, OutboxEntry, Tenant, User, utcnow
from bot.scheduler import TASKS, Scheduler, SchedulerConfig, as_utc, settings_of

logger = logging.getLogger(__name__)

EXTRA_JOBS_ENV = "LEDGERLINK_EXTRA_JOBS"  # "module:Class,…": more sync job classes to register (tests, plugins)


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


def _titles(items: Iterable[Item], limit: int = 10) -> str:
    items = list(items)
    shown = ", ".join(i.title or f"item {i.id}" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def load_notifier(settings: Any, engine: Engine) -> Notifier:
    """The Slack app's notifier (`bot.notify.build_notifier`) when Slack is configured, else the log."""
    try:
        from bot.notify import build_notifier
    except ImportError:
        build_notifier = None
    notifier = build_notifier(settings, engine) if build_notifier is not None and settings is not None else None
    if notifier is None:
        logger.info("Slack is not configured: notifications go to the log")
        return LoggingNotifier()
    return notifier


# --- the runtime the persisted jobs find ------------------------------------------------------------------------
class Runtime:
    """What a job run needs in this process: database, settings, tenant contexts, notifier, leadership."""

    def __init__(self, engine: Engine, settings: Any, *, config: SchedulerConfig | None = None,
                 notifier: Notifier | None = None, is_leader: Callable[[], bool] = lambda: True,
                 context_for: Callable[[int], Any] | None = None, tokens: Any = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.settings = settings
        self.config = config or SchedulerConfig()
        self.notifier: Notifier = notifier or LoggingNotifier()
        self.is_leader = is_leader
        self.clock = clock
        self._context_for = context_for
        self._tokens: Any = tokens
        self._tokens_made = tokens is not None
        self._locks: dict[tuple[int, str], threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def tokens(self) -> Any:
        """One token store for every tenant (None without LEDGERLINK_SECRET_KEY: contexts then say so)."""
        if not self._tokens_made:
            self._tokens_made = True
            if self.settings is not None and getattr(self.settings, "secret_key", None) is not None:
                from sync.context import token_store

                self._tokens = token_store(self.engine, self.settings)
        return self._tokens

    def context_for(self, tenant_id: int) -> Any:
        if self._context_for is not None:
            return self._context_for(tenant_id)
        from sync.context import TenantContext

        return TenantContext(engine=self.engine, tenant_id=tenant_id, settings=self.settings, tokens=self.tokens())

    def run(self, tenant_id: int, job_name: str) -> bool:
        """Run one job for one tenant, never twice at once in this process; True when it succeeded."""
        if not self.is_leader():
            logger.warning("%s for tenant %s not run: this worker is no longer the leader", job_name, tenant_id)
            return False
        with self._locks_guard:
            lock = self._locks[(tenant_id, job_name)]
        from bot.config import SettingsError
        from sync.context import NotConnected

        with lock:
            started = self.clock()
            try:
                if job_name in TASKS:
                    getattr(self, "task_" + job_name.replace("-", "_"))(tenant_id)
                else:
                    from sync.jobs.base import run_job

                    run_job(self.context_for(tenant_id), job_name)
            except (NotConnected, SettingsError) as exc:
                logger.info("%s for tenant %s skipped: %s", job_name, tenant_id, exc)
                return False
            except Exception:
                logger.exception("%s for tenant %s failed", job_name, tenant_id)
                return False
            logger.debug("%s for tenant %s done in %.1fs", job_name, tenant_id,
                         (self.clock() - started).total_seconds())
            return True

    def notify(self, what: str, call: Callable[[], None]) -> bool:
        try:
            call()
            return True
        except Exception:
            logger.exception("notification failed: %s", what)
            return False

    # --- tasks (each runs for one tenant; see TASKS) -----------------------------------------------------------
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
            sent = 0
            for user in _approvers(s, tenant_id):
                if user.digest_opt_out:
                    continue
                mine = [i for i in waiting if i.sender_id != user.id and (i.id, user.id) not in decided]
                if mine and self.notify(f"digest to user {user.id}",
                                         lambda u=user, m=mine: self.notifier.notify_digest(tenant, u, m)):
                    sent += 1
            logger.info("digest for tenant %s: %d approver(s), %d item(s) waiting", tenant_id, sent, len(waiting))
            return sent

    def task_reminders(self, tenant_id: int) -> dict[str, int]:
        """Items whose wait crossed a multiple of N hours since the last check get a reminder in the approvers'
        channel; those that crossed M hours are escalated once. Stateless per item: the check's own cursor row
        (its last run) bounds the window, so a check that was missed still sends what fell inside it."""
        from sync.jobs.base import cursor

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
            approvers = _approvers(s, tenant_id) if escalate else []
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
        from sync.jobs.base import cursor

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


def pump_events(runtime: Runtime, tenant_id: int) -> int:
    """Turn the tenant's new audit events into notifications: rejections (to the sender, or the creator for
    commitments and change orders), failed exports (whichever process ran them), card refreshes of items paid
    sync moved, and the paid notices it records (`sync.events`). The Slack handlers may already have sent a
    rejection DM or failure notice at once; bot/notify.py sends each only once.
    Each kind keeps its own cursor; an event is announced at least once (a crash may repeat the last few)."""
    from sync.jobs.base import cursor

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
            events = _payment_events()
            newest = events.recent(s, tenant_id, limit=1) if events else []
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
    return sent + _pump_payment_events(runtime, tenant)


def _payment_events() -> Any:
    try:
        from sync import events
    except ImportError:  # paid sync's notices not there yet
        return None
    return events


def _pump_payment_events(runtime: Runtime, tenant: Tenant) -> int:
    events = _payment_events()
    if events is None:
        return 0
    sent = 0
    with Session(runtime.engine, expire_on_commit=False) as s:
        for event in events.pending(s, tenant.id, consumer=PAYMENT_CONSUMER):
            runtime.notify(f"paid notice {event.id}", lambda e=event: runtime.notifier.notify_paid(tenant, e))
            events.acknowledge(s, tenant.id, event.id, consumer=PAYMENT_CONSUMER)
            sent += 1
        s.commit()
    return sent


# --- the process -------------------------------------------------------------------------------------------------
def register_extra_jobs(spec: str | None = None) -> list[str]:
    """Register the job classes named in LEDGERLINK_EXTRA_JOBS ("package.module:Class,…")."""
    from sync.jobs.base import register

    names = []
    for ref in filter(None, (p.strip() for p in (spec if spec is not None else os.environ.get(EXTRA_JOBS_ENV, ""))
                             .split(","))):
        module, _, attr = ref.partition(":")
        cls = getattr(importlib.import_module(module), attr)
        register(cls)
        names.append(cls.name)
    return names


class OutboxLoop:
    """Drains the outbox every `config.outbox` seconds, then asks the notifier to redraw the cards of the items
    whose exports it ran (synced, failed or retrying)."""

    def __init__(self, runtime: Runtime, stop: threading.Event, worker_id: str) -> None:
        self.runtime = runtime
        self.stop = stop
        self.worker_id = worker_id
        self._outbox: Any = None

    def outbox(self) -> Any:
        if self._outbox is None:
            from sync.operations import build_operations
            from sync.outbox import Outbox

            self._outbox = Outbox(self.runtime.engine, build_operations(self.runtime.context_for),
                                  worker_id=self.worker_id)
        return self._outbox

    def run(self) -> None:
        while not self.stop.wait(self.runtime.config.outbox):
            try:
                self.drain()
            except Exception:
                logger.exception("outbox round failed; trying again in %gs", self.runtime.config.outbox)

    def drain(self) -> int:
        """Claim and run due entries until none are left (or we are stopping); returns how many ran."""
        outbox, ran = self.outbox(), []
        while not self.stop.is_set():
            ids = outbox.claim(self.runtime.config.outbox_batch)
            if not ids:
                break
            for entry_id in ids:  # all of them, even when stopping: a claim left behind waits for its timeout
                try:
                    outbox.run(entry_id)
                except Exception:
                    logger.exception("outbox entry %s: unexpected error; it is retried once its claim times out",
                                     entry_id)
                ran.append(entry_id)
        if ran:
            with Session(self.runtime.engine, expire_on_commit=False) as s:
                item_ids = set(s.exec(select(OutboxEntry.item_id).where(
                    OutboxEntry.id.in_(ran), OutboxEntry.item_id.is_not(None))))  # type: ignore[union-attr]
                items = list(s.exec(select(Item).where(Item.id.in_(item_ids),  # type: ignore[union-attr]
                                                       Item.card_ts.is_not(None))))  # type: ignore[union-attr]
            if items:  # at once, from the worker that ran them (a failure notice follows from the audit log)
                self.runtime.notify("card refresh", lambda: self.runtime.notifier.refresh_cards(items))
        return len(ran)


class Worker:
    """One `ledgerlink worker`: an outbox thread, and a leader thread that runs the scheduler while it leads."""

    def __init__(self, settings: Any, *, engine: Engine | None = None, config: SchedulerConfig | None = None,
                 notifier: Notifier | None = None, worker_id: str | None = None) -> None:
        from bot.db import engine_for
        from bot.leader import leadership_for
        from sync.outbox import default_worker_id

        self.config = config or SchedulerConfig.from_env()
        self.engine = engine or engine_for(settings.database_url)
        self.worker_id = worker_id or default_worker_id()
        self.leadership = leadership_for(self.engine, settings.database_url, self.worker_id,
                                         kind=self.config.leader_lock, lease=timedelta(seconds=self.config.lease))
        self.runtime = Runtime(self.engine, settings, config=self.config,
                               notifier=notifier or load_notifier(settings, self.engine),
                               is_leader=self.leadership.confirm)
        self.stopping = threading.Event()
        self.scheduler: Scheduler | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        extra = register_extra_jobs()
        if extra:
            logger.info("extra jobs registered: %s", ", ".join(extra))
        outbox = OutboxLoop(self.runtime, self.stopping, self.worker_id)
        self._threads = [threading.Thread(target=self._lead, name="ledgerlink-leader"),
                         threading.Thread(target=outbox.run, name="ledgerlink-outbox")]
        for t in self._threads:
            t.start()
        logger.info("worker %s started: outbox every %gs; the scheduler runs while this worker leads (%s)",
                    self.worker_id, self.config.outbox, type(self.leadership).__name__)

    def stop(self, timeout: float = 60) -> None:
        self.stopping.set()
        for t in self._threads:
            t.join(timeout)
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            logger.error("worker %s: threads still running after %gs: %s", self.worker_id, timeout, alive)
        else:
            logger.info("worker %s stopped", self.worker_id)

    @property
    def alive(self) -> bool:
        return all(t.is_alive() for t in self._threads)

    def _lead(self) -> None:
        waiting_logged = False
        try:
            while not self.stopping.is_set():
                if self.scheduler is None:
                    if not self.leadership.try_acquire():
                        if not waiting_logged:
                            logger.info("worker %s follows: another worker leads the scheduler; taking over if "
                                        "it stops", self.worker_id)
                            waiting_logged = True
                        self.stopping.wait(self.config.follower_poll)
                        continue
                    logger.info("worker %s leads: starting the scheduler", self.worker_id)
                    self.scheduler = Scheduler(self.runtime)
                    try:
                        self.scheduler.start()
                    except Exception:
                        logger.exception("the scheduler did not start; stepping down and trying again")
                        self._step_down(wait=False)
                        self.stopping.wait(self.config.follower_poll)
                        continue
                elif not self.leadership.confirm():
                    logger.error("worker %s lost the leadership; stopping its scheduler", self.worker_id)
                    self._step_down(wait=False)
                    waiting_logged = False
                    continue
                self.stopping.wait(self.config.heartbeat)
        except Exception:
            logger.exception("leader loop failed; this worker stops leading")
        finally:
            self._step_down(wait=True)
            close = getattr(self.leadership, "close", None)
            if close:
                close()

    def _step_down(self, *, wait: bool) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=wait)
            self.scheduler = None
        self.leadership.release()


def serve(settings: Any) -> int:
    """Run a worker until SIGTERM or Ctrl-C; 0 on a clean stop."""
    from bot.db import db_status, engine_for

    engine = engine_for(settings.database_url)
    status = db_status(engine)
    if not status.get("migrated"):
        logger.error("the database is not ready (%s): run `ledgerlink migrate` first",
                     status.get("error") or f"revision {status.get('revision')}")
        return 2
    worker = Worker(settings, engine=engine)

    def on_signal(signum: int, _frame: Any) -> None:
        logger.info("received %s; stopping", signal.Signals(signum).name)
        worker.stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    worker.start()
    while not worker.stopping.wait(1):
        if not worker.alive:
            logger.error("a worker thread died; stopping")
            break
    worker.stop()
    return 0

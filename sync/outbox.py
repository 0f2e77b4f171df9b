"""Exactly-once remote writes.

Every write to QBO or Procore is an `outbox` row made in the same transaction as the decision that asked
for it. Its `requestid` is derived once from (tenant, operation, record, version) and reused on every
attempt, so QBO's idempotency replays the first response instead of creating a second record.

Why this ends with exactly one remote record whatever crashes:
- crash before the call: the claim goes stale, another worker reclaims it and calls with the same requestid;
- crash after the remote commit, before ours: the retry first asks the operation to *reconcile* (look the
  record up by its natural key, for when QBO's replay window has passed), else replays the requestid;
- two workers on one row: claims are atomic (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one
  `UPDATE … RETURNING` on SQLite); a stale reclaim can make two calls, but with one requestid, and only the
  worker that still holds the claim may record the result (compare-and-set on `claimed_by`);
- the database unreachable when the outcome is recorded (or before it exists): the outcome is held in memory and
  recorded, or the claim released, as soon as the database answers (sync/held.py), not after the claim timeout.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import signal
import socket
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session
from sqlmodel import select as sm_select

from core import logctx, metrics
from core.db_outage import is_outage
from core.domain.permissions import SYSTEM
from core.domain.states import Action
from core.domain.workflow import Workflow
from core.models import Item, OutboxEntry, utcnow
from sync.held import HELD, Held, HeldOutcomes

logger = logging.getLogger(__name__)


#: Test only (tests/reliability/test_crash.py): a kill point's name ("before_call", "after_call", "before_commit",
#: "after_commit"); a worker that reaches it kills itself with SIGKILL, like a power cut there. Unset: inert.
CRASH_ENV = "LEDGERLINK_CRASH_AT"


def crash_point_from_env() -> Callable[[str], None] | None:
    """The kill point LEDGERLINK_CRASH_AT asks for, or None (the normal case)."""
    where = os.environ.get(CRASH_ENV)
    if not where:
        return None

    def crash(point: str) -> None:
        if point == where:
            logger.warning("%s=%s: killing this process (SIGKILL) at that point", CRASH_ENV, where)
            os.kill(os.getpid(), signal.SIGKILL)

    return crash


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker: new, or a retry due at next_attempt_at
    CLAIMED = "claimed"  # a worker is executing it; reclaimable once the claim is older than the timeout
    DONE = "done"  # the remote write happened; remote_id and result are recorded
    FAILED = "failed"  # the remote refused it for good (or attempts ran out); a person must act


@dataclass(frozen=True)
class RemoteResult:
    remote_id: str
    sync_token: str | None = None
    body: dict[str, Any] = field(default_factory=dict)
    summary: str = ""  # e.g. "Bill 2024-117" — shown on the card


class PermanentError(Exception):
    """The remote said no in a way retrying won't change; `sentence` is shown to people."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class RetryableError(Exception):
    """Worth trying again later (rate limit, 5xx, timeout, connection dropped)."""


class Operation(Protocol):
    """One kind of remote write (create_vendor, create_bill, …), registered by name."""

    def execute(self, entry: OutboxEntry) -> RemoteResult: ...

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        """Find the record a previous attempt may already have created (None when there is none)."""
        ...

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        """Record the result in our database (bind the link …), inside the outbox's transaction."""
        ...


OUTBOX = OutboxEntry.__table__  # type: ignore[attr-defined]


def make_requestid(tenant_id: int, operation: str, record: str, version: int | str) -> str:
    """Stable idempotency key (≤ 50 chars, QBO's limit): same inputs, same key, on every attempt."""
    digest = hashlib.sha256(f"{tenant_id}|{operation}|{record}|{version}".encode()).hexdigest()[:32]
    return f"ll-{operation[:13]}-{digest}"


def enqueue(session: Session, *, tenant_id: int, operation: str, target: str, record: str,
            version: int | str, payload: dict[str, Any] | None = None, item_id: int | None = None) -> OutboxEntry:
    """Add a write to the caller's transaction; the same (operation, record, version) is queued once."""
    requestid = make_requestid(tenant_id, operation, record, version)
    existing = session.exec(sm_select(OutboxEntry).where(OutboxEntry.requestid == requestid)).first()
    if existing is not None:
        return existing
    return add_entry(session, tenant_id=tenant_id, operation=operation, target=target, requestid=requestid,
                     payload=payload, item_id=item_id)


def add_entry(session: Session, *, tenant_id: int, operation: str, target: str, requestid: str,
              payload: dict[str, Any] | None = None, item_id: int | None = None) -> OutboxEntry:
    """`enqueue` for a caller that has just read that no row has this requestid. The row is inserted at once with
    one INSERT (an Accept's hot path: the ORM's unit of work cost more than the write) and the entry joins the
    session as that persistent row, so later changes to it are flushed as usual."""
    entry = OutboxEntry(tenant_id=tenant_id, item_id=item_id, target=target, operation=operation,
                        payload=payload or {}, requestid=requestid)
    row = {column.name: getattr(entry, column.name) for column in OUTBOX.columns if column.name != "id"}
    entry.id = session.execute(insert(OUTBOX).values(**row)).inserted_primary_key[0]  # type: ignore[index]
    make_transient_to_detached(entry)
    session.add(entry)
    ids = {"tenant": tenant_id, "item": item_id, "outbox": entry.id, "requestid": requestid}
    logctx.bind(**ids)  # the rest of the action's lines carry them too (when it has a log scope)
    with logctx.scope(**ids):
        logger.info("outbox %s (%s) queued", entry.id, operation)
    return entry


def log_ids(entry: OutboxEntry) -> AbstractContextManager[None]:
    """A log scope with the entry's ids (rows run in a /batch share one scope; each line names its own row)."""
    return logctx.scope(tenant=entry.tenant_id, item=entry.item_id, outbox=entry.id, requestid=entry.requestid)


@dataclass
class DrainStats:
    done: int = 0
    retried: int = 0
    failed: int = 0
    waiting: bool = False  # rows were due but waited for their realm's limits: drain again at once, don't idle


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Outbox:
    def __init__(self, engine: Engine, operations: Mapping[str, Operation], *, worker_id: str | None = None,
                 claim_timeout: timedelta = timedelta(minutes=5), max_attempts: int = 8,
                 clock: Callable[[], datetime] = utcnow,
                 kill_point: Callable[[str], None] | None = None,
                 on_held: Callable[[list[Item]], None] | None = None,
                 on_recorded: Callable[[list[int]], None] | None = None, held: HeldOutcomes = HELD) -> None:
        """`on_held(items)`: results of these items wait for the database (they were read before it went away; must
        not use the database); `on_recorded(item_ids)`: held outcomes of these items are now recorded."""
        self.engine = engine
        self.operations = operations
        self.worker_id = worker_id or default_worker_id()
        self.claim_timeout = claim_timeout
        self.max_attempts = max_attempts
        self.clock = clock
        self.workflow = Workflow(engine, clock=clock)
        self._kill = kill_point or crash_point_from_env() or (lambda _where: None)
        self.on_held, self.on_recorded, self.held = on_held, on_recorded, held
        self._items: dict[int, Item] = {}  # the items of the rows in flight, read with them when `on_held` is set

    # --- claiming --------------------------------------------------------------------------------------
    def due(self, now: datetime) -> Any:
        """Rows a worker may take now: new or due retries, and claims older than the timeout."""
        return or_(and_(OutboxEntry.status == OutboxStatus.PENDING.value, OutboxEntry.next_attempt_at <= now),
                   and_(OutboxEntry.status == OutboxStatus.CLAIMED.value,
                        OutboxEntry.claimed_at < now - self.claim_timeout))

    def claim(self, limit: int = 10, *conditions: Any) -> list[int]:
        """Atomically take up to `limit` due rows (narrowed by `conditions`, e.g. one operation and tenant).

        Fair across tenants: rows are taken round-robin by tenant (each tenant's oldest first, then each tenant's
        second …), so one tenant's backlog of thousands never starves another tenant's single row."""
        now = self.clock()
        due = and_(self.due(now), *conditions)
        turn = func.row_number().over(partition_by=OutboxEntry.tenant_id, order_by=OutboxEntry.id)
        ranked = select(OutboxEntry.id.label("id"), turn.label("turn")).where(due).subquery()
        fair = select(ranked.c.id).order_by(ranked.c.turn, ranked.c.id)
        ids_q = fair.limit(limit)
        with Session(self.engine) as s:
            if self.engine.dialect.name == "postgresql":
                # rows another worker is claiming right now are skipped, not waited for (a few spare candidates,
                # since a window function cannot be locked in the same query)
                order = {i: n for n, i in enumerate(s.execute(fair.limit(limit * 4)).scalars())}
                locked = s.execute(select(OutboxEntry.id).where(OutboxEntry.id.in_(list(order)))
                                   .order_by(OutboxEntry.id).with_for_update(skip_locked=True)).scalars()
                ids = sorted(locked, key=order.__getitem__)[:limit]
                if not ids:
                    return []
                target = OutboxEntry.id.in_(ids)
            else:
                # one UPDATE … WHERE id IN (SELECT …) RETURNING takes SQLite's write lock: atomic
                target = OutboxEntry.id.in_(ids_q.scalar_subquery())
            stmt = (update(OutboxEntry).where(target, due)
                    .values(status=OutboxStatus.CLAIMED.value, claimed_by=self.worker_id, claimed_at=now,
                            attempts=OutboxEntry.attempts + 1, updated_at=now)
                    .returning(OutboxEntry.id))
            claimed = sorted(s.execute(stmt).scalars())
            s.commit()
        return claimed

    # --- executing -------------------------------------------------------------------------------------
    def run(self, entry_id: int) -> OutboxStatus:
        """Execute one claimed entry. An unexpected error (a bug, not a remote refusal) is logged and the entry
        stays claimed, to be retried when the claim times out — one bad row never stops the others."""
        try:
            with logctx.scope(outbox=entry_id):
                return self._run(entry_id)
        except Exception as exc:
            if is_outage(exc):  # no outcome yet (the database went away first): release the claim once it is back
                self._release_later([entry_id])
                return OutboxStatus.CLAIMED
            logger.exception("outbox entry %s: unexpected error; retried once its claim times out", entry_id)
            return OutboxStatus.CLAIMED

    def _run(self, entry_id: int) -> OutboxStatus:
        with Session(self.engine, expire_on_commit=False) as s:
            entry = s.get(OutboxEntry, entry_id)
            self._remember_items(s, [entry] if entry else [])
        if entry is None or entry.status != OutboxStatus.CLAIMED or entry.claimed_by != self.worker_id:
            return OutboxStatus(entry.status) if entry else OutboxStatus.FAILED
        logctx.bind(tenant=entry.tenant_id, item=entry.item_id, requestid=entry.requestid)
        op = self.operations.get(entry.operation)
        if op is None:
            return self._fail(entry, f"Ledgerlink does not know how to '{entry.operation}' (a newer version "
                                     "queued it?); upgrade the worker and retry.")
        if entry.attempts > self.max_attempts:  # e.g. a bug that failed every earlier attempt
            return self._fail(entry, f"Ledgerlink could not complete this after {entry.attempts - 1} attempts "
                                     f"({entry.last_error or 'an internal error'}); press Retry, or ask for help "
                                     "if it keeps failing.")
        self._kill("before_call")
        try:
            result = op.reconcile(entry) if entry.attempts > 1 else None
            if result is None:
                result = op.execute(entry)
        except PermanentError as exc:
            return self._fail(entry, exc.sentence)
        except RetryableError as exc:
            return self._retry_later(entry, exc)
        self._kill("after_call")
        return self._complete(entry, op, result)

    def drain(self, *, batch: int = 10, max_rounds: int | None = None) -> DrainStats:
        """Claim and run until nothing is due (or `max_rounds` claims)."""
        stats = DrainStats()
        rounds = 0
        while max_rounds is None or rounds < max_rounds:
            ids = self.claim(batch)
            if not ids:
                break
            rounds += 1
            for entry_id in ids:
                status = self.run(entry_id)
                if status is OutboxStatus.DONE:
                    stats.done += 1
                elif status is OutboxStatus.FAILED:
                    stats.failed += 1
                else:
                    stats.retried += 1
        return stats

    # --- the database unreachable: outcomes held in memory (sync/held.py) ------------------------------
    def _remember_items(self, s: Session, entries: list[OutboxEntry]) -> None:
        """Keep the rows' items as they are now, for the "waiting for the database" card should that be needed."""
        if self.on_held is None:
            return
        ids = [e.item_id for e in entries if e.item_id is not None]
        self._items = {i.id: i for i in s.exec(sm_select(Item).where(Item.id.in_(ids)))} if ids else {}  # type: ignore[misc,union-attr]

    def _held_if_down(self, entries: list[OutboxEntry],
                      record: Callable[[], list[OutboxStatus]]) -> list[OutboxStatus]:
        """Record outcomes now; if the database is unreachable, hold `record` to run again once it answers."""
        try:
            return record()
        except Exception as exc:
            if not is_outage(exc):
                raise
        item_ids = [e.item_id for e in entries if e.item_id is not None]
        self.held.hold(Held(tuple(e.id for e in entries), tuple(item_ids), record,  # type: ignore[misc]
                            recorded=self.on_recorded))
        if self.on_held is not None:
            items = [self._items[i] for i in item_ids if i in self._items]
            try:
                self.on_held(items)
            except Exception:  # noqa: BLE001 - the card note is best effort; the outcome is held either way
                logger.exception("outbox: showing that items %s wait for the database failed", item_ids)
        return [OutboxStatus.CLAIMED] * len(entries)

    def _release_later(self, entry_ids: list[int]) -> None:
        self.held.hold(Held(tuple(entry_ids), (), lambda: self._release_now(entry_ids), release=True))

    def _release_now(self, entry_ids: list[int]) -> int:
        """Rows we claimed but have no outcome for go back to pending, due now (their next attempt reconciles)."""
        now = self.clock()
        with Session(self.engine) as s:
            released = s.execute(update(OutboxEntry).where(
                OutboxEntry.id.in_(entry_ids), OutboxEntry.status == OutboxStatus.CLAIMED.value,
                OutboxEntry.claimed_by == self.worker_id,
            ).values(status=OutboxStatus.PENDING.value, claimed_by=None, next_attempt_at=now, updated_at=now)).rowcount
            s.commit()
        return released

    # --- recording outcomes (each only while we still hold the claim) ----------------------------------
    def _still_ours(self, s: Session, entry: OutboxEntry, values: dict[str, Any]) -> bool:
        stmt = update(OutboxEntry).where(
            OutboxEntry.id == entry.id, OutboxEntry.status == OutboxStatus.CLAIMED.value,
            OutboxEntry.claimed_by == self.worker_id, OutboxEntry.claimed_at == entry.claimed_at,
        ).values(updated_at=self.clock(), **values)
        return s.execute(stmt).rowcount == 1

    def _complete(self, entry: OutboxEntry, op: Operation, result: RemoteResult) -> OutboxStatus:
        return self._held_if_down([entry], lambda: [self._complete_now(entry, op, result)])[0]

    def _fail(self, entry: OutboxEntry, sentence: str) -> OutboxStatus:
        return self._held_if_down([entry], lambda: [self._fail_now(entry, sentence)])[0]

    def _retry_later(self, entry: OutboxEntry, exc: Exception) -> OutboxStatus:
        return self._held_if_down([entry], lambda: [self._retry_later_now(entry, exc)])[0]

    def _complete_now(self, entry: OutboxEntry, op: Operation, result: RemoteResult) -> OutboxStatus:
        with Session(self.engine, expire_on_commit=False) as s:
            if not self._still_ours(s, entry, {"status": OutboxStatus.DONE.value, "remote_id": result.remote_id,
                                               "result": {"summary": result.summary, **result.body},
                                               "last_error": None}):
                s.rollback()
                if self._recorded_already(entry, result):
                    return OutboxStatus.DONE
                logger.warning("outbox %s: claim lost before recording the result; the new owner records it",
                               entry.id)
                return OutboxStatus.CLAIMED
            op.on_done(s, entry, result)
            if entry.item_id is not None:
                self.workflow.transition_in(s, entry.item_id, SYSTEM, Action.MARK_SYNCED,
                                            mutate=lambda _s, _i: {"last_error": None},
                                            request_id=entry.requestid,
                                            detail={"remote_id": result.remote_id, "summary": result.summary})
            self._kill("before_commit")
            s.commit()
        self._kill("after_commit")
        metrics.record_outbox_result("done", entry.operation, entry.created_at)
        logger.info("outbox %s (%s) done: %s", entry.id, entry.operation, result.remote_id)
        return OutboxStatus.DONE

    def _recorded_already(self, entry: OutboxEntry, result: RemoteResult) -> bool:
        """Our own earlier commit of this result went through although its answer was lost (the connection
        dropped at the commit): a held result finds it recorded."""
        with Session(self.engine) as s:
            row = s.get(OutboxEntry, entry.id)
        return row is not None and row.status == OutboxStatus.DONE and row.remote_id == result.remote_id

    def _fail_now(self, entry: OutboxEntry, sentence: str) -> OutboxStatus:
        with Session(self.engine) as s:
            if not self._still_ours(s, entry, {"status": OutboxStatus.FAILED.value, "last_error": sentence}):
                s.rollback()
                return OutboxStatus.CLAIMED
            if entry.item_id is not None:
                self.workflow.transition_in(s, entry.item_id, SYSTEM, Action.MARK_FAILED,
                                            mutate=lambda _s, _i: {"last_error": sentence},
                                            request_id=entry.requestid, detail={"error": sentence})
            s.commit()
        metrics.record_outbox_result("failed", entry.operation, entry.created_at)
        with log_ids(entry):
            logger.info("outbox %s (%s) failed: %s", entry.id, entry.operation, sentence)
        return OutboxStatus.FAILED

    def _retry_later_now(self, entry: OutboxEntry, exc: Exception) -> OutboxStatus:
        if entry.attempts >= self.max_attempts:
            return self._fail_now(entry, f"QuickBooks or Procore kept failing after {entry.attempts} attempts "
                                     f"({exc}); Ledgerlink stopped retrying — press Retry when it is back.")
        delay = min(600.0, 2.0 ** entry.attempts) * (0.5 + random.random() / 2)  # noqa: S311 - jitter only
        with Session(self.engine) as s:
            ok = self._still_ours(s, entry, {"status": OutboxStatus.PENDING.value, "claimed_by": None,
                                             "next_attempt_at": self.clock() + timedelta(seconds=delay),
                                             "last_error": str(exc)[:2000]})
            s.commit()
        with log_ids(entry):
            logger.info("outbox %s (%s) will retry in %.0fs: %s", entry.id, entry.operation, delay, exc)
        return OutboxStatus.PENDING if ok else OutboxStatus.CLAIMED

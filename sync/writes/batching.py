"""Bulk exports at QBO's limit: many pending create rows of one realm sent as one /batch request (≤ 30 items).

`BatchingOutbox` is an `Outbox` whose `drain` first takes the *batchable* operations (`qbo.create_bill`) tenant by
tenant, up to 30 rows at a time, and sends each group as one POST /batch with the row ids as `bId`s; every other
row runs one by one as before — and so does a tenant's lone batchable row (a plain create: QBO allows 40 batch
calls a minute but 500 requests, so a trickle of single Accepts must not queue behind the batch window).
QBO counts a batch as one request against its 500/min (plus 40 batches/min), so
the ceiling is 40 × 30 = 1,200 creates a minute per realm instead of 500; the client's rate limiter is the only
thing that spaces the calls (`threads` workers keep it busy).

Exactly once, the same way single rows do it:
- the batch's requestid is derived from the requestids of the rows in it, so resending the same group (a
  client-level retry, or a reclaim of the same rows after a crash) replays QBO's first answer;
- a row on its second attempt or later is first *reconciled*: one /batch of queries (its natural key) finds
  a Bill a lost earlier attempt created, and that row completes without another create;
- each row's outcome is recorded only while this worker still holds its claim (the outbox's compare-and-set).
Per-item Faults become per-row outcomes: a validation Fault fails that row with a sentence, a throttle or server
Fault sends it back to pending; the other rows of the batch are unaffected.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, func, or_, select
from sqlmodel import Session

from core import logctx, metrics
from core.db_outage import is_outage
from core.domain.permissions import SYSTEM
from core.domain.states import Action
from core.models import Item, OutboxEntry, utcnow
from sync.context import NotConnected, TenantContext
from sync.outbox import (
    DrainStats,
    Operation,
    Outbox,
    OutboxStatus,
    PermanentError,
    RemoteResult,
    RetryableError,
    log_ids,
)
from sync.qbo.batch import BATCH_LIMIT, BatchItem
from sync.qbo.errors import QboError, QboRateLimited, QboServerError
from sync.qbo.query import Select

logger = logging.getLogger(__name__)

WAIT_POLL = 0.05  # seconds between looks while every due batch waits for its realm's window
FEW_PLAIN = 5  # up to this many waiting rows of a realm go as plain creates when only its batch window is full


class BatchableOperation(Operation, Protocol):
    """What an operation offers so its rows can share a /batch request (see `sync.writes.bills.CreateBill`)."""

    entity: str

    def batch_body(self, entry: OutboxEntry) -> dict[str, Any]: ...

    def result_from(self, entry: OutboxEntry, record: Mapping[str, Any]) -> RemoteResult: ...

    def sentence_for(self, entry: OutboxEntry, err: Exception) -> Exception: ...

    def natural_key(self, entry: OutboxEntry) -> Select: ...

    def match(self, entry: OutboxEntry, records: list[Mapping[str, Any]]) -> RemoteResult | None: ...


def batch_requestid(requestids: list[str]) -> str:
    """Stable for one set of rows, whatever order they were claimed in (≤ 50 chars)."""
    digest = hashlib.sha256("|".join(sorted(requestids)).encode()).hexdigest()[:40]
    return f"ll-batch-{digest}"


class BatchingOutbox(Outbox):
    """The outbox, with /batch for the operations named in `batchable` (operation name → operation)."""

    def __init__(self, engine: Engine, operations: Mapping[str, Operation], *,
                 context_for: Callable[[int], TenantContext], batchable: tuple[str, ...] = ("qbo.create_bill",),
                 batch_size: int = BATCH_LIMIT, lone_rows_plain: bool = True, **kwargs: Any) -> None:
        """`lone_rows_plain=False` sends a lone row as a one-item /batch (the old way; benchmarks compare)."""
        super().__init__(engine, operations, **kwargs)
        self.lone_rows_plain = lone_rows_plain
        self.context_for = context_for
        self.batchable = tuple(op for op in batchable if op in operations)
        self.batch_size = min(batch_size, BATCH_LIMIT)
        self.batches_sent = 0
        self._turn = 0
        self._scope: tuple[Any, ...] = ()  # `drain(tenant_id=…)`: only that tenant's rows

    # --- claiming -------------------------------------------------------------------------------------
    def _groups(self) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(operation, tenant) pairs with batchable rows due now: those with several rows (one /batch each), and
        those with a lone row, which goes out as a plain create — a one-item /batch would spend one of the realm's
        40 batch calls a minute for nothing."""
        if not self.batchable:
            return [], []
        with Session(self.engine) as s:
            rows = s.execute(select(OutboxEntry.operation, OutboxEntry.tenant_id, func.count())
                             .where(self.due(self.clock()), OutboxEntry.operation.in_(self.batchable), *self._scope)
                             .group_by(OutboxEntry.operation, OutboxEntry.tenant_id)
                             .order_by(OutboxEntry.tenant_id)).all()
        several = 1 if self.lone_rows_plain else 0
        # a few rows of a realm whose batch window is full but whose request window is not go one by one too:
        # a trickle of Accepts never waits for the 40-a-minute batch cap while plain requests are free
        plain = {(op, tenant) for op, tenant, n in rows
                 if several < n <= FEW_PLAIN and self.lone_rows_plain and self._batch_cap_only(tenant)}
        groups = [(op, tenant) for op, tenant, n in rows if n > several and (op, tenant) not in plain]
        if groups:  # each worker starts its round at another tenant, so no tenant always goes first
            turn = self._turn % len(groups)
            self._turn += 1
            groups = groups[turn:] + groups[:turn]
        return groups, [(op, tenant) for op, tenant, n in rows if n <= several or (op, tenant) in plain]

    # --- draining -------------------------------------------------------------------------------------
    def drain(self, *, batch: int = 10, max_rounds: int | None = None, threads: int = 1,
              tenant_id: int | None = None) -> DrainStats:
        """Claim and run until nothing is due: batchable rows 30 to a request, the rest one by one.

        `tenant_id`: only that tenant's rows — a click's own drain (bot/actions/finish.py) runs its company's
        writes and redraws its card at once, never behind another company's bulk export (the workers' job)."""
        if threads > 1:
            return self._drain_threads(threads, batch, max_rounds, tenant_id)
        self._scope = () if tenant_id is None else (OutboxEntry.tenant_id == tenant_id,)
        stats, rounds = DrainStats(), 0
        while max_rounds is None or rounds < max_rounds:
            rounds += 1
            groups, singles = self._groups()
            # lone rows and other operations first: a single Accept never queues behind a bulk export's batches
            others = [OutboxEntry.operation.not_in(self.batchable)] if self.batchable else []
            others += [and_(OutboxEntry.operation == op, OutboxEntry.tenant_id == tenant) for op, tenant in singles]
            ids = self.claim(batch, or_(*others), *self._scope) if others else self.claim(batch, *self._scope)
            progressed = bool(ids)
            self._count(stats, [self.run(i) for i in ids])
            soonest = None
            for op, tenant in groups:
                hint = self._wait_hint(tenant)
                if hint > 0:  # its realm's window is full: leave its rows for when it frees, do other work
                    soonest = min(hint, soonest or hint)
                    continue
                ids = self.claim(self.batch_size, OutboxEntry.operation == op, OutboxEntry.tenant_id == tenant)
                progressed = progressed or bool(ids)
                if len(ids) > 1 or (ids and not self.lone_rows_plain):
                    with logctx.scope(tenant=tenant):
                        self._count(stats, self.run_batch(op, tenant, ids))
                elif ids:  # the others of the group went to other workers meanwhile
                    self._count(stats, [self.run(ids[0])])
            if not progressed:
                if soonest is None:
                    break
                stats.waiting = True  # rows are due but their realm is at its limit: look again very soon
                time.sleep(min(soonest, WAIT_POLL))
        return stats

    def _wait_hint(self, tenant_id: int) -> float:
        """How long a batch request of this tenant's realm would wait now (0 when it could start)."""
        try:
            return self.context_for(tenant_id).qbo.limiter.wait_hint(batch=True)
        except NotConnected:
            return 0.0  # run_batch fails its rows with the sentence

    def _batch_cap_only(self, tenant_id: int) -> bool:
        """Only the batch window keeps this tenant's realm from a request now (a plain create could start)."""
        try:
            limiter = self.context_for(tenant_id).qbo.limiter
        except NotConnected:
            return False
        return limiter.wait_hint(batch=True) > 0 and limiter.wait_hint() == 0

    def _drain_threads(self, threads: int, batch: int, max_rounds: int | None, tenant_id: int | None) -> DrainStats:
        total, lock = DrainStats(), threading.Lock()

        def work(n: int) -> None:
            worker = BatchingOutbox(self.engine, self.operations, context_for=self.context_for,
                                    batchable=self.batchable, batch_size=self.batch_size,
                                    lone_rows_plain=self.lone_rows_plain,
                                    worker_id=f"{self.worker_id}/{n}", claim_timeout=self.claim_timeout,
                                    max_attempts=self.max_attempts, clock=self.clock, kill_point=self._kill,
                                    on_held=self.on_held, on_recorded=self.on_recorded, held=self.held)
            got = worker.drain(batch=batch, max_rounds=max_rounds, tenant_id=tenant_id)
            with lock:
                total.done += got.done
                total.retried += got.retried
                total.failed += got.failed
                self.batches_sent += worker.batches_sent

        pool = [threading.Thread(target=work, args=(n,), name=f"outbox-{n}") for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return total

    @staticmethod
    def _count(stats: DrainStats, outcomes: list[OutboxStatus]) -> None:
        for status in outcomes:
            if status is OutboxStatus.DONE:
                stats.done += 1
            elif status is OutboxStatus.FAILED:
                stats.failed += 1
            else:
                stats.retried += 1

    # --- one group ------------------------------------------------------------------------------------
    def run_batch(self, operation: str, tenant_id: int, ids: list[int]) -> list[OutboxStatus]:
        """Send the claimed rows as one /batch (after reconciling retried rows); record each row's outcome."""
        try:
            return self._run_batch(operation, tenant_id, ids)
        except Exception as exc:
            if not is_outage(exc):
                raise
            # before any outcome (outcomes are held, not raised): release the claims once the database is back
            self._release_later(ids)
            return [OutboxStatus.CLAIMED] * len(ids)

    def _run_batch(self, operation: str, tenant_id: int, ids: list[int]) -> list[OutboxStatus]:
        with Session(self.engine, expire_on_commit=False) as s:
            rows = s.execute(select(OutboxEntry).where(OutboxEntry.id.in_(ids)).order_by(OutboxEntry.id)).scalars()
            entries = [e for e in rows if e.status == OutboxStatus.CLAIMED and e.claimed_by == self.worker_id]
            self._remember_items(s, entries)
        op: BatchableOperation = self.operations[operation]  # type: ignore[assignment]
        outcomes: list[OutboxStatus] = []
        self._kill("before_call")
        try:
            qbo = self.context_for(tenant_id).qbo
        except NotConnected as exc:
            return self._all_failed(op, entries, exc)
        done: list[tuple[OutboxEntry, RemoteResult]] = []
        retried = [e for e in entries if e.attempts > 1]
        if retried:
            found, failed = self._reconcile(qbo, op, retried)
            if failed:  # could not even look: every row of the group waits for the next attempt
                return failed + self._all_failed(op, [e for e in entries if e.attempts <= 1],
                                                 RetryableError("waiting for the reconcile of its batch"))
            done += found
            settled = {e.id for e, _ in found}
            entries = [e for e in entries if e.id not in settled]
        if entries:
            sent, failed = self._send(qbo, op, entries)
            done += sent
            outcomes += failed
        self._kill("after_call")
        outcomes += self._complete_many(op, done)
        return outcomes

    def _reconcile(self, qbo: Any, op: BatchableOperation,
                   entries: list[OutboxEntry]) -> tuple[list[tuple[OutboxEntry, RemoteResult]], list[OutboxStatus]]:
        """One /batch of natural-key queries for rows whose earlier attempt may have created their record."""
        items = [BatchItem.query(op.natural_key(e), bid=str(e.id)) for e in entries]
        try:
            results = qbo.batch(items=items, requestid=None)
        except (QboError, NotConnected) as exc:
            return [], self._all_failed(op, entries, exc)
        found: list[tuple[OutboxEntry, RemoteResult]] = []
        for entry, res in zip(entries, results, strict=True):
            if res.ok:
                rows = next((v for k, v in (res.data or {}).items() if k.lower() == op.entity.lower()), None) or []
                match = op.match(entry, rows)
                if match is not None:
                    found.append((entry, match))
        return found, []

    def _send(self, qbo: Any, op: BatchableOperation,
              entries: list[OutboxEntry]) -> tuple[list[tuple[OutboxEntry, RemoteResult]], list[OutboxStatus]]:
        items = [BatchItem.create(op.entity, op.batch_body(e), bid=str(e.id)) for e in entries]
        try:
            results = qbo.batch(items=items, requestid=batch_requestid([e.requestid for e in entries]))
        except (QboError, NotConnected) as exc:
            return [], self._all_failed(op, entries, exc)
        self.batches_sent += 1
        done: list[tuple[OutboxEntry, RemoteResult]] = []
        outcomes: list[OutboxStatus] = []
        for entry, res in zip(entries, results, strict=True):
            if res.ok and res.data is not None:
                done.append((entry, op.result_from(entry, res.data)))
                continue
            err = res.error
            if isinstance(err, QboRateLimited | QboServerError):
                outcomes.append(self._retry_later(entry, err))
            else:
                outcomes.append(self._outcome(entry, op.sentence_for(entry, err)))
        return done, outcomes

    def _all_failed(self, op: BatchableOperation, entries: list[OutboxEntry], exc: Exception) -> list[OutboxStatus]:
        """The whole request failed (after the client's own retries): every row retries later or fails."""
        return [self._outcome(e, exc if isinstance(exc, RetryableError) else op.sentence_for(e, exc))
                for e in entries]

    def _outcome(self, entry: OutboxEntry, verdict: Exception) -> OutboxStatus:
        if isinstance(verdict, PermanentError):
            return self._fail(entry, verdict.sentence)
        return self._retry_later(entry, verdict)

    def _complete_many(self, op: Operation, done: list[tuple[OutboxEntry, RemoteResult]]) -> list[OutboxStatus]:
        """Record every success of the batch in one transaction (rows whose claim we lost are skipped); held in
        memory while the database is unreachable."""
        if not done:
            return []
        return self._held_if_down([e for e, _ in done], lambda: self._complete_many_now(op, done))

    def _complete_many_now(self, op: Operation, done: list[tuple[OutboxEntry, RemoteResult]]) -> list[OutboxStatus]:
        outcomes: list[OutboxStatus] = []
        with Session(self.engine, expire_on_commit=False) as s:
            # every item of the batch in one read: each row's moves below find its item in the session (held in
            # `items`: the session's identity map keeps only weak references)
            items = s.execute(select(Item).where(Item.id.in_([e.item_id for e, _ in done
                                                              if e.item_id is not None]))).scalars().all()
            for entry, result in done:
                if not self._still_ours(s, entry, {"status": OutboxStatus.DONE.value, "remote_id": result.remote_id,
                                                   "result": {"summary": result.summary, **result.body},
                                                   "last_error": None}):
                    if self._recorded_already(entry, result):
                        outcomes.append(OutboxStatus.DONE)
                        continue
                    logger.warning("outbox %s: claim lost before recording the result", entry.id)
                    outcomes.append(OutboxStatus.CLAIMED)
                    continue
                op.on_done(s, entry, result)
                if entry.item_id is not None:
                    moved = self.workflow.transition_in(s, entry.item_id, SYSTEM, Action.MARK_SYNCED,
                                                        mutate=lambda _s, _i: {"last_error": None},
                                                        request_id=entry.requestid,
                                                        detail={"remote_id": result.remote_id,
                                                                "summary": result.summary}, refresh=False)
                    if moved is None:  # an item changed under us: the session rolled back; record row by row
                        return [self._complete_now(e, op, r) for e, r in done]
                outcomes.append(OutboxStatus.DONE)
            self._kill("before_commit")
            s.commit()
            del items
        self._kill("after_commit")
        for (entry, result), outcome in zip(done, outcomes, strict=True):
            if outcome is OutboxStatus.DONE:
                metrics.record_outbox_result("done", entry.operation, entry.created_at)
                with log_ids(entry):
                    logger.info("outbox %s (%s) done in a batch: %s", entry.id, entry.operation, result.remote_id)
        return outcomes


def scaled_clock(speed: float) -> Callable[[], datetime]:
    """A clock running `speed` times faster than real time from now (time-scaled benchmarks and tests)."""
    start, t0 = utcnow(), time.monotonic()
    return lambda: start + timedelta(seconds=(time.monotonic() - t0) * speed)

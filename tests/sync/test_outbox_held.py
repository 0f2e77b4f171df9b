"""The outbox when the database goes away mid-export: the outcome is held in memory and recorded as soon as the
database answers (sync/held.py) — exactly once, not after the claim timeout."""

from __future__ import annotations

from datetime import timedelta

import psycopg
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.models import OutboxEntry, utcnow
from sync.held import HeldOutcomes
from sync.outbox import Outbox, OutboxStatus
from tests.support.factories import World
from tests.sync.test_outbox import CreateBill, FakeRemote, _accepted_item, _state


def unreachable() -> OperationalError:
    """What SQLAlchemy raises when PostgreSQL is gone (no SQLSTATE: the client lost the connection)."""
    return OperationalError("COMMIT", {}, psycopg.OperationalError("server closed the connection unexpectedly"))


class DatabaseGoesAway(CreateBill):
    """Recording the result fails `times` times as if the database were unreachable (on_done runs inside the
    outbox's transaction, so the whole recording is rolled back)."""

    def __init__(self, remote: FakeRemote, times: int = 1) -> None:
        super().__init__(remote)
        self.times = times
        self.held_items: list[list] = []

    def on_done(self, session, entry, result):
        if self.times:
            self.times -= 1
            raise unreachable()
        super().on_done(session, entry, result)


def _row(engine, item_id) -> OutboxEntry:
    with Session(engine) as s:
        return s.query(OutboxEntry).filter(OutboxEntry.item_id == item_id).one()


def test_a_result_the_database_could_not_take_is_recorded_when_it_answers(engine):
    world = World(engine)
    item = _accepted_item(engine, world)
    remote, held, recorded, shown = FakeRemote(), HeldOutcomes(), [], []
    op = DatabaseGoesAway(remote)
    outbox = Outbox(engine, {"create_bill": op}, worker_id="w1", held=held,
                    on_held=lambda items: shown.append([i.id for i in items]), on_recorded=recorded.append)

    stats = outbox.drain()
    assert (stats.done, stats.retried) == (0, 1) and len(remote.records) == 1
    assert len(held) == 1 and shown == [[item.id]]  # the card is told it waits, from the item read before
    assert (_row(engine, item.id).status, _state(engine, item.id)) == ("claimed", "exporting")

    assert held.settle() == 1  # the database answers: recorded at once, the claim timeout not waited for
    assert len(held) == 0 and recorded == [[item.id]]
    row = _row(engine, item.id)
    assert (row.status, row.remote_id, _state(engine, item.id)) == ("done", "1", "synced")
    assert outbox.drain().done == 0 and remote.calls == 1  # nothing runs again


def test_settling_while_still_unreachable_keeps_the_outcome(engine):
    world = World(engine)
    item = _accepted_item(engine, world)
    held = HeldOutcomes()
    outbox = Outbox(engine, {"create_bill": DatabaseGoesAway(FakeRemote(), times=2)}, worker_id="w1", held=held)
    outbox.drain()
    assert held.settle() == 0 and len(held) == 1  # still down: kept, in order
    assert held.settle() == 1 and _state(engine, item.id) == "synced"


def test_a_held_result_after_the_claim_was_taken_over_records_nothing(engine):
    """Held past the claim timeout: another worker reclaimed the row and reconciled (found the record by its
    number). The held result finds the claim gone and writes nothing; one record, synced once."""
    world = World(engine)
    item = _accepted_item(engine, world)
    remote, held = FakeRemote(replay_window=False), HeldOutcomes()
    Outbox(engine, {"create_bill": DatabaseGoesAway(remote)}, worker_id="w1", held=held).drain()
    later = utcnow() + timedelta(minutes=6)
    other = Outbox(engine, {"create_bill": CreateBill(remote)}, worker_id="w2", clock=lambda: later)
    assert other.drain().done == 1
    assert held.settle() == 1 and len(held) == 0
    row = _row(engine, item.id)
    assert (row.status, row.claimed_by, len(remote.records), remote.calls) == ("done", "w2", 1, 1)


class UnreachableBeforeTheCall(CreateBill):
    """The database goes away before there is an outcome (e.g. reading the access token)."""

    def __init__(self, remote: FakeRemote) -> None:
        super().__init__(remote)
        self.down = True
        self.reconciled = 0

    def execute(self, entry):
        if self.down:
            raise unreachable()
        return super().execute(entry)

    def reconcile(self, entry):
        self.reconciled += 1
        return super().reconcile(entry)


def test_a_claim_without_an_outcome_is_released_when_the_database_answers(engine):
    world = World(engine)
    item = _accepted_item(engine, world)
    remote, held = FakeRemote(), HeldOutcomes()
    op = UnreachableBeforeTheCall(remote)
    outbox = Outbox(engine, {"create_bill": op}, worker_id="w1", held=held)
    outbox.drain()
    assert (_row(engine, item.id).status, len(held)) == ("claimed", 1)
    op.down = False
    assert held.settle() == 1
    row = _row(engine, item.id)
    assert (row.status, row.claimed_by) == (OutboxStatus.PENDING.value, None)
    assert outbox.drain().done == 1  # due at once; its second attempt reconciles before it creates
    assert (op.reconciled, len(remote.records), _state(engine, item.id)) == (1, 1, "synced")

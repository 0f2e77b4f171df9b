"""The outbox: exactly one remote record per write, whatever crashes, retries or races happen."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.domain.workflow import Workflow
from core.models import ExternalLink, Item, OutboxEntry, utcnow
from sync import binder
from sync.outbox import (
    Outbox,
    OutboxStatus,
    PermanentError,
    RemoteResult,
    RetryableError,
    enqueue,
    make_requestid,
)
from tests.support.factories import World


class FakeRemote:
    """A QBO-like store: a repeated requestid replays the first answer — until the replay window is gone."""

    def __init__(self, replay_window: bool = True) -> None:
        self.records: dict[str, dict] = {}
        self.by_requestid: dict[str, str] = {}
        self.replay_window = replay_window
        self.calls = 0
        self.lock = threading.Lock()
        self.fail_next: list[Exception] = []

    def create(self, requestid: str, doc_number: str) -> dict:
        with self.lock:
            self.calls += 1
            if self.fail_next:
                raise self.fail_next.pop(0)
            if self.replay_window and requestid in self.by_requestid:
                return self.records[self.by_requestid[requestid]]
            rec = {"Id": str(len(self.records) + 1), "DocNumber": doc_number, "SyncToken": "0"}
            self.records[rec["Id"]] = rec
            self.by_requestid[requestid] = rec["Id"]
            return rec

    def find(self, doc_number: str) -> dict | None:
        return next((r for r in self.records.values() if r["DocNumber"] == doc_number), None)


class CreateBill:
    def __init__(self, remote: FakeRemote) -> None:
        self.remote = remote

    def execute(self, entry):
        rec = self.remote.create(entry.requestid, entry.payload["doc_number"])
        return RemoteResult(rec["Id"], rec["SyncToken"], summary=f"Bill {rec['DocNumber']}")

    def reconcile(self, entry):
        rec = self.remote.find(entry.payload["doc_number"])
        return RemoteResult(rec["Id"], rec["SyncToken"], summary=f"Bill {rec['DocNumber']}") if rec else None

    def on_done(self, session, entry, result):
        binder.bind(session, entry.tenant_id, "bill", entry.payload["procore_id"], result.remote_id,
                    result.sync_token)


class Crash(BaseException):
    """Stands for the process dying at a kill point (nothing after it runs)."""


def _accepted_item(engine, world, title="INV-1"):
    item = world.item(title)
    wf = Workflow(engine)
    wf.send(item.id, world.actor("sam"))

    def queue(session, it):
        enqueue(session, tenant_id=it.tenant_id, item_id=it.id, target="qbo", operation="create_bill",
                record=f"sub_invoice:{it.procore_id}", version=it.round,
                payload={"doc_number": it.title, "procore_id": it.procore_id})

    wf.accept(item.id, world.actor("dana"), then=queue)
    return item


def _state(engine, item_id):
    with Session(engine) as s:
        return s.get(Item, item_id).state


def test_requestid_is_stable_and_short():
    a = make_requestid(1, "create_bill", "sub_invoice:77", 2)
    assert a == make_requestid(1, "create_bill", "sub_invoice:77", 2)
    assert a != make_requestid(1, "create_bill", "sub_invoice:77", 3)
    assert len(a) <= 50


def test_happy_path_binds_and_marks_synced(engine):
    w, remote = World(engine), FakeRemote()
    item = _accepted_item(engine, w)
    stats = Outbox(engine, {"create_bill": CreateBill(remote)}).drain()
    assert stats.done == 1 and len(remote.records) == 1
    assert _state(engine, item.id) == "synced"
    with Session(engine) as s:
        link = binder.require_external(s, w.tenant.id, "bill", item.procore_id)
        assert link.qbo_id == "1"


def test_enqueue_twice_is_one_row(engine):
    w = World(engine)
    item = w.item()
    with Session(engine) as s:
        for _ in range(3):
            enqueue(s, tenant_id=w.tenant.id, item_id=item.id, target="qbo", operation="create_bill",
                    record="x", version=1, payload={})
        s.commit()
        assert len(s.exec(select(OutboxEntry)).all()) == 1


@pytest.mark.parametrize("kill_at", ["before_call", "after_call", "before_commit", "after_commit"])
@pytest.mark.parametrize("replay_window", [True, False], ids=["replay", "window-gone"])
def test_crash_at_every_step_leaves_one_record(engine, kill_at, replay_window):
    w, remote = World(engine), FakeRemote(replay_window=replay_window)
    item = _accepted_item(engine, w)
    ops = {"create_bill": CreateBill(remote)}

    def die(where):
        if where == kill_at:
            raise Crash(where)

    first = Outbox(engine, ops, worker_id="w1", kill_point=die)
    with pytest.raises(Crash):
        first.drain()
    # a new worker, after the claim timeout, finishes whatever is left
    later = utcnow() + timedelta(minutes=10)
    second = Outbox(engine, ops, worker_id="w2", clock=lambda: later)
    second.drain()
    assert len(remote.records) == 1
    assert _state(engine, item.id) == "synced"
    with Session(engine) as s:
        entry = s.exec(select(OutboxEntry)).one()
        assert entry.status == OutboxStatus.DONE and entry.remote_id == "1"
        assert len(s.exec(select(ExternalLink)).all()) == 1


def test_retryable_errors_retry_with_the_same_requestid(engine):
    w, remote = World(engine), FakeRemote()
    item = _accepted_item(engine, w)
    remote.fail_next = [RetryableError("429 Too Many Requests"), RetryableError("503")]
    box = Outbox(engine, {"create_bill": CreateBill(remote)})
    assert box.drain().retried == 1
    with Session(engine) as s:
        entry = s.exec(select(OutboxEntry)).one()
        assert entry.status == "pending" and "429" in entry.last_error
    t = [utcnow()]
    box.clock = lambda: t[0]
    for _ in range(3):
        t[0] += timedelta(minutes=15)
        box.drain()
    assert len(remote.records) == 1 and _state(engine, item.id) == "synced"


def test_permanent_error_marks_item_failed_with_the_sentence(engine):
    w, remote = World(engine), FakeRemote()
    item = _accepted_item(engine, w)
    remote.fail_next = [PermanentError("Vendor 'ACME' is inactive in QuickBooks — reactivate it")]
    Outbox(engine, {"create_bill": CreateBill(remote)}).drain()
    with Session(engine) as s:
        it = s.get(Item, item.id)
        assert it.state == "failed_to_export" and it.last_error.startswith("Vendor 'ACME' is inactive")


def test_two_workers_never_double_write(engine):
    w, remote = World(engine), FakeRemote(replay_window=False)  # only the claim protects us here
    items = [_accepted_item(engine, w, f"INV-{i}") for i in range(30)]
    ops = {"create_bill": CreateBill(remote)}
    workers = [Outbox(engine, ops, worker_id=f"w{i}") for i in range(2)]
    threads = [threading.Thread(target=wk.drain, kwargs={"batch": 3}) for wk in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert remote.calls == 30 and len(remote.records) == 30
    assert all(_state(engine, it.id) == "synced" for it in items)


def test_unknown_operation_fails_clearly(engine):
    w = World(engine)
    _accepted_item(engine, w)
    assert Outbox(engine, {}).drain().failed == 1

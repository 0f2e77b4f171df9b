"""The workflow service on SQLite and PostgreSQL: paths, rules, audit, and races with real threads."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from core.domain.errors import AlreadyDecided, IllegalTransition, InvalidInput, ItemNotFound, PermissionDenied
from core.domain.permissions import SYSTEM
from core.domain.workflow import Workflow
from core.models import AuditEvent, Decision, Item, OutboxEntry
from tests.support.factories import World


def _get(engine, item_id) -> Item:
    with Session(engine) as s:
        return s.get(Item, item_id)


def _audit(engine, item_id) -> list[tuple[str, str | None, str | None]]:
    with Session(engine) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.item_id == item_id).order_by(AuditEvent.id))
        return [(e.action, e.before_state, e.after_state) for e in rows]


def test_send_accept_sync_paid_path(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))
    out = wf.accept(item.id, w.actor("dana"))
    assert out.changed_state and out.item.state == "exporting" and out.item.decided_by_id == w.users["dana"].id
    wf.mark_synced(item.id, SYSTEM, detail={"qbo_id": "145"})
    wf.mark_paid(item.id, SYSTEM)
    assert _get(engine, item.id).state == "paid"
    assert _audit(engine, item.id) == [("send", "ready_to_export", "awaiting_acceptance"),
                                       ("accept", "awaiting_acceptance", "exporting"),
                                       ("mark_synced", "exporting", "synced"), ("mark_paid", "synced", "paid")]


def test_reject_needs_reason_then_resend(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))
    with pytest.raises(InvalidInput, match="reason"):
        wf.reject(item.id, w.actor("dana"), "  no ")
    assert _get(engine, item.id).state == "awaiting_acceptance"  # nothing half-written
    wf.reject(item.id, w.actor("dana"), "Wrong cost code on line 2")
    it = _get(engine, item.id)
    assert it.state == "rejected" and it.reject_reason == "Wrong cost code on line 2"
    wf.resend(item.id, w.actor("sam"))
    it = _get(engine, item.id)
    assert it.state == "awaiting_acceptance" and it.reject_reason is None and it.round == 2


def test_retrieve_only_by_sender_or_admin(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))
    with pytest.raises(PermissionDenied, match="Only the person who sent"):
        wf.retrieve(item.id, w.actor("dana"))
    wf.retrieve(item.id, w.actor("sam"))
    assert _get(engine, item.id).state == "ready_to_export"


def test_no_self_approval(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("dana"))  # an approver who sends can't decide her own item
    with pytest.raises(PermissionDenied, match="separation of duties"):
        wf.accept(item.id, w.actor("dana"))
    with pytest.raises(PermissionDenied, match="separation of duties"):
        wf.reject(item.id, w.actor("dana"), "not mine to reject")
    assert wf.accept(item.id, w.actor("erin")).changed_state


def test_non_approver_and_read_only_are_refused(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    with pytest.raises(PermissionDenied, match="Standard"):
        wf.send(item.id, w.actor("riley"))
    wf.send(item.id, w.actor("sam"))
    with pytest.raises(PermissionDenied, match="Can push to accounting"):
        wf.accept(item.id, w.actor("alex"))  # admin without the grant
    assert _get(engine, item.id).state == "awaiting_acceptance"


def test_second_decision_gets_a_sentence_naming_the_first(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item("INV-104")
    wf.send(item.id, w.actor("sam"))
    wf.accept(item.id, w.actor("dana"))
    with pytest.raises(AlreadyDecided, match=r"INV-104 was already accepted by @dana at \d\d:\d\d"):
        wf.reject(item.id, w.actor("erin"), "too late to reject")
    with pytest.raises(IllegalTransition, match="INV-104 is exporting"):
        wf.send(item.id, w.actor("sam"))


def test_two_approver_threshold(engine):
    w, wf = World(engine, threshold=Decimal("10000")), Workflow(engine)
    big, small = w.item("INV-1", amount="48250.00"), w.item("INV-2", amount="950.00")
    for it in (big, small):
        wf.send(it.id, w.actor("sam"))
    first = wf.accept(big.id, w.actor("dana"))
    assert not first.changed_state and (first.approvals, first.approvals_needed) == (1, 2)
    assert _get(engine, big.id).state == "awaiting_acceptance"
    with pytest.raises(AlreadyDecided, match="You already approved"):
        wf.accept(big.id, w.actor("dana"))
    with pytest.raises(AlreadyDecided, match="1 approval"):
        wf.retrieve(big.id, w.actor("sam"))
    second = wf.accept(big.id, w.actor("erin"))
    assert second.changed_state and second.approvals == 2 and _get(engine, big.id).state == "exporting"
    assert wf.accept(small.id, w.actor("dana")).changed_state  # below the threshold one is enough


def test_direct_export_follows_the_setting(engine):
    off, on = World(engine, name="Off"), World(engine, name="On", direct_exports="enabled")
    wf = Workflow(engine)
    with pytest.raises(PermissionDenied, match="Direct exports are disabled"):
        wf.export(off.item().id, off.actor("sam"))
    assert wf.export(on.item().id, on.actor("sam")).item.state == "exporting"
    gated = World(engine, name="Gated", direct_exports="enabled_with_workflow")
    item = gated.item()
    with pytest.raises(PermissionDenied, match="workflow"):
        wf.export(item.id, gated.actor("sam"))
    assert wf.export(item.id, gated.actor("sam"), workflow_complete=True).changed_state


def test_failed_export_retry_and_unlink(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))
    wf.accept(item.id, w.actor("dana"))
    wf.mark_failed(item.id, SYSTEM, "Vendor 'ACME' is inactive in QuickBooks")
    assert _get(engine, item.id).last_error.startswith("Vendor")
    with pytest.raises(PermissionDenied):
        wf.retry(item.id, w.actor("sam"))  # retry is for approvers
    wf.retry(item.id, w.actor("dana"))
    wf.mark_synced(item.id, SYSTEM)
    with pytest.raises(PermissionDenied, match="Admin"):
        wf.unlink(item.id, w.actor("sam"))
    assert wf.unlink(item.id, w.actor("alex")).item.state == "ready_to_export"


def test_people_cannot_do_system_moves(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item(state="exporting")
    with pytest.raises(PermissionDenied, match="Only Ledgerlink"):
        wf.mark_synced(item.id, w.actor("erin"))


def test_archive_restore_round_trip(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item("ACME Concrete", type="company", state="synced")
    with pytest.raises(PermissionDenied):
        wf.archive(item.id, w.actor("sam"))
    wf.archive(item.id, w.actor("alex"))
    assert _get(engine, item.id).state == "archived"
    wf.restore(item.id, w.actor("alex"))
    assert _get(engine, item.id).state == "synced"


def test_other_tenant_sees_nothing(engine):
    mine, theirs = World(engine, name="Mine"), World(engine, name="Theirs")
    item = mine.item()
    with pytest.raises(ItemNotFound):
        Workflow(engine).send(item.id, theirs.actor("erin"))


def test_hook_failure_rolls_back_decision_and_audit(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))

    def broken_outbox(session, it):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        wf.accept(item.id, w.actor("dana"), then=broken_outbox)
    assert _get(engine, item.id).state == "awaiting_acceptance"
    assert [a for a, *_ in _audit(engine, item.id)] == ["send"]


def test_accept_and_outbox_row_commit_together(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))

    def enqueue(session, it):
        session.add(OutboxEntry(tenant_id=it.tenant_id, item_id=it.id, target="qbo", operation="create_bill",
                                requestid=f"bill-{it.id}-r{it.round}"))

    wf.accept(item.id, w.actor("dana"), then=enqueue)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(OutboxEntry)).one() == 1


def _race(n: int, fn) -> tuple[list, list]:
    barrier = threading.Barrier(n)
    wins, losses = [], []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            out = fn(i)
        except (AlreadyDecided, IllegalTransition) as exc:
            with lock:
                losses.append(exc.sentence)
        else:
            with lock:
                wins.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return wins, losses


def test_concurrent_decisions_exactly_one_wins(engine):
    """Ten threads, alternating accept/reject by two approvers, on one item: one decision, nine sentences."""
    w, wf = World(engine), Workflow(engine)
    item = w.item("INV-777")
    wf.send(item.id, w.actor("sam"))
    dana, erin = w.actor("dana"), w.actor("erin")

    def decide(i: int):
        who = dana if i % 2 else erin
        if i % 3 == 0:
            return wf.reject(item.id, who, "Retainage is wrong")
        return wf.accept(item.id, who)

    wins, losses = _race(10, decide)
    assert len(wins) == 1 and len(losses) == 9
    assert all("INV-777 was already" in s or "You already" in s for s in losses)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Decision)).one() == 1
        decisions = s.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.in_(["accept", "reject"]))).one()
        assert decisions == 1
        assert s.get(Item, item.id).version == 2  # send + one decision


def test_concurrent_same_approver_double_clicks(engine):
    w, wf = World(engine, threshold=Decimal("1")), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))
    wins, losses = _race(8, lambda i: wf.accept(item.id, w.actor("dana")))
    assert len(wins) == 1 and len(losses) == 7
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Decision)).one() == 1
        assert s.get(Item, item.id).state == "awaiting_acceptance"  # still needs a second approver


def test_accepts_after_hook_reads_once_the_decision_is_committed(engine):
    w, wf = World(engine), Workflow(engine)
    item = w.item()
    wf.send(item.id, w.actor("sam"))
    seen = []

    def after(s, it):  # another session already sees the decision: the hook runs after the commit
        seen.append((it.state, _get(engine, item.id).state, [a for a, *_ in _audit(engine, item.id)]))

    wf.accept(item.id, w.actor("dana"), after=after)
    assert seen == [("exporting", "exporting", ["send", "accept"])]

"""What the worker's scheduled tasks say, to whom and when: digest, reminders and escalation, token health,
rejection/failure/paid notifications, card refreshes after exports — through a recording Notifier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.scheduler import SchedulerConfig
from bot.worker import LoggingNotifier, OutboxLoop, Runtime, load_notifier, pump_events
from core.crypto import SecretBox
from core.domain.permissions import SYSTEM
from core.models import AuditEvent, Connection, Decision, Item, OutboxEntry, TenantSettings, utcnow
from sync.outbox import Outbox, PermanentError, RemoteResult, enqueue
from sync.tokens import TokenSet, TokenStore
from tests.support.factories import World


class Recorder:
    """A Notifier that remembers every call as (method, args)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str):
        if not name.startswith(("notify_", "refresh_")):
            raise AttributeError(name)
        return lambda *args: self.calls.append((name, args))

    def of(self, name: str) -> list[tuple]:
        return [args for n, args in self.calls if n == name]


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def world(engine):
    return World(engine, timezone="America/Chicago")


@pytest.fixture
def notes():
    return Recorder()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def runtime(engine, notes, clock):
    return Runtime(engine, None, config=SchedulerConfig(event_settle=0), notifier=notes, clock=clock)


def awaiting(world, title, *, sender="sam", sent_at=None, type="sub_invoice"):
    item = world.item(title, state="awaiting_acceptance", sender=sender, type=type)
    with Session(world.engine) as s:
        row = s.get(Item, item.id)
        row.sent_at, row.round = sent_at or utcnow(), 1
        s.add(row)
        s.commit()
    return item


def update_settings(engine, tenant_id, **values):
    with Session(engine) as s:
        row = s.get(TenantSettings, tenant_id)
        for key, value in values.items():
            setattr(row, key, value)
        s.add(row)
        s.commit()


# --- digest
def test_digest_goes_to_each_approver_with_what_they_can_decide(engine, world, runtime, notes):
    a = awaiting(world, "INV-1", sender="sam")
    awaiting(world, "INV-2", sender="dana")
    world.item("INV-3")  # not sent: not in anyone's digest
    with Session(engine) as s:  # erin already approved INV-1 in this round (a two-approver threshold)
        s.add(Decision(item_id=a.id, round=1, user_id=world.users["erin"].id, decision="accept"))
        s.commit()
    assert runtime.task_digest(world.tenant.id) == 2
    got = {user.name: [i.title for i in items] for _tenant, user, items in notes.of("notify_digest")}
    assert got == {"@dana": ["INV-1"], "@erin": ["INV-2"]}  # never one's own item, never one already decided


def test_digest_respects_the_opt_out(engine, world, runtime, notes):
    awaiting(world, "INV-1")
    with Session(engine) as s:
        erin = s.get(type(world.users["erin"]), world.users["erin"].id)
        erin.digest_opt_out = True
        s.add(erin)
        s.commit()
    runtime.task_digest(world.tenant.id)
    assert [user.name for _t, user, _i in notes.of("notify_digest")] == ["@dana"]


def test_no_digest_when_nothing_waits(world, runtime, notes):
    assert runtime.task_digest(world.tenant.id) == 0
    assert notes.calls == []


# --- reminders and escalation
def test_reminders_at_n_hours_and_escalation_once_at_m_hours(engine, world, runtime, notes, clock):
    h, t0 = timedelta(hours=1), clock.now
    almost = awaiting(world, "ALMOST", sent_at=t0 - 24 * h + timedelta(minutes=5))
    awaiting(world, "DAY", sent_at=t0 - 24 * h - timedelta(minutes=5))
    awaiting(world, "TWO-DAYS", sent_at=t0 - 48 * h - timedelta(minutes=5))
    awaiting(world, "QUIET", sent_at=t0 - 30 * h)  # crossed 24 h long ago, not 48 h yet
    assert runtime.task_reminders(world.tenant.id) == {"reminded": 1, "escalated": 1}
    (_t, channel, items), = notes.of("notify_reminder")
    assert channel == "#accounting" and [i.title for i in items] == ["DAY"]
    (_t, esc_channel, approvers, esc_items), = notes.of("notify_escalation")
    assert esc_channel is None  # no second channel set: the approvers get it directly
    assert sorted(u.name for u in approvers) == ["@dana", "@erin"] and [i.title for i in esc_items] == ["TWO-DAYS"]

    notes.calls.clear()
    clock.now = t0 + timedelta(minutes=10)  # ALMOST crosses 24 h inside this window
    assert runtime.task_reminders(world.tenant.id) == {"reminded": 1, "escalated": 0}
    assert [i.id for i in notes.of("notify_reminder")[0][2]] == [almost.id]
    notes.calls.clear()
    assert runtime.task_reminders(world.tenant.id) == {"reminded": 0, "escalated": 0}  # same window: nothing new

    # a day later: the three that reached 48 h are escalated (and not also reminded); the one escalated
    # yesterday is reminded again at 72 h, as at every multiple of 24 h
    clock.now = t0 + 24 * h + timedelta(minutes=10)
    update_settings(engine, world.tenant.id, escalation_channel="#accounting-leads")
    runtime.task_reminders(world.tenant.id)
    assert [i.title for i in notes.of("notify_escalation")[0][3]] == ["QUIET", "DAY", "ALMOST"]
    assert notes.of("notify_escalation")[0][1] == "#accounting-leads"
    assert [i.title for i in notes.of("notify_reminder")[0][2]] == ["TWO-DAYS"]


def test_reminders_and_escalation_can_be_switched_off(engine, world, runtime, notes, clock):
    awaiting(world, "OLD", sent_at=clock.now - timedelta(hours=48, minutes=1))
    update_settings(engine, world.tenant.id, reminder_after_hours=0, escalate_after_hours=0)
    assert runtime.task_reminders(world.tenant.id) == {"reminded": 0, "escalated": 0}
    assert notes.calls == []


# --- token health
def add_connection(engine, tenant_id, provider, **values):
    with Session(engine, expire_on_commit=False) as s:
        row = Connection(tenant_id=tenant_id, provider=provider, external_id="1", **values)
        s.add(row)
        s.commit()
        return row


def test_token_health_tells_the_admins_once_per_problem(engine, world, runtime, notes, clock):
    tid = world.tenant.id
    add_connection(engine, tid, "qbo", refresh_expires_at=clock.now + timedelta(days=5))
    add_connection(engine, tid, "procore", status="needs_reauth",
                   status_detail="Procore refused Ledgerlink's saved sign-in (invalid_grant)")
    assert sorted(runtime.task_token_health(tid)) == ["procore", "qbo"]
    told = {conn.provider: (sorted(u.name for u in admins), problem)
            for _t, admins, conn, problem in notes.of("notify_reauth")}
    assert told["qbo"][0] == ["@alex", "@erin"]
    assert "expires on" in told["qbo"][1] and "/ledgerlink connect qbo" in told["qbo"][1]
    assert "invalid_grant" in told["procore"][1] and "/ledgerlink connect procore" in told["procore"][1]

    notes.calls.clear()
    assert runtime.task_token_health(tid) == []  # same problems, told already
    clock.now += timedelta(days=1, minutes=1)
    assert sorted(runtime.task_token_health(tid)) == ["procore", "qbo"]  # still unsolved a day later: again


def test_token_health_is_quiet_for_healthy_and_revoked_connections(engine, world, runtime, notes, clock):
    add_connection(engine, world.tenant.id, "qbo", refresh_expires_at=clock.now + timedelta(days=90))
    add_connection(engine, world.tenant.id, "procore", status="revoked")
    assert runtime.task_token_health(world.tenant.id) == []
    assert notes.calls == []


def test_token_health_renews_a_refresh_token_before_it_expires(engine, world, notes):
    box = SecretBox(__import__("os").environ["LEDGERLINK_SECRET_KEY"])
    now = utcnow()
    store = TokenStore(engine, box, refreshers={"qbo": lambda _refresh: TokenSet(
        access_token="new-access", refresh_token="new-refresh", access_expires_at=now + timedelta(hours=1),
        refresh_expires_at=now + timedelta(days=100))})
    cid = store.save(tenant_id=world.tenant.id, provider="qbo", external_id="123",
                     tokens=TokenSet(access_token="old", refresh_token="old-refresh",
                                     access_expires_at=now + timedelta(hours=1),
                                     refresh_expires_at=now + timedelta(days=3)))
    runtime = Runtime(engine, None, notifier=notes, tokens=store)
    assert runtime.task_token_health(world.tenant.id) == []  # renewed, so nobody needs telling
    assert notes.calls == []
    assert store.current_tokens(cid).refresh_token == "new-refresh"


# --- notifications from audit events
def test_rejections_failures_and_paid_items_are_announced_once(engine, world, runtime, notes, clock):
    tid = world.tenant.id
    pump_events(runtime, tid)  # the first round only marks where the history ends
    old = awaiting(world, "OLD")
    from core.domain.workflow import Workflow

    wf = Workflow(engine)
    wf.reject(old.id, world.actor("dana"), "Wrong cost code on line 2")
    commitment = awaiting(world, "PO-7", type="commitment")
    with Session(engine) as s:
        row = s.get(Item, commitment.id)
        row.creator_id = world.users["alex"].id
        s.add(row)
        s.commit()
    wf.reject(commitment.id, world.actor("erin"), "Retainage should be 5%")
    failing = world.item("INV-9", state="exporting")
    wf.mark_failed(failing.id, SYSTEM, "Vendor 'ACME' is inactive in QuickBooks — reactivate it")
    paid = world.item("INV-10", state="synced")
    wf.mark_paid(paid.id, SYSTEM)

    clock.now = utcnow()
    assert pump_events(runtime, tid) == 3
    rejected = {item.title: (who.name, reason, by) for _t, item, who, reason, by in notes.of("notify_rejected")}
    assert rejected == {"OLD": ("@sam", "Wrong cost code on line 2", "@dana"),
                        "PO-7": ("@alex", "Retainage should be 5%", "@erin")}  # commitments: the creator
    assert [(i.title, e) for _t, i, e in notes.of("notify_failed")] == [
        ("INV-9", "Vendor 'ACME' is inactive in QuickBooks — reactivate it")]
    assert [[i.title for i in items] for (items,) in notes.of("refresh_cards")] == [["INV-10"]]
    notes.calls.clear()
    assert pump_events(runtime, tid) == 0  # nothing twice
    assert notes.calls == []


def test_history_before_the_first_round_is_not_replayed(engine, world, runtime, notes):
    from core.domain.workflow import Workflow

    item = awaiting(world, "OLD")
    Workflow(engine).reject(item.id, world.actor("dana"), "Wrong cost code on line 2")
    assert pump_events(runtime, world.tenant.id) == 0
    assert pump_events(runtime, world.tenant.id) == 0 and notes.calls == []


def test_a_young_event_waits_a_round(engine, world, notes, clock):
    """Ids are allocated before commit: an event is announced only once it is older than the settle time,
    so one committed a moment later with a lower id is not skipped."""
    from core.domain.workflow import Workflow

    runtime = Runtime(engine, None, config=SchedulerConfig(event_settle=30), notifier=notes, clock=clock)
    pump_events(runtime, world.tenant.id)
    item = awaiting(world, "INV-1")
    Workflow(engine).reject(item.id, world.actor("dana"), "Wrong cost code on line 2")
    assert pump_events(runtime, world.tenant.id) == 0
    clock.now += timedelta(seconds=31)
    assert pump_events(runtime, world.tenant.id) == 1


def test_paid_notices_from_paid_sync_reach_the_notifier(engine, world, runtime, notes, clock):
    events = pytest.importorskip("sync.events")
    item = world.item("INV-11", state="paid")
    history = dict(tenant_id=world.tenant.id, actor_label="Ledgerlink", action=events.PAID, item_id=item.id,
                   detail={"invoice": "INV-0", "amount": "1.00"})
    with Session(engine) as s:
        s.add(AuditEvent(**history))
        s.commit()
    assert pump_events(runtime, world.tenant.id) == 0  # first round: the history is not announced
    with Session(engine) as s:
        s.add(AuditEvent(tenant_id=world.tenant.id, actor_label="Ledgerlink", action=events.PAID, item_id=item.id,
                         detail={"invoice": "INV-11", "vendor": "ACME Concrete", "amount": "1200.00",
                                 "payment_date": "2026-11-20", "reference": "CHK 1001", "fully_paid": True,
                                 "status": "Paid in full ($1,200.00)", "channel": "#accounting"}))
        s.commit()
    clock.now = utcnow()
    assert pump_events(runtime, world.tenant.id) == 1
    ((_tenant, event),) = notes.of("notify_paid")
    assert event.invoice == "INV-11" and event.channel == "#accounting"
    assert pump_events(runtime, world.tenant.id) == 0


# --- the outbox loop
class FakeOp:
    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail

    def execute(self, entry):
        if self.fail:
            raise self.fail
        return RemoteResult(remote_id="99", summary="Bill 99")

    def reconcile(self, entry):
        return None

    def on_done(self, session, entry, result):
        pass


def test_the_outbox_loop_drains_and_refreshes_the_cards_at_once(engine, world, notes):
    import threading

    runtime = Runtime(engine, None, notifier=notes)
    carded = world.item("INV-20", state="exporting")
    refused = world.item("INV-21", state="exporting")
    buggy = world.item("INV-22", state="exporting")
    with Session(engine) as s:
        for item in (carded, refused):
            row = s.get(Item, item.id)
            row.card_channel, row.card_ts = "C1", f"1700000000.{item.id:06d}"
            s.add(row)
        for op, item in (("test.ok", carded), ("test.refused", refused), ("test.buggy", buggy)):
            enqueue(s, tenant_id=world.tenant.id, operation=op, target="qbo", record=op, version=1, item_id=item.id)
        s.commit()
    sentence = "Vendor 'ACME' is inactive in QuickBooks — reactivate it or relink the company."
    loop = OutboxLoop(runtime, threading.Event(), "test-worker")
    loop._outbox = Outbox(engine, {"test.ok": FakeOp(), "test.refused": FakeOp(PermanentError(sentence)),
                                   "test.buggy": FakeOp(ValueError("a bug, not a remote error"))},
                          worker_id="test-worker")
    assert loop.drain() == 3  # the bug is logged; the loop carries on
    ((items,),) = notes.of("refresh_cards")
    assert sorted((i.title, i.state) for i in items) == [("INV-20", "synced"), ("INV-21", "failed_to_export")]
    assert notes.of("notify_failed") == []  # that comes from the audit log (above), in the leader
    with Session(engine) as s:
        assert {e.operation: e.status for e in s.exec(select(OutboxEntry))} == {
            "test.ok": "done", "test.refused": "failed", "test.buggy": "claimed"}


# --- the notifier wiring
def test_logging_notifier_is_the_default_without_slack(engine, world, caplog):
    notifier = load_notifier(None, engine)
    import bot

    if getattr(bot, "notify", None) is None:
        assert isinstance(notifier, LoggingNotifier)
    with caplog.at_level("INFO", logger="ledgerlink.notify"):
        LoggingNotifier().notify_digest(world.tenant, world.users["dana"], [world.item("INV-30")])
    assert "digest to @dana" in caplog.text and "INV-30" in caplog.text

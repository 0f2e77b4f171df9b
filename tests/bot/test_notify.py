"""bot/notify.py against the Slack sandbox: cards posted and updated in place from the database, converging when
the item moves during the update; DMs, notices and the worker's notifier protocol; once-only notices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from slack_sdk import WebClient
from sqlmodel import Session

from bot.config import load_settings
from bot.models import Item, User
from bot.notify import Notifier, build_notifier
from sandbox.slack import create_app as create_sandbox
from sandbox.slack.seed import make_user
from tests.support.factories import World

pytest_plugins = ["tests.handlers.slack_harness"]
TOKEN = "xoxb-423456789012-4234567890123-notifytestsabcdefghijkl"


@pytest.fixture
def setup(_slack_servers, sqlite_engine):
    switch, url, _, _ = _slack_servers
    app = create_sandbox(bot_token=TOKEN, signing_secret="a" * 32, users="none")
    switch.app = app
    sandbox = app.config["SLACK_SANDBOX"]
    world = World(sqlite_engine)
    for who, user in world.users.items():
        slack_user = make_user(sandbox.ws, name=who, real_name=who.title(), email=user.email,
                               user_id=user.slack_user_id)
        sandbox.store.put_user(slack_user)
    client = WebClient(token=TOKEN, base_url=f"{url}/api/")
    return SimpleNamespace(sandbox=sandbox, world=world, client=client, engine=sqlite_engine,
                           notifier=Notifier(sqlite_engine, lambda _t: client, public_url="https://ll.example"))


def _msgs(sandbox, channel=None):
    conv = sandbox.resolve_channel(channel, names=True)["id"] if channel else None
    return [m for m in sandbox.store.messages(conv) if not m.get("_sandbox", {}).get("ephemeral_to")] \
        if conv else sandbox.store.messages()


def _set(engine, item_id, **values):
    with Session(engine) as s:
        row = s.get(Item, item_id)
        for k, v in values.items():
            setattr(row, k, v)
        row.version += 1
        s.add(row)
        s.commit()


def test_post_then_update_in_place(setup):
    w = setup.world
    item = w.item("INV-1", state="awaiting_acceptance", sender="sam")
    channel, ts = setup.notifier.post_card(item.id)
    with Session(setup.engine) as s:
        assert (s.get(Item, item.id).card_channel, s.get(Item, item.id).card_ts) == (channel, ts)
    _set(setup.engine, item.id, state="synced", remote_id="145")
    assert setup.notifier.refresh_card(item.id) is True
    msg = setup.sandbox.store.message(channel, ts)
    assert msg["text"].startswith("Subcontractor invoice INV-1 synced")
    no_card = w.item("INV-2")
    assert setup.notifier.refresh_card(no_card.id) is False


def test_a_move_during_the_update_is_rendered_too(setup, monkeypatch):
    item = setup.world.item("INV-3", state="awaiting_acceptance", sender="sam")
    channel, ts = setup.notifier.post_card(item.id)
    _set(setup.engine, item.id, state="exporting")
    real = setup.client.chat_update
    moved = []

    def update_then_worker_finishes(**kwargs):
        out = real(**kwargs)
        if not moved:  # the worker synced it while our "Exporting…" was on its way
            moved.append(1)
            _set(setup.engine, item.id, state="synced", remote_id="9")
        return out

    monkeypatch.setattr(setup.client, "chat_update", update_then_worker_finishes)
    setup.notifier.refresh_card(item.id)
    assert setup.sandbox.store.message(channel, ts)["text"].startswith("Subcontractor invoice INV-3 synced")


def test_rejection_dm_goes_to_the_creator_once(setup):
    w = setup.world
    item = w.item("SC-1", type="commitment", state="rejected", sender="sam")
    _set(setup.engine, item.id, creator_id=w.users["alex"].id, reject_reason="Wrong vendor.")
    from bot.domain import audit

    with Session(setup.engine) as s:
        audit.record(s, tenant_id=w.tenant.id, actor=w.actor("dana"), action="reject", item_id=item.id)
        s.commit()
    assert setup.notifier.rejection_dm(item.id) is True
    assert setup.notifier.rejection_dm(item.id) is False  # the worker's later pass: already sent
    alex_dm = setup.sandbox.store.im_with(w.users["alex"].slack_user_id)
    assert alex_dm and "Wrong vendor." in str(setup.sandbox.store.messages(alex_dm["id"]))
    assert setup.sandbox.store.im_with(w.users["sam"].slack_user_id) is None


def test_paid_reauth_and_the_worker_protocol(setup):
    w = setup.world
    item = w.item("INV-9", state="paid", sender="sam")
    event = SimpleNamespace(id=1, tenant_id=w.tenant.id, kind="paid", item_id=item.id, invoice="INV-9",
                            vendor="ACME Concrete", amount=Decimal("48250.00"), payment_date=date(2025, 3, 5),
                            reference="CHK 1001", status="Paid in full ($48,250.00)", channel="#general",
                            text=lambda: "Paid: INV-9 from ACME Concrete — $48,250.00")
    setup.notifier.notify_paid(w.tenant, event)
    general = _msgs(setup.sandbox, "#general")
    assert general and general[-1]["text"].startswith("Paid: INV-9") and "CHK 1001" in str(general[-1]["blocks"])
    told = setup.notifier.reauth_notice(w.tenant.id, "qbo", "The refresh token was revoked.")
    assert told == 2  # erin and alex
    erin_dm = setup.sandbox.store.im_with(w.users["erin"].slack_user_id)
    assert "https://ll.example/qbo/connect?tenant=" in str(setup.sandbox.store.messages(erin_dm["id"]))
    waiting = [w.item(f"INV-{n}", state="awaiting_acceptance", sender="sam") for n in range(20, 40)]
    with Session(setup.engine) as s:
        dana = s.get(User, w.users["dana"].id)
    setup.notifier.notify_digest(w.tenant, dana, waiting)
    setup.notifier.notify_reminder(w.tenant, "#accounting", waiting[:3])
    setup.notifier.notify_escalation(w.tenant, None, [dana], waiting[:2])
    dana_dm = setup.sandbox.store.im_with(dana.slack_user_id)
    texts = str(setup.sandbox.store.messages(dana_dm["id"]))
    assert "20 items waiting for your acceptance" in texts and "…and 5 more" in texts
    assert "Waiting too long" in texts
    assert "Still waiting for acceptance" in str(_msgs(setup.sandbox, "#accounting"))
    setup.notifier.refresh_cards([item])  # no card: nothing to do, no error


def test_build_notifier_needs_slack(sqlite_engine):
    bare = load_settings(_env_file=None, DATABASE_URL="sqlite://")
    assert build_notifier(bare, sqlite_engine) is None
    configured = load_settings(_env_file=None, DATABASE_URL="sqlite://", SLACK_BOT_TOKEN=TOKEN)
    assert isinstance(build_notifier(configured, sqlite_engine), Notifier)

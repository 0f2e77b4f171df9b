"""bot/notify.py against the Slack sandbox: cards posted and updated in place from the database, converging when
the item moves during the update; DMs, notices and the worker's notifier protocol; once-only notices."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from slack_sdk import WebClient
from sqlmodel import Session

from bot.notify import Notifier, build_notifier
from core.config import load_settings
from core.models import Item, User
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
                           notifier=Notifier(sqlite_engine, lambda _t: client, public_url="https://ll.example",
                                             secret_key=os.environ["LEDGERLINK_SECRET_KEY"]))


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
    from core.domain import audit

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
    assert "https://ll.example/qbo/connect?link=" in str(setup.sandbox.store.messages(erin_dm["id"]))
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


def test_cards_read_the_engines_snapshots(setup):
    """Item.detail as the sync jobs write it (requisition / commitment / change order / pay app snapshots)."""
    w = setup.world
    req = {"requisition_id": 12, "number": 4, "invoice_number": "2024-117", "status": "approved",
           "project": {"id": 5, "name": "Riverside Clinic", "number": "P-1001"},
           "commitment": {"id": 77, "type": "PurchaseOrderContract", "number": "SC-7", "title": "Concrete"},
           "vendor": {"id": 9, "name": "ACME Concrete"}, "due": "48250.00",
           "lines": [{"cost_code": "03-100", "cost_type": "Material", "description": "Footings",
                      "amount": "20000.00"}],
           "qbo_summary": "Creates Bill 2024-117 for ACME Concrete, $48,250.00 across 1 cost code",
           "blocked": "Link company ACME Concrete to a QuickBooks vendor first."}
    cases = {
        "sub_invoice": (req, "/5/project/commitments/purchase_order_contracts/77/requisitions/12"),
        "commitment": ({"id": 77, "kind": "work_order_contract", "project_id": 5, "vendor_name": "ACME",
                        "lines": []}, "/5/project/commitments/work_order_contracts/77"),
        "cco": ({"id": 3, "kind": "commitment", "contract_id": 77, "project_id": 5,
                 "parent": {"id": 77, "kind": "purchase_order_contract"}},
                "/5/project/commitments/purchase_order_contracts/77/change_orders/"
                "commitment_contract_change_orders/3"),
        "pcco": ({"id": 4, "contract_id": 8, "project_id": 5}, "/5/project/prime_contracts/8/change_orders/"
                 "change_order_packages/4"),
        "owner_invoice": ({"payment_application_id": 6, "project": {"id": 5, "name": "Riverside Clinic"},
                           "prime_contract": {"id": 8}, "sov": [{"description": "Sitework", "this_period": "10.00"}]},
                          "/5/project/prime_contracts/8/payment_applications/6"),
    }
    made = {}
    for item_type, (detail, path) in cases.items():
        procore_id = str(detail.get("requisition_id") or detail.get("payment_application_id") or detail["id"])
        with Session(setup.engine, expire_on_commit=False) as s:
            item = Item(tenant_id=w.tenant.id, type=item_type, procore_id=procore_id, title="X",
                        amount=Decimal("1"), state="awaiting_acceptance", procore_project_id=None, detail=detail)
            s.add(item)
            s.commit()
        made[item_type] = item.id
        card = setup.notifier.card(item.id)
        assert card.procore_url == "https://app.procore.com" + path, item_type
    card = setup.notifier.card(made["sub_invoice"])
    assert card.vendor == "ACME Concrete" and card.project == "Riverside Clinic" and card.number == "2024-117"
    assert card.summary.startswith("Creates Bill 2024-117") and card.lines[0].label == "03-100.Material — Footings"
    from blocks.cards import approval_card

    assert "Can't be exported yet: Link company ACME Concrete" in str([b.to_dict() for b in approval_card(card).blocks])
    assert setup.notifier.card(made["owner_invoice"]).lines[0].label == "Sitework"  # owner invoice: the G703 rows

"""Auto-send end to end: a Procore user changes a status in the Procore sandbox → webhook deliveries over HTTP to
`POST /webhooks/procore` → the worker's scheduler runs the sync job → the item is sent for acceptance with the
approval card in the Slack sandbox, once per status change, with the Procore user as the sender."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import Session, select

from bot.scheduler import Scheduler, SchedulerConfig
from bot.worker import Runtime
from core.models import AutoSend, Item, SyncRequest, TenantSettings, User
from sync import binder
from sync.jobs.base import run_job
from tests.handlers.slack_harness import card_text
from tests.scenarios.linked_world import web_role

pytest_plugins = ["tests.handlers.slack_harness", "tests.scenarios.linked_world"]


@pytest.fixture
def world(linked_world):
    return linked_world


@pytest.fixture
def slack(linked_slack):
    return linked_slack

SECRET = "procore-hook-secret"


@pytest.fixture
def receiver(world, monkeypatch):
    """Ledgerlink's web role (webhooks only) and a Procore hook on the company pointing at it."""
    with web_role(world, monkeypatch, SECRET) as (base, _settings):
        hook = world.ctx.procore.create_hook(destination_url=f"{base}/webhooks/procore", secret=SECRET,
                                             namespace="ledgerlink")
        for resource, event in (("Requisitions", "update"), ("Company Vendors", "create")):
            world.ctx.procore.create_trigger(hook_id=hook.id, resource_name=resource, event_type=event)
        yield base
        world.ctx.procore.delete_hook(hook_id=hook.id)


@pytest.fixture
def worker(world, slack):
    """The leading worker's scheduler (webhook requests every 0.1 s) with the Slack app's notifier."""
    config = SchedulerConfig(intervals={}, tasks=(), requests=0.1, events=3600, reconcile=3600,
                             first_run_delay=3600, threads=2)
    runtime = Runtime(world.engine, slack.settings, config=config, notifier=slack.svc.notifier,
                      context_for=lambda _tenant: world.ctx)
    scheduler = Scheduler(runtime)
    scheduler.start()
    yield runtime
    scheduler.shutdown(wait=True)


@pytest.fixture
def procore(world):
    """Procore-side helpers: people, a status change as a Procore user makes it, the deliveries."""
    class Procore:
        def __init__(self) -> None:
            self.http = httpx.Client(base_url=f"{world.sandboxes.procore_url}/_sandbox", timeout=30)

        def add_user(self, first: str, last: str, email: str) -> int:
            r = self.http.post("/records/users", params={"emit": 0}, json={
                "first_name": first, "last_name": last, "email_address": email, "company_ids": [world.company_id],
                "is_active": True})
            assert r.status_code < 300, r.text
            return r.json()["id"] if isinstance(r.json(), dict) else r.json()[0]["id"]

        def user(self, first_name: str) -> dict:
            return next(u for u in self.http.get("/records/users").json()
                        if u["first_name"] == first_name and world.company_id in (u.get("company_ids") or []))

        def set_status(self, requisition_id: int, status: str, *, by: int) -> None:
            r = self.http.patch(f"/records/requisitions/{requisition_id}", params={"user_id": by},
                                json={"status": status})
            assert r.status_code == 200, r.text

        def advance_clock(self, seconds: float) -> None:
            self.http.post("/clock", json={"advance": seconds})

        def deliveries(self) -> list[dict]:
            return self.http.get("/webhook-deliveries", params={"wait": 10}).json()

        def config(self, **values) -> None:
            self.http.post("/config", json=values).raise_for_status()

    p = Procore()
    p.http.delete("/webhook-deliveries")
    yield p
    p.config(webhooks={"duplicate": False})
    p.http.post("/clock", json={"offset": 0})  # the sandbox is shared by the session
    p.http.close()


def _turn_on(engine, tenant_id: int, *types: str) -> None:
    with Session(engine) as s:
        row = s.get(TenantSettings, tenant_id)
        row.autosend = {t: datetime.now(UTC).isoformat() for t in types}
        s.add(row)
        s.commit()


def _under_review(world):
    reqs = [r for r in world.ctx.procore.list_requisitions(project_id=world.links.project_ids[0])
            if r.status == "under_review"]
    return reqs[0]


def _rows(engine, model, **where) -> list:
    with Session(engine) as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return list(s.exec(q))


def _settled(slack, world, *, sends: int) -> None:
    """Wait until the worker has run every queued sync and `sends` auto-sends have finished."""
    slack.wait_for(lambda: all(r.status != "pending" for r in _rows(world.engine, SyncRequest))
                   and len([r for r in _rows(world.engine, AutoSend) if r.state in ("sent", "skipped", "failed")])
                   >= sends)
    slack.idle()


def _cards_posted(slack, item: Item) -> list[dict]:
    """chat.postMessage calls that posted an approval card for this item."""
    return [c for c in slack.calls("chat.postMessage") if c["ok"] and not str(c["args"].get("channel")).startswith("D")
            and f"{item.title}" in str(c["args"].get("text")) and "awaiting acceptance" in str(c["args"].get("text"))]


def _item(engine, procore_id) -> Item | None:
    with Session(engine) as s:
        return s.exec(select(Item).where(Item.type == "sub_invoice", Item.procore_id == str(procore_id))).first()


def test_three_deliveries_send_once_and_a_reapproval_sends_again(world, slack, receiver, worker, procore):
    _turn_on(world.engine, world.tenant.id, "sub_invoice")
    jane = procore.add_user("Jane", "Roe", "jane.roe@roe-consulting.example")  # in Procore, not in Slack
    req = _under_review(world)
    assert _item(world.engine, req.id) is None  # under review: not an item yet
    procore.config(webhooks={"duplicate": 3})

    procore.set_status(req.id, "approved", by=jane)
    deliveries = procore.deliveries()
    assert len(deliveries) == 3 and {d["status"] for d in deliveries} == {"delivered"}
    assert len({d["ulid"] for d in deliveries}) == 1
    _settled(slack, world, sends=1)
    item = _item(world.engine, req.id)
    assert item.state == "awaiting_acceptance"

    assert len(_rows(world.engine, SyncRequest, entity="Requisitions")) == 1  # the receiver deduped the ulid
    [auto] = _rows(world.engine, AutoSend)
    assert (auto.state, auto.from_status, auto.to_status, auto.procore_user_id) == ("sent", None, "approved", jane)
    assert auto.sender_id is None and auto.sender_label == "(Procore) Jane Roe"
    assert len(_cards_posted(slack, item)) == 1
    card = card_text(slack.card(item))
    assert "Sent by*\n(Procore) Jane Roe" in card
    assert "Sent automatically when (Procore) Jane Roe made it approved in Procore." in card
    slack.home("dana")
    slack.idle()
    assert "(Procore) Jane Roe" in card_text(slack.views("dana")["home"]["view"])

    # the same change again — re-delivered with fresh ulids, and polled — sends nothing more
    for n in range(2):
        body = dict(deliveries[0]["payload"], ulid=f"01JDUPL1CATE0000000000000{n}")
        r = httpx.post(f"{receiver}/webhooks/procore", json=body, headers={"Authorization": f"Bearer {SECRET}"})
        assert r.json() == {"status": "queued"}
    run_job(world.ctx, "sub-invoices")
    slack.wait_for(lambda: all(r.status != "pending" for r in _rows(world.engine, SyncRequest)))
    assert len(_rows(world.engine, AutoSend)) == 1

    # an approver rejects; Procore sends it back for revision, then approves it again: a second send
    slack.click("dana", item, "item_reject")
    slack.idle()
    assert slack.submit("dana", {"reason": {"reason_text": "Wrong period end date."}})["closed"] is True
    slack.idle()
    assert slack.get(item.id).state == "rejected"
    procore.config(webhooks={"duplicate": False})
    procore.advance_clock(60)
    procore.set_status(req.id, "revise_and_resubmit", by=jane)
    procore.deliveries()
    slack.wait_for(lambda: (slack.get(item.id).detail or {}).get("status") == "revise_and_resubmit")
    procore.advance_clock(60)
    procore.set_status(req.id, "approved", by=jane)
    procore.deliveries()
    _settled(slack, world, sends=2)
    again = slack.get(item.id)
    assert again.state == "awaiting_acceptance"
    rows = _rows(world.engine, AutoSend)
    assert [(r.state, r.from_status, r.round) for r in rows] == [("sent", None, 1),
                                                                 ("sent", "revise_and_resubmit", 2)]
    assert again.round == 2 and again.card_ts != item.card_ts
    assert len(_cards_posted(slack, item)) == 2


def test_a_procore_user_with_slack_is_the_sender(world, slack, receiver, worker, procore):
    _turn_on(world.engine, world.tenant.id, "sub_invoice")
    priya = procore.user("Priya")
    priya_slack = slack.add_slack_user("priya", priya["email_address"])  # in Slack, not yet known to Ledgerlink
    req = _under_review(world)

    procore.set_status(req.id, "approved", by=priya["id"])
    procore.deliveries()
    _settled(slack, world, sends=1)
    item = _item(world.engine, req.id)

    with Session(world.engine) as s:
        sender = s.get(User, item.sender_id)
    assert sender.slack_user_id == priya_slack and sender.permission == "none" and sender.procore_user_id
    card = card_text(slack.card(item))
    assert f"Sent by <@{priya_slack}>" in card and "when Priya Raman made it approved in Procore." in card
    assert any("sent" in m["text"].lower() for m in slack.dms(priya_slack))  # the sender's receipt


def test_off_by_default_and_a_new_company_is_sent_when_turned_on(world, slack, receiver, worker, procore):
    pc = world.ctx.procore
    pc.create_vendor(name="Quiet Paving Co.")
    procore.deliveries()
    slack.wait_for(lambda: all(r.status != "pending" for r in _rows(world.engine, SyncRequest)))
    assert _rows(world.engine, AutoSend) == []  # off by default

    _turn_on(world.engine, world.tenant.id, "company")
    vendor = pc.create_vendor(name="Loud Paving Co.")
    procore.deliveries()
    _settled(slack, world, sends=1)
    [auto] = _rows(world.engine, AutoSend)
    [item] = _rows(world.engine, Item, type="company", procore_id=str(vendor.id))
    assert (auto.state, auto.to_status, auto.item_id, item.state) == ("sent", "created", item.id,
                                                                      "awaiting_acceptance")
    card = card_text(slack.card(item))
    assert "Loud Paving Co." in card and "Sent automatically when" in card and "to the Procore directory." in card


def test_an_item_that_cant_be_sent_yet_is_skipped_with_the_reason(world, slack, receiver, worker, procore):
    _turn_on(world.engine, world.tenant.id, "sub_invoice")
    req = _under_review(world)
    with Session(world.engine) as s:  # its company loses its QuickBooks vendor link
        binder.unbind(s, world.tenant.id, "company", req.vendor_id or _commitment_vendor(world, req))
        s.commit()

    procore.set_status(req.id, "approved", by=procore.user("Sam")["id"])
    procore.deliveries()
    _settled(slack, world, sends=1)

    [auto] = _rows(world.engine, AutoSend)
    assert auto.state == "skipped" and "Link company" in auto.note and "QuickBooks vendor" in auto.note
    assert _item(world.engine, req.id).state == "ready_to_export" and _cards_posted(slack, _item(world.engine,
                                                                                                  req.id)) == []


def _commitment_vendor(world, req) -> int:
    return world.ctx.procore.get_work_order_contract(project_id=world.links.project_ids[0],
                                                     contract_id=req.commitment_id).vendor_id


def test_a_poll_finds_an_executed_commitment_and_sends_it_without_a_known_sender(world, slack, worker, procore):
    run_job(world.ctx, "commitments")
    _turn_on(world.engine, world.tenant.id, "commitment")
    draft = next(c for c in world.ctx.procore.list_work_order_contracts(project_id=world.links.project_ids[2])
                 if c.status == "Draft")
    r = procore.http.patch(f"/records/work_order_contracts/{draft.id}", params={"emit": 0},
                           json={"status": "Approved", "executed": True})
    assert r.status_code == 200, r.text

    assert worker.run(world.tenant.id, "commitments")  # the scheduled poll: no webhook, so no known sender
    slack.idle()
    [auto] = _rows(world.engine, AutoSend)
    [item] = _rows(world.engine, Item, type="commitment", procore_id=str(draft.id))
    assert (auto.state, auto.from_status, auto.to_status, auto.procore_user_id) == ("sent", None, "Approved", None)
    assert item.state == "awaiting_acceptance" and item.sender_id is None
    card = card_text(slack.card(item))
    assert "Sent by*\nLedgerlink auto-send" in card and "Sent automatically when it became Approved in Procore." in card
    assert worker.run(world.tenant.id, "commitments") and len(_rows(world.engine, AutoSend)) == 1  # polled again

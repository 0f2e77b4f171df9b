"""New Procore records arrive by themselves: Ledgerlink registers its Procore webhook, a subcontractor invoice
created and approved through the Procore sandbox's API reaches the sender's Ready list (and, with auto-send on, an
approval card in Slack) by the webhook within seconds — and, with webhooks switched off in the sandbox, by the
scheduled incremental poll within one interval. No Ledgerlink command is used. The poll is cheap when nothing
changed (requests counted at the sandbox)."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest

from bot.scheduler import Scheduler, SchedulerConfig
from bot.worker import Runtime
from sync.jobs import linked_projects
from sync.jobs.base import run_job
from sync.procore import subscription
from tests.handlers.slack_harness import card_text
from tests.scenarios.linked_world import web_role
from tests.scenarios.test_slack_autosend import _cards_posted, _item, _turn_on

pytest_plugins = ["tests.handlers.slack_harness", "tests.scenarios.linked_world"]


@pytest.fixture
def world(linked_world):
    return linked_world


@pytest.fixture
def slack(linked_slack):
    return linked_slack

SECRET = "procore-arrival-secret"
ARRIVAL_SECONDS = 10  # "within seconds"
POLL_EVERY = 1.0  # the test's poll interval


@pytest.fixture
def receiver(world, monkeypatch):
    """Ledgerlink's web role and a context whose settings point the webhook at it (as on connect)."""
    with web_role(world, monkeypatch, SECRET) as (base, settings):
        ctx = replace(world.ctx, settings=settings.model_copy(update={"public_url": base}))
        yield ctx
        subscription.remove(world.ctx.procore, public_url=base)


@pytest.fixture
def sandbox(world):
    http = httpx.Client(base_url=f"{world.sandboxes.procore_url}/_sandbox", timeout=30)
    yield http
    http.post("/config", json={"webhooks": {"enabled": True}}).raise_for_status()
    http.delete("/webhook-deliveries")
    http.close()


def _worker(world, slack, **intervals):
    config = SchedulerConfig(intervals=dict(intervals), tasks=(), requests=0.1, events=3600, reconcile=3600,
                             first_run_delay=POLL_EVERY, threads=2)
    runtime = Runtime(world.engine, slack.settings, config=config, notifier=slack.svc.notifier,
                      context_for=lambda _tenant: world.ctx)
    scheduler = Scheduler(runtime)
    scheduler.start()
    return scheduler


def _new_approved_invoice(world, amount: str) -> int:
    """What a Procore user does in Procore, through its API: a new invoice on a commitment, a line billed, approved."""
    pc, project_id = world.ctx.procore, world.links.project_ids[0]
    busy = {r.commitment_id for r in pc.list_requisitions(project_id=project_id)
            if r.status in ("draft", "under_review", "revise_and_resubmit")}
    contract = next(c for c in pc.list_work_order_contracts(project_id=project_id)
                    if c.status == "Approved" and c.id not in busy)
    created = pc._call("POST", "/rest/v1.1/requisitions", params={"project_id": project_id},
                       json={"project_id": project_id, "commitment_id": contract.id,
                             "requisition": {"invoice_number": f"AUTO-{amount}"}})
    req_id, line = created["id"], created["items"][0]["id"]
    pc._call("PATCH", f"/rest/v1.0/requisitions/{req_id}/contract_items/{line}", params={"project_id": project_id},
             json={"project_id": project_id, "requisition_contract_item": {"work_completed_this_period": amount}})
    pc._call("PATCH", f"/rest/v1.1/requisitions/{req_id}", params={"project_id": project_id},
             json={"project_id": project_id, "requisition": {"status": "approved"}})
    return req_id


def _arrives(world, req_id: int, timeout: float):
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        item = _item(world.engine, req_id)
        if item is not None:
            return item, time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"invoice {req_id} did not arrive within {timeout} s")


def _in_ready_list(slack, who: str, title: str) -> bool:
    slack.home(who)
    slack.idle()
    return title in card_text(slack.views(who)["home"]["view"])


def test_the_webhook_is_registered_and_repaired(world, receiver):
    report = run_job(receiver, "procore-webhook")
    [hook] = [h for h in world.ctx.procore.list_hooks() if h.namespace == subscription.NAMESPACE]
    triggers = list(world.ctx.procore.list_triggers(hook_id=hook.id))
    assert {(t.resource_name, t.event_type) for t in triggers} == {
        (r, e) for r in subscription.RESOURCES for e in subscription.EVENTS}
    assert report.stats["webhook_hook_id"] == hook.id

    world.ctx.procore.delete_trigger(hook_id=hook.id, trigger_id=triggers[0].id)  # someone removed one
    assert run_job(receiver, "procore-webhook").counts() == {"update": 1}
    assert len(list(world.ctx.procore.list_triggers(hook_id=hook.id))) == len(triggers)
    assert run_job(receiver, "procore-webhook").counts() == {}  # complete: nothing to do, one hook still

    assert subscription.remove(world.ctx.procore, public_url=receiver.settings.public_url) == 1
    assert [h for h in world.ctx.procore.list_hooks() if h.namespace == subscription.NAMESPACE] == []


def test_a_new_approved_invoice_arrives_by_the_webhook_within_seconds(world, slack, receiver):
    run_job(receiver, "procore-webhook")  # as the Procore connection does
    _turn_on(world.engine, world.tenant.id, "sub_invoice")
    scheduler = _worker(world, slack)  # no polls scheduled: only the webhook can bring it
    try:
        req_id = _new_approved_invoice(world, "20000.00")
        item, took = _arrives(world, req_id, ARRIVAL_SECONDS)
        slack.wait_for(lambda: _item(world.engine, req_id).state == "awaiting_acceptance", timeout=ARRIVAL_SECONDS)
        slack.idle()
    finally:
        scheduler.shutdown(wait=True)
    print(f"webhook arrival: {took:.2f} s")
    assert len(_cards_posted(slack, item)) == 1  # auto-send: the approval card, no command used
    assert "awaiting acceptance" in card_text(slack.card(item))


def test_without_webhooks_the_poll_brings_it_within_one_interval(world, slack, receiver, sandbox):
    run_job(world.ctx, "sub-invoices")  # the poll's cursor exists: from here it reads only what changed
    sandbox.post("/config", json={"webhooks": {"enabled": False}}).raise_for_status()
    scheduler = _worker(world, slack, **{"sub-invoices": POLL_EVERY})
    try:
        req_id = _new_approved_invoice(world, "18000.00")
        item, took = _arrives(world, req_id, POLL_EVERY * 2 + 5)  # first run after POLL_EVERY + spread, then each
    finally:
        scheduler.shutdown(wait=True)
    print(f"poll arrival: {took:.2f} s")
    assert item.state == "ready_to_export"
    assert _in_ready_list(slack, "sam", item.title)  # the sender's Ready list in App Home


def test_a_poll_with_nothing_changed_is_cheap(world, monkeypatch):
    monkeypatch.setattr(linked_projects, "OVERLAP", linked_projects.timedelta(0))  # one clock: no skew to cover
    time.sleep(1.1)  # updated_at has whole seconds: the cursor's second must come after the records' (seeded now)
    run_job(world.ctx, "sub-invoices")
    time.sleep(1.1)
    httpx.post(f"{world.sandboxes.procore_url}/_sandbox/requests/reset").raise_for_status()
    report = run_job(world.ctx, "sub-invoices")
    counts = world.sandboxes.procore_requests()["counts"]
    linked = len(report.stats[linked_projects.LINKED])
    assert report.stats["invoices_seen"] == 0 and report.counts().get("create", 0) == 0
    assert sum(counts.values()) == 1 + linked, counts  # the projects list, one filtered list per linked project
    full = sum(1 for _ in world.ctx.procore.list_requisitions(project_id=world.links.project_ids[0]))
    assert full > 0  # there were invoices to re-read, and the poll did not

"""The incremental polls of commitments, prime contracts and budgets, against the Procore sandbox over HTTP: a run
with nothing changed makes the minimum of requests (counted at the sandbox: the projects list and one
`filters[updated_at]` list per linked project and record kind); a record changed in Procore is read and ingested
by the next run — and by the scheduled poll of the worker, with no Ledgerlink command."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest
from sqlmodel import Session, select

from bot.scheduler import Scheduler, SchedulerConfig
from bot.worker import Runtime
from core.models import Item
from sync.jobs import linked_projects
from sync.jobs.base import run_job
from sync.procore import subscription
from tests.scenarios.linked_world import web_role

pytest_plugins = ["tests.handlers.slack_harness", "tests.scenarios.linked_world"]

SECRET = "procore-polls-secret"
#: job → filtered lists per linked project when nothing changed
LISTS_PER_PROJECT = {"commitments": 3,  # work order contracts, purchase order contracts, commitment change orders
                     "prime-contracts": 2,  # prime contracts, prime change orders
                     "budget": 1}  # budget line items


@pytest.fixture
def world(linked_world, monkeypatch):
    monkeypatch.setattr(linked_projects, "OVERLAP", linked_projects.timedelta(0))  # one clock: no skew to cover
    return linked_world


def _reset_counts(world) -> None:
    httpx.post(f"{world.sandboxes.procore_url}/_sandbox/requests/reset", timeout=30).raise_for_status()


def _requests(world) -> dict[str, int]:
    return world.sandboxes.procore_requests()["counts"]


def _items(world, item_type: str) -> list[Item]:
    with Session(world.engine) as s:
        return list(s.exec(select(Item).where(Item.tenant_id == world.tenant.id, Item.type == item_type)
                           .order_by(Item.id)))


def _patch(world, table: str, record_id: int | str, **fields) -> None:
    """What a Procore user's edit does: the record changes and its updated_at moves."""
    httpx.patch(f"{world.sandboxes.procore_url}/_sandbox/records/{table}/{record_id}", json=fields,
                timeout=30).raise_for_status()


def _first_poll(world, job: str) -> None:
    """A poll whose cursor is a later second than every record's updated_at (whole seconds; the world was seeded
    and changed just now); from here each run reads only what changed."""
    time.sleep(1.1)
    run_job(world.ctx, job)
    time.sleep(1.1)


@pytest.mark.parametrize("job", sorted(LISTS_PER_PROJECT))
def test_a_poll_with_nothing_changed_makes_the_minimum_of_requests(world, job):
    _reset_counts(world)
    _first_poll(world, job)
    full = sum(_requests(world).values())
    _reset_counts(world)
    report = run_job(world.ctx, job)
    linked = len(report.stats[linked_projects.LINKED])
    assert linked >= 1 and report.counts().get("create", 0) == report.counts().get("update", 0) == 0
    counts = _requests(world)
    assert sum(counts.values()) == 1 + LISTS_PER_PROJECT[job] * linked, counts
    assert all(k.startswith("GET ") for k in counts)
    print(f"{job}: full read {full} requests, nothing changed {sum(counts.values())} ({linked} linked projects)")
    assert sum(counts.values()) < full


def test_a_changed_commitment_is_read_and_ingested(world):
    _first_poll(world, "commitments")
    before = _items(world, "commitment")[0]
    _patch(world, "work_order_contracts", before.procore_id, title="Renamed in Procore")
    _reset_counts(world)
    report = run_job(world.ctx, "commitments")
    [after] = [i for i in _items(world, "commitment") if i.id == before.id]
    assert "Renamed in Procore" in after.title and [c.action for c in report.changes] == ["update"]
    linked = len(report.stats[linked_projects.LINKED])
    assert sum(_requests(world).values()) == 1 + 3 * linked + 1  # + the changed contract, read in full


def test_a_changed_change_order_keeps_its_unchanged_commitment_as_parent(world):
    run_job(world.ctx, "commitments")
    parent = _items(world, "commitment")[0]
    line = parent.detail["lines"][0]
    httpx.post(f"{world.sandboxes.procore_url}/_sandbox/records/commitment_change_orders", timeout=30, json={
        "project_id": parent.procore_project_id, "contract_id": int(parent.procore_id), "number": "1",
        "title": "Extra conduit", "status": "approved", "line_items": [{
            "cost_code_id": line["cost_code_id"], "line_item_type_id": line["line_item_type_id"],
            "description": "Extra conduit", "amount": "1500.00"}]}).raise_for_status()
    _first_poll(world, "commitments")
    cco = _items(world, "cco")[0]
    _patch(world, "commitment_change_orders", cco.procore_id, title="Extra conduit (rev)")
    report = run_job(world.ctx, "commitments")
    [after] = [i for i in _items(world, "cco") if i.id == cco.id]
    assert "Extra conduit (rev)" in after.title, report.lines()
    assert after.detail["parent"] == cco.detail["parent"]  # from the commitment's item: it was not re-read


def test_a_changed_prime_contract_is_read_and_ingested(world):
    _first_poll(world, "prime-contracts")
    prime = next(i for i in _items(world, "pcco") if i.procore_id.startswith("prime_contract:"))
    _patch(world, "prime_contracts", prime.procore_id.split(":")[1], title="Main building (rev)")
    report = run_job(world.ctx, "prime-contracts")
    [after] = [i for i in _items(world, "pcco") if i.id == prime.id]
    assert "Main building (rev)" in after.title and [c.action for c in report.changes] == ["update"]


def _worker(world, slack, **intervals) -> Scheduler:
    config = SchedulerConfig(intervals=dict(intervals), tasks=(), requests=0.1, events=3600, reconcile=3600,
                             first_run_delay=1.0, threads=2)
    scheduler = Scheduler(Runtime(world.engine, slack.settings, config=config, notifier=slack.svc.notifier,
                                  context_for=lambda _tenant: world.ctx))
    scheduler.start()
    return scheduler


def _budget_line_becomes(world, budget: Item, amount: str, timeout: float) -> Item:
    deadline = time.monotonic() + timeout
    while True:
        [now] = [i for i in _items(world, "budget") if i.id == budget.id]
        if now.detail["lines"][0]["amount"] == amount or time.monotonic() > deadline:
            return now
        time.sleep(0.1)


def test_the_scheduled_budget_poll_brings_a_changed_budget_line(world, linked_slack):
    _first_poll(world, "budget")
    budget = _items(world, "budget")[0]
    scheduler = _worker(world, linked_slack, budget=1.0)
    try:
        _patch(world, "budget_line_items", budget.detail["lines"][0]["id"], original_budget_amount=12345.67)
        now = _budget_line_becomes(world, budget, "12345.67", 8)  # first run after 1 s (+ spread), then each s
    finally:
        scheduler.shutdown(wait=True)
    assert now.detail["lines"][0]["amount"] == "12345.67", now.detail["lines"][0]
    assert now.amount != budget.amount


def test_a_budget_webhook_runs_the_budget_sync(world, linked_slack, monkeypatch):
    run_job(world.ctx, "budget")
    budget = _items(world, "budget")[0]
    with web_role(world, monkeypatch, SECRET) as (base, settings):
        ctx = replace(world.ctx, settings=settings.model_copy(update={"public_url": base}))
        run_job(ctx, "procore-webhook")  # as the Procore connection does
        scheduler = _worker(world, linked_slack)  # no polls scheduled: only the webhook can bring it
        try:
            line = budget.detail["lines"][0]
            world.ctx.procore._call("PATCH", f"/rest/v1.0/budget_line_items/{line['id']}",  # a Procore user's edit
                                    json={"project_id": budget.procore_project_id,
                                          "budget_line_item": {"original_budget_amount": 23456.78}})
            now = _budget_line_becomes(world, budget, "23456.78", 10)
        finally:
            scheduler.shutdown(wait=True)
            subscription.remove(world.ctx.procore, public_url=base)
    assert now.detail["lines"][0]["amount"] == "23456.78"

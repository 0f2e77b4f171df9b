"""`sync commitments`, `sync prime-contracts` and `sync budget`: what becomes an item, dry runs, locked records."""

from __future__ import annotations

import httpx
from sqlmodel import Session, select

from core.models import Item
from sync import binder
from sync.jobs.base import run_job


def _project(world, number: str):
    return next(p for p in world.ctx.procore.list_projects() if p.project_number == number)


def _link(world, project, customer: str = "58") -> None:
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "project", project.id, customer)
        s.commit()


def _items(world, item_type: str) -> list[Item]:
    with Session(world.engine) as s:
        return list(s.exec(select(Item).where(Item.tenant_id == world.tenant.id, Item.type == item_type)))


def test_commitments_job_ingests_approved_ones_and_flags_changes_while_locked(remote_world):
    world = remote_world
    garage = _project(world, "2023-087")
    assert run_job(world.ctx, "commitments").changes == []  # no linked project: nothing to read
    _link(world, garage)
    dry = run_job(world.ctx, "commitments", dry_run=True)
    assert [(c.action, c.entity) for c in dry.changes] == [("create", "commitment item"), ("skip", "subcontract")]
    assert "'Draft' in Procore" in dry.changes[1].detail and _items(world, "commitment") == []
    run_job(world.ctx, "commitments")
    [item] = _items(world, "commitment")
    assert item.title == "Subcontract SC-2023-087-08 Garage electrical and lighting — Rocky Mountain Electric"
    assert str(item.amount) == "406000.00" and [x["amount"] for x in item.detail["lines"]] == ["310000.00",
                                                                                                "96000.00"]
    assert item.detail["lines"][0]["cost_type"] == "Subcontract" and item.detail["customer_id"] == "58"
    again = run_job(world.ctx, "commitments")
    assert [c.action for c in again.changes] == ["skip"]  # unchanged: only the draft is reported again
    world.ctx.workflow.send(item.id, world.actor("sam"))
    httpx.patch(f"{world.sandboxes.procore_url}/_sandbox/records/work_order_contracts/{item.procore_id}",
                json={"title": "Garage electrical (rev)"}, timeout=30).raise_for_status()
    report = run_job(world.ctx, "commitments")
    assert [c.action for c in report.changes if c.entity == "commitment item"] == ["flag"]
    [locked] = _items(world, "commitment")
    assert "Garage electrical and lighting" in locked.title and locked.detail.get("changed_while_locked")


def test_prime_contracts_job_and_budget_job(remote_world):
    world = remote_world
    riverside = _project(world, "2024-001")
    _link(world, riverside)
    report = run_job(world.ctx, "prime-contracts")
    assert [(c.action, c.entity) for c in report.changes] == [("create", "pcco item")]
    [prime] = _items(world, "pcco")
    assert prime.procore_id.startswith("prime_contract:") and prime.detail["kind"] == "prime_contract"
    assert prime.title.endswith("— Riverside Health Partners") and str(prime.amount) == "3010000.00"
    dry = run_job(world.ctx, "budget", dry_run=True)
    assert [c.line() for c in dry.changes] == [
        "create     budget item: Budget 2024-001 Riverside Medical Office Building — 12 lines, $4,900,000.00"]
    assert _items(world, "budget") == []
    run_job(world.ctx, "budget")
    [budget] = _items(world, "budget")
    assert budget.detail["project_number"] == "2024-001" and budget.detail["total"] == "4900000.00"
    assert {line["cost_type_code"] for line in budget.detail["lines"]} == {"L", "E", "M", "S"}
    assert run_job(world.ctx, "budget").changes == []

"""Budget lines on a QBO-linked project become QBO Service items: exactly once, renamed, deactivated.

Real clients against both sandboxes; the outbox drains with the registered operations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.models import ExternalLink, Item, OutboxEntry, utcnow
from sync import binder
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.services import cost_codes as svc
from tests.support import decide

CUSTOMER = "58"  # the QBO sample company's project "Showroom Remodel"
BUDGET_KEYS = 12  # the demo project's budget: 12 lines, each a distinct cost code × cost type


class Crash(BaseException):
    """The worker dying at a kill point."""


def _project(world, index: int = 0):
    return sorted(world.ctx.procore.list_projects(), key=lambda p: p.id)[index]


def _link(world, project, customer: str = CUSTOMER) -> None:
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "project", project.id, customer)
        s.commit()


def _drain(world, **kwargs) -> None:
    Outbox(world.engine, build_operations(lambda _tid: world.ctx), **kwargs).drain()


BUDGET_CODES = {"01-100", "01-500", "03-200", "03-300", "05-100", "06-100", "09-200", "22-100", "26-100",
                "26-500", "31-200"}


def _accept_all_cost_codes(world) -> None:
    """Send the standard cost codes the demo budgets use (Sam) and accept them (Dana)."""
    ctx = world.ctx
    run_job(ctx, "cost-codes")  # makes the cost_code items
    codes = [r.standard_cost_code_id for r in svc.cost_code_preferences(ctx, world.actor("riley"))
             if r.full_code in BUDGET_CODES]
    for outcome in svc.send_unsynced_cost_codes(ctx, world.actor("sam"), codes):
        decide.accept(ctx, world.actor("dana"), outcome.item.id)


def _items_made(world):
    """The first demo project linked, its cost codes accepted and its budget lines' items made in QBO."""
    project = _project(world)
    _link(world, project)
    _accept_all_cost_codes(world)
    run_job(world.ctx, "cost-codes")
    _drain(world)
    return project


def _items(world, project) -> dict[str, dict]:
    """key → the QBO item linked to it (read from QBO)."""
    with Session(world.engine) as s:
        links = list(s.exec(select(ExternalLink).where(ExternalLink.tenant_id == world.tenant.id,
                                                       ExternalLink.entity_type == "cost_item")))
    return {lk.procore_id: world.ctx.qbo.read(entity="Item", id=lk.qbo_id) for lk in links
            if lk.procore_id.startswith(f"{project.id}:")}


def _creates(report) -> int:
    return sum(1 for c in report.changes if c.action == "create" and c.entity == "QBO Item")


def _qbo_items_named(world, prefix: str) -> list[dict]:
    return [i for i in world.ctx.qbo.query_all(entity="Item") if i["Name"].startswith(prefix)]


def test_each_budget_line_becomes_one_item_even_when_the_job_runs_twice(remote_world):
    world = remote_world
    project = _project(world)
    _link(world, project)
    _accept_all_cost_codes(world)
    report = run_job(world.ctx, "cost-codes")
    assert _creates(report) == BUDGET_KEYS
    again = run_job(world.ctx, "cost-codes")  # before the outbox drained: nothing new is queued
    assert "create" not in again.counts() and again.counts()["waiting"] == BUDGET_KEYS
    _drain(world)
    items = _items(world, project)
    assert len(items) == BUDGET_KEYS
    names = sorted(i["Name"] for i in items.values())
    assert "2024-001-03-300.S" in names and "2024-001-01-100.L" in names
    concrete = next(i for i in items.values() if i["Name"] == "2024-001-03-300.S")
    assert concrete["Type"] == "Service" and concrete["Description"] == "Cast-in-place Concrete.Subcontract"
    assert concrete["ExpenseAccountRef"]["name"] == "Job Expenses"
    assert concrete["IncomeAccountRef"]["name"] == "Services"
    assert len(_qbo_items_named(world, "2024-001-")) == BUDGET_KEYS
    third = run_job(world.ctx, "cost-codes")
    assert third.counts() == {} or set(third.counts()) <= {"skip"}
    _drain(world)
    assert len(_qbo_items_named(world, "2024-001-")) == BUDGET_KEYS
    with Session(world.engine) as s:
        assert len(s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.create_item")).all()) == BUDGET_KEYS


@pytest.mark.parametrize("kill_at", ["before_call", "after_call", "before_commit", "after_commit"])
def test_a_crash_at_every_step_still_leaves_one_item_per_line(remote_world, kill_at):
    world = remote_world
    project = _project(world)
    _link(world, project)
    _accept_all_cost_codes(world)
    run_job(world.ctx, "cost-codes")

    def die(where):
        if where == kill_at:
            raise Crash(where)

    with pytest.raises(Crash):
        _drain(world, worker_id="w1", kill_point=die)
    run_job(world.ctx, "cost-codes")  # the job runs again while a claim is stuck
    later = utcnow() + timedelta(minutes=10)
    _drain(world, worker_id="w2", clock=lambda: later)
    run_job(world.ctx, "cost-codes")
    _drain(world, worker_id="w3", clock=lambda: later)
    assert len(_items(world, project)) == BUDGET_KEYS
    assert len(_qbo_items_named(world, "2024-001-")) == BUDGET_KEYS


def _admin(world, method: str, path: str, **json):
    import httpx

    response = httpx.request(method, f"{world.sandboxes.procore_url}/_sandbox/{path}", json=json or None, timeout=30)
    response.raise_for_status()
    return response.json()


def _line(world, project, code: str, type_code: str) -> dict:
    return next(b for b in world.ctx.procore.list_budget_line_items(project_id=project.id)
                if b.cost_code == code and b.raw["line_item_type"]["name"][0] == type_code).raw


def test_rename_deactivate_and_reactivate_follow_procore(remote_world):
    world = remote_world
    project = _items_made(world)
    before = _items(world, project)
    concrete_key = next(k for k, v in before.items() if v["Name"] == "2024-001-03-300.S")
    token = before[concrete_key]["SyncToken"]

    # the project number changes in Procore: every item is renamed, each with a sparse update
    _admin(world, "PATCH", f"records/projects/{project.id}", project_number="2024-001B")
    report = run_job(world.ctx, "cost-codes")
    assert sum(1 for c in report.changes if c.action == "rename") == BUDGET_KEYS
    _drain(world)
    after = _items(world, project)
    assert after[concrete_key]["Name"] == "2024-001B-03-300.S"
    assert after[concrete_key]["Id"] == before[concrete_key]["Id"]
    assert int(after[concrete_key]["SyncToken"]) == int(token) + 1

    # a budget line is deleted in Procore: its item is deactivated, never deleted, and the link stays
    line = _line(world, project, "03-300", "S")
    _admin(world, "DELETE", f"records/budget_line_items/{line['id']}")
    report = run_job(world.ctx, "cost-codes")
    assert [c.action for c in report.changes if c.entity == "QBO Item"] == ["deactivate"]
    _drain(world)
    gone = world.ctx.qbo.read(entity="Item", id=after[concrete_key]["Id"])
    assert gone["Active"] is False and gone["Name"].endswith("(deleted)")
    assert len(_items(world, project)) == BUDGET_KEYS

    # the line comes back: the same item is reactivated under its name
    _admin(world, "POST", "records/budget_line_items", **{k: line[k] for k in ("id",)},
           project_id=project.id, cost_code_id=line["cost_code"]["id"], line_item_type_id=line["line_item_type"]["id"],
           original_budget_amount=1250000)
    report = run_job(world.ctx, "cost-codes")
    assert [c.action for c in report.changes if c.entity == "QBO Item"] == ["reactivate"]
    _drain(world)
    back = world.ctx.qbo.read(entity="Item", id=after[concrete_key]["Id"])
    assert back["Active"] is True and back["Name"] == "2024-001B-03-300.S"
    assert len(_qbo_items_named(world, "2024-001B-")) == BUDGET_KEYS


def test_deleted_cost_type_assignment_and_project_cost_code_deactivate_items(remote_world):
    world = remote_world
    project = _items_made(world)
    codes = {c.raw["full_code"]: c for c in world.ctx.procore.list_cost_codes(project_id=project.id)}
    concrete = codes["03-300"]
    material = next(t for t in world.ctx.procore.list_line_item_types() if t.code == "M")
    # "Delete Cost Type Assignments from a Synced ERP Project Cost Code List", done through Ledgerlink
    count = svc.delete_cost_type_assignment(world.ctx, world.actor("erin"), project.id, concrete.id, material.id)
    assert count == 1
    _drain(world)
    assert material.id not in [t for t in world.ctx.procore.list_cost_codes(project_id=project.id)
                               if t.id == concrete.id][0].line_item_type_ids
    items = _items(world, project)
    assert [i["Name"] for i in items.values() if not i["Active"]] == ["2024-001-03-300.M (deleted)"]
    report = run_job(world.ctx, "cost-codes")  # Procore agrees now: nothing more to do
    assert [c.action for c in report.changes if c.entity == "QBO Item"] == []
    # a person deletes an unused project cost code in Procore; its budget line goes with it
    paving_line = _line(world, project, "31-200", "S")
    _admin(world, "DELETE", f"records/budget_line_items/{paving_line['id']}")
    _admin(world, "DELETE", f"records/cost_codes/{codes['31-200'].id}")
    report = run_job(world.ctx, "cost-codes")
    assert [c.action for c in report.changes if c.entity == "QBO Item"] == ["deactivate"]
    _drain(world)
    assert sorted(i["Name"] for i in _items(world, project).values() if not i["Active"]) == [
        "2024-001-03-300.M (deleted)", "2024-001-31-200.S (deleted)"]


def test_preferences_collisions_and_dry_run(remote_world):
    world = remote_world
    project = _project(world)
    _link(world, project)
    _accept_all_cost_codes(world)
    labor = next(t for t in world.ctx.procore.list_line_item_types() if t.code == "L")
    svc.set_cost_type_synced(world.ctx, world.actor("erin"), labor.id, False)
    codes = {r.full_code: r for r in svc.cost_code_preferences(world.ctx, world.actor("riley"))}
    svc.set_cost_code_synced(world.ctx, world.actor("erin"), codes["05-100"].standard_cost_code_id, False)
    with pytest.raises(Exception, match="Admin"):
        svc.set_cost_type_synced(world.ctx, world.actor("sam"), labor.id, True)
    # someone already has an item with the name Ledgerlink would pick
    world.ctx.qbo.create(entity="Item", body={"Name": "2024-001-03-300.S", "Type": "Service",
                                              "IncomeAccountRef": {"value": "1"}})
    before = world.sandboxes.qbo_requests(world.realm_id)["by_operation"]
    dry = run_job(world.ctx, "cost-codes", dry_run=True)
    lines = dry.lines()
    assert any(line.startswith("create     QBO Item: 2024-001-03-300.S (2)") for line in lines)
    assert any("skip" in line and "01-100" in line and "cost type Labor is not synced" in line for line in lines)
    assert any("skip" in line and "05-100" in line and "not synced (cost-code preferences)" in line for line in lines)
    with Session(world.engine) as s:
        assert s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.create_item")).all() == []
    after = world.sandboxes.qbo_requests(world.realm_id)["by_operation"]
    assert {k: v for k, v in after.items() if k not in ("query", "read", "cdc")} == \
        {k: v for k, v in before.items() if k not in ("query", "read", "cdc")}  # a dry run only reads
    run_job(world.ctx, "cost-codes")
    _drain(world)
    names = sorted(i["Name"] for i in _items(world, project).values())
    assert len(names) == BUDGET_KEYS - 2 and "2024-001-03-300.S (2)" in names
    assert not any(n.startswith("2024-001-01-100") or n.startswith("2024-001-05-100") for n in names)


def test_accepted_budget_exports_every_line_and_unaccepted_codes_wait(remote_world):
    world = remote_world
    project = _project(world)
    _link(world, project)
    report = run_job(world.ctx, "cost-codes")  # no code accepted yet: every line waits
    assert _creates(report) == 0
    assert sum(1 for c in report.changes if c.action == "skip" and "not an ERP standard cost code" in c.detail) == 12
    run_job(world.ctx, "budget")
    with Session(world.engine) as s:
        budget = s.exec(select(Item).where(Item.tenant_id == world.tenant.id, Item.type == "budget")).one()
    assert budget.amount == 4900000 and len(budget.detail["lines"]) == BUDGET_KEYS
    world.ctx.workflow.send(budget.id, world.actor("sam"))
    decide.accept(world.ctx, world.actor("dana"), budget.id)
    _drain(world)
    with Session(world.engine) as s:
        assert s.get(Item, budget.id).state == "synced"
    assert len(_items(world, project)) == BUDGET_KEYS
    again = run_job(world.ctx, "cost-codes")  # the project's budget is accepted: nothing waits now
    assert _creates(again) == 0 and not [c for c in again.changes if c.entity == "QBO Item"]


def test_a_renamed_cost_code_updates_the_description_and_a_stale_synctoken_is_reread(remote_world, monkeypatch):
    world = remote_world
    project = _items_made(world)
    concrete = next(c for c in world.ctx.procore.list_cost_codes(project_id=project.id) if c.raw["full_code"] ==
                    "03-300")
    _admin(world, "PATCH", f"records/cost_codes/{concrete.id}", name="Structural Concrete")
    report = run_job(world.ctx, "cost-codes")
    assert sorted(c.action for c in report.changes if c.entity == "QBO Item") == ["update", "update"]
    qbo, real_update, requestids = world.ctx.qbo, world.ctx.qbo.update, []

    def someone_edits_first(**kwargs):
        if not requestids:  # a person touches the item in QuickBooks between our read and our write
            current = qbo.read(entity="Item", id=kwargs["body"]["Id"])
            real_update(entity="Item", body={"Id": current["Id"], "SyncToken": current["SyncToken"], "Taxable": True})
        requestids.append(kwargs["requestid"])
        return real_update(**kwargs)

    monkeypatch.setattr(qbo, "update", someone_edits_first)
    _drain(world)
    assert len(requestids) == 3 and len(set(requestids)) == 3  # 5010 once, then a fresh requestid; then the other
    monkeypatch.undo()
    items = {i["Name"]: i for i in _items(world, project).values()}
    assert items["2024-001-03-300.S"]["Description"] == "Structural Concrete.Subcontract"
    assert items["2024-001-03-300.M"]["Description"] == "Structural Concrete.Material"
    assert items["2024-001-03-300.S"]["Taxable"] is True or items["2024-001-03-300.M"]["Taxable"] is True
    assert [c for c in run_job(world.ctx, "cost-codes").changes if c.entity == "QBO Item"] == []


def test_an_item_a_waiting_invoice_uses_is_not_deactivated_when_no_budget_line_has_it(remote_world):
    """Issue 19: Procore lets commitments and their invoices use a cost code × cost type no budget line has (or
    whose budget line was deleted); deactivating that item made the invoice's export fail."""
    world = remote_world
    project = _items_made(world)
    line = _line(world, project, "03-300", "S")
    key = f"{project.id}:{line['cost_code']['id']}:{line['line_item_type']['id']}"
    qbo_id = _items(world, project)[key]["Id"]
    with Session(world.engine) as s:  # an invoice on that pair waits for acceptance
        s.add(Item(tenant_id=world.tenant.id, type="sub_invoice", procore_id="990001", procore_project_id=project.id,
                   title="Rocky Mountain Electric invoice SC-X-002", state="awaiting_acceptance",
                   detail={"project_id": project.id, "lines": [{"cost_code_id": line["cost_code"]["id"],
                                                                 "line_item_type_id": line["line_item_type"]["id"],
                                                                 "amount": "100.00"}]}))
        s.commit()
    _admin(world, "DELETE", f"records/budget_line_items/{line['id']}")
    report = run_job(world.ctx, "cost-codes")
    kept = [c for c in report.changes if c.entity == "QBO Item" and c.action != "waiting"]
    assert [c.action for c in kept] == ["skip"] and "Rocky Mountain Electric" in kept[0].detail
    _drain(world)
    assert world.ctx.qbo.read(entity="Item", id=qbo_id)["Active"] is True

    with Session(world.engine) as s:  # once the invoice is synced, nothing live uses it: now it goes
        item = s.exec(select(Item).where(Item.procore_id == "990001")).one()
        item.state = "synced"
        s.add(item)
        s.commit()
    report = run_job(world.ctx, "cost-codes")
    assert [c.action for c in report.changes if c.entity == "QBO Item"] == ["deactivate"]

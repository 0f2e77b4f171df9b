"""Job-cost sync end to end against both sandboxes: QBO bills, expenses and vendor credits on a project become
read-only Procore direct costs; changes and deletes follow incrementally (CDC, request counts asserted); edits
made in Procore are overwritten; unplaceable lines land in the unsyncable report and resolve once fixed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.models import ExternalLink, UnsyncableCost, utcnow
from sync import binder
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.reports import fetch_budgets, job_costs_report, to_csv, unsyncable_report
from sync.reports.job_costs import JobCostRow
from sync.services.schedule import set_job_cost_sync

D = Decimal
TODAY = date.today().isoformat()
LINKED_VENDOR, UNLINKED_VENDOR = "46", "42"  # Norton Lumber (linked below), Hicks Hardware (not yet)


def item_line(amount, item, customer, description="work"):
    detail = {"ItemRef": {"value": item}}
    if customer:
        detail["CustomerRef"] = {"value": customer}
    return {"DetailType": "ItemBasedExpenseLineDetail", "Amount": D(amount), "Description": description,
            "ItemBasedExpenseLineDetail": {**detail, "Qty": D(1), "UnitPrice": D(amount)}}


def account_line(amount, customer):
    return {"DetailType": "AccountBasedExpenseLineDetail", "Amount": D(amount),
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "63"}, "CustomerRef": {"value": customer}}}


class Setup:
    """A Procore project linked to a QBO project, two budget lines bound to QBO items, one vendor linked."""

    def __init__(self, world):
        self.world, ctx = world, world.ctx
        self.project = next(iter(ctx.procore.list_projects()))
        budget = list(ctx.procore.list_budget_line_items(project_id=self.project.id))
        self.equipment = next(b for b in budget if b.cost_code.endswith("01-500") and b.line_item_type == "Equipment")
        self.material = next(b for b in budget if b.cost_code.endswith("03-300") and b.line_item_type == "Material")
        vendors = {v.name: v.id for v in ctx.procore.list_vendors()}
        self.procore_vendor, self.other_vendor = vendors["Cascade Equipment Rental"], vendors["Teton Scaffolding"]
        self.customer = ctx.qbo.create(entity="Customer", body={
            "DisplayName": "Riverside Medical Office Building", "ParentRef": {"value": "1"}, "IsProject": True})["Id"]
        self.items = {}
        for budget_line, name in ((self.equipment, "2024-001-01-500.E"), (self.material, "2024-001-03-300.M")):
            self.items[budget_line.id] = ctx.qbo.create(entity="Item", body={
                "Name": name, "Type": "Service", "IncomeAccountRef": {"value": "1"},
                "ExpenseAccountRef": {"value": "58"}})["Id"]
        with Session(world.engine) as s:
            t = world.tenant.id
            binder.bind(s, t, "project", self.project.id, self.customer)
            for b in (self.equipment, self.material):
                binder.bind(s, t, "cost_item", f"{self.project.id}:{b.cost_code_id}:{b.line_item_type_id}",
                            self.items[b.id])
            binder.bind(s, t, "company", self.procore_vendor, LINKED_VENDOR)
            s.commit()
        set_job_cost_sync(world.engine, world.actor("erin"), tenant_id=world.tenant.id,
                          procore_project_id=self.project.id, enabled=True)

    def create(self, entity, body):
        return self.world.ctx.qbo.create(entity=entity, body={"TxnDate": TODAY, **body})

    def ours(self):
        """Procore direct costs on the project made by job-cost sync, by QBO transaction id."""
        out = {}
        for cost in self.world.ctx.procore.list_direct_costs(project_id=self.project.id):
            if cost.origin_id and cost.origin_id.count(":") == 2:
                full = self.world.ctx.procore.get_direct_cost(project_id=self.project.id, direct_cost_id=cost.id)
                out[cost.origin_id.split(":")[1]] = full
        return out


def _reset(world):
    world.sandboxes.qbo_admin("requests/reset", realm_id=world.realm_id)


def _qbo_calls(world):
    return world.sandboxes.qbo_requests(world.realm_id)


def test_job_costs_flow(remote_world):
    world, ctx = remote_world, remote_world.ctx
    outbox = Outbox(world.engine, build_operations(lambda _tenant: ctx))
    setup = Setup(world)
    eq, mat, cust = setup.items[setup.equipment.id], setup.items[setup.material.id], setup.customer
    bill = setup.create("Bill", {"VendorRef": {"value": LINKED_VENDOR}, "DocNumber": "NL-7781",
                                 "Line": [item_line("1200.00", eq, cust, "Telehandler, March"),
                                          account_line("50.00", cust)]})
    expense = setup.create("Purchase", {"PaymentType": "Check", "AccountRef": {"value": "35"},
                                        "EntityRef": {"value": LINKED_VENDOR, "type": "Vendor"},
                                        "Line": [item_line("300.25", mat, cust, "Rebar ties")]})
    credit = setup.create("VendorCredit", {"VendorRef": {"value": LINKED_VENDOR}, "DocNumber": "CR-12",
                                           "Line": [item_line("100.00", eq, cust, "Returned bucket")]})
    unknown_vendor = setup.create("Bill", {"VendorRef": {"value": UNLINKED_VENDOR}, "DocNumber": "HH-9",
                                           "Line": [item_line("75.00", eq, cust)]})
    exported = setup.create("Bill", {"VendorRef": {"value": LINKED_VENDOR}, "DocNumber": "R-1",
                                     "Line": [item_line("5000.00", eq, cust)]})
    no_code = setup.create("Bill", {"VendorRef": {"value": LINKED_VENDOR}, "DocNumber": "NL-7790",
                                    "Line": [item_line("40.00", "3", cust), item_line("9.99", eq, None)]})
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "bill", 424242, exported["Id"])  # a sub invoice Ledgerlink exported
        s.commit()

    # first run: the whole history of the three entities, then the outbox writes the direct costs
    _reset(world)
    first = run_job(ctx, "job-costs")
    assert first.stats["mode"] == "full query" and _qbo_calls(world)["by_entity"] == {
        "Bill": 1, "Purchase": 1, "VendorCredit": 1}
    assert [c.record for c in first.changes if c.action == "skip"] == ["QBO bill R-1"]  # exported, not a job cost
    assert outbox.drain().done == 3
    costs = setup.ours()
    assert set(costs) == {bill["Id"], expense["Id"], credit["Id"]}
    assert costs[bill["Id"]].grand_total == D("1200.00") and costs[bill["Id"]].vendor_id == setup.procore_vendor
    assert costs[bill["Id"]].direct_cost_type == "invoice" and costs[bill["Id"]].invoice_number == "NL-7781"
    assert costs[expense["Id"]].direct_cost_type == "expense" and costs[expense["Id"]].grand_total == D("300.25")
    assert costs[credit["Id"]].grand_total == D("-100.00")  # vendor credits are negative
    line = costs[bill["Id"]].lines[0]
    assert (line.cost_code_id, line.line_item_type_id) == (setup.equipment.cost_code_id,
                                                           setup.equipment.line_item_type_id)
    assert "overwritten on the next sync" in costs[bill["Id"]].description

    # the unsyncable report: the account line, the unknown vendor, the unmatched item, the line with no project
    with Session(world.engine) as s:
        rows = unsyncable_report(s, world.actor("nora"), tenant_id=world.tenant.id)
    reasons = sorted((r.qbo_id, r.reason.split(": ", 1)[1]) for r in rows)
    assert reasons == sorted([
        (bill["Id"], "booked to account 'Job Expenses:Job Materials' with no cost code."),
        (unknown_vendor["Id"], "vendor 'Hicks Hardware' is not linked to a Procore company."),
        (no_code["Id"], "item 'Concrete' matches no cost code on this project."),
        (no_code["Id"], "no project on the line."),
    ])
    assert all(r.fix for r in rows) and "reason,fix" in to_csv(rows, type(rows[0])).splitlines()[0]

    # ERP job costs report: actuals from what was synced against Procore's budget
    with Session(world.engine) as s:
        report = job_costs_report(s, world.actor("riley"), tenant_id=world.tenant.id, project_id=setup.project.id,
                                  budgets=fetch_budgets(ctx, [setup.project.id]))
    by_code = {(r.cost_code_id, r.cost_type_id): r for r in report}
    eq_row = by_code[(setup.equipment.cost_code_id, setup.equipment.line_item_type_id)]
    assert eq_row.actual == D("1100.00") and eq_row.budget == setup.equipment.amount
    assert eq_row.remaining == setup.equipment.amount - D("1100.00")
    assert by_code[(setup.material.cost_code_id, setup.material.line_item_type_id)].actual == D("300.25")
    assert to_csv(report, JobCostRow).count("\n") == len(report) + 1

    # a person edits the expense in Procore; QBO then changes it: one CDC call, Procore's edit is overwritten
    ctx.procore.update_direct_cost(project_id=setup.project.id, direct_cost_id=costs[expense["Id"]].id,
                                   description="fixed by the PM")
    ctx.qbo.update(entity="Purchase", body={"Id": expense["Id"], "SyncToken": expense["SyncToken"],
                                            "Line": [item_line("310.00", mat, cust, "Rebar ties")]})
    _reset(world)
    second = run_job(ctx, "job-costs")
    assert second.stats["mode"] == "cdc" and _qbo_calls(world)["total"] <= 3, _qbo_calls(world)
    assert _qbo_calls(world)["by_path"] == {"GET /cdc": 1}
    assert outbox.drain().done == 1  # only the changed expense: the rest is unchanged (re-read on purpose)
    updated = setup.ours()[expense["Id"]]
    assert updated.id == costs[expense["Id"]].id and updated.grand_total == D("310.00")
    assert "overwritten" in updated.description

    # the vendor credit is deleted in QBO: its direct cost goes too
    ctx.qbo.delete(entity="VendorCredit", id=credit["Id"], sync_token=credit["SyncToken"])
    _reset(world)
    run_job(ctx, "job-costs")
    assert _qbo_calls(world)["total"] <= 3
    assert outbox.drain().done == 1
    assert credit["Id"] not in setup.ours()
    with Session(world.engine) as s:
        assert binder.to_internal(s, world.tenant.id, "direct_cost", f"VendorCredit:{credit['Id']}:"
                                  f"{setup.project.id}") is None

    # the missing vendor link is made: the next run places that bill without QBO changing it
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "company", setup.other_vendor, UNLINKED_VENDOR)
        s.commit()
    run_job(ctx, "job-costs")
    assert outbox.drain().done == 1
    assert setup.ours()[unknown_vendor["Id"]].vendor_id == setup.other_vendor
    with Session(world.engine) as s:
        row = s.exec(select(UnsyncableCost).where(UnsyncableCost.qbo_id == unknown_vendor["Id"])).one()
        assert row.resolved_at is not None
        assert len(unsyncable_report(s, world.actor("nora"), tenant_id=world.tenant.id)) == 3
        assert len(unsyncable_report(s, world.actor("nora"), tenant_id=world.tenant.id, include_resolved=True)) == 4
        links = s.exec(select(ExternalLink).where(ExternalLink.entity_type == "direct_cost")).all()
        assert len(links) == 3


def test_dry_run_and_disabled_projects(remote_world):
    world, ctx = remote_world, remote_world.ctx
    setup = Setup(world)
    setup.create("Bill", {"VendorRef": {"value": LINKED_VENDOR}, "DocNumber": "NL-1",
                          "Line": [item_line("10.00", setup.items[setup.equipment.id], setup.customer)]})
    report = run_job(ctx, "job-costs", dry_run=True)
    assert [c.action for c in report.changes if c.entity == "Procore direct cost"] == ["create"]
    with Session(world.engine) as s:
        assert not s.exec(select(UnsyncableCost)).all()
    set_job_cost_sync(world.engine, world.actor("erin"), tenant_id=world.tenant.id,
                      procore_project_id=setup.project.id, enabled=False)
    _reset(world)
    off = run_job(ctx, "job-costs")
    assert off.stats["enabled_projects"] == 0 and _qbo_calls(world)["total"] == 0


class Crash(BaseException):
    """The worker process dying at a kill point."""


@pytest.mark.parametrize("kill_at", ["before_call", "after_call", "before_commit"])
def test_a_crash_at_any_step_leaves_one_direct_cost(remote_world, kill_at):
    world, ctx = remote_world, remote_world.ctx
    ops = build_operations(lambda _tenant: ctx)
    setup = Setup(world)
    bill = setup.create("Bill", {"VendorRef": {"value": LINKED_VENDOR}, "DocNumber": "NL-2",
                                 "Line": [item_line("64.00", setup.items[setup.equipment.id], setup.customer)]})
    run_job(ctx, "job-costs")

    def die(where):
        if where == kill_at:
            raise Crash(where)

    with pytest.raises(Crash):
        Outbox(world.engine, ops, worker_id="w1", kill_point=die).drain()
    later = utcnow() + timedelta(minutes=10)
    Outbox(world.engine, ops, worker_id="w2", clock=lambda: later).drain()
    costs = [c for c in ctx.procore.list_direct_costs(project_id=setup.project.id)
             if c.origin_id == f"Bill:{bill['Id']}:{setup.project.id}"]
    assert len(costs) == 1 and costs[0].grand_total == D("64.00")

"""Beyond the QBO connector, through acceptance: commitment → PurchaseOrder, approved CCO → amended PO, prime
contract → Estimate, approved PCCO → amended Estimate; imports of a QBO Estimate and Budget into Procore."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.models import Item, utcnow
from sync import binder
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.services import commitments as svc
from tests.support import decide

CUSTOMER, VENDOR = "58", "51"  # QBO sample data: project "Showroom Remodel", vendor "Tim Philip Masonry"


class Crash(BaseException):
    pass


def _admin(world, method: str, path: str, **json):
    response = httpx.request(method, f"{world.sandboxes.procore_url}/_sandbox/{path}", json=json or None, timeout=30)
    response.raise_for_status()
    return response.json()


def _drain(world, **kwargs):
    return Outbox(world.engine, build_operations(lambda _tid: world.ctx), **kwargs).drain()


def _item(world, item_type: str, title_part: str) -> Item:
    with Session(world.engine) as s:
        return next(i for i in s.exec(select(Item).where(Item.tenant_id == world.tenant.id, Item.type == item_type))
                    if title_part in i.title)


def _state(world, item_id: int) -> str:
    with Session(world.engine) as s:
        return s.get(Item, item_id).state


def _send_accept(world, item: Item) -> None:
    world.ctx.workflow.send(item.id, world.actor("sam"))
    decide.accept(world.ctx, world.actor("dana"), item.id)


@pytest.fixture
def project_world(remote_world):
    """Project 2024-001 linked to QBO project 58, ACME Concrete linked to a QBO vendor, its budget accepted (so
    every budget line has its QBO item)."""
    world = remote_world
    project = sorted(world.ctx.procore.list_projects(), key=lambda p: p.id)[0]
    acme = next(v for v in world.ctx.procore.list_vendors() if v.name == "ACME Concrete")
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "project", project.id, CUSTOMER)
        binder.bind(s, world.tenant.id, "company", acme.id, VENDOR)
        s.commit()
    run_job(world.ctx, "cost-codes")
    run_job(world.ctx, "budget")
    _send_accept(world, _item(world, "budget", "2024-001"))
    _drain(world)
    run_job(world.ctx, "cost-codes")  # refreshes the QBO item cache too
    world.project = project
    return world


def _concrete_item_id(world) -> str:
    return next(i["Id"] for i in world.ctx.qbo.query_all(entity="Item") if i["Name"] == "2024-001-03-300.S")


def test_commitment_becomes_a_purchase_order_and_its_change_order_amends_it(project_world):
    world = project_world
    report = run_job(world.ctx, "commitments")
    assert any(c.action == "create" and c.entity == "commitment item" for c in report.changes)
    sub = _item(world, "commitment", "Cast-in-place concrete")
    assert sub.amount == Decimal("1035000.00") and len(sub.detail["lines"]) == 2
    # its change order can't go before the commitment is in QuickBooks
    concrete = next(c for c in world.ctx.procore.list_work_order_contracts(project_id=world.project.id)
                    if c.title == "Cast-in-place concrete")
    codes = {c.raw["full_code"]: c.id for c in world.ctx.procore.list_cost_codes(project_id=world.project.id)}
    sub_type = next(t.id for t in world.ctx.procore.list_line_item_types() if t.code == "S")
    _admin(world, "POST", "records/commitment_change_orders", project_id=world.project.id, contract_id=concrete.id,
           number="1", title="Slab edge", status="approved",
           line_items=[{"cost_code_id": codes["03-300"], "line_item_type_id": sub_type, "description": "Slab edge",
                        "amount": "15000.00"},
                       {"cost_code_id": codes["03-300"], "line_item_type_id": sub_type, "description": "Credit",
                        "amount": "-2500.00"}])
    run_job(world.ctx, "commitments")
    cco = _item(world, "cco", "Slab edge")
    world.ctx.workflow.send(cco.id, world.actor("sam"))
    with pytest.raises(InvalidInput, match="not in QuickBooks yet"):
        decide.accept(world.ctx, world.actor("dana"), cco.id)

    _send_accept(world, sub)
    assert _drain(world).done == 1
    assert _state(world, sub.id) == "synced"
    with Session(world.engine) as s:
        link = binder.require_external(s, world.tenant.id, "commitment", concrete.id)
    po = world.ctx.qbo.read(entity="PurchaseOrder", id=link.qbo_id)
    assert po["VendorRef"]["value"] == VENDOR and po["DocNumber"] == "SC-2024-001-01"
    assert po["TotalAmt"] == Decimal("1035000") and po["POStatus"] == "Open" and po["SyncToken"] == "0"
    assert [line["Amount"] for line in po["Line"]] == [Decimal("420000"), Decimal("615000")]
    detail = po["Line"][0]["ItemBasedExpenseLineDetail"]
    assert detail["ItemRef"]["value"] == _concrete_item_id(world) and detail["CustomerRef"]["value"] == CUSTOMER
    assert po["PrivateNote"] == f"Procore subcontract {concrete.id}"

    # now the change order: accepted, then the PO is amended once — even if the worker dies after the call
    decide.accept(world.ctx, world.actor("erin"), cco.id)

    def die(where):
        if where == "after_call":
            raise Crash(where)

    with pytest.raises(Crash):
        _drain(world, worker_id="w1", kill_point=die)
    later = utcnow() + timedelta(minutes=10)
    _drain(world, worker_id="w2", clock=lambda: later)
    assert _state(world, cco.id) == "synced"
    amended = world.ctx.qbo.read(entity="PurchaseOrder", id=link.qbo_id)
    assert amended["SyncToken"] == "1"
    assert amended["TotalAmt"] == Decimal("1047500")
    assert [line["Description"] for line in amended["Line"][2:]] == ["CO 1: 03-300 · Slab edge",
                                                                     "CO 1: 03-300 · Credit"]
    with Session(world.engine) as s:
        assert binder.require_external(s, world.tenant.id, "commitment", concrete.id).sync_token == "1"
        assert binder.require_external(s, world.tenant.id, "cco", cco.procore_id).qbo_id == link.qbo_id

    # Unlink Commitments Synced with ERP (Admin): the PO stays in QBO, the link goes, the item can go again
    with pytest.raises(PermissionDenied):
        svc.unlink(world.ctx, world.actor("dana"), sub.id)
    assert svc.unlink(world.ctx, world.actor("erin"), sub.id).item.state == "ready_to_export"
    with Session(world.engine) as s:
        assert binder.to_external(s, world.tenant.id, "commitment", concrete.id) is None
        assert s.get(Item, sub.id).detail["unlinked"][0]["qbo_id"] == link.qbo_id
    assert world.ctx.qbo.read(entity="PurchaseOrder", id=link.qbo_id)["Id"] == link.qbo_id


def test_stale_synctoken_is_reread_and_the_amendment_still_lands_once(project_world, monkeypatch):
    world = project_world
    run_job(world.ctx, "commitments")
    sub = _item(world, "commitment", "Cast-in-place concrete")
    _send_accept(world, sub)
    _drain(world)
    concrete_id = int(sub.procore_id)
    codes = {c.raw["full_code"]: c.id for c in world.ctx.procore.list_cost_codes(project_id=world.project.id)}
    sub_type = next(t.id for t in world.ctx.procore.list_line_item_types() if t.code == "S")
    _admin(world, "POST", "records/commitment_change_orders", project_id=world.project.id, contract_id=concrete_id,
           number="2", title="Pump truck", status="approved",
           line_items=[{"cost_code_id": codes["03-300"], "line_item_type_id": sub_type, "description": "Pump truck",
                        "amount": "4800.00"}])
    run_job(world.ctx, "commitments")
    cco = _item(world, "cco", "Pump truck")
    _send_accept(world, cco)
    qbo, real_update, calls = world.ctx.qbo, world.ctx.qbo.update, []

    def update_after_someone_else(**kwargs):
        if not calls:  # a person edits the PO in QuickBooks between our read and our write
            current = qbo.read(entity="PurchaseOrder", id=kwargs["body"]["Id"])
            real_update(entity="PurchaseOrder", body={"Id": current["Id"], "SyncToken": current["SyncToken"],
                                                      "Memo": "edited by a person"})
        calls.append(kwargs["requestid"])
        return real_update(**kwargs)

    monkeypatch.setattr(qbo, "update", update_after_someone_else)
    _drain(world)
    assert len(calls) == 2 and calls[0] != calls[1]  # a 5010, then a fresh requestid after re-reading
    po = qbo.read(entity="PurchaseOrder", id=cco.remote_id or _remote(world, cco.id))
    assert po["SyncToken"] == "2" and po["Memo"] == "edited by a person"
    assert sum(1 for line in po["Line"] if str(line.get("Description", "")).startswith("CO 2:")) == 1


def _remote(world, item_id: int) -> str:
    with Session(world.engine) as s:
        return s.get(Item, item_id).remote_id


def test_prime_contract_becomes_an_estimate_and_its_change_order_amends_it(project_world):
    world = project_world
    run_job(world.ctx, "prime-contracts")
    prime = _item(world, "pcco", "Prime contract")
    assert prime.procore_id.startswith("prime_contract:") and prime.amount == Decimal("3010000.00")
    _send_accept(world, prime)
    _drain(world)
    assert _state(world, prime.id) == "synced"
    estimate = world.ctx.qbo.read(entity="Estimate", id=_remote(world, prime.id))
    assert estimate["CustomerRef"]["value"] == CUSTOMER and estimate["TxnStatus"] == "Accepted"
    assert estimate["TotalAmt"] == Decimal("3010000") and estimate["DocNumber"] == "2024-001-PC1"
    lines = [line for line in estimate["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert [line["Amount"] for line in lines] == [Decimal("620000"), Decimal("1480000"), Decimal("910000")]
    assert {line["SalesItemLineDetail"]["ItemRef"]["name"] for line in lines} == {"Services"}

    contract_id = int(prime.procore_id.split(":")[1])
    codes = {c.raw["full_code"]: c.id for c in world.ctx.procore.list_cost_codes(project_id=world.project.id)}
    sub_type = next(t.id for t in world.ctx.procore.list_line_item_types() if t.code == "S")
    _admin(world, "POST", "records/prime_change_orders", project_id=world.project.id, contract_id=contract_id,
           number="1", title="Lobby upgrade", status="approved",
           line_items=[{"cost_code_id": codes["03-300"], "line_item_type_id": sub_type, "description": "Lobby slab",
                        "amount": "42000.00"}])
    run_job(world.ctx, "prime-contracts")
    pcco = _item(world, "pcco", "Lobby upgrade")
    _send_accept(world, pcco)
    _drain(world)
    amended = world.ctx.qbo.read(entity="Estimate", id=estimate["Id"])
    assert amended["SyncToken"] == "1" and amended["TotalAmt"] == Decimal("3052000")
    added = [line for line in amended["Line"] if str(line.get("Description", "")).startswith("CO 1:")]
    assert len(added) == 1 and added[0]["SalesItemLineDetail"]["ItemRef"]["value"] == _concrete_item_id(world)


def test_imports_a_qbo_estimate_as_a_prime_contract_and_a_qbo_budget_as_budget_lines(project_world):
    world = project_world
    item_id = _concrete_item_id(world)
    estimate = world.ctx.qbo.create(entity="Estimate", body={
        "CustomerRef": {"value": CUSTOMER}, "TxnStatus": "Accepted", "DocNumber": "EST-77",
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": Decimal("125000.50"), "Description": "Podium",
                  "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": 1, "UnitPrice": Decimal("125000.50")}},
                 {"DetailType": "SalesItemLineDetail", "Amount": Decimal("900"), "Description": "Design fee",
                  "SalesItemLineDetail": {"ItemRef": {"value": "4"}, "Qty": 1, "UnitPrice": 900}}]})
    with pytest.raises(InvalidInput, match="Design"):
        svc.import_prime_contract_from_qbo(world.ctx, world.actor("sam"), world.project.id, estimate["Id"])
    codes = {c.raw["full_code"]: c.id for c in world.ctx.procore.list_cost_codes(project_id=world.project.id)}
    svc.import_prime_contract_from_qbo(world.ctx, world.actor("sam"), world.project.id, estimate["Id"],
                                       cost_codes={"Design": codes["01-100"]}, title="Owner estimate")
    _drain(world)
    primes = [p for p in _admin(world, "GET", "records/prime_contracts")
              if p.get("origin_id") == estimate["Id"] and p["project_id"] == world.project.id]
    assert len(primes) == 1 and primes[0]["status"] == "Approved"
    assert [(li["cost_code_id"], li["amount"]) for li in primes[0]["line_items"]] == [
        (codes["03-300"], "125000.50"), (codes["01-100"], "900.00")]
    with pytest.raises(InvalidInput, match="already linked"):
        svc.import_prime_contract_from_qbo(world.ctx, world.actor("sam"), world.project.id, estimate["Id"])

    def row(day: str, amount, account: str, customer: str = CUSTOMER) -> dict:
        return {"BudgetDate": day, "Amount": amount, "AccountRef": {"value": account},
                "CustomerRef": {"value": customer}}

    budget = world.sandboxes.qbo_admin(f"realms/{world.realm_id}/budgets", Name="FY25 Showroom", BudgetDetail=[
        row("2025-01-01", 30000, "90"), row("2025-02-01", 12500.25, "90"), row("2025-01-01", 999, "63"),
        row("2025-01-01", 5, "90", customer="1")])["Budget"]
    masonry = codes["04-200"]
    sub_type = next(t.id for t in world.ctx.procore.list_line_item_types() if t.code == "S")
    result = svc.import_budget_from_qbo(world.ctx, world.actor("sam"), world.project.id, budget["Id"],
                                        accounts={"90": (masonry, sub_type)})
    assert result.queued == 1 and result.skipped == ("account Job Expenses:Job Materials: not mapped to a cost code",)
    _drain(world)
    lines = [b for b in world.ctx.procore.list_budget_line_items(project_id=world.project.id)
             if b.cost_code_id == masonry]
    assert len(lines) == 1 and lines[0].amount == Decimal("42500.25")
    again = svc.import_budget_from_qbo(world.ctx, world.actor("sam"), world.project.id, budget["Id"],
                                       accounts={"90": (masonry, sub_type)})
    assert again.queued == 0 and "already has this line" in again.skipped[-1]

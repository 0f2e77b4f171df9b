"""The sub-invoices job: which Procore invoices become items, what their detail says, and the refusals that
stop a send (status, negative total, DocNumber length, missing links) — each a sentence with the fix."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.models import ExternalLink, Item, SyncCursor
from sync import binder
from sync import invoice_rules as rules
from sync.jobs.base import run_job
from sync.services import invoices as svc
from tests.sync.writes.money_links import link_world

EXPORTABLE = {"approved", "approved_as_noted", "pending_owner_approval"}


@pytest.fixture
def world(remote_world):
    remote_world.links = link_world(remote_world)
    return remote_world


def sub_items(engine) -> dict[str, Item]:
    with Session(engine) as s:
        return {i.detail["invoice_number"]: i for i in s.exec(select(Item).where(Item.type == "sub_invoice"))}


def patch_requisition(world, requisition_id, **fields):
    httpx.patch(f"{world.sandboxes.procore_url}/_sandbox/records/requisitions/{requisition_id}", json=fields,
                timeout=30).raise_for_status()


def test_only_exportable_statuses_become_items(world):
    report = run_job(world.ctx, "sub-invoices")
    items = sub_items(world.engine)
    assert len(items) == 8 and {i.detail["status"] for i in items.values()} == EXPORTABLE
    assert all(i.state == "ready_to_export" and i.detail["blocked"] is None for i in items.values())
    skipped = [c for c in report.changes if c.action == "skip"]
    assert len(skipped) == 4
    assert {c.detail.split("'")[1] for c in skipped} == {"under review", "draft", "revise and resubmit"}
    acme = items["SC-2024-001-01-002"]
    assert acme.title == "ACME Concrete invoice SC-2024-001-01-002"
    assert acme.detail["vendor"]["name"] == "ACME Concrete" and acme.detail["commitment"]["number"] == "SC-2024-001-01"
    assert [(x["cost_code"], x["cost_type"]) for x in acme.detail["lines"]] == [("03-300", "Subcontract")] * 2
    assert report.stats["invoices_seen"] == 12


def test_retainage_to_the_cent_matches_procore_current_payment_due(world):
    run_job(world.ctx, "sub-invoices")
    with Session(world.engine) as s:
        for item in s.exec(select(Item).where(Item.type == "sub_invoice")):
            ev = rules.evaluate(s, item)
            assert ev.body is not None, ev.blocked
            total = sum((Decimal(str(x["Amount"])) for x in ev.body["Line"]), Decimal(0))
            assert total == Decimal(item.detail["due"]) == item.amount  # G702 "current payment due"
            assert all(isinstance(x["Amount"], Decimal) for x in ev.body["Line"])
    items = sub_items(world.engine)
    with Session(world.engine) as s:
        # stored materials carry retainage too: 126,000 + 61,500 + 12,000 billed, 12,600 + 6,150 + 1,200 withheld
        body = rules.evaluate(s, items["SC-2024-001-01-002"]).body
        assert [x["Amount"] for x in body["Line"]] == [Decimal("199500.00"), Decimal("-19950.00")]
        # retainage released this period is a positive line on the same account
        body = rules.evaluate(s, items["SC-2023-087-08-002"]).body
        assert [(x["Description"], x["Amount"]) for x in body["Line"][-2:]] == [
            ("Retainage withheld this period", Decimal("-31300.00")), ("Retainage released", Decimal("9300.00"))]


def test_negative_total_is_refused_with_the_reason(world):
    ctx = world.ctx
    project = world.links.project_ids[0]
    req = next(r for r in ctx.procore.list_requisitions(project_id=project, with_items=True)
               if r.invoice_number == "SC-2024-001-01-002")
    line = req.lines[0]
    token = ctx.procore.tokens.access_token()
    httpx.patch(f"{world.sandboxes.procore_url}/rest/v1.0/requisitions/{req.id}/contract_items/{line.id}",
                headers={"Authorization": f"Bearer {token}", "Procore-Company-Id": str(world.company_id)},
                json={"project_id": project, "requisition_contract_item": {"work_completed_this_period": "-300000.00"}},
                timeout=30).raise_for_status()
    run_job(ctx, "sub-invoices")
    item = sub_items(world.engine)["SC-2024-001-01-002"]
    assert "QuickBooks can't hold a negative bill" in item.detail["blocked"]
    assert item.amount < 0
    with pytest.raises(InvalidInput, match="negative bill. Record it as a vendor credit"):
        svc.send(ctx, world.actor("sam"), item.id)


@pytest.mark.parametrize(("number", "ok"), [("X" * 21, True), ("INV-2024-000000000117-A", False)])
def test_doc_number_longer_than_21_is_refused(world, number, ok):
    run_job(world.ctx, "sub-invoices")
    item = sub_items(world.engine)["SC-2024-001-01-001"]
    patch_requisition(world, item.procore_id, invoice_number=number)
    if ok:
        assert svc.send(world.ctx, world.actor("sam"), item.id).item.detail["invoice_number"] == number
        return
    with pytest.raises(InvalidInput, match=f"invoice number '{number}' is 23 characters; QuickBooks allows 21"):
        svc.send(world.ctx, world.actor("sam"), item.id)
    with Session(world.engine) as s:
        assert "Shorten it in Procore and send it again" in s.get(Item, item.id).detail["blocked"]


def test_missing_cost_item_and_project_links_are_named(world):
    with Session(world.engine) as s:
        for link in s.exec(select(ExternalLink).where(ExternalLink.entity_type == "cost_item")):
            s.delete(link)
        s.commit()
    run_job(world.ctx, "sub-invoices")
    item = sub_items(world.engine)["SC-2024-001-02-002"]
    assert ("Create the QuickBooks items for 26-100.Subcontract, 26-500.Subcontract first (refresh the cost codes "
            "of Riverside Medical Office Building).") in item.detail["blocked"]
    with Session(world.engine) as s:
        binder.unbind(s, world.tenant.id, "project", world.links.project_ids[0])
        s.commit()
    report = run_job(world.ctx, "sub-invoices")
    assert any(c.action == "skip" and "not linked to a QuickBooks project" in c.detail for c in report.changes)


def test_dry_run_writes_nothing(world):
    report = run_job(world.ctx, "sub-invoices", dry_run=True)
    assert report.dry_run and report.counts()["create"] == 8
    with Session(world.engine) as s:
        assert not s.exec(select(Item)).all()
        assert not s.exec(select(SyncCursor)).all()
        assert not s.exec(select(ExternalLink).where(ExternalLink.entity_type == "qbo_account_role")).all()


def test_retainage_account_is_found_by_name_then_an_admin_may_choose_another(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    with Session(world.engine) as s:
        found = rules.role_id(s, world.tenant.id, rules.RETAINAGE_PAYABLE)
    assert ctx.qbo.read(entity="Account", id=found)["Name"] == "Retainage Payable"
    other = ctx.qbo.create(entity="Account", body={"Name": "Subcontractor Retention Held",
                                                   "AccountType": "Other Current Liability"})
    with pytest.raises(PermissionDenied, match="Admin"):
        svc.choose_qbo_record(ctx, world.actor("dana"), "retainage_payable", other["Id"])
    with pytest.raises(InvalidInput, match="needs an Other Current Liability account"):
        svc.choose_qbo_record(ctx, world.actor("alex"), "retainage_payable", "35")  # Checking
    assert svc.choose_qbo_record(ctx, world.actor("alex"), "retainage_payable", other["Id"]) == \
        "Subcontractor Retention Held"
    item = sub_items(world.engine)["SC-2024-001-01-001"]
    with Session(world.engine) as s:
        body = rules.evaluate(s, s.get(Item, item.id)).body
    assert body["Line"][-1]["AccountBasedExpenseLineDetail"]["AccountRef"] == {"value": other["Id"]}


def test_no_retainage_account_in_the_realm_is_a_state(world):
    ctx = world.ctx
    account = ctx.qbo.read(entity="Account", id="91")  # the sample company's Retainage Payable
    ctx.qbo.update(entity="Account", body={"Id": "91", "SyncToken": account["SyncToken"], "Name": "Holdbacks owed"})
    run_job(ctx, "sub-invoices")
    item = sub_items(world.engine)["SC-2024-001-01-001"]
    assert item.detail["blocked"] == rules.RETAINAGE_PAYABLE.missing()
    assert "QuickBooks has no Other Current Liability account named 'Retainage Payable'" in item.detail["blocked"]

"""The owner-invoices job: approved payment applications become items with the summary-sheet snapshot; the
two QBO items are roles found by name; refusals say why."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput
from core.models import Item
from sync import invoice_rules as rules
from sync.jobs.base import run_job
from sync.services import invoices as svc
from sync.writes.invoices import summary_sheet
from tests.sync.writes.money_links import link_world


@pytest.fixture
def world(remote_world):
    remote_world.links = link_world(remote_world, vendors=False)
    return remote_world


def owner_items(engine) -> list[Item]:
    with Session(engine) as s:
        return list(s.exec(select(Item).where(Item.type == "owner_invoice")))


def test_approved_pay_applications_become_items(world):
    report = run_job(world.ctx, "owner-invoices")
    [item] = owner_items(world.engine)
    assert item.title == "Riverside Medical Office Building owner invoice 0001" and item.state == "ready_to_export"
    assert item.amount == Decimal("153900.00") == Decimal(item.detail["due"])
    assert item.detail["qbo_summary"] == ("Creates Invoice 0001 for Riverside Medical Office Building, $153,900.00 "
                                          "(work $162,000.00, retainage held $8,100.00)")
    assert [r["cost_code"] for r in item.detail["sov"]] == ["01-100", "03-300", "26-100"]
    assert item.detail["g702"]["current_payment_due"] == "153900.00" and item.detail["owner"] == \
        "Riverside Health Partners"
    skipped = [c.detail for c in report.changes if c.action == "skip"]
    assert any("'under review' in Procore: only approved owner invoices" in d for d in skipped)
    assert any("'draft' in Procore" in d for d in skipped)
    with Session(world.engine) as s:
        body = rules.evaluate(s, item).body
        assert body["Line"][0]["SalesItemLineDetail"]["ItemRef"] == {"value": "1"}  # "Services", found by name
        assert body["Line"][1]["SalesItemLineDetail"]["ItemRef"] == {"value": "14"}  # "Retainage"
        assert body["CustomerRef"] == {"value": world.links.projects[item.procore_project_id]}
    sheet = summary_sheet(item.detail, body)
    assert sheet["total"] == "153900.00" and sheet["sov_totals"]["this_period"] == "162000.00"
    assert sheet["g702"][0] == {"label": "1. Original contract sum", "amount": "3010000.00"}


def test_missing_items_and_status_gate_refuse_with_the_reason(world):
    ctx = world.ctx
    for item_id in ("1", "14"):  # rename the sample items so no role is found by name
        record = ctx.qbo.read(entity="Item", id=item_id)
        ctx.qbo.update(entity="Item", body={"Id": item_id, "SyncToken": record["SyncToken"],
                                            "Name": f"Renamed {item_id}"})
    run_job(ctx, "owner-invoices")
    [item] = owner_items(world.engine)
    assert item.detail["blocked"] == " ".join([rules.OWNER_WORK_ITEM.missing(), rules.OWNER_RETAINAGE_ITEM.missing()])
    with pytest.raises(InvalidInput, match="no service item named 'Progress Billing'"):
        svc.send(ctx, world.actor("sam"), item.id)
    new = ctx.qbo.create(entity="Item", body={"Name": "Progress Billing", "Type": "Service",
                                              "IncomeAccountRef": {"value": "93"}})
    svc.choose_qbo_record(ctx, world.actor("erin"), "owner_invoice_retainage", "14")
    run_job(ctx, "owner-invoices")
    [item] = owner_items(world.engine)
    assert item.detail["blocked"] is None
    with Session(world.engine) as s:
        assert rules.role_id(s, world.tenant.id, rules.OWNER_WORK_ITEM) == new["Id"]
    httpx.patch(f"{world.sandboxes.procore_url}/_sandbox/records/payment_applications/{item.procore_id}",
                json={"status": "under_review"}, timeout=30).raise_for_status()
    with pytest.raises(InvalidInput, match="'under review' in Procore; only approved owner invoices"):
        svc.send(ctx, world.actor("sam"), item.id)

"""Money coming in, end to end against both sandboxes: an owner invoice exported through Slack's path is paid by
the owner in QBO in two parts, one part is voided — Procore's payments received, the item's state and the
channel's notices ("Riverside … paid $100,000.00 on invoice 0001") follow, each exactly once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlmodel import Session, select

from blocks.cards import payment_notice
from blocks.pdf import render_summary_sheet
from core.models import Item, OutboxEntry
from sync import events
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.services import invoices as svc
from sync.writes.invoices import use_sheet_renderer
from tests.support import decide
from tests.sync.writes.money_links import link_world

D = Decimal


@pytest.fixture
def world(remote_world):
    use_sheet_renderer(render_summary_sheet)
    remote_world.links = link_world(remote_world)
    return remote_world


def drain(world):
    return Outbox(world.engine, build_operations(lambda _tenant: world.ctx)).drain()


def _exported_owner_invoice(world) -> Item:
    run_job(world.ctx, "owner-invoices")
    with Session(world.engine) as s:
        item = next(i for i in s.exec(select(Item).where(Item.type == "owner_invoice"))
                    if i.detail["invoice_number"] == "0001")
    svc.send(world.ctx, world.actor("sam"), item.id)
    decide.accept(world.ctx, world.actor("erin"), item.id)
    drain(world)
    with Session(world.engine) as s:
        item = s.get(Item, item.id)
    assert item.state == "synced" and item.remote_id
    return item


def _receive(world, invoice, amount, ref):
    return world.ctx.qbo.create(entity="Payment", body={
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": D(amount), "PaymentRefNum": ref,
        "TxnDate": date.today().isoformat(),
        "Line": [{"Amount": D(amount), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})


def _void(world, payment):
    token = world.sandboxes.qbo_admin("tokens", realm_id=world.realm_id)["access_token"]
    r = httpx.post(f"{world.sandboxes.qbo_url}/v3/company/{world.realm_id}/payment",
                   params={"operation": "update", "include": "void", "minorversion": 75},
                   json={"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
                   headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}, timeout=30)
    r.raise_for_status()


def _received(world, item):
    contract = item.detail["prime_contract"]["id"]
    return sorted((p.amount, p.requisition_id) for p in world.ctx.procore.list_prime_contract_payments(
        project_id=item.procore_project_id, prime_contract_id=contract))


def _state(world, item_id):
    with Session(world.engine) as s:
        return s.get(Item, item_id).state


def test_owner_payments_reach_procore_and_the_channel_partial_and_void_exactly_once(world):
    item = _exported_owner_invoice(world)
    invoice = world.ctx.qbo.read(entity="Invoice", id=item.remote_id)
    total = D(str(invoice["TotalAmt"]))
    assert total == D("153900.00")
    app_id = int(item.detail["payment_application_id"])
    first = _receive(world, invoice, "100000.00", "W-1")
    run_job(world.ctx, "receipts")
    assert drain(world).done == 1
    assert _received(world, item) == [(D("100000.00"), app_id)]
    assert _state(world, item.id) == "synced"  # partly paid
    second = _receive(world, invoice, "53900.00", "W-2")
    assert second["Id"]
    run_job(world.ctx, "receipts")
    run_job(world.ctx, "receipts")  # a second run changes nothing: exactly once
    assert drain(world).done == 1
    assert _received(world, item) == [(D("53900.00"), app_id), (D("100000.00"), app_id)]
    assert _state(world, item.id) == "paid"
    _void(world, first)
    run_job(world.ctx, "receipts")
    assert drain(world).done == 1
    assert _received(world, item) == [(D("53900.00"), app_id)]
    assert _state(world, item.id) == "synced"
    with Session(world.engine) as s:
        notices = events.pending(s, world.tenant.id)
        ops = [e.operation for e in s.exec(select(OutboxEntry).order_by(OutboxEntry.id))]
    customer = invoice["CustomerRef"]["name"]
    assert customer
    assert [(n.kind, n.amount) for n in notices] == [
        ("received", D("100000.00")), ("received", D("53900.00")), ("receipt_reversed", D("100000.00"))]
    assert notices[0].text().startswith(f"{customer} paid $100,000.00 on invoice 0001")
    assert "Partially paid $100,000.00 of $153,900.00" in notices[0].text()
    assert "Paid in full ($153,900.00)" in notices[1].text()
    assert "voided or deleted in QuickBooks" in notices[2].text()
    assert payment_notice(notices[0], None).text == notices[0].text()
    assert ops.count("procore.create_prime_payment") == 2 and ops.count("procore.delete_prime_payment") == 1
    paid = httpx.get(f"{world.sandboxes.procore_url}/_sandbox/records/payment_applications/{app_id}",
                     timeout=30).json()["total_amount_paid"]
    assert D(str(paid)) == D("53900.00")

"""Paid sync end to end against both sandboxes: a Bill Ledgerlink exported is paid in QBO in two parts, one part
is voided and the other deleted — Procore's payments issued, the item's state and the Slack notices follow."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import Session, select

from core.models import ExternalLink, Item, OutboxEntry, utcnow
from sync import binder, events
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox

D = Decimal
CHECKING = "35"  # the sample company's bank account
VENDOR = "46"  # Norton Lumber and Building Materials


def _exportable_requisition(ctx):
    for project in ctx.procore.list_projects():
        for req in ctx.procore.list_requisitions(project_id=project.id):
            if req.status == "approved" and req.commitment_id:
                return project, req
    raise AssertionError("the demo company has an approved invoice")


def _synced_bill(world, amount="1000.00"):
    """A Bill in QBO plus the item it came from, as the Bill export leaves them (item synced, link bound)."""
    ctx = world.ctx
    project, req = _exportable_requisition(ctx)
    bill = ctx.qbo.create(entity="Bill", body={
        "VendorRef": {"value": VENDOR}, "DocNumber": f"R-{req.id}"[:21], "TxnDate": date.today().isoformat(),
        "PrivateNote": f"Procore requisition {req.id}",
        "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": D(amount),
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "63"}}}]})
    with Session(world.engine, expire_on_commit=False) as s:
        item = Item(tenant_id=world.tenant.id, type="sub_invoice", procore_id=str(req.id),
                    procore_project_id=project.id, title=f"ACME Concrete #{req.number}", amount=D(amount),
                    state="synced", remote_id=bill["Id"], detail={"invoice_number": f"R-{req.id}"})
        s.add(item)
        s.flush()
        binder.bind(s, world.tenant.id, "bill", req.id, bill["Id"], bill["SyncToken"])
        s.commit()
    return item, bill, project, req


def _pay(ctx, bill_id, amount, check):
    return ctx.qbo.create(entity="BillPayment", body={
        "VendorRef": {"value": VENDOR}, "PayType": "Check", "TotalAmt": D(amount), "DocNumber": check,
        "CheckPayment": {"BankAccountRef": {"value": CHECKING}}, "TxnDate": date.today().isoformat(),
        "Line": [{"Amount": D(amount), "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}]})


def _void(world, payment):
    """QBO's documented void: POST /billpayment?operation=update&include=void with Id + SyncToken."""
    token = world.sandboxes.qbo_admin("tokens", realm_id=world.realm_id)["access_token"]
    r = httpx.post(f"{world.sandboxes.qbo_url}/v3/company/{world.realm_id}/billpayment",
                   params={"operation": "update", "include": "void", "minorversion": 75},
                   json={"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
                   headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}, timeout=30)
    r.raise_for_status()
    return r.json()["BillPayment"]


def _ours(ctx, project, req):
    """Procore payments on the commitment that paid sync made (the demo seed has its own)."""
    return sorted(((p.amount, p.check_number, p.requisition_id, p.origin_id)
                   for p in ctx.procore.list_contract_payments(project_id=project.id, contract_id=req.commitment_id)
                   if p.origin_id and ":" in p.origin_id), key=lambda x: x[3])


def _qbo_calls(world):
    return world.sandboxes.qbo_requests(world.realm_id)["total"]


def _item(world, item_id):
    with Session(world.engine) as s:
        return s.get(Item, item_id)


def test_partial_then_full_then_voided_then_deleted(remote_world):
    world, ctx = remote_world, remote_world.ctx
    outbox = Outbox(world.engine, build_operations(lambda _tenant: ctx))
    item, bill, project, req = _synced_bill(world)

    first = run_job(ctx, "paid")  # the first run reads the watched Bills and their payments: none yet
    assert first.stats["mode"] == "initial query" and not first.changes

    # a partial payment: one Procore payment, the item stays synced and says how much is paid
    part = _pay(ctx, bill["Id"], "400.00", "1042")
    world.sandboxes.qbo_admin("requests/reset", realm_id=world.realm_id)
    report = run_job(ctx, "paid")
    assert report.stats["mode"] == "cdc" and _qbo_calls(world) <= 3, world.sandboxes.qbo_requests(world.realm_id)
    assert outbox.drain().done == 1
    assert _ours(ctx, project, req) == [(D("400.00"), "1042", req.id, f"{part['Id']}:{bill['Id']}:0")]
    it = _item(world, item.id)
    assert it.state == "synced" and it.detail["payment_status"] == "Partially paid $400.00 of $1,000.00"

    # the rest: a second Procore payment, the item is paid; the first payment is not sent twice
    rest = _pay(ctx, bill["Id"], "600.00", "1043")
    world.sandboxes.qbo_admin("requests/reset", realm_id=world.realm_id)
    run_job(ctx, "paid")
    assert _qbo_calls(world) <= 3
    assert outbox.drain().done == 1
    assert [x[0] for x in _ours(ctx, project, req)] == [D("400.00"), D("600.00")]
    it = _item(world, item.id)
    assert it.state == "paid" and it.detail["payment_status"] == "Paid in full ($1,000.00)"

    # a rerun with nothing new changes nothing (CDC re-reads a little on purpose)
    assert not run_job(ctx, "paid").changes
    assert outbox.drain().done == 0

    # the second payment is voided in QBO: its Procore payment goes, the item is back to synced
    _void(world, rest)
    run_job(ctx, "paid")
    assert outbox.drain().done == 1
    assert [x[0] for x in _ours(ctx, project, req)] == [D("400.00")]
    it = _item(world, item.id)
    assert it.state == "synced" and it.detail["payment_status"] == "Partially paid $400.00 of $1,000.00"

    # the first payment is deleted in QBO: nothing of ours is left in Procore, nor in the binder
    ctx.qbo.delete(entity="BillPayment", id=part["Id"], sync_token=part["SyncToken"])
    run_job(ctx, "paid")
    assert outbox.drain().done == 1
    assert _ours(ctx, project, req) == []
    it = _item(world, item.id)
    assert it.state == "synced" and it.detail["payment_status"] == "Unpaid ($1,000.00 open)"
    with Session(world.engine) as s:
        assert not s.exec(select(ExternalLink).where(ExternalLink.entity_type == "payment")).all()
        assert {e.status for e in s.exec(select(OutboxEntry))} == {"done"}
        notices = list(reversed(events.recent(s, world.tenant.id)))
        pending = events.pending(s, world.tenant.id)
    assert [(n.kind, n.amount, n.fully_paid) for n in notices] == [
        ("paid", D("400.00"), False), ("paid", D("600.00"), True),
        ("payment_reversed", D("600.00"), False), ("payment_reversed", D("400.00"), False)]
    paid = notices[1]
    assert paid.invoice == item.title and paid.vendor == "Norton Lumber and Building Materials"
    assert paid.payment_date == date.today() and paid.channel == "#accounting"
    assert paid.text().startswith(f"Paid: {item.title} from Norton Lumber and Building Materials — $600.00")
    assert [p.id for p in pending] == [n.id for n in notices]
    with Session(world.engine) as s:
        events.acknowledge(s, world.tenant.id, notices[1].id)
        s.commit()
        assert [p.kind for p in events.pending(s, world.tenant.id)] == ["payment_reversed"] * 2


def test_a_payment_voided_before_it_reached_procore_leaves_nothing_there(remote_world):
    world, ctx = remote_world, remote_world.ctx
    outbox = Outbox(world.engine, build_operations(lambda _tenant: ctx))
    item, bill, project, req = _synced_bill(world, amount="250.00")
    run_job(ctx, "paid")
    payment = _pay(ctx, bill["Id"], "250.00", "2001")
    run_job(ctx, "paid")
    assert _item(world, item.id).state == "paid"
    _void(world, payment)
    run_job(ctx, "paid")  # the create is still queued: the delete waits for it, then removes it
    assert _item(world, item.id).state == "synced"
    stats = outbox.drain()
    assert stats.failed == 0
    assert _ours(ctx, project, req) == []


def test_dry_run_reports_and_writes_nothing(remote_world):
    world, ctx = remote_world, remote_world.ctx
    item, bill, _, _ = _synced_bill(world, amount="90.00")
    _pay(ctx, bill["Id"], "90.00", "3001")
    report = run_job(ctx, "paid", dry_run=True)
    assert {c.action for c in report.changes} == {"create", "mark_paid"}
    assert _item(world, item.id).state == "synced"
    with Session(world.engine) as s:
        assert not s.exec(select(OutboxEntry)).all()
    assert run_job(ctx, "paid").stats["mode"] == "initial query"  # the cursor did not move


class Crash(BaseException):
    """The worker process dying at a kill point."""


@pytest.mark.parametrize("kill_at", ["before_call", "after_call", "before_commit"])
def test_a_crash_at_any_step_leaves_one_procore_payment(remote_world, kill_at):
    world, ctx = remote_world, remote_world.ctx
    ops = build_operations(lambda _tenant: ctx)
    item, bill, project, req = _synced_bill(world, amount="500.00")
    run_job(ctx, "paid")
    _pay(ctx, bill["Id"], "500.00", "4001")
    run_job(ctx, "paid")

    def die(where):
        if where == kill_at:
            raise Crash(where)

    with pytest.raises(Crash):
        Outbox(world.engine, ops, worker_id="w1", kill_point=die).drain()
    later = utcnow() + timedelta(minutes=10)  # the claim has gone stale: another worker takes over
    Outbox(world.engine, ops, worker_id="w2", clock=lambda: later).drain()
    assert [x[0] for x in _ours(ctx, project, req)] == [D("500.00")]
    with Session(world.engine) as s:
        assert len(s.exec(select(ExternalLink).where(ExternalLink.entity_type == "payment")).all()) == 1


def test_a_payment_edited_in_qbo_replaces_its_procore_payment(remote_world):
    world, ctx = remote_world, remote_world.ctx
    outbox = Outbox(world.engine, build_operations(lambda _tenant: ctx))
    item, bill, project, req = _synced_bill(world, amount="1000.00")
    run_job(ctx, "paid")
    payment = _pay(ctx, bill["Id"], "400.00", "5001")
    run_job(ctx, "paid")
    assert outbox.drain().done == 1
    ctx.qbo.update(entity="BillPayment", body={
        "Id": payment["Id"], "SyncToken": payment["SyncToken"], "TotalAmt": D("450.00"),
        "Line": [{"Amount": D("450.00"), "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})
    report = run_job(ctx, "paid")
    assert sorted(c.action for c in report.changes) == ["create", "reverse", "update"]
    assert outbox.drain().done == 2  # the old Procore payment removed, the new one recorded
    assert _ours(ctx, project, req) == [(D("450.00"), "5001", req.id, f"{payment['Id']}:{bill['Id']}:1")]
    assert _item(world, item.id).detail["payment_status"] == "Partially paid $450.00 of $1,000.00"
    ctx.qbo.update(entity="BillPayment", body={"Id": payment["Id"], "SyncToken": "1", "PrivateNote": "memo"})
    assert not run_job(ctx, "paid").changes  # a memo-only edit changes nothing in Procore

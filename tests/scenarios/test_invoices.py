"""Subcontractor and owner invoices through the whole engine, against the QBO and Procore sandboxes:
Procore → item → send → accept → outbox → QBO Bill/Invoice (+ PDF) → synced; reject/resend, retrieve, unlink,
a QBO refusal in words, and the Procore record locked once sent."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import httpx
import pytest
from sqlmodel import Session, select

from blocks.pdf import render_summary_sheet
from core.domain.errors import InvalidInput, PermissionDenied
from core.models import ExternalLink, Item, OutboxEntry
from sync import binder
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.qbo.query import select as select_qbo
from sync.services import invoices as svc
from sync.writes.batching import BatchingOutbox
from sync.writes.invoices import use_sheet_renderer
from tests.support import decide
from tests.sync.writes.money_links import link_vendor, link_world


@pytest.fixture
def world(remote_world):
    use_sheet_renderer(render_summary_sheet)
    remote_world.links = link_world(remote_world)
    return remote_world


def items(engine, kind="sub_invoice") -> dict[str, Item]:
    with Session(engine) as s:
        return {i.detail["invoice_number"]: i for i in s.exec(select(Item).where(Item.type == kind))}


def one(engine, item_id) -> Item:
    with Session(engine) as s:
        return s.get(Item, item_id)


def drain(world, *, batching=False):
    ops = build_operations(lambda _tenant: world.ctx)
    if batching:
        return BatchingOutbox(world.engine, ops, context_for=lambda _t: world.ctx).drain()
    return Outbox(world.engine, ops).drain()


def test_sub_invoice_export_end_to_end(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-001-01-002"]
    assert item.state == "ready_to_export" and item.detail["blocked"] is None
    assert item.detail["qbo_summary"] == ("Creates Bill SC-2024-001-01-002 for ACME Concrete, $179,550.00 across "
                                          "1 cost code")
    svc.send(ctx, world.actor("erin"), item.id)
    with pytest.raises(PermissionDenied, match="another approver"):
        decide.accept(ctx, world.actor("erin"), item.id)  # separation of duties
    with pytest.raises(PermissionDenied, match="approvers"):
        decide.accept(ctx, world.actor("sam"), item.id)
    decide.accept(ctx, world.actor("dana"), item.id)
    before = world.sandboxes.qbo_requests(world.realm_id)["by_operation"].get("create", 0)
    assert drain(world).done == 1
    done = one(world.engine, item.id)
    assert done.state == "synced" and done.remote_id
    bill = ctx.qbo.read(entity="Bill", id=done.remote_id)
    assert world.sandboxes.qbo_requests(world.realm_id)["by_operation"]["create"] == before + 1
    assert bill["DocNumber"] == "SC-2024-001-01-002" and bill["TxnDate"] == "2024-04-30"
    assert bill["VendorRef"]["value"] == world.links.vendors[done.detail["vendor"]["id"]]
    assert Decimal(str(bill["TotalAmt"])) == Decimal("179550.00") == Decimal(done.detail["due"])
    lines = [(x["DetailType"], Decimal(str(x["Amount"]))) for x in bill["Line"]]
    assert lines == [("ItemBasedExpenseLineDetail", Decimal("199500.00")),
                     ("AccountBasedExpenseLineDetail", Decimal("-19950.00"))]
    item_line = bill["Line"][0]["ItemBasedExpenseLineDetail"]
    project_id = done.procore_project_id
    assert item_line["CustomerRef"]["value"] == world.links.projects[project_id]
    cost_code_id = done.detail["lines"][0]["cost_code_id"]
    type_id = done.detail["lines"][0]["line_item_type_id"]
    assert item_line["ItemRef"]["value"] == world.links.items[f"{project_id}:{cost_code_id}:{type_id}"]
    retainage = bill["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]
    assert retainage["name"] == "Retainage Payable"  # found by name and type, not a hard-coded Id
    assert done.detail["qbo"]["summary"].startswith("Bill SC-2024-001-01-002 for ACME Concrete, $179,550.00")
    with Session(world.engine) as s:
        assert binder.require_external(s, world.tenant.id, "bill", done.procore_id).qbo_id == done.remote_id


def test_reject_edit_resend_retrieve(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-014-06-001"]
    svc.send(ctx, world.actor("sam"), item.id)
    with pytest.raises(InvalidInput, match="at least 5 characters"):
        decide.reject(ctx, world.actor("dana"), item.id, "no")
    decide.reject(ctx, world.actor("dana"), item.id, "Wrong billing date, use Aug 31")
    assert one(world.engine, item.id).state == "rejected"
    # editable again: the sub changes the invoice in Procore, the resend picks the edit up
    httpx.patch(f"{world.sandboxes.procore_url}/_sandbox/records/requisitions/{item.procore_id}",
                json={"billing_date": "2024-08-31", "invoice_number": "TD-0831"}, timeout=30).raise_for_status()
    svc.resend(ctx, world.actor("sam"), item.id)
    resent = one(world.engine, item.id)
    assert resent.state == "awaiting_acceptance" and resent.round == 2
    assert resent.detail["invoice_number"] == "TD-0831" and resent.detail["billing_date"] == "2024-08-31"
    decide.retrieve(ctx, world.actor("sam"), item.id)
    assert one(world.engine, item.id).state == "ready_to_export"


def test_locked_once_sent(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-001-01-001"]
    svc.send(ctx, world.actor("sam"), item.id)
    httpx.patch(f"{world.sandboxes.procore_url}/_sandbox/records/requisitions/{item.procore_id}",
                json={"invoice_number": "EDITED-AFTER-SEND"}, timeout=30).raise_for_status()
    report = run_job(ctx, "sub-invoices")
    locked = one(world.engine, item.id)
    assert locked.detail["invoice_number"] == "SC-2024-001-01-001"  # what was sent, not the edit
    assert "edits made in Procore after that are not copied" in locked.detail["locked_note"]
    assert any(c.action == "locked" for c in report.changes)


def test_missing_company_link_is_a_state_then_linking_unblocks(remote_world):
    world = remote_world
    world.links = link_world(world, vendors=False)
    run_job(world.ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-001-01-002"]
    assert item.state == "ready_to_export"
    assert item.detail["blocked"].startswith("Link company ACME Concrete to a QuickBooks vendor first")
    with pytest.raises(InvalidInput, match="can't be sent yet: Link company ACME Concrete"):
        svc.send(world.ctx, world.actor("sam"), item.id)
    link_vendor(world, world.links, item.detail["vendor"]["id"])
    report = run_job(world.ctx, "sub-invoices")
    assert one(world.engine, item.id).detail["blocked"] is None
    assert any(c.action == "update" and "SC-2024-001-01-002" in c.record for c in report.changes)
    assert svc.send(world.ctx, world.actor("sam"), item.id).item.state == "awaiting_acceptance"


def test_status_gate_refuses_with_the_reason(world):
    ctx = world.ctx
    project = world.links.project_ids[0]
    draft = next(r for r in ctx.procore.list_requisitions(project_id=project) if r.status == "under_review")
    with pytest.raises(InvalidInput, match="'under review' in Procore; only invoices that are Approved, Approved "
                                           "as noted or Pending owner approval"):
        svc.send_requisition(ctx, world.actor("sam"), draft.id, project_id=project)
    ok = next(r for r in ctx.procore.list_requisitions(project_id=project) if r.status == "approved_as_noted")
    assert svc.send_requisition(ctx, world.actor("sam"), ok.id, project_id=project).item.state == \
        "awaiting_acceptance"
    # an item whose invoice goes back to review in Procore is refused with that reason too
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-001-01-001"]
    httpx.patch(f"{world.sandboxes.procore_url}/_sandbox/records/requisitions/{item.procore_id}",
                json={"status": "revise_and_resubmit"}, timeout=30).raise_for_status()
    with pytest.raises(InvalidInput, match="'revise and resubmit' in Procore"):
        svc.send(ctx, world.actor("sam"), item.id)


def test_qbo_refusal_is_a_sentence_then_retry(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-014-05-001"]
    vendor_id = world.links.vendors[item.detail["vendor"]["id"]]
    vendor = ctx.qbo.read(entity="Vendor", id=vendor_id)
    ctx.qbo.deactivate(entity="Vendor", id=vendor_id, sync_token=vendor["SyncToken"])
    svc.send(ctx, world.actor("sam"), item.id)
    decide.accept(ctx, world.actor("dana"), item.id)
    assert drain(world).failed == 1
    failed = one(world.engine, item.id)
    assert failed.state == "failed_to_export"
    assert failed.last_error == (f"{item.title} could not be exported: the vendor ACME Concrete is inactive or no "
                                 "longer exists in QuickBooks — reactivate it in QuickBooks or relink it in "
                                 "Ledgerlink, then press Retry.")
    vendor = ctx.qbo.read(entity="Vendor", id=vendor_id)
    ctx.qbo.update(entity="Vendor", body={"Id": vendor_id, "SyncToken": vendor["SyncToken"], "Active": True})
    decide.retry(ctx, world.actor("dana"), item.id)
    assert drain(world).done == 1 and one(world.engine, item.id).state == "synced"


def test_unlink_keeps_the_bill_and_drops_the_link(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2023-087-08-002"]
    svc.send(ctx, world.actor("sam"), item.id)
    decide.accept(ctx, world.actor("dana"), item.id)
    drain(world, batching=True)
    bill_id = one(world.engine, item.id).remote_id
    with pytest.raises(PermissionDenied, match="Admin"):
        svc.unlink(ctx, world.actor("dana"), item.id)
    svc.unlink(ctx, world.actor("erin"), item.id)
    after = one(world.engine, item.id)
    assert after.state == "ready_to_export" and after.remote_id is None and "qbo" not in after.detail
    assert after.detail["unlinked"][0]["qbo_id"] == bill_id
    assert ctx.qbo.read(entity="Bill", id=bill_id)["Id"] == bill_id  # the Bill stays in QBO
    with Session(world.engine) as s:
        assert binder.to_external(s, world.tenant.id, "bill", item.procore_id) is None
    assert len(ctx.qbo.query(q=select_qbo("Bill").where(DocNumber="SC-2023-087-08-002")).get("Bill")) == 1


def test_owner_invoice_with_pdf_attached(world, tmp_path):
    ctx = world.ctx
    run_job(ctx, "owner-invoices")
    item = items(world.engine, "owner_invoice")["0001"]
    assert item.detail["qbo_summary"] == ("Creates Invoice 0001 for Riverside Medical Office Building, $153,900.00 "
                                          "(work $162,000.00, retainage held $8,100.00)")
    svc.send(ctx, world.actor("sam"), item.id)
    decide.accept(ctx, world.actor("erin"), item.id)
    assert drain(world).done == 2  # the Invoice, then (queued by it) the PDF
    done = one(world.engine, item.id)
    assert done.state == "synced" and done.detail["pdf"]["status"] == "attached"
    invoice = ctx.qbo.read(entity="Invoice", id=done.remote_id)
    amounts = [Decimal(str(x["Amount"])) for x in invoice["Line"] if x["DetailType"] == "SalesItemLineDetail"]
    assert amounts == [Decimal("162000.00"), Decimal("-8100.00")] and invoice["DocNumber"] == "0001"
    assert invoice["CustomerRef"]["value"] == world.links.projects[done.procore_project_id]
    found = ctx.qbo.query(q=select_qbo("Attachable").filter("AttachableRef.EntityRef.value", "=", done.remote_id))
    [attachable] = found["Attachable"]
    assert attachable["Id"] == done.detail["pdf"]["attachable_id"]
    assert attachable["AttachableRef"][0]["EntityRef"] == {"type": "Invoice", "value": done.remote_id}
    pdf = httpx.get(attachable["TempDownloadUri"], timeout=30).content
    assert pdf.startswith(b"%PDF") and attachable["FileName"] == "owner-invoice-0001-summary.pdf"
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "sheet.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for words in ("Owner Invoice Summary", "Invoice 0001", "Riverside Medical Office Building", "$153,900.00",
                  "Retainage held this period", "-$8,100.00", "General conditions", "$3,010,000.00"):
        assert words in text
    # unlink: the Invoice (and its attachment) stay in QBO; the link goes
    svc.unlink(ctx, world.actor("erin"), item.id)
    with Session(world.engine) as s:
        assert binder.to_external(s, world.tenant.id, "invoice", item.procore_id) is None
        assert s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.attach_pdf")).one().status == "done"
        assert not s.exec(select(ExternalLink).where(ExternalLink.entity_type == "invoice")).all()
    assert ctx.qbo.read(entity="Invoice", id=done.remote_id)["Id"] == done.remote_id


def test_accept_is_refused_when_a_link_went_missing_meanwhile(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-001-02-001"]
    sent = svc.send(ctx, world.actor("sam"), item.id)
    assert svc.locked_message(sent.item).startswith(f"{item.title} is with accounting now and locked in Ledgerlink")
    with Session(world.engine) as s:
        binder.unbind(s, world.tenant.id, "company", item.detail["vendor"]["id"])
        s.commit()
    with pytest.raises(InvalidInput, match="can't be exported yet: Link company Rocky Mountain Electric"):
        decide.accept(ctx, world.actor("dana"), item.id)
    assert one(world.engine, item.id).state == "awaiting_acceptance"
    with Session(world.engine) as s:
        assert not s.exec(select(OutboxEntry)).all()


def test_direct_export_when_the_company_allows_it(world):
    ctx = world.ctx
    run_job(ctx, "sub-invoices")
    item = items(world.engine)["SC-2024-014-05-001"]
    with pytest.raises(PermissionDenied, match="Direct exports are disabled"):
        decide.export(ctx, world.actor("sam"), item.id)
    with Session(world.engine) as s:
        world.settings_row(s).direct_exports = "enabled"
        s.commit()
    assert decide.export(ctx, world.actor("sam"), item.id).item.state == "exporting"
    assert drain(world, batching=True).done == 1 and one(world.engine, item.id).state == "synced"


def test_owner_invoice_pdf_prints_names_as_written_and_money_half_up(world, tmp_path):
    """Latin Extended and CJK names reach the PDF QuickBooks holds as written (not '?'); money as the cards show it."""
    sandboxes, company = world.sandboxes, world.company_id
    records = httpx.get(f"{sandboxes.procore_url}/_sandbox/records/payment_applications", timeout=30).json()
    app = next(r for r in records if r.get("invoice_number") == "0001" and r.get("company_id", company) == company)
    httpx.patch(f"{sandboxes.procore_url}/_sandbox/records/projects/{app['project_id']}",
                json={"name": "北京建工 Medical"}, timeout=30).raise_for_status()
    httpx.patch(f"{sandboxes.procore_url}/_sandbox/records/prime_contracts/{app['prime_contract_id']}",
                json={"owner_name": "Šťastný Stavby s.r.o."}, timeout=30).raise_for_status()
    run_job(world.ctx, "owner-invoices")
    item = items(world.engine, "owner_invoice")["0001"]
    svc.send(world.ctx, world.actor("sam"), item.id)
    decide.accept(world.ctx, world.actor("erin"), item.id)
    assert drain(world).done == 2
    done = one(world.engine, item.id)
    found = world.ctx.qbo.query(q=select_qbo("Attachable").filter("AttachableRef.EntityRef.value", "=",
                                                                  done.remote_id))
    (tmp_path / "sheet.pdf").write_bytes(httpx.get(found["Attachable"][0]["TempDownloadUri"], timeout=30).content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "sheet.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for words in ("北京建工 Medical", "Šťastný Stavby s.r.o.", "$153,900.00"):
        assert words in text, words
    assert "?" not in text.replace("Invoice 0001", "")

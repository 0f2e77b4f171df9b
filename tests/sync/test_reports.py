"""Reports: rows, CSV, and who may see them (the seed's permission table)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from core.domain.errors import PermissionDenied
from core.domain.permissions import SYSTEM
from core.models import Item, RemoteRecord, UnsyncableCost
from sync import binder, cache
from sync.procore.records import BudgetLineItem
from sync.reports import (
    AccountantRow,
    AccountantSummaryRow,
    ArchivedCompanyRow,
    JobCostRow,
    SubJobRow,
    UnsyncableRow,
    accountant_report,
    accountant_summary,
    archived_companies,
    job_costs_report,
    synced_sub_jobs,
    to_csv,
    unsyncable_report,
)
from tests.support.factories import World

D = Decimal
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
P = 562949953421362


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def _items(engine, w):
    specs = [  # title, type, state, amount, sender, days since the last change
        ("INV-1", "sub_invoice", "awaiting_acceptance", "48250.00", "sam", 6),
        ("INV-2", "sub_invoice", "awaiting_acceptance", "100.00", "sam", 1),
        ("INV-3", "sub_invoice", "rejected", "75.50", "sam", 3),
        ("INV-4", "sub_invoice", "synced", "900.00", "dana", 10),
        ("PA-1", "owner_invoice", "failed_to_export", "12000.00", "sam", 2),
        ("ACME", "company", "ready_to_export", "0", None, 0),
    ]
    with Session(engine) as s:
        for title, kind, state, amount, sender, days in specs:
            when = NOW - timedelta(days=days, hours=1)
            s.add(Item(tenant_id=w.tenant.id, type=kind, procore_id=title, title=title, state=state, amount=D(amount),
                       sender_id=w.users[sender].id if sender else None, procore_project_id=P,
                       sent_at=when, updated_at=when, reject_reason="wrong retainage" if state == "rejected" else None,
                       detail={"payment_status": "Partially paid $100.00 of $900.00"} if state == "synced" else None))
        s.commit()


def test_accountant_report_rows_summary_and_csv(engine):
    w = World(engine)
    _items(engine, w)
    with Session(engine) as s:
        rows = accountant_report(s, w.actor("riley"), tenant_id=w.tenant.id, now=NOW)
    by_title = {r.title: r for r in rows}
    assert by_title["INV-1"].state == "awaiting acceptance" and by_title["INV-1"].age_days == 6
    assert by_title["INV-1"].holding == "Accounting approvers: @dana, @erin"
    assert by_title["INV-4"].holding == "Accounts payable in QuickBooks (not paid yet)"
    assert by_title["INV-4"].note == "Partially paid $100.00 of $900.00"
    assert by_title["INV-3"].holding == "@sam (edit and resend)"
    assert by_title["INV-3"].note == "wrong retainage"
    assert by_title["ACME"].holding == "Senders (not sent yet)"
    assert by_title["PA-1"].holding.startswith("Accounting approvers (fix and retry)")
    assert [r.title for r in rows if r.state == "awaiting acceptance"] == ["INV-1", "INV-2"]  # oldest first
    summary = {(x.type, x.state): x for x in accountant_summary(rows)}
    waiting = summary[("subcontractor invoice", "awaiting acceptance")]
    assert (waiting.count, waiting.amount, waiting.oldest_days) == (2, D("48350.00"), 6)
    table = _rows(to_csv(rows, AccountantRow))
    assert table[0][:4] == ["item_id", "type", "state", "title"] and len(table) == len(rows) + 1
    assert "48250.00" in table[1 + rows.index(by_title["INV-1"])]
    assert _rows(to_csv(accountant_summary(rows), AccountantSummaryRow))[0] == [
        "type", "state", "count", "amount", "oldest_days"]
    with Session(engine) as s:
        only = accountant_report(s, w.actor("riley"), tenant_id=w.tenant.id, now=NOW, types=["owner_invoice"],
                                 states=["failed_to_export"])
    assert [r.title for r in only] == ["PA-1"]


def test_report_permissions(engine):
    w, other = World(engine), World(engine, name="Other Co")
    with Session(engine) as s:
        with pytest.raises(PermissionDenied, match="Read only"):
            accountant_report(s, w.actor("nora"), tenant_id=w.tenant.id)
        with pytest.raises(PermissionDenied, match="your own company"):
            accountant_report(s, other.actor("erin"), tenant_id=w.tenant.id)
        with pytest.raises(PermissionDenied, match="Read only"):
            archived_companies(s, w.actor("nora"), tenant_id=w.tenant.id)
        with pytest.raises(PermissionDenied, match="Read only"):
            synced_sub_jobs(s, w.actor("nora"), tenant_id=w.tenant.id)
        assert unsyncable_report(s, w.actor("nora"), tenant_id=w.tenant.id) == []  # no ERP-tool level needed
        with pytest.raises(PermissionDenied, match="needs Admin"):  # company-wide job costs
            job_costs_report(s, w.actor("riley"), tenant_id=w.tenant.id, budgets={})
        assert job_costs_report(s, w.actor("riley"), tenant_id=w.tenant.id, budgets={}, project_id=P) == []
        assert job_costs_report(s, w.actor("alex"), tenant_id=w.tenant.id, budgets={}) == []
        assert accountant_report(s, SYSTEM, tenant_id=w.tenant.id) == []


def test_job_costs_report_from_synced_lines_and_budget(engine):
    w = World(engine)
    with Session(engine) as s:
        placed = {f"Bill:1:{P}": {"project_id": P, "lines": [
            {"cost_code_id": 11, "line_item_type_id": 5, "amount": "1200.00"},
            {"cost_code_id": 12, "line_item_type_id": 6, "amount": "0.10"}]}}
        credit = {f"VendorCredit:2:{P}": {"project_id": P, "lines": [
            {"cost_code_id": 11, "line_item_type_id": 5, "amount": "-100.00"},
            {"cost_code_id": 12, "line_item_type_id": 6, "amount": "0.20"}]}}
        cache.upsert(s, w.tenant.id, "qbo", "job_cost", "Bill:1", name="b", data={"entity": "Bill", "placed": placed})
        cache.upsert(s, w.tenant.id, "qbo", "job_cost", "VendorCredit:2", name="c",
                     data={"entity": "VendorCredit", "placed": credit})
        s.commit()
        budgets = {P: [BudgetLineItem(id=1, amount=D("95000"), project_id=P, cost_code_id=11, cost_code="01-500",
                                      line_item_type_id=5, line_item_type="Equipment"),
                       BudgetLineItem(id=2, amount=D("10.00"), project_id=P, cost_code_id=13, cost_code="03-300",
                                      line_item_type_id=6, line_item_type="Material")]}
        rows = job_costs_report(s, w.actor("riley"), tenant_id=w.tenant.id, budgets=budgets, project_id=P,
                                project_names={P: "Riverside MOB"})
    got = {(r.cost_code, r.cost_type): (r.budget, r.actual, r.remaining, r.percent_spent) for r in rows}
    assert got == {
        ("01-500", "Equipment"): (D("95000.00"), D("1100.00"), D("93900.00"), D("1.16")),
        ("03-300", "Material"): (D("10.00"), D("0.00"), D("10.00"), D("0.00")),
        ("cost code 12", "cost type 6"): (D("0.00"), D("0.30"), D("-0.30"), None),  # spent without a budget
    }
    assert all(r.project == "Riverside MOB" for r in rows)
    table = _rows(to_csv(rows, JobCostRow))
    assert table[0] == ["project_id", "project", "cost_code_id", "cost_code", "cost_type_id", "cost_type", "budget",
                        "actual", "remaining", "percent_spent"]
    assert ["0.00", "0.30", "-0.30", ""] == table[-1][6:]  # numbers are not escaped; no budget: empty


def test_unsyncable_archived_and_sub_job_lists(engine):
    w = World(engine)
    t = w.tenant.id
    with Session(engine) as s:
        s.add(UnsyncableCost(tenant_id=t, qbo_entity="Bill", qbo_id="900", line_id="2", amount=D("5.00"),
                             txn_date=datetime(2026, 2, 3, tzinfo=UTC), vendor_name="=HYPERLINK(\"x\")",
                             reason="Bill NL-1, line 2: no project on the line.", fix="Choose the project."))
        s.add(UnsyncableCost(tenant_id=t, qbo_entity="Purchase", qbo_id="901", line_id="1", amount=D("-1.00"),
                             reason="r", fix="f", resolved_at=NOW))
        s.add(RemoteRecord(tenant_id=t, system="qbo", entity="Vendor", remote_id="46", name="Norton Lumber",
                           archived=True))
        s.add(RemoteRecord(tenant_id=t, system="qbo", entity="Vendor", remote_id="47", name="PG&E"))
        s.add(RemoteRecord(tenant_id=t, system="qbo", entity="Customer", remote_id="58", name="Riverside",
                           archived=True))  # not a company
        s.add(RemoteRecord(tenant_id=t, system="qbo", entity="Customer", remote_id="70", name="Phase 2",
                           parent_id="58"))
        binder.bind(s, t, "company", 9001, "46")
        binder.bind(s, t, "sub_job", f"{P}:3", "70")
        s.commit()
        unsyncable = unsyncable_report(s, w.actor("nora"), tenant_id=t)
        every = unsyncable_report(s, w.actor("nora"), tenant_id=t, include_resolved=True)
        archived = archived_companies(s, w.actor("riley"), tenant_id=t)
        jobs = synced_sub_jobs(s, w.actor("riley"), tenant_id=t)
    assert [(u.qbo_entity, u.qbo_id, u.line_id, u.amount) for u in unsyncable] == [("Bill", "900", "2", D("5.00"))]
    assert len(every) == 2
    table = _rows(to_csv(unsyncable, UnsyncableRow))
    assert table[1][3] == "2026-02-03" and table[1][4] == "'=HYPERLINK(\"x\")"  # no formula from a vendor name
    assert archived == [ArchivedCompanyRow(system="qbo", remote_id="46", name="Norton Lumber", active=True,
                                           linked_to="9001")]
    assert _rows(to_csv(archived, ArchivedCompanyRow))[1] == ["qbo", "46", "Norton Lumber", "yes", "9001"]
    assert [(j.procore_id, j.qbo_id, j.name, j.parent_qbo_id, j.parent_name) for j in jobs] == [
        (f"{P}:3", "70", "Phase 2", "58", "Riverside")]
    assert _rows(to_csv([], SubJobRow)) == [["procore_id", "qbo_id", "name", "parent_qbo_id", "parent_name",
                                             "last_synced_at"]]


def test_csv_needs_a_row_type():
    with pytest.raises(TypeError):
        to_csv([], dict)

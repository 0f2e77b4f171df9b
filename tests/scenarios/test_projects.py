"""Projects and sub jobs end to end, against the QBO and Procore sandboxes over HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.models import ExternalLink, OutboxEntry, RemoteRecord, SyncCursor
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.services import projects


def _drain(world):
    return Outbox(world.engine, build_operations(lambda _t: world.ctx)).drain()


def _states(world) -> dict[str, str]:
    return {r.name: r.state for r in projects.list_erp_jobs(world.ctx, world.actor("riley"))}


def _procore_project(world, name):
    return next(p for p in world.ctx.procore.list_projects(filters={"by_status": "All"}) if p.name == name)


def test_import_states_add_update_and_cdc(remote_world):
    w = remote_world
    start = w.sandboxes.qbo_requests(w.realm_id)["total"]
    first = run_job(w.ctx, "projects")
    assert w.sandboxes.qbo_requests(w.realm_id)["total"] - start == 1
    assert first.stats["customer_mode"] == "full"
    # QBO sample data: two IsProject projects and two Job sub-customers of Freeman Sporting Goods
    assert _states(w) == {"0969 Ocean View Road": "ready_to_import", "55 Twin Lane": "ready_to_import",
                          "Medical Office Fit-Out": "ready_to_import", "Showroom Remodel": "ready_to_import"}
    assert "state      QBO project: Showroom Remodel (QBO 58) — Ready to import" in first.lines()

    with pytest.raises(PermissionDenied):
        projects.add_erp_job_to_procore(w.ctx, w.actor("sam"), qbo_project_id=58)
    projects.add_erp_job_to_procore(w.ctx, w.actor("alex"), qbo_project_id=58, project_number="2025-058")
    assert _drain(w).done == 1
    created = _procore_project(w, "Showroom Remodel")
    assert created.origin_id == "58" and created.project_number == "2025-058"
    assert _states(w)["Showroom Remodel"] == "synced"
    with pytest.raises(InvalidInput, match="already synced"):
        projects.add_erp_job_to_procore(w.ctx, w.actor("alex"), qbo_project_id=58)

    # QBO changes the project: the next (incremental) refresh says Ready to update
    cust = w.ctx.qbo.read(entity="Customer", id="58")
    w.ctx.qbo.update(entity="Customer", body={"Id": "58", "SyncToken": cust["SyncToken"],
                                              "DisplayName": "Showroom Remodel Phase 2"})
    start = w.sandboxes.qbo_requests(w.realm_id)["total"]
    again = run_job(w.ctx, "projects")
    assert again.stats["customer_mode"] == "cdc" and w.sandboxes.qbo_requests(w.realm_id)["total"] - start <= 3
    assert _states(w)["Showroom Remodel Phase 2"] == "ready_to_update"
    entry = projects.add_erp_job_to_procore(w.ctx, w.actor("alex"), qbo_project_id=58)
    assert entry.operation == "procore.update_project"
    assert _drain(w).done == 1
    assert w.ctx.procore.get_project(project_id=created.id).name == "Showroom Remodel Phase 2"
    assert _states(w)["Showroom Remodel Phase 2"] == "synced"


def test_link_a_qbo_project_to_an_existing_procore_project(remote_world):
    w = remote_world
    run_job(w.ctx, "projects")
    riverside = _procore_project(w, "Riverside Medical Office Building")
    summit = _procore_project(w, "Summit Ridge Apartments")
    projects.link_erp_job(w.ctx, w.actor("erin"), qbo_project_id=59, procore_project_id=riverside.id)
    with pytest.raises(InvalidInput, match="already linked to Procore project 2024-001 Riverside"):
        projects.link_erp_job(w.ctx, w.actor("erin"), qbo_project_id=59, procore_project_id=summit.id)
    assert _drain(w).done == 1
    assert w.ctx.procore.get_project(project_id=riverside.id).origin_id == "59"
    assert _states(w)["Medical Office Fit-Out"] == "synced"
    rows = {r.name: r for r in projects.list_erp_jobs(w.ctx, w.actor("riley"))}
    assert rows["Medical Office Fit-Out"].procore_name == "2024-001 Riverside Medical Office Building"
    # a Procore project created with origin_id already set is adopted by the next refresh
    w.ctx.procore.create_project(name="Ocean View Remodel", project_number="2025-008", origin_id="8")
    report = run_job(w.ctx, "projects")
    assert any(line.startswith("link       Procore project: Ocean View Remodel") for line in report.lines())
    assert _states(w)["0969 Ocean View Road"] == "synced"


def test_sub_jobs_import_under_a_linked_project(remote_world):
    w = remote_world
    sub = w.ctx.qbo.create(entity="Customer", body={"DisplayName": "Showroom Remodel - Electrical",
                                                    "ParentRef": {"value": "58"}, "Job": True})
    report = run_job(w.ctx, "projects")
    line = next(x for x in report.lines()
                if x.startswith("state") and "QBO sub job: Showroom Remodel - Electrical" in x)
    assert "waits for its project Showroom Remodel to be linked" in line
    with pytest.raises(InvalidInput, match="which is not in Procore yet"):
        projects.import_sub_job(w.ctx, w.actor("alex"), qbo_sub_job_id=sub["Id"])
    projects.add_erp_job_to_procore(w.ctx, w.actor("alex"), qbo_project_id=58, project_number="2025-058")
    _drain(w)
    with pytest.raises(PermissionDenied):
        projects.import_sub_job(w.ctx, w.actor("dana"), qbo_sub_job_id=sub["Id"])
    projects.import_sub_job(w.ctx, w.actor("alex"), qbo_sub_job_id=sub["Id"], code="02")
    assert _drain(w).done == 1
    procore_project = _procore_project(w, "Showroom Remodel")
    in_procore = list(w.ctx.procore.list_sub_jobs(project_id=procore_project.id))
    assert [(s.code, s.name, s.origin_id) for s in in_procore] == [("02", "Showroom Remodel - Electrical", sub["Id"])]
    listed = projects.synced_sub_jobs(w.ctx, w.actor("riley"), procore_project_id=procore_project.id)
    assert [(r.name, r.parent_name, r.procore_id) for r in listed] == [
        ("Showroom Remodel - Electrical", "Showroom Remodel", str(in_procore[0].id))]
    assert _states(w)["Showroom Remodel - Electrical"] == "synced"
    with pytest.raises(InvalidInput, match="already in Procore"):
        projects.import_sub_job(w.ctx, w.actor("alex"), qbo_sub_job_id=sub["Id"])


def test_why_a_procore_project_is_missing_from_the_erp_lists(remote_world):
    w = remote_world
    run_job(w.ctx, "projects")
    summit = _procore_project(w, "Summit Ridge Apartments")
    cedar = _procore_project(w, "Cedar Street Parking Garage")
    why = projects.why_missing_from_erp(w.ctx, procore_project_id=summit.id)
    assert why.startswith("2024-014 Summit Ridge Apartments is not linked to a QuickBooks project — link it with "
                          f"`/ledgerlink link project {summit.id} <QuickBooks project>`")
    w.ctx.procore.update_project(project_id=cedar.id, active=False)
    numberless = w.ctx.procore.create_project(name="Yard Shed")
    run_job(w.ctx, "projects")
    assert "inactive in Procore" in projects.why_missing_from_erp(w.ctx, procore_project_id=cedar.id)
    projects.link_erp_job(w.ctx, w.actor("erin"), qbo_project_id=9, procore_project_id=numberless.id)
    assert "has no project number" in projects.why_missing_from_erp(w.ctx, procore_project_id=numberless.id)
    projects.link_erp_job(w.ctx, w.actor("erin"), qbo_project_id=59, procore_project_id=summit.id)
    assert projects.why_missing_from_erp(w.ctx, procore_project_id=summit.id) is None
    assert "hasn't seen Procore project 1" in projects.why_missing_from_erp(w.ctx, procore_project_id=1)


def test_projects_dry_run_writes_nothing(remote_world):
    w = remote_world
    report = run_job(w.ctx, "projects", dry_run=True)
    assert report.counts()["create"] == 7  # 4 QBO projects, 3 Procore projects
    assert "state      QBO project: Medical Office Fit-Out (QBO 59) — Ready to import" in report.lines()
    with Session(w.engine) as s:
        for table in (RemoteRecord, SyncCursor, ExternalLink, OutboxEntry):
            assert s.exec(select(table)).all() == [], table.__name__

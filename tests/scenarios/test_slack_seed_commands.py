"""The seed's actions as `/ledgerlink` subcommands, through the real path: a signed Slack request (the Slack
sandbox) → the listener → the action → the engine → the QBO and Procore sandboxes over HTTP. On SQLite and
PostgreSQL (`remote_world` runs on both)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from blocks import ids
from core.models import AuditEvent, ExternalLink, ProjectSettings, RemoteRecord
from sync.jobs.base import run_job

pytest_plugins = ["tests.handlers.slack_harness"]


@pytest.fixture
def seed(remote_world, slack_for):
    """Slack wired to the engine of `remote_world` (its sandboxes), companies and projects refreshed."""
    w = remote_world
    slack = slack_for(w, hooks=None, operations=None, context_for=lambda _tenant: w.ctx)
    run_job(w.ctx, "vendors")
    run_job(w.ctx, "projects")
    return slack


def _mine(slack, who: str) -> list[dict]:
    return [m for m in slack.messages() if m["_sandbox"]["ephemeral_to"] == slack.ids[who]]


def _last(slack, who: str) -> dict:
    shown = _mine(slack, who)
    assert shown, f"nothing shown to {who}"
    return shown[-1]


def _said(slack, who: str) -> str:
    return "\n".join(slack.text(m) for m in _mine(slack, who))


def _run(slack, who: str, text: str) -> dict:
    out = slack.command(who, text)
    assert out["ok"] and out["status"] == 200, out
    slack.idle()
    return out


def _confirm(slack, who: str) -> None:
    msg = _last(slack, who)
    assert ids.CONFIRM_COMMAND in slack.buttons(msg), slack.text(msg)
    slack.click(who, action_id=ids.CONFIRM_COMMAND, channel=msg["_sandbox"]["channel"], ts=msg["ts"])
    slack.idle()


def _audited(slack, action: str) -> list[AuditEvent]:
    with Session(slack.engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)))


def _procore_id(world, name: str) -> str:
    return str(next(v.id for v in world.ctx.procore.list_vendors() if v.name == name))


def test_unlink_company_asks_first_refuses_non_admins_and_clears_procore(seed, remote_world):
    w = remote_world
    pid = _procore_id(w, "Gem State Flooring")
    _run(seed, "sam", 'link company "Gem State Flooring" 42')
    assert "Linked Procore company Gem State Flooring" in _said(seed, "sam")
    seed.svc.drain_outbox()  # the worker's round: origin_id written to Procore
    assert w.ctx.procore.get_vendor(vendor_id=int(pid)).origin_id == "42"
    _run(seed, "sam", 'unlink company "Gem State Flooring"')
    assert "You need Admin permission" in _said(seed, "sam")
    _run(seed, "alex", 'unlink company "Gem State Flooring"')
    assert "Unlink Procore company *Gem State Flooring*" in seed.text(_last(seed, "alex"))
    with Session(seed.engine) as s:  # nothing happens before the confirm
        assert s.exec(select(ExternalLink).where(ExternalLink.procore_id == pid)).first() is not None
    _confirm(seed, "alex")
    assert "Unlinked Gem State Flooring from QuickBooks vendor 42" in _said(seed, "alex")
    with Session(seed.engine) as s:
        assert s.exec(select(ExternalLink).where(ExternalLink.procore_id == pid)).first() is None
    assert w.ctx.procore.get_vendor(vendor_id=int(pid)).origin_id is None  # written to Procore at once
    assert w.ctx.qbo.read(entity="Vendor", id="42")["Active"] is True  # the vendor stays
    assert [e.actor_label for e in _audited(seed, "unlink_company")] == ["@alex"]


def test_archive_and_restore_a_company(seed):
    _run(seed, "alex", "archive company 42")
    _confirm(seed, "alex")
    assert "Archived QuickBooks vendor Hicks Hardware" in _said(seed, "alex")
    assert "restore company 42" in _said(seed, "alex")  # the answer names the command that undoes it
    with Session(seed.engine) as s:
        rec = s.exec(select(RemoteRecord).where(RemoteRecord.entity == "Vendor", RemoteRecord.remote_id == "42")).one()
        assert rec.archived
    _run(seed, "riley", "report archived")
    assert "Hicks Hardware" in _said(seed, "riley") and "/ledgerlink restore company" in _said(seed, "riley")
    _run(seed, "sam", "restore company 42")
    assert "You need Admin permission" in _said(seed, "sam")
    _run(seed, "alex", 'restore company "Hicks Hardware"')
    assert "Restored QuickBooks vendor Hicks Hardware" in _said(seed, "alex")
    assert [len(_audited(seed, a)) for a in ("archive_company", "restore_company")] == [1, 1]


def test_duplicates_review_links_and_hides_a_pair(seed, remote_world):
    w = remote_world
    w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Alpine Insulation LLC"})
    w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Sawtooth Roofing, Inc."})
    run_job(w.ctx, "vendors")
    _run(seed, "sam", "duplicates")
    msg = _last(seed, "sam")
    text = seed.text(msg)
    assert "Procore company 'Alpine Insulation' and QuickBooks vendor 'Alpine Insulation LLC'" in text, text
    blocks = [b for b in msg["blocks"] if b["type"] == "actions"]

    def button(name_part: str, kind: str) -> tuple[str, str]:
        for b in blocks:
            for el in b["elements"]:
                value = json.loads(el["value"])
                if el["action_id"] == ids.DUPLICATE_DO[kind] and name_part in json.dumps(value):
                    return b["block_id"], el["value"]
        raise AssertionError(f"no {kind} button for {name_part}")

    block, value = button("Alpine", "link")
    seed.click("sam", action_id=ids.DUPLICATE_DO["link"], channel=msg["_sandbox"]["channel"], ts=msg["ts"],
               block_id=block, value=value)
    seed.idle()
    assert "Linked." in _said(seed, "sam")
    with Session(seed.engine) as s:
        assert s.exec(select(ExternalLink).where(ExternalLink.procore_id == _procore_id(w, "Alpine Insulation"))).one()
    block, value = button("Sawtooth", "not_a_duplicate")
    _run(seed, "riley", "duplicates")  # read-only may look, not decide
    theirs = _last(seed, "riley")
    seed.click("riley", action_id=ids.DUPLICATE_DO["not_a_duplicate"], channel=theirs["_sandbox"]["channel"],
               ts=theirs["ts"], block_id=block, value=value)
    seed.idle()
    assert "You need Standard permission" in _said(seed, "riley")
    seed.click("sam", action_id=ids.DUPLICATE_DO["not_a_duplicate"], channel=msg["_sandbox"]["channel"],
               ts=msg["ts"], block_id=block, value=value)
    seed.idle()
    assert "are different companies" in _said(seed, "sam")
    _run(seed, "sam", "duplicates")
    again = seed.text(_last(seed, "sam"))
    assert "Sawtooth" not in again, again  # said not to be a duplicate: hidden for good
    assert "'Alpine Insulation' and QuickBooks vendor 'Alpine Insulation LLC'" not in again  # linked now
    assert len(_audited(seed, "not_a_duplicate")) == 1 and _audited(seed, "link_company")


def test_projects_lists_add_project_by_button_and_import_sub_job(seed, remote_world):
    w = remote_world
    _run(seed, "riley", "projects")
    msg = _last(seed, "riley")
    text = seed.text(msg)
    assert "Ready to import" in text and "Showroom Remodel" in text
    assert "Procore projects missing from these lists" in text and "/ledgerlink link project" in text
    _run(seed, "sam", 'add project "Showroom Remodel" 2025-058')
    assert "You need Admin permission" in _said(seed, "sam")
    _run(seed, "alex", "projects")
    msg = _last(seed, "alex")
    row = next(b for b in msg["blocks"] if b.get("accessory", {}).get("value") == "58")
    seed.click("alex", action_id=ids.PROJECT_IMPORT, channel=msg["_sandbox"]["channel"], ts=msg["ts"],
               block_id=row["block_id"], value="58")
    seed.idle()
    assert "Added QuickBooks project Showroom Remodel in Procore, linked" in _said(seed, "alex")
    created = next(p for p in w.ctx.procore.list_projects(filters={"by_status": "All"}) if p.name == "Showroom Remodel")
    assert created.origin_id == "58"
    # a sub job of the project, imported by name under the project now in Procore
    w.ctx.qbo.create(entity="Customer", body={"DisplayName": "Showroom Remodel - Electrical",
                                              "ParentRef": {"value": "58"}, "Job": True})
    run_job(w.ctx, "projects")
    _run(seed, "alex", "projects")
    assert "Sub jobs not in Procore yet* (1): Showroom Remodel - Electrical" in seed.text(_last(seed, "alex"))
    _run(seed, "sam", 'import sub-job "Showroom Remodel - Electrical"')
    assert "You need Admin permission" in _said(seed, "sam")
    _run(seed, "alex", 'import sub-job "Showroom Remodel - Electrical" 02')
    assert "Imported sub job Showroom Remodel - Electrical into its Procore project" in _said(seed, "alex")
    assert [sj.code for sj in w.ctx.procore.list_sub_jobs(project_id=created.id)] == ["02"]
    assert len(_audited(seed, "add_erp_job")) == 1 and len(_audited(seed, "import_sub_job")) == 1


def test_add_company_to_the_procore_directory(seed, remote_world):
    w = remote_world
    w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Zeta Paving Co"})
    run_job(w.ctx, "vendors")
    _run(seed, "riley", 'add company "Zeta Paving Co"')
    assert "You need Standard permission" in _said(seed, "riley")
    _run(seed, "sam", 'add company "Zeta Paving Co"')
    assert "Added Zeta Paving Co to Procore's company directory, linked" in _said(seed, "sam")
    assert any(v.name == "Zeta Paving Co" for v in w.ctx.procore.list_vendors())
    assert len(_audited(seed, "add_company_to_procore")) == 1


def test_job_cost_sync_on_and_off_per_project(seed, remote_world):
    w = remote_world
    riverside = next(p for p in w.ctx.procore.list_projects() if p.name == "Riverside Medical Office Building")
    _run(seed, "alex", f"sync job-costs on {riverside.id}")
    assert "not linked to a QuickBooks project yet" in _said(seed, "alex") and "/ledgerlink" in _said(seed, "alex")
    _run(seed, "alex", f'link project {riverside.id} "Medical Office Fit-Out"')
    _run(seed, "sam", f"sync job-costs on {riverside.id}")
    assert "You need Admin permission" in _said(seed, "sam")
    _run(seed, "alex", 'sync job-costs on "Riverside Medical Office Building"')
    assert "Job-cost sync is on for" in _said(seed, "alex")
    with Session(seed.engine) as s:
        assert s.exec(select(ProjectSettings)).one().job_cost_sync_enabled
    _run(seed, "alex", "sync job-costs off")
    assert "Job-cost sync is off for all 1 linked project(s)" in _said(seed, "alex")
    with Session(seed.engine) as s:
        assert not s.exec(select(ProjectSettings)).one().job_cost_sync_enabled
    assert [len(_audited(seed, a)) for a in ("enable_job_cost_sync", "disable_job_cost_sync")] == [1, 1]
    # the same switch in the settings modal: the linked projects, the ticked ones on
    _run(seed, "alex", "settings")
    modal = seed.views("alex")["modals"][-1]["view"]
    block = next(b for b in modal["blocks"] if b.get("block_id") == "job_cost_projects")
    assert [o["value"] for o in block["element"]["options"]] == [str(riverside.id)]
    assert "initial_options" not in block["element"]  # off now
    assert seed.submit("alex", {"job_cost_projects": {"value": [str(riverside.id)]}})["closed"]
    seed.idle()
    with Session(seed.engine) as s:
        assert s.exec(select(ProjectSettings)).one().job_cost_sync_enabled
    assert len(_audited(seed, "enable_job_cost_sync")) == 2


def test_audit_by_person_and_date_with_csv(seed):
    _run(seed, "alex", "archive company 42")
    _confirm(seed, "alex")
    _run(seed, "alex", "restore company 42")
    _run(seed, "riley", f"audit person <@{seed.ids['alex']}>")
    said = _said(seed, "riley")
    assert "Audit trail by" in said and "archive_company" in said and "restore_company" in said, said
    _run(seed, "riley", "audit date 2020-01-01")
    assert "0 rows" in _said(seed, "riley")
    _run(seed, "nora", "audit")
    assert "You need Read only permission" in _said(seed, "nora")
    bad = seed.command("riley", "audit date yesterday")
    assert "isn't a date like" in str(bad["body"])


def test_left_out_records_are_picked_in_a_modal(seed, remote_world):
    w = remote_world
    pid = _procore_id(w, "Gem State Flooring")
    _run(seed, "sam", f"link company {pid} 42")
    _run(seed, "alex", "unlink company")
    modal = seed.views("alex")["modals"][-1]
    assert modal["view"]["callback_id"] == ids.SEED_PICK_VIEW
    options = seed.post("suggestions", user=seed.ids["alex"], action_id=ids.PICK_PROCORE_COMPANY, value="gem st",
                        view_id=modal["id"])
    assert any(pid == o["value"] for o in _options(options)), options
    done = seed.submit("alex", {ids.SEED_PICK_BLOCK: {ids.PICK_PROCORE_COMPANY: pid}})
    assert done["closed"], done
    seed.idle()
    assert "Unlink Procore company *Gem State Flooring*" in seed.text(_last(seed, "alex"))  # still asks first
    _confirm(seed, "alex")
    assert "Unlinked Gem State Flooring from QuickBooks vendor 42" in _said(seed, "alex")
    # add company without a name: the QuickBooks vendor picker, then added at once
    w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Zeta Paving Co"})
    run_job(w.ctx, "vendors")
    with Session(seed.engine) as s:
        zeta = s.exec(select(RemoteRecord).where(RemoteRecord.name == "Zeta Paving Co")).one().remote_id
    _run(seed, "sam", "add company")
    seed.submit("sam", {ids.SEED_PICK_BLOCK: {ids.PICK_QBO_VENDOR: zeta}})
    seed.idle()
    assert "Added Zeta Paving Co to Procore's company directory" in _said(seed, "sam")


def _options(answer: dict) -> list[dict]:
    body = answer.get("body") or answer
    found = list(body.get("options") or [])
    for group in body.get("option_groups") or []:
        found += group.get("options") or []
    return found

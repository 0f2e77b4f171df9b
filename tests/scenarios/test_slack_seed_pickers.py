"""Pickers for `/ledgerlink unlink <item type>` and `/ledgerlink import sub-job|budget|prime-contract` typed
without their records, through the real path: a signed slash command opens the pick modal, the options come from
Ledgerlink (block suggestions), the submission runs the command → the engine → the QBO and Procore sandboxes.
SQLite and PostgreSQL (`project_world` runs on both)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from blocks import ids
from core.models import Item
from sync.jobs.base import run_job
from tests.scenarios.test_commitments import _admin, project_world
from tests.scenarios.test_slack_seed_commands import _audited, _confirm, _last, _options, _run, _said
from tests.scenarios.test_slack_seed_imports import CUSTOMER, accepted_estimate, linked, synced_commitment

pytest_plugins = ["tests.handlers.slack_harness"]
_ = project_world, linked  # the fixtures, imported


def _items(w, item_type: str) -> list[Item]:
    with Session(w.engine) as s:
        return list(s.exec(select(Item).where(Item.tenant_id == w.tenant.id, Item.type == item_type)))


def _extra(name: str, text: str) -> dict:
    return {ids.SEED_PICK_EXTRA + name: {ids.SEED_PICK_EXTRA: text}}


def _pick_modal(slack, who: str) -> dict:
    modal = slack.views(who)["modals"][-1]
    assert modal["view"]["callback_id"] == ids.SEED_PICK_VIEW, modal["view"]
    return modal


def _suggest(slack, who: str, action_id: str, query: str, modal: dict) -> list[dict]:
    answer = slack.post("suggestions", user=slack.ids[who], action_id=action_id, value=query, view_id=modal["id"])
    return _options(answer)


def test_unlink_an_item_typed_without_it_picks_among_the_synced_ones(linked):
    w, slack = linked
    sub = synced_commitment(w, slack)
    _run(slack, "alex", "unlink commitment")
    modal = _pick_modal(slack, "alex")
    offered = _suggest(slack, "alex", ids.PICK_LINKED_ITEM, "", modal)
    assert [o["value"] for o in offered] == [f"#{sub.id}"]  # the synced commitment only, not the others
    assert len([i for i in _items(w, "commitment") if i.state == "ready_to_export"]) >= 1
    done = slack.submit("alex", {ids.SEED_PICK_BLOCK: {ids.PICK_LINKED_ITEM: f"#{sub.id}"}})
    assert done["closed"], done
    slack.idle()
    asked = slack.text(_last(slack, "alex"))
    assert "Unlink commitment *" in asked and "Cast-in-place concrete" in asked, asked  # still asks first
    _confirm(slack, "alex")
    assert "it is ready to export again" in _said(slack, "alex")
    assert slack.get(sub.id).state == "ready_to_export"
    assert len(_audited(slack, "unlink")) == 1


def test_import_prime_contract_and_budget_typed_alone_open_a_form(linked):
    w, slack = linked
    estimate = accepted_estimate(w, "EST-91", "Canopy", Decimal("5000.00"))
    _run(slack, "sam", "import prime-contract")
    modal = _pick_modal(slack, "sam")
    assert any(o["value"] == str(w.project.id) for o in _suggest(slack, "sam", ids.PICK_PROCORE_PROJECT, "", modal))
    empty = slack.submit("sam", {ids.SEED_PICK_BLOCK: {ids.PICK_PROCORE_PROJECT: str(w.project.id)},
                                 **_extra("estimate", "")})
    assert empty["body"]["response_action"] == "errors"  # the estimate is needed: said under it, form open
    assert "QuickBooks estimate id" in empty["body"]["errors"][ids.SEED_PICK_EXTRA + "estimate"]
    done = slack.submit("sam", {ids.SEED_PICK_BLOCK: {ids.PICK_PROCORE_PROJECT: str(w.project.id)},
                                **_extra("estimate", estimate["Id"])})
    assert done["closed"], done
    slack.idle()
    assert f"Imported QuickBooks estimate {estimate['Id']} as the project's prime contract" in _said(slack, "sam")
    assert [p for p in _admin(w, "GET", "records/prime_contracts") if p.get("origin_id") == estimate["Id"]]

    codes = {c.raw["full_code"]: c.id for c in w.ctx.procore.list_cost_codes(project_id=w.project.id)}
    sub_type = next(t.id for t in w.ctx.procore.list_line_item_types() if t.code == "S")
    budget = w.sandboxes.qbo_admin(f"realms/{w.realm_id}/budgets", Name="FY26 Showroom", BudgetDetail=[
        {"BudgetDate": "2026-01-01", "Amount": 12000, "AccountRef": {"value": "90"},
         "CustomerRef": {"value": CUSTOMER}}])["Budget"]
    _run(slack, "sam", "import budget")
    _pick_modal(slack, "sam")
    pick = {ids.SEED_PICK_BLOCK: {ids.PICK_PROCORE_PROJECT: str(w.project.id)}, **_extra("budget", budget["Id"])}
    bad = slack.submit("sam", {**pick, **_extra("accounts", "90=soon")})
    assert bad["body"]["response_action"] == "errors"
    assert "isn't `<account id>=<cost code id>:<cost type id>`" in bad["body"]["errors"][
        ids.SEED_PICK_EXTRA + "accounts"]
    good = slack.submit("sam", {**pick, **_extra("accounts", f"90={codes['04-200']}:{sub_type}")})
    assert good["closed"], good
    slack.idle()
    assert f"Imported 1 budget line(s) from QuickBooks budget {budget['Id']}" in _said(slack, "sam")
    assert [len(_audited(slack, a)) for a in ("import_prime_contract", "import_budget")] == [1, 1]


def test_import_sub_job_typed_alone_picks_the_quickbooks_sub_job(linked):
    w, slack = linked
    sub = w.ctx.qbo.create(entity="Customer", body={"DisplayName": "Showroom - Lighting",
                                                    "ParentRef": {"value": CUSTOMER}, "Job": True})
    run_job(w.ctx, "projects")
    _run(slack, "alex", "import sub-job")
    modal = _pick_modal(slack, "alex")
    assert [o["value"] for o in _suggest(slack, "alex", ids.PICK_QBO_SUB_JOB, "light", modal)] == [sub["Id"]]
    done = slack.submit("alex", {ids.SEED_PICK_BLOCK: {ids.PICK_QBO_SUB_JOB: sub["Id"]}, **_extra("code", "07")})
    assert done["closed"], done
    slack.idle()
    assert "Imported sub job Showroom - Lighting into its Procore project" in _said(slack, "alex")
    assert "07" in [sj.code for sj in w.ctx.procore.list_sub_jobs(project_id=w.project.id)]
    assert len(_audited(slack, "import_sub_job")) == 1

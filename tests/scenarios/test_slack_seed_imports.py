"""The seed's import, unlink-an-item and cost-code subcommands through the real path (Slack sandbox → listener →
action → engine → QBO and Procore sandboxes), on a project already linked with its budget in QuickBooks
(`project_world` of test_commitments.py). SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.models import AuditEvent, CostCodePreference
from sync.jobs.base import run_job
from tests.scenarios.test_commitments import _admin, _concrete_item_id, _drain, _item, _send_accept, project_world
from tests.scenarios.test_slack_seed_commands import _audited, _confirm, _last, _run, _said

pytest_plugins = ["tests.handlers.slack_harness"]
CUSTOMER = "58"
_ = project_world  # the fixture, imported


@pytest.fixture
def linked(project_world, slack_for):  # noqa: F811  # the imported fixture
    w = project_world
    run_job(w.ctx, "projects")  # the local copy commands resolve project names and ids from
    return w, slack_for(w, hooks=None, operations=None, context_for=lambda _tenant: w.ctx)


def accepted_estimate(w, number: str, description: str, amount: Decimal) -> dict:
    """A QuickBooks estimate of the project, accepted, with one line."""
    return w.ctx.qbo.create(entity="Estimate", body={
        "CustomerRef": {"value": CUSTOMER}, "TxnStatus": "Accepted", "DocNumber": number,
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": amount, "Description": description,
                  "SalesItemLineDetail": {"ItemRef": {"value": _concrete_item_id(w)}, "Qty": 1,
                                          "UnitPrice": amount}}]})


def test_import_prime_contract_and_budget_from_quickbooks(linked):
    w, slack = linked
    estimate = accepted_estimate(w, "EST-78", "Podium", Decimal("125000.50"))
    _run(slack, "riley", f"import prime-contract {w.project.id} {estimate['Id']}")
    assert "You need Standard permission" in _said(slack, "riley")
    _run(slack, "sam", f"import prime-contract {w.project.id} {estimate['Id']}")
    assert f"Imported QuickBooks estimate {estimate['Id']} as the project's prime contract" in _said(slack, "sam")
    primes = [p for p in _admin(w, "GET", "records/prime_contracts")
              if p.get("origin_id") == estimate["Id"] and p["project_id"] == w.project.id]
    assert len(primes) == 1  # written at once, not at the worker's next round

    codes = {c.raw["full_code"]: c.id for c in w.ctx.procore.list_cost_codes(project_id=w.project.id)}
    sub_type = next(t.id for t in w.ctx.procore.list_line_item_types() if t.code == "S")
    budget = w.sandboxes.qbo_admin(f"realms/{w.realm_id}/budgets", Name="FY25 Showroom", BudgetDetail=[
        {"BudgetDate": "2025-01-01", "Amount": 30000, "AccountRef": {"value": "90"},
         "CustomerRef": {"value": CUSTOMER}}])["Budget"]
    _run(slack, "sam", f"import budget {w.project.id} {budget['Id']} 90={codes['04-200']}:{sub_type}")
    assert f"Imported 1 budget line(s) from QuickBooks budget {budget['Id']}" in _said(slack, "sam")
    lines = [b for b in w.ctx.procore.list_budget_line_items(project_id=w.project.id)
             if b.cost_code_id == codes["04-200"]]
    assert [b.amount for b in lines] == [Decimal("30000.00")]
    assert [len(_audited(slack, a)) for a in ("import_prime_contract", "import_budget")] == [1, 1]


def synced_commitment(w, slack):
    """The concrete subcontract, sent, accepted and written to QuickBooks."""
    run_job(w.ctx, "commitments")
    sub = _item(w, "commitment", "Cast-in-place concrete")
    _send_accept(w, sub)
    _drain(w)
    assert slack.get(sub.id).state == "synced"
    return sub


def test_unlink_a_synced_commitment_asks_first(linked):
    w, slack = linked
    sub = synced_commitment(w, slack)
    _run(slack, "sam", 'unlink commitment "Cast-in-place concrete"')
    assert "You need Admin permission" in _said(slack, "sam")
    _run(slack, "alex", 'unlink commitment "Cast-in-place concrete"')
    asked = slack.text(_last(slack, "alex"))
    assert "Unlink commitment *" in asked and "Cast-in-place concrete" in asked, asked
    assert slack.get(sub.id).state == "synced"  # nothing before the confirm
    _confirm(slack, "alex")
    assert "it is ready to export again" in _said(slack, "alex")
    after = slack.get(sub.id)
    assert after.state == "ready_to_export" and after.remote_id is None and after.detail["unlinked"]
    with Session(slack.engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.item_id == sub.id, AuditEvent.action == "unlink")).one()


def test_cost_code_form_and_deleting_a_cost_type_assignment(linked):
    w, slack = linked
    _run(slack, "sam", "cost-codes")
    assert "You need Admin permission" in _said(slack, "sam")
    _run(slack, "alex", "cost-codes")
    modal = slack.views("alex")["modals"][-1]
    assert modal["view"]["callback_id"] == "cost_code_preferences"
    code_opts = modal["view"]["blocks"][1]["element"]["options"]
    type_opts = modal["view"]["blocks"][2]["element"]["options"]
    code, kind = code_opts[0]["value"], type_opts[0]["value"]
    done = slack.submit("alex", {"cc_code": {"value": code}, "cc_types": {"value": [kind]}, "cc_synced": {"value": []}})
    assert done["closed"], done
    slack.idle()
    with Session(slack.engine) as s:
        pref = s.exec(select(CostCodePreference).where(CostCodePreference.key == code)).one()
        assert pref.default_cost_type_ids == [int(kind)] and pref.synced is False
    assert [len(_audited(slack, a)) for a in ("default_cost_types", "cost_code_preference")] == [1, 1]

    codes = {c.raw["full_code"]: c for c in w.ctx.procore.list_cost_codes(project_id=w.project.id)}
    sub_type = next(t.id for t in w.ctx.procore.list_line_item_types() if t.code == "S")
    concrete, concrete_item = codes["03-300"], _concrete_item_id(w)
    _run(slack, "alex", f"cost-codes delete-type {w.project.id} {concrete.id} {sub_type}")
    assert "Delete cost type" in slack.text(_last(slack, "alex"))
    _confirm(slack, "alex")
    assert "QuickBooks item(s) made inactive" in _said(slack, "alex"), _said(slack, "alex")
    assert w.ctx.qbo.read(entity="Item", id=concrete_item)["Active"] is False
    assert len(_audited(slack, "delete_cost_type_assignment")) == 1

"""Direct exports "enabled with workflow step": the invoice's approval-workflow state is read from Procore (the
sandbox's workflow instances), so `/ledgerlink export` refuses while the workflow runs and exports once it
reached its last step — through signed Slack requests, the refresh and export actions, the engine and both
sandboxes."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, select

from core.models import Item, TenantSettings
from sync.jobs.base import run_job
from tests.sync.writes.money_links import link_world

pytest_plugins = ["tests.handlers.slack_harness"]


@pytest.fixture
def world(remote_world):
    remote_world.links = link_world(remote_world)
    run_job(remote_world.ctx, "sub-invoices")
    return remote_world


@pytest.fixture
def slack(world, slack_for):
    return slack_for(world, context_for=lambda _tenant: world.ctx)


def _exportable(engine) -> Item:
    with Session(engine) as s:
        return next(i for i in s.exec(select(Item).where(Item.type == "sub_invoice", Item.state == "ready_to_export")
                                      .order_by(Item.id)) if not (i.detail or {}).get("blocked"))


def _item(engine, item_id: int) -> Item:
    with Session(engine) as s:
        return s.get(Item, item_id)


def test_export_waits_for_the_procore_workflow(world, slack):
    with Session(world.engine) as s:
        row = s.get(TenantSettings, world.tenant.id)
        row.direct_exports = "enabled_with_workflow"
        s.add(row)
        s.commit()
    item = _exportable(world.engine)
    admin = httpx.Client(base_url=f"{world.sandboxes.procore_url}/_sandbox", timeout=30)
    r = admin.post("/records/workflow_instances", params={"emit": 0}, json={
        "company_id": world.company_id, "project_id": int(item.procore_project_id),
        "workflowed_object_type": "Requisition", "workflowed_object_id": int(item.procore_id),
        "current_state": {"name": "Project manager review", "terminal": False}})
    assert r.status_code < 300, r.text
    instance = r.json() if isinstance(r.json(), dict) else r.json()[0]

    slack.command("sam", "refresh invoices")
    slack.idle()
    assert _item(world.engine, item.id).detail["workflow_complete"] is False
    slack.command("sam", f"export invoice {item.procore_id}")
    slack.idle()
    assert _item(world.engine, item.id).state == "ready_to_export"
    assert any("only after its Procore workflow is complete" in t for t in slack.ephemerals("sam"))

    r = admin.patch(f"/records/workflow_instances/{instance['id']}", params={"emit": 0}, json={
        "current_state": {"name": "Approved", "terminal": True}, "completed_at": "2026-12-07T12:00:00Z"})
    assert r.status_code == 200, r.text
    slack.command("sam", "refresh invoices")
    slack.idle()
    assert _item(world.engine, item.id).detail["workflow_complete"] is True
    slack.command("sam", f"export invoice {item.procore_id}")
    slack.idle()
    slack.wait_for(lambda: _item(world.engine, item.id).state == "synced", timeout=15)
    admin.close()

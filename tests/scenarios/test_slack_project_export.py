"""Projects and sub jobs as exportable items, through the real path on SQLite and PostgreSQL: `/ledgerlink send
project|sub-job` (signed by the Slack sandbox) → the approval card → Accept → the outbox → the QBO sandbox over HTTP
makes a QuickBooks project (a Customer with `Job: true` under the parent customer) or a sub-customer of the
project's Customer, exactly once; the Procore record is then linked, so an invoice on that project finds its
customer. Reject, resend and retrieve work as for other items; a customer already in QuickBooks is adopted."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlmodel import Session, select

from core.models import AuditEvent, Item, OutboxEntry
from sync import binder
from sync.jobs.base import run_job
from tests.handlers.slack_harness import card_text

pytest_plugins = ["tests.handlers.slack_harness", "tests.scenarios.linked_world"]


NEW_PROJECT = "Harbor View Lofts"


@pytest.fixture
def world(linked_world):
    linked_world.ctx.procore.create_project(name=NEW_PROJECT, project_number="HV-7")  # made in Procore by a person
    run_job(linked_world.ctx, "projects")  # Ledgerlink's copy of both projects lists
    return linked_world


@pytest.fixture
def slack(world, slack_for):
    """The Slack app with the engine's own export hooks and outbox operations (QuickBooks is the QBO sandbox)."""
    return slack_for(world, context_for=lambda _tenant: world.ctx, hooks=None, operations=None)


def _unlinked_project(world) -> tuple[int, str]:
    linked = set(world.links.project_ids)
    project = next(p for p in world.ctx.procore.list_projects() if p.id not in linked and p.active is not False)
    return project.id, project.name


def _item(world, kind: str, procore_id: int | str) -> Item:
    with Session(world.engine) as s:
        return s.exec(select(Item).where(Item.tenant_id == world.tenant.id, Item.type == kind,
                                         Item.procore_id == str(procore_id))).one()


def _customers(world, name: str) -> list[dict]:
    q = f"SELECT * FROM Customer WHERE DisplayName = '{name}'"
    return world.ctx.qbo.query(q=q).get("Customer") or []


def _parent_of_linked(world) -> str:
    first = world.links.projects[world.links.project_ids[0]]
    return world.ctx.qbo.read(entity="Customer", id=first)["ParentRef"]["value"]


def test_project_accepted_becomes_a_quickbooks_project_once_and_is_linked(world, slack):
    pid, name = _unlinked_project(world)
    slack.command("sam", f"send project {pid}")
    slack.idle()
    assert any("Sent" in t for t in slack.ephemerals("sam")), slack.ephemerals("sam")
    item = _item(world, "project", pid)
    assert item.state == "awaiting_acceptance"
    text = card_text(slack.card(item))
    assert name in text and "Creates the QuickBooks project" in text

    httpx.post(f"{world.sandboxes.qbo_url}/_sandbox/requests/reset", params={"realm_id": world.realm_id})
    started = time.monotonic()
    slack.click("dana", item)  # Accept
    slack.click("dana", item)  # a double click changes nothing
    slack.idle()
    item = _item(world, "project", pid)
    assert item.state == "synced", item.last_error
    seen = world.sandboxes.qbo_requests(world.realm_id)
    creates = sum(n for path, n in seen["by_path"].items() if path.startswith("POST") and "/customer" in path)
    print(f"FIGURE project export: Accept x2 -> synced in {time.monotonic() - started:.2f} s, "
          f"{seen['total']} QBO requests ({seen['by_path']})")
    assert creates == 1, seen
    made = _customers(world, name)
    assert len(made) == 1, (made, world.ctx.qbo.read(entity="Customer", id=item.remote_id))
    customer = made[0]
    assert customer["Job"] is True and customer["ParentRef"]["value"] == _parent_of_linked(world)
    assert item.remote_id == customer["Id"]
    with Session(world.engine) as s:
        link = binder.to_external(s, world.tenant.id, "project", pid)
        rows = s.exec(select(OutboxEntry).where(OutboxEntry.item_id == item.id,
                                                OutboxEntry.operation == "qbo.create_customer")).all()
    assert link is not None and link.qbo_id == customer["Id"]
    assert len(rows) == 1 and rows[0].status == "done"
    slack.idle()  # the Procore side of the link: origin_id = the QuickBooks Id
    assert str(world.ctx.procore.get_project(project_id=pid).origin_id) == customer["Id"]

    # the card's Retry path and a retry of the drain cannot make a second one: the requestid replays
    again = world.ctx.qbo.create(entity="Customer", body=rows[0].payload["body"], requestid=rows[0].requestid)
    assert again["Id"] == customer["Id"] and len(_customers(world, name)) == 1

    slack.command("sam", f"send project {pid}")  # linked now: nothing to export
    slack.idle()
    assert "already linked to QuickBooks project" in slack.ephemerals("sam")[-1]
    linked = world.links.project_ids[0]  # linked without an export: refused, and no item is made for it
    slack.command("sam", f"send project {linked}")
    slack.idle()
    assert "already linked to QuickBooks project" in slack.ephemerals("sam")[-1]
    with Session(world.engine) as s:
        assert s.exec(select(Item).where(Item.type == "project", Item.procore_id == str(linked))).first() is None


def test_project_reject_resend_with_another_customer_then_retrieve(world, slack):
    pid, name = _unlinked_project(world)
    slack.command("sam", f'send project {pid} for "Cool Cars"')
    slack.idle()
    item = _item(world, "project", pid)
    assert item.state == "awaiting_acceptance" and item.detail["customer"] == "Cool Cars"
    slack.click("dana", item, "item_reject")
    slack.idle()
    view = slack.views("dana")["modals"][-1]
    assert view["view"]["callback_id"] == "reject_reason"
    assert slack.submit("dana", {"reason": {"reason_text": "Wrong customer for this job."}})["closed"] is True
    slack.idle()
    assert _item(world, "project", pid).state == "rejected"

    slack.command("sam", f'send project {pid} for "Paulsen Medical Supplies"')  # resend under another customer
    slack.idle()
    item = _item(world, "project", pid)
    assert item.state == "awaiting_acceptance" and item.round == 2
    assert item.detail["qbo_body"]["ParentRef"]["value"] == "17"

    slack.command("sam", f"retrieve project {pid}")
    slack.idle()
    assert _item(world, "project", pid).state == "ready_to_export"
    assert _customers(world, name) == []  # nothing reached QuickBooks


def test_project_whose_name_is_taken_adopts_the_same_job_and_refuses_another(world, slack):
    pid, name = _unlinked_project(world)
    parent = _parent_of_linked(world)
    made = world.ctx.qbo.create(entity="Customer", body={"DisplayName": name, "Job": True,
                                                         "ParentRef": {"value": parent}})
    slack.command("sam", f"send project {pid}")
    slack.idle()
    item = _item(world, "project", pid)
    slack.click("dana", item)
    slack.idle()
    item = _item(world, "project", pid)
    assert item.state == "synced" and item.remote_id == made["Id"]
    with Session(world.engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "adopt_customer")).first() is not None


def test_unknown_customer_and_unlinked_projects_sub_job_are_refused_in_a_sentence(world, slack):
    pid, _name = _unlinked_project(world)
    slack.command("sam", f'send project {pid} for "Nobody Inc"')
    slack.idle()
    assert "QuickBooks has no customer 'Nobody Inc'" in slack.ephemerals("sam")[-1]
    slack.command("riley", f"send project {pid}")  # read only
    slack.idle()
    assert "You need Standard permission" in slack.ephemerals("riley")[-1]
    assert _item(world, "project", pid).state == "ready_to_export"
    slack.command("sam", f"send project {pid}")
    slack.idle()
    slack.click("sam", _item(world, "project", pid))  # the sender may not accept (nor is sam an approver)
    slack.idle()
    assert _item(world, "project", pid).state == "awaiting_acceptance"


def test_sub_job_becomes_a_sub_customer_of_the_projects_customer(world, slack):
    project_id = world.links.project_ids[0]
    sub = world.ctx.procore.create_sub_job(project_id=project_id, code="02", name="East Wing")
    slack.command("sam", "send sub-job")  # the picker: the Procore sub jobs not in QuickBooks
    slack.idle()
    modal = slack.views("sam")["modals"][-1]
    out = slack.post("suggestions", user=slack.ids["sam"], action_id="pick_item", value="east", view_id=modal["id"])
    assert [o["text"]["text"] for o in out["options"]] == ["02 East Wing"]
    item = _item(world, "sub_job", sub.id)
    slack.submit("sam", {"send_item_pick": {"pick_item": str(item.id)}}, view_id=modal["id"])
    slack.idle()
    assert _item(world, "sub_job", sub.id).state == "awaiting_acceptance"
    slack.click("dana", item)
    slack.idle()
    item = _item(world, "sub_job", sub.id)
    assert item.state == "synced", item.last_error
    customer = world.ctx.qbo.read(entity="Customer", id=item.remote_id)
    assert customer["ParentRef"]["value"] == world.links.projects[project_id] and customer["Job"] is True
    with Session(world.engine) as s:
        assert binder.to_external(s, world.tenant.id, "sub_job", sub.id).qbo_id == item.remote_id
    slack.idle()  # the Procore side of the link
    procore_sub = next(x for x in world.ctx.procore.list_sub_jobs(project_id=project_id) if x.id == sub.id)
    assert procore_sub.origin_id == item.remote_id


def test_picker_offers_unlinked_projects_and_an_accepted_one_is_the_invoices_customer(world, slack):
    pid, name = _unlinked_project(world)
    slack.command("sam", "send project")
    slack.idle()
    modal = slack.views("sam")["modals"][-1]
    out = slack.post("suggestions", user=slack.ids["sam"], action_id="pick_item", value="", view_id=modal["id"])
    offered = [o["text"]["text"] for o in out["options"]]
    assert any(name in t for t in offered) and len(offered) == len(
        [p for p in world.ctx.procore.list_projects() if p.id not in world.links.project_ids and p.active is not False])
    item = _item(world, "project", pid)
    slack.submit("sam", {"send_item_pick": {"pick_item": str(item.id)}}, view_id=modal["id"])
    slack.idle()
    slack.click("dana", _item(world, "project", pid))
    slack.idle()
    qbo_id = _item(world, "project", pid).remote_id
    with Session(world.engine) as s:  # the link owner invoices and job costs use to find the project's customer
        assert binder.to_external(s, world.tenant.id, "project", pid).qbo_id == qbo_id
    run_job(world.ctx, "owner-invoices")  # the project's owner invoices now come in (their project is linked)
    assert _item(world, "project", pid).state == "synced"

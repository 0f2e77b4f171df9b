"""A project accepted for export is one QuickBooks customer whatever happens to the worker: killed at every step of
the write (before the call, after it, before and after the commit) and restarted, the outbox replays the requestid or
adopts what the first attempt made. A same-named customer that is not this project's is refused with the command
that links it; the retry after the fix is a new request."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput
from core.models import ExternalLink, Item, OutboxEntry
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.services import project_exports
from tests.support import decide
from tests.support.kill_points import KILL_POINTS, crash_then_recover

NAME = "Cedar Point Marina"


def _ops(world):
    return build_operations(lambda _tenant_id: world.ctx)


def _customers(world) -> list[dict]:
    return world.ctx.qbo.query(q=f"SELECT * FROM Customer WHERE DisplayName = '{NAME}'").get("Customer") or []


def _accepted_project(world, customer: str = "Cool Cars") -> tuple[str, int]:
    project = world.ctx.procore.create_project(name=NAME)
    run_job(world.ctx, "projects")
    item = project_exports.project_item(world.ctx, procore_project_id=project.id, customer=customer)
    project_exports.send_project_item(world.ctx, world.actor("sam"), item, again=False)
    decide.accept(world.ctx, world.actor("dana"), item.id)
    return str(project.id), item.id


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_crash_at_every_kill_point_leaves_one_customer(remote_world, kill_at):
    w = remote_world
    pid, item_id = _accepted_project(w)

    crash_then_recover(w.engine, _ops(w), kill_at)
    found = _customers(w)
    assert len(found) == 1 and found[0]["ParentRef"]["value"] == "3" and found[0]["Job"] is True
    with Session(w.engine) as s:
        assert s.get(Item, item_id).state == "synced"
        links = s.exec(select(ExternalLink).where(ExternalLink.entity_type == "project",
                                                  ExternalLink.procore_id == pid)).all()
        assert [lk.qbo_id for lk in links] == [found[0]["Id"]]
        create = s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.create_customer")).one()
        assert create.status == "done"


def test_a_same_named_customer_elsewhere_is_refused_then_retried_after_the_fix(remote_world):
    w = remote_world
    other = w.ctx.qbo.create(entity="Customer", body={"DisplayName": NAME})  # a plain customer, not a job
    pid, item_id = _accepted_project(w)
    assert Outbox(w.engine, _ops(w)).drain().failed == 1
    with Session(w.engine) as s:
        item = s.get(Item, item_id)
    assert item.state == "failed_to_export"
    assert f"(Id {other['Id']})" in item.last_error
    assert f"/ledgerlink link project {pid} {other['Id']}" in item.last_error
    w.ctx.qbo.update(entity="Customer", body={"Id": other["Id"], "SyncToken": other["SyncToken"],
                                              "DisplayName": f"{NAME} (old)"})
    decide.retry(w.ctx, w.actor("erin"), item_id)
    assert Outbox(w.engine, _ops(w)).drain().failed == 0
    with Session(w.engine) as s:
        assert s.get(Item, item_id).state == "synced"
    assert len(_customers(w)) == 1 and _customers(w)[0]["Job"] is True


def test_without_a_customer_and_no_linked_projects_to_follow_the_send_says_how(remote_world):
    w = remote_world  # nothing linked: no usual customer to put the project under
    project = w.ctx.procore.create_project(name=NAME)
    run_job(w.ctx, "projects")
    item = project_exports.project_item(w.ctx, procore_project_id=project.id)
    with pytest.raises(InvalidInput, match=f'send project {project.id} for "<QuickBooks customer>"'):
        project_exports.send_project_item(w.ctx, w.actor("sam"), item, again=False)
    with pytest.raises(InvalidInput, match="is itself a project or sub-customer"):
        project_exports.project_item(w.ctx, procore_project_id=project.id, customer="58")
    assert project_exports.project_item(w.ctx, procore_project_id=project.id, customer="Cool Cars").detail[
        "parent_qbo_id"] == "3"

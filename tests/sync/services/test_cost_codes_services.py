"""Cost-code services: who may do what, what they store, audit rows, and what accepting does."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.models import AuditEvent, Item, OutboxEntry
from sync import binder, cache
from sync.context import TenantContext
from sync.services import cost_codes as svc
from sync.writes.cost_items import load_preferences
from tests.support import decide
from tests.support.factories import World


@pytest.fixture
def world(engine):
    w = World(engine)
    with Session(engine) as s:
        for rid, name, code in (("1", "Labor", "L"), ("2", "Material", "M")):
            cache.upsert(s, w.tenant.id, "procore", "line_item_type", rid, name=name, data={"code": code})
        cache.upsert(s, w.tenant.id, "procore", "standard_cost_code", "301", name="03-300 Cast-in-place Concrete",
                     data={"full_code": "03-300", "name": "Cast-in-place Concrete"})
        cache.upsert(s, w.tenant.id, "procore", "cost_code", "11", name="03-300", parent_id="900",
                     data={"full_code": "03-300", "type_ids": [1, 2]})
        s.add(Item(tenant_id=w.tenant.id, type="cost_code", procore_id="301", title="Cost code 03-300 Concrete"))
        s.commit()
    w.ctx = TenantContext(engine=engine, tenant_id=w.tenant.id)
    return w


def _audits(world, action: str) -> list[AuditEvent]:
    with Session(world.engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_preferences_need_admin_and_are_audited(world):
    with pytest.raises(PermissionDenied, match="Admin"):
        svc.set_cost_code_synced(world.ctx, world.actor("dana"), 301, False)
    svc.set_cost_code_synced(world.ctx, world.actor("alex"), 301, False)
    svc.set_cost_type_synced(world.ctx, world.actor("alex"), 2, False)
    with Session(world.engine) as s:
        prefs, _ = load_preferences(s, world.tenant.id)
    assert prefs.excluded_codes == {301} and prefs.excluded_types == {2}
    rows = svc.cost_code_preferences(world.ctx, world.actor("riley"))  # read-only may look
    assert [(r.full_code, r.synced, r.state) for r in rows] == [("03-300", False, "ready_to_export")]
    assert _audits(world, "cost_code_preference")[0].detail["synced"] is False
    with pytest.raises(InvalidInput, match="doesn't know standard cost code 999"):
        svc.set_cost_code_synced(world.ctx, world.actor("alex"), 999, True)
    with pytest.raises(PermissionDenied):
        svc.cost_code_preferences(world.ctx, world.actor("nora"))


def test_default_cost_types_and_item_accounts(world):
    with pytest.raises(PermissionDenied):
        svc.assign_default_cost_types(world.ctx, world.actor("sam"), 301, [1])
    names = svc.assign_default_cost_types(world.ctx, world.actor("erin"), 301, [2, 1, 2])
    assert names == ("Material", "Labor", "Material")
    with Session(world.engine) as s:
        prefs, settings = load_preferences(s, world.tenant.id)
    assert prefs.default_types == {301: (1, 2)} and settings == {}
    assert svc.cost_code_preferences(world.ctx, world.actor("riley"))[0].default_cost_types == ("Labor", "Material")
    with pytest.raises(InvalidInput, match="cost type 7"):
        svc.assign_default_cost_types(world.ctx, world.actor("erin"), 301, [7])
    svc.set_item_account(world.ctx, world.actor("erin"), "expense", "Subcontractors", cost_type_id=1)
    svc.set_item_account(world.ctx, world.actor("erin"), "income", "93")
    with pytest.raises(InvalidInput, match="Only the expense account"):
        svc.set_item_account(world.ctx, world.actor("erin"), "income", "1", cost_type_id=1)
    with Session(world.engine) as s:
        _, settings = load_preferences(s, world.tenant.id)
    assert settings == {"expense_account:1": "Subcontractors", "income_account": "93"}
    assert len(_audits(world, "default_cost_types")) == 1 and len(_audits(world, "cost_item_account")) == 2


def test_sending_and_accepting_a_cost_code_makes_it_an_erp_code_without_a_qbo_write(world):
    outcomes = svc.send_unsynced_cost_codes(world.ctx, world.actor("sam"))
    assert [o.item.state for o in outcomes] == ["awaiting_acceptance"]
    assert svc.unsynced_cost_codes(world.ctx, world.actor("sam")) == []
    with pytest.raises(PermissionDenied):
        decide.accept(world.ctx, world.actor("sam"), outcomes[0].item.id)  # not an approver
    done = decide.accept(world.ctx, world.actor("dana"), outcomes[0].item.id)
    assert done.item.state == "synced"
    with Session(world.engine) as s:
        assert s.exec(select(OutboxEntry)).all() == []
        assert [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.item_id == done.item.id)
                                         .order_by(AuditEvent.id))] == ["send", "accept", "mark_synced"]


def test_budget_acceptance_needs_lines_and_a_linked_project(world):
    with Session(world.engine) as s:
        empty = Item(tenant_id=world.tenant.id, type="budget", procore_id="900", title="Budget 2024-001",
                     detail={"project_id": 900, "lines": []}, state="awaiting_acceptance")
        s.add(empty)
        s.commit()
        item_id = empty.id
    with pytest.raises(InvalidInput, match="no budget lines"):
        decide.accept(world.ctx, world.actor("dana"), item_id)
    with Session(world.engine) as s:
        item = s.get(Item, item_id)
        item.detail = {"project_id": 900, "lines": [{"id": 1, "cost_code_id": 11, "line_item_type_id": 1}]}
        s.add(item)
        s.commit()
    with pytest.raises(InvalidInput, match="not linked to a QuickBooks project"):
        decide.accept(world.ctx, world.actor("dana"), item_id)
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "project", 900, "58")
        s.commit()
    assert decide.accept(world.ctx, world.actor("dana"), item_id).item.state == "exporting"
    with Session(world.engine) as s:
        entry = s.exec(select(OutboxEntry)).one()
    assert entry.operation == "qbo.export_budget" and entry.item_id == item_id and entry.payload["project_id"] == 900


def test_refresh_and_deletions_check_permissions_and_links(world):
    with pytest.raises(PermissionDenied):
        svc.refresh_project_cost_codes(world.ctx, world.actor("riley"), 900)
    with pytest.raises(InvalidInput, match="not linked to a QuickBooks project"):
        svc.refresh_project_cost_codes(world.ctx, world.actor("sam"), 900)
    with pytest.raises(PermissionDenied):
        svc.delete_project_cost_code(world.ctx, world.actor("sam"), 900, 11)
    with pytest.raises(InvalidInput, match="not assigned"):
        svc.delete_cost_type_assignment(world.ctx, world.actor("alex"), 900, 11, 7)
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "cost_item", "900:11:2", "321", "4")
        cache.upsert(s, world.tenant.id, "qbo", "Item", "321", name="2024-001-03-300.M", data={}, sync_token="4")
        s.commit()
    assert svc.delete_cost_type_assignment(world.ctx, world.actor("alex"), 900, 11, 2) == 1
    with Session(world.engine) as s:
        ops = sorted((e.operation, e.payload.get("fields")) for e in s.exec(select(OutboxEntry)))
    assert ops == [("procore.set_cost_code_types", None), ("qbo.update_item", {"Active": False})]

"""After an Accept: the click's own drain runs its company's queued write and redraws its card."""

from __future__ import annotations

from sqlmodel import Session, select

from bench.bulk_export import Sandbox, Tenantry, queue_accepted
from bot.actions.finish import finish_export
from bot.services.runtime import Services
from core.domain.workflow import Workflow
from core.models import Item
from sync.operations import build_operations
from sync.writes.batching import BatchingOutbox


def bills_in_qbo(t: Tenantry, run: str) -> list[dict]:
    return [b for b in t.qbo.query_all(entity="Bill") if str(b.get("DocNumber", "")).startswith(f"B{run}-")]


class CardLog:
    """A notifier that only notes which cards were redrawn."""

    def __init__(self) -> None:
        self.redrawn: list[int] = []

    def refresh_cards(self, items) -> None:
        self.redrawn += [i.id for i in items]

    def refresh_card(self, item_id: int) -> None:
        self.redrawn.append(item_id)

    def waiting_for_database(self, items) -> None:
        pass


def test_a_clicks_drain_runs_only_its_companys_rows(engine, sandboxes):
    """finish_export (after an Accept) drains the clicked item's company only: another company's bulk export
    waits for the workers instead of holding this card's redraw (issue 17: one tenant never starves another)."""
    tenantry, other = (Tenantry(engine, Sandbox(sandboxes.qbo_url), time_scale=1, limits=False) for _ in range(2))
    tenantry.link()
    other.link()
    queue_accepted(engine, other.tenant_id, 1, 40, "O")
    [mine] = queue_accepted(engine, tenantry.tenant_id, 1, 1, "M")
    ctxs = {tenantry.tenant_id: tenantry.ctx, other.tenant_id: other.ctx}
    cards = CardLog()
    svc = Services(engine=engine, settings=None, notifier=cards, links=None, workflow=Workflow(engine),
                   context_for=lambda tid: ctxs[tid])
    item = finish_export(svc, mine)
    assert item.state == "synced" and cards.redrawn == [mine]
    with Session(engine) as s:
        waiting = s.exec(select(Item.state).where(Item.tenant_id == other.tenant_id)).all()
    assert waiting == ["exporting"] * 40 and bills_in_qbo(other, "O") == []
    rest = BatchingOutbox(engine, build_operations(lambda tid: ctxs[tid]), context_for=lambda tid: ctxs[tid])
    assert rest.drain(tenant_id=other.tenant_id).done == 40 and len(bills_in_qbo(other, "O")) == 40

"""The /batch outbox runner: 30 Bills a request, per-row outcomes, and exactly once whatever crashes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bench.bulk_export import Sandbox, Tenantry, queue_accepted
from core.models import ExternalLink, Item, OutboxEntry, utcnow
from sync.context import TenantContext
from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry, RateLimitPolicy
from sync.operations import build_operations
from sync.outbox import RemoteResult, enqueue
from sync.qbo.client import QboClient
from sync.writes.batching import BatchingOutbox, batch_requestid


class Crash(BaseException):
    """The process dying at a kill point."""


@pytest.fixture
def tenantry(engine, sandboxes):
    t = Tenantry(engine, Sandbox(sandboxes.qbo_url), time_scale=1, limits=False)
    t.link()
    return t


def outbox(t: Tenantry, **kwargs) -> BatchingOutbox:
    ops = build_operations(lambda _tenant: t.ctx)
    return BatchingOutbox(t.engine, ops, context_for=lambda _tenant: t.ctx, **kwargs)


def bills_in_qbo(t: Tenantry, run: str) -> list[dict]:
    return [b for b in t.qbo.query_all(entity="Bill") if str(b.get("DocNumber", "")).startswith(f"B{run}-")]


def states(engine) -> dict[str, int]:
    with Session(engine) as s:
        out: dict[str, int] = {}
        for item in s.exec(select(Item)):
            out[item.state] = out.get(item.state, 0) + 1
        return out


def test_requestid_depends_on_the_rows_not_their_order():
    assert batch_requestid(["a", "b", "c"]) == batch_requestid(["c", "a", "b"]) != batch_requestid(["a", "b"])
    assert len(batch_requestid([f"ll-qbo.create_bil-{n:032d}" for n in range(30)])) <= 50


def test_45_bills_in_two_batch_requests(tenantry, sandboxes):
    queue_accepted(tenantry.engine, tenantry.tenant_id, 1, 45, "T")
    before = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    stats = outbox(tenantry).drain()
    after = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    assert stats.done == 45 and states(tenantry.engine) == {"synced": 45}
    assert after.get("POST /batch", 0) - before.get("POST /batch", 0) == 2  # 30 + 15
    assert after.get("POST /bill", 0) == before.get("POST /bill", 0)
    assert len(bills_in_qbo(tenantry, "T")) == 45
    with Session(tenantry.engine) as s:
        item = s.exec(select(Item).where(Item.procore_id == "900000007")).one()
        link = s.exec(select(ExternalLink).where(ExternalLink.procore_id == "900000007")).one()
        assert item.remote_id == link.qbo_id and item.detail["qbo"]["DocNumber"] == "BT-000007"


def test_a_refused_item_fails_alone_with_a_sentence(tenantry):
    queue_accepted(tenantry.engine, tenantry.tenant_id, 1, 5, "F")
    with Session(tenantry.engine) as s:
        entry = s.exec(select(OutboxEntry).order_by(OutboxEntry.id)).all()[2]
        bill = dict(entry.payload["bill"])
        bill["Line"] = [dict(bill["Line"][0], ItemBasedExpenseLineDetail={
            **bill["Line"][0]["ItemBasedExpenseLineDetail"], "ItemRef": {"value": "999999"}}), *bill["Line"][1:]]
        entry.payload = {**entry.payload, "bill": bill}
        s.add(entry)
        s.commit()
        failed_item = entry.item_id
    stats = outbox(tenantry).drain()
    assert (stats.done, stats.failed) == (4, 1)
    with Session(tenantry.engine) as s:
        item = s.get(Item, failed_item)
        assert item.state == "failed_to_export"
        assert item.last_error == (f"{item.title} could not be exported: the cost code item is inactive or no "
                                   "longer exists in QuickBooks — reactivate it in QuickBooks or relink it in "
                                   "Ledgerlink, then press Retry.")
    assert len(bills_in_qbo(tenantry, "F")) == 4


@pytest.mark.parametrize("kill_at", ["before_call", "after_call", "before_commit", "after_commit"])
def test_crash_at_every_step_leaves_exactly_one_bill_each(tenantry, sandboxes, kill_at):
    queue_accepted(tenantry.engine, tenantry.tenant_id, 1, 40, "K")

    def die(where):
        if where == kill_at:
            raise Crash(where)

    with pytest.raises(Crash):
        outbox(tenantry, worker_id="w1", kill_point=die).drain()
    later = utcnow() + timedelta(minutes=10)  # the first worker's claims have gone stale
    creates_before = sandboxes.qbo_requests(tenantry.realm)["by_path"].get("POST /batch", 0)
    outbox(tenantry, worker_id="w2", clock=lambda: later).drain()
    made = bills_in_qbo(tenantry, "K")
    assert len(made) == 40 and len({b["DocNumber"] for b in made}) == 40
    assert states(tenantry.engine) == {"synced": 40}
    with Session(tenantry.engine) as s:
        assert len(s.exec(select(ExternalLink).where(ExternalLink.entity_type == "bill")).all()) == 40
        assert {e.status for e in s.exec(select(OutboxEntry))} == {"done"}
    batches = sandboxes.qbo_requests(tenantry.realm)["by_path"].get("POST /batch", 0) - creates_before
    if kill_at in ("after_call", "before_commit"):
        assert batches == 2  # one reconcile batch (queries) for the 30 retried rows + one create batch for 10


class Noop:
    def __init__(self) -> None:
        self.ran: list[int] = []

    def execute(self, entry):
        self.ran.append(entry.id)
        return RemoteResult("x")

    def reconcile(self, entry):
        return None

    def on_done(self, session, entry, result):
        pass


def test_other_operations_still_run_one_by_one(tenantry):
    queue_accepted(tenantry.engine, tenantry.tenant_id, 1, 3, "O")
    with Session(tenantry.engine) as s:
        enqueue(s, tenant_id=tenantry.tenant_id, target="procore", operation="procore.noop", record="r", version=1)
        s.commit()
    noop = Noop()
    ops = {**build_operations(lambda _tenant: tenantry.ctx), "procore.noop": noop}
    stats = BatchingOutbox(tenantry.engine, ops, context_for=lambda _tenant: tenantry.ctx).drain()
    assert stats.done == 4 and len(noop.ran) == 1


def test_a_lone_row_is_a_plain_create(tenantry, sandboxes):
    """One accepted invoice spends one of the realm's 500 requests, not one of its 40 batch calls."""
    queue_accepted(tenantry.engine, tenantry.tenant_id, 1, 1, "L")
    before = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    stats = outbox(tenantry).drain()
    after = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    assert stats.done == 1 and states(tenantry.engine) == {"synced": 1}
    assert after.get("POST /bill", 0) - before.get("POST /bill", 0) == 1
    assert after.get("POST /batch", 0) == before.get("POST /batch", 0)
    assert len(bills_in_qbo(tenantry, "L")) == 1


def test_two_waiting_rows_share_a_batch(tenantry, sandboxes):
    queue_accepted(tenantry.engine, tenantry.tenant_id, 1, 2, "P")
    before = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    assert outbox(tenantry).drain().done == 2
    after = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    assert after.get("POST /batch", 0) - before.get("POST /batch", 0) == 1
    assert after.get("POST /bill", 0) == before.get("POST /bill", 0)


def test_a_few_rows_go_plain_while_only_the_batch_window_is_full(tenantry, sandboxes):
    """A trickle never waits for the 40-a-minute batch cap while the realm's plain requests are free (issue 17)."""
    policy = RateLimitPolicy(requests=500, window=60.0, max_concurrent=10, batch_requests=1, batch_window=60.0)
    tenantry.ctx = TenantContext(engine=tenantry.engine, tenant_id=tenantry.tenant_id, qbo_client=QboClient(
        realm_id=tenantry.realm, tokens=StaticToken(tenantry.token), base_url=sandboxes.qbo_url, policy=policy,
        registry=LimiterRegistry()))
    queue_accepted(tenantry.engine, tenantry.tenant_id, 1, 2, "W")
    assert outbox(tenantry).drain().done == 2  # one /batch: the realm's only batch call of the minute
    queue_accepted(tenantry.engine, tenantry.tenant_id, 3, 3, "W")
    before = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    started = time.monotonic()
    assert outbox(tenantry).drain().done == 3
    after = sandboxes.qbo_requests(tenantry.realm)["by_path"]
    assert time.monotonic() - started < 10  # not the minute the batch window would take
    assert after.get("POST /bill", 0) - before.get("POST /bill", 0) == 3
    assert after.get("POST /batch", 0) == before.get("POST /batch", 0)
    assert len(bills_in_qbo(tenantry, "W")) == 5

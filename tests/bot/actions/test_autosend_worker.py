"""The worker's side of auto-send (bot/actions/autosend.py): each queued send is claimed once even by two workers
at the same time; without Slack the queue is skipped with the reason instead of piling up."""

from __future__ import annotations

import threading

from sqlmodel import Session, select

from bot.actions import autosend
from bot.worker import Runtime
from core.models import AutoSend, Item
from tests.support.factories import World

pytest_plugins = ["tests.handlers.slack_harness"]


def _queue(engine, tenant_id: int, item: Item) -> int:
    with Session(engine) as s:
        row = AutoSend(tenant_id=tenant_id, item_type=item.type, procore_id=item.procore_id, item_id=item.id,
                       from_status="under_review", to_status="approved", change_key="2026-11-26T09:00:00Z")
        s.add(row)
        s.commit()
        return row.id


def _row(engine, row_id: int) -> AutoSend:
    with Session(engine) as s:
        return s.get(AutoSend, row_id)


def test_two_workers_at_once_send_it_once(slack_pg):
    slack = slack_pg
    item = slack.item("SC-301")
    row_id = _queue(slack.engine, slack.world.tenant.id, item)
    barrier, results = threading.Barrier(2), []

    def worker() -> None:
        barrier.wait()
        results.append(autosend.process(slack.svc, slack.world.tenant.id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slack.idle()

    assert sum(r["sent"] for r in results) == 1
    row = _row(slack.engine, row_id)
    assert (row.state, row.attempts, row.round, row.sender_label) == ("sent", 1, 1, autosend.UNKNOWN_SENDER)
    assert slack.get(item.id).state == "awaiting_acceptance"
    cards = [c for c in slack.calls("chat.postMessage") if "SC-301" in str(c["args"].get("text"))]
    assert len(cards) == 1
    assert f"Sent by*\n{autosend.UNKNOWN_SENDER}" in slack.text(slack.card(item))


def test_without_slack_the_queue_is_skipped_with_the_reason(engine):
    world = World(engine)
    item = world.item("SC-302")
    row_id = _queue(engine, world.tenant.id, item)
    assert Runtime(engine, None).autosend(world.tenant.id) == {"skipped": 1}
    row = _row(engine, row_id)
    assert row.state == "skipped" and "Slack is not configured" in row.note and row.done_at is not None
    with Session(engine) as s:
        assert s.exec(select(Item.state).where(Item.id == item.id)).one() == "ready_to_export"

"""50 people-clicks on one card at once, on SQLite and PostgreSQL: one decision, one outbox row, one export,
one result on the card, everybody acked within Slack's 3 s, the losers told why."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from bot.models import Decision, OutboxEntry

pytest_plugins = ["tests.handlers.slack_harness"]


def test_fifty_concurrent_accepts(slack_pg):
    slack = slack_pg
    item = slack.sent_item("INV-777", sender="sam")
    who = ["dana", "erin"] * 25
    # what 50 Slack clients show until the update reaches them: the card with its buttons
    channel, ts = slack.stale_copy(item)

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(lambda w: slack.click(w, None, "item_accept", channel=channel, ts=ts), who))
    slack.idle(30)

    assert all(o["ok"] for o in outcomes), [o for o in outcomes if not o["ok"]][:3]
    acks = sorted(o["elapsed_ms"] for o in outcomes)
    print(f"\n50 concurrent clicks on {slack.engine.dialect.name}: ack p50 {acks[24]} ms, max {acks[-1]} ms")
    assert acks[-1] < 3000
    with Session(slack.engine) as s:
        assert len(s.exec(select(Decision).where(Decision.item_id == item.id)).all()) == 1
        assert len(s.exec(select(OutboxEntry).where(OutboxEntry.item_id == item.id)).all()) == 1
    assert len(slack.qbo.calls) == 1
    final = slack.get(item.id)
    assert final.state == "synced"
    card = slack.card(item)
    assert "Synced as" in slack.text(card) and "item_accept" not in slack.buttons(card)
    told = slack.ephemerals("dana") + slack.ephemerals("erin")
    assert len(told) == 49 and all("INV-777" in t for t in told)

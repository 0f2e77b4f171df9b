"""50 people-clicks on one card at once, on SQLite and PostgreSQL: one decision, one outbox row, one export,
one result on the card, everybody acked within Slack's 3 s, the losers told why."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from core.models import Decision, OutboxEntry

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


def test_clicks_are_acked_while_earlier_decisions_still_run(slack, monkeypatch):
    """More clicks than Bolt has listener threads, every decision stuck: each click is still acked (the decision
    runs after the ack on the background pool, Bolt's threads only ack), and each decision runs once released."""
    import threading

    from bot.actions import accept as accepting
    from bot.app import LISTENER_THREADS

    item = slack.sent_item("INV-778", sender="sam")
    release, started = threading.Event(), []
    real = accepting.accept

    def stuck(*args, **kwargs):
        started.append(1)
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(accepting, "accept", stuck)
    clicks = LISTENER_THREADS + 4
    with ThreadPoolExecutor(clicks) as pool:
        outcomes = list(pool.map(lambda w: slack.click(w, item), ["dana", "erin"] * (clicks // 2)))
    release.set()
    slack.idle(30)
    assert [o["ok"] for o in outcomes] == [True] * clicks, [o["error"] for o in outcomes if not o["ok"]]
    assert len(started) == clicks and slack.get(item.id).state == "synced"
    assert len(slack.qbo.calls) == 1

"""A burst of Accept clicks: every card shows its acceptance and then its Bill, and the exports share drains
(bot/services/lanes.py, bot/actions/finish.finish_export_soon)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bot.services.runtime import Services

pytest_plugins = ["tests.handlers.slack_harness"]

CLICKS = 12


def test_a_burst_of_accepts_shares_a_few_drains_and_every_card_shows_its_bill(slack, monkeypatch):
    items = [slack.sent_item(f"INV-{500 + n}", sender="sam") for n in range(CLICKS)]
    drains: list[float] = []
    drain = Services.drain_outbox

    def slow_drain(self, tenant_id=None):  # type: ignore[no-untyped-def]
        drains.append(time.monotonic())
        time.sleep(0.3)  # QuickBooks' round trip: the clicks that come meanwhile join the next round
        return drain(self, tenant_id)

    monkeypatch.setattr(Services, "drain_outbox", slow_drain)
    with ThreadPoolExecutor(CLICKS) as pool:
        acks = list(pool.map(lambda item: slack.click("dana", item), items))
    assert all(a.get("ok") for a in acks), acks
    slack.idle(60)
    for item in items:
        assert slack.get(item.id).state == "synced"
        assert "Synced as" in slack.text(slack.card(item))
    # the accept drew only the card; the export's round redrew the sender's receipt DMs too
    assert sum("Synced as" in slack.text(m) for m in slack.dms("sam")) == CLICKS
    assert 1 <= len(drains) < CLICKS // 2  # one drain per company at a time, not one per click
    assert len(slack.qbo.calls) == len(set(slack.qbo.calls)) == CLICKS  # each write exactly once

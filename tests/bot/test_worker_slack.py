"""The worker's notifications through the Slack app's notifier (bot/notify.py), against the Slack sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.scheduler import SchedulerConfig
from bot.worker import LoggingNotifier, Runtime, load_notifier
from core.config import load_settings
from core.models import Item, utcnow

pytest_plugins = ["tests.handlers.slack_harness"]

notify = pytest.importorskip("bot.notify")
pytestmark = pytest.mark.skipif(not hasattr(notify, "build_notifier"),
                                reason="bot/notify.py does not implement the worker's Notifier yet")


def test_slack_is_the_notifier_when_configured(engine):
    assert not isinstance(load_notifier(load_settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-1"), engine),
                          LoggingNotifier)
    assert isinstance(load_notifier(load_settings(_env_file=None), engine), LoggingNotifier)


def test_the_digest_and_a_reminder_reach_slack(slack):
    from tests.handlers.slack_harness import card_text  # after pytest has loaded it as a plugin

    items = []
    for k in range(3):
        item = slack.sent_item(f"INV-{200 + k}", sender="sam")
        with Session(slack.engine) as s:
            row = s.get(Item, item.id)
            row.sent_at = utcnow() - timedelta(hours=24, minutes=5 + k)
            s.add(row)
            s.commit()
        items.append(item)
    slack.idle()
    runtime = Runtime(slack.engine, None, config=SchedulerConfig(), notifier=slack.svc.notifier)
    assert runtime.task_digest(slack.world.tenant.id) == 2  # dana and erin
    digest = slack.dms("dana")[-1]
    assert "INV-200" in digest["text"] + card_text(digest)
    before = len(slack.messages())
    assert runtime.task_reminders(slack.world.tenant.id) == {"reminded": 3, "escalated": 0}
    assert any("INV-202" in m["text"] + card_text(m) for m in slack.messages()[before:])

"""The database unreachable while people click: the click is acked and answered with a plain sentence (not the
"something went wrong … reference" of a bug), one log line each and no traceback; a card whose export waits for the
database says so, drawn without the database; /healthz does not try a connection for every probe meanwhile.
(tests/reliability/test_db_outage.py does the same with a real PostgreSQL stopped under real processes.)"""

from __future__ import annotations

import logging
import time

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from bot.web import DbProbe
from core import db_outage
from core.db import make_engine
from core.db_outage import Outage
from handlers.errors import DB_COMMAND_SENTENCE as COMMAND_SENTENCE
from handlers.errors import DB_SENTENCE as SENTENCE

pytest_plugins = ["tests.handlers.slack_harness"]


@pytest.fixture(autouse=True)
def own_outage(monkeypatch):
    """The engines to nowhere below would mark this test process's database as down (and probe it) for the tests
    that follow: they report to an Outage of their own."""
    outage = Outage()
    monkeypatch.setattr(db_outage, "OUTAGE", outage)
    yield outage
    outage.came_back()  # ends its probe thread


def unreachable(*_args, **_kwargs):
    raise OperationalError("SELECT", {}, psycopg.OperationalError("connection failed: Connection refused"))


def test_a_click_during_an_outage_is_told_so_in_a_sentence(slack, monkeypatch, caplog):
    from bot.actions import accept

    item = slack.sent_item("INV-3", sender="sam")
    monkeypatch.setattr(accept, "accept", unreachable)
    caplog.set_level(logging.INFO)
    out = slack.click("dana", item)
    assert out["ok"]  # acked in time
    slack.idle()
    assert slack.ephemerals("dana") == [SENTENCE]
    assert slack.get(item.id).state == "awaiting_acceptance"
    refused = [r for r in caplog.records if r.name == "handlers.errors"]
    assert len(refused) == 1 and refused[0].exc_info is None and "item_accept by" in refused[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_a_command_during_an_outage_is_told_so_too(slack, monkeypatch):
    import handlers.commands

    monkeypatch.setattr(handlers.commands, "who", unreachable)
    assert slack.command("sam", "send sub-invoice 123")["ok"]
    slack.idle()
    assert COMMAND_SENTENCE in slack.ephemerals("sam")
    assert not any("went wrong" in t for t in slack.ephemerals("sam"))


def test_a_card_whose_export_waits_for_the_database_says_so_without_it(slack):
    item = slack.sent_item("INV-4", sender="sam")
    slack.click("dana", item)
    slack.idle()
    exporting = slack.get(item.id)
    exporting.state = "exporting"  # as the outbox read it before the database went away
    notifier = slack.svc.notifier
    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    notifier.engine, engine = gone, notifier.engine  # any use of the database would now fail
    try:
        notifier.waiting_for_database([exporting])
    finally:
        notifier.engine = engine
        gone.dispose()
    text = slack.text(slack.card(item))
    assert "waiting for Ledgerlink's database" in text and "INV-4" in text and "ACME Concrete" in text
    assert "item_accept" not in slack.buttons(slack.card(item))


def test_healthz_reuses_a_failed_check_for_a_moment():
    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    probe = DbProbe(gone, hold=0.3)
    first = probe.status()
    assert first["ok"] is False and probe.status() is first  # no second connection attempt meanwhile
    time.sleep(0.35)
    assert probe.status() is not first
    gone.dispose()

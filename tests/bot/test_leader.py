"""Leader election: one holder at a time, handed over when the holder releases, dies or stops renewing."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import text

from bot.leader import AdvisoryLockLeadership, LeaseLeadership, advisory_key, leadership_for
from core.models import utcnow


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


def test_lease_one_holder_then_handover_on_expiry(engine):
    clock = Clock()
    a = LeaseLeadership(engine, "a", lease=timedelta(seconds=10), clock=clock)
    b = LeaseLeadership(engine, "b", lease=timedelta(seconds=10), clock=clock)
    assert a.try_acquire() is True
    assert b.try_acquire() is False
    clock.now += timedelta(seconds=8)
    assert a.confirm() is True  # renewed: expires 10 s from now
    clock.now += timedelta(seconds=8)
    assert b.try_acquire() is False  # a renewed in time
    clock.now += timedelta(seconds=11)  # a stopped renewing (hung or dead)
    assert b.try_acquire() is True
    assert a.confirm() is False  # a notices before it runs anything else
    assert a.try_acquire() is False


def test_lease_release_hands_over_at_once(engine):
    a, b = LeaseLeadership(engine, "a"), LeaseLeadership(engine, "b")
    assert a.try_acquire() and not b.try_acquire()
    a.release()
    assert b.try_acquire() is True
    a.release()  # idempotent, and never releases someone else's lease
    assert b.confirm() is True


def test_advisory_lock_one_holder_and_handover_when_the_connection_dies(postgres_server_url):
    from tests.support.postgres import create_database

    url = create_database(postgres_server_url, "ll_leader_test")
    a, b = AdvisoryLockLeadership(url, "a"), AdvisoryLockLeadership(url, "b")
    try:
        assert a.try_acquire() is True
        assert b.try_acquire() is False
        assert a.confirm() is True and a.try_acquire() is True  # re-entrant for the holder, no second lock
        # the leader's connection dies (process killed, network gone): the server drops the lock
        from core.db import make_engine

        admin = make_engine(url)
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = 'ledgerlink-worker a'"))
            conn.commit()
        admin.dispose()
        deadline = time.monotonic() + 5  # the backend exits (and drops the lock) just after the signal
        while not b.try_acquire():
            assert time.monotonic() < deadline, "the lock of a terminated connection was not released"
            time.sleep(0.02)
        assert a.confirm() is False  # a sees it lost the lock instead of carrying on
        assert a.try_acquire() is False
        b.release()
        assert a.try_acquire() is True
    finally:
        a.close()
        b.close()


def test_leadership_for_picks_by_dialect(engine, db_url):
    lead = leadership_for(engine, db_url, "x")
    try:
        expected = AdvisoryLockLeadership if engine.dialect.name == "postgresql" else LeaseLeadership
        assert isinstance(lead, expected)
        assert lead.try_acquire() is True
    finally:
        lead.close()
    assert isinstance(leadership_for(engine, db_url, "x", kind="lease"), LeaseLeadership)


def test_advisory_key_is_stable_and_signed_64_bit():
    key = advisory_key("ledgerlink-scheduler")
    assert key == advisory_key("ledgerlink-scheduler")
    assert -(2 ** 63) <= key < 2 ** 63
    assert key != advisory_key("something else")

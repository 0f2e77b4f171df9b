"""core/db_outage.py: which errors are a database outage, and the one log line per state change."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from core import db_outage
from core.db import make_engine
from core.db_outage import Backoff, Outage, is_outage


def _sa(orig: BaseException, *, invalidated: bool = False, cls=OperationalError):
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize("error", [
    psycopg.OperationalError("connection failed: Connection refused"),  # no SQLSTATE: the client side
    pg_errors.AdminShutdown("terminating connection due to administrator command"),  # 57P01
    pg_errors.CannotConnectNow("the database system is starting up"),  # 57P03
    pg_errors.ConnectionFailure("connection failure"),  # 08006
])
def test_connection_errors_are_an_outage(error):
    assert is_outage(_sa(error))
    assert is_outage(error)


@pytest.mark.parametrize("error", [
    pg_errors.DeadlockDetected("deadlock detected"),  # an OperationalError subclass: contention, not an outage
    pg_errors.SerializationFailure("could not serialize access"),
    pg_errors.QueryCanceled("canceling statement due to statement timeout"),
    sqlite3.OperationalError("database is locked"),  # SQLite waited out its busy timeout: contention
    sqlite3.OperationalError("no such table: item"),
])
def test_contention_and_bugs_are_not(error):
    assert not is_outage(_sa(error))


def test_a_connection_sqlalchemy_invalidated_is_an_outage_and_the_cause_chain_is_read():
    assert is_outage(_sa(Exception("whatever the driver said"), invalidated=True, cls=InterfaceError))
    assert not is_outage(_sa(Exception("closed"), cls=InterfaceError))
    assert not is_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    try:
        try:
            raise _sa(psycopg.OperationalError("server closed the connection unexpectedly"))
        except OperationalError as exc:
            raise RuntimeError("a service wrapped it") from exc
    except RuntimeError as wrapped:
        assert is_outage(wrapped)
    assert not is_outage(ValueError("not a database error"))


def test_each_state_change_is_logged_once(caplog):
    outage = Outage()
    caplog.set_level(logging.INFO, logger="core.db_outage")
    back = []
    outage.on_back(lambda: back.append(1))
    for _ in range(50):
        outage.went_down(psycopg.OperationalError("connection refused"))
    outage.came_back()
    outage.came_back()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "database unavailable since" in lines[0] and "connection refused" in lines[0]
    assert lines[1].startswith("database back after") and back == [1] and not outage.down


def test_a_failed_connection_attempt_is_noticed_by_the_engine_and_the_next_connection_ends_it(caplog, monkeypatch):
    outage = Outage()
    monkeypatch.setattr(db_outage, "OUTAGE", outage)
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(OperationalError):
        engine.connect()
    assert outage.down  # the probe thread keeps trying in the background (nothing listens on port 1)
    db_outage._on_connect(None, None)
    assert not outage.down  # and the probe thread ends
    engine.dispose()


def test_backoff_doubles_to_its_cap_and_resets():
    b = Backoff(0.5, 2.0)
    assert [b.failed() for _ in range(4)] == [0.5, 1.0, 2.0, 2.0] and not b.ready()
    b.reset()
    assert b.ready() and b.failed() == 0.5

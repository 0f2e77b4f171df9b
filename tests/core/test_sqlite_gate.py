"""SQLite writers of one process queue on a Python lock, handed on at commit (core/sqlite_gate.py)."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from core.db import make_engine
from core.sqlite_gate import GatedConnection, gate_for


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path}/gate.db")
    with eng.begin() as c:
        c.execute(text("CREATE TABLE t (n INTEGER)"))
    yield eng
    eng.dispose()


def test_a_write_holds_the_gate_until_commit_and_reads_never_wait(engine):
    with engine.connect() as c:
        dbapi = c.connection.dbapi_connection
        assert isinstance(dbapi, GatedConnection)
        c.execute(text("SELECT count(*) FROM t"))
        assert not dbapi.holding  # a read takes nothing
        c.execute(text("INSERT INTO t VALUES (1)"))
        assert dbapi.holding and dbapi.gate.lock.locked()
        with engine.connect() as reader:  # WAL: a read beside the open write goes on (sees the last commit)
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        c.commit()
        assert not dbapi.holding and not dbapi.gate.lock.locked()
        c.execute(text("UPDATE t SET n = 2"))
        c.rollback()
        assert not dbapi.gate.lock.locked()


def test_concurrent_write_transactions_run_one_after_another_and_all_commit(engine):
    """Forty threads each read-modify-write a counter in a transaction: with the gate none waits in SQLite's busy
    handler (each waits here and is woken by the commit before it), and none is lost."""
    with engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (0)"))
    inside = []

    def bump(_: int) -> None:
        with engine.begin() as c:
            c.execute(text("UPDATE t SET n = n + 1"))
            inside.append(threading.get_ident())
            assert len(inside) == 1  # nobody else between our first write and our commit
            time.sleep(0.002)
            inside.pop()

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(bump, range(40)))
    with engine.connect() as c:
        assert c.execute(text("SELECT n FROM t")).scalar() == 40
    assert time.monotonic() - started < 10


def test_a_connection_dropped_mid_transaction_frees_the_gate(tmp_path):
    path = str(tmp_path / "dropped.db")
    import sqlite3  # here only: a bare connection, as a leaked one would be

    conn = sqlite3.connect(path, factory=GatedConnection, check_same_thread=False)
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.begin_write()
    assert conn.holding
    gate = gate_for(path, 30)
    del conn
    gc.collect()
    other = sqlite3.connect(path, factory=GatedConnection, check_same_thread=False)
    started = time.monotonic()
    done = threading.Event()
    threading.Thread(target=lambda: (other.begin_write(), done.set())).start()
    assert done.wait(5) and time.monotonic() - started < 3 and other.holding
    other.rollback()
    assert not gate.lock.locked()


def test_in_memory_databases_are_not_gated():
    assert gate_for(":memory:", 30) is None and gate_for("file:x?mode=memory&cache=shared", 30) is None

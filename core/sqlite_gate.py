"""One writer at a time per SQLite file in this process, queued on a Python lock instead of SQLite's busy handler.

Why: SQLite lets one connection write at a time; the others wait in its busy handler, which sleeps 1, 2, 5, 10,
… up to 100 ms between tries and so misses the moment the lock comes free. Under a burst (50 Accept clicks, each
a short write transaction, beside an export's drain) the writers spent most of their time asleep: the click's
decision waited hundreds of ms for a lock that was free most of that time. Here a thread about to write (the
point where SQLite's driver begins the transaction and asks for the write lock) first takes this process's lock
for the file, and the commit or rollback hands it straight to the next writer. Other processes still meet at
SQLite's own lock (the busy timeout, as before); reads never wait here (WAL).

`factory=GatedConnection` goes to `sqlite3.connect` (core/db.make_engine); `install(engine)` marks each write.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

#: statements that make the driver begin a transaction and SQLite take its write lock
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteGate:
    """The lock of one database file. A thread that already writes through another connection of the file is
    not stopped here (SQLite decides, as before this gate); a wait longer than `timeout` gives up the same way.
    A holder connection dropped without commit, rollback or close (garbage) frees the gate."""

    def __init__(self, timeout: float) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None
        self.holder: Callable[[], Any] = _nobody
        self.timeout = timeout

    def enter(self, connection: Any) -> bool:
        me = threading.get_ident()
        if self.owner == me:
            return False
        deadline = time.monotonic() + self.timeout
        while not self.lock.acquire(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return False
            if self.holder() is None:  # its connection is gone without a commit: nobody will hand the gate on
                self.leave()
        self.owner, self.holder = me, weakref.ref(connection)
        return True

    def leave(self) -> None:
        self.owner, self.holder = None, _nobody
        try:
            self.lock.release()
        except RuntimeError:  # freed meanwhile by a waiter that found the holder gone
            pass


def _nobody() -> None:
    return None


_GATES: dict[str, WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(database: str, timeout: float) -> WriteGate | None:
    """The file's gate; None for an in-memory database (each connection its own, or shared on purpose)."""
    if database in ("", ":memory:") or "mode=memory" in database:
        return None
    with _GATES_LOCK:
        return _GATES.setdefault(database, WriteGate(timeout))


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its file's gate from its first write until commit, rollback or close."""

    timeout_seconds = 30.0  # as the busy timeout (core/db.SQLITE_BUSY_TIMEOUT_MS)

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.gate = gate_for(str(database), self.timeout_seconds)
        self.holding = False

    def begin_write(self) -> None:
        if self.gate is not None and not self.holding:
            self.holding = self.gate.enter(self)

    def end_write(self) -> None:
        if self.holding:
            self.holding = False
            self.gate.leave()  # type: ignore[union-attr]

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_write()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_write()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_write()


def install(engine: Engine) -> None:
    """Take the gate before each write statement of `engine`; let it go after one that ran outside a transaction
    (autocommit: no commit follows)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        dbapi = cursor.connection
        if isinstance(dbapi, GatedConnection) and statement.lstrip()[:7].upper().startswith(WRITES):
            dbapi.begin_write()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        dbapi = cursor.connection
        if isinstance(dbapi, GatedConnection) and dbapi.holding and not dbapi.in_transaction:
            dbapi.end_write()

    @event.listens_for(engine, "handle_error")
    def _failed(context):  # type: ignore[no-untyped-def]
        dbapi = getattr(context.cursor, "connection", None)
        if isinstance(dbapi, GatedConnection) and dbapi.holding and not dbapi.in_transaction:
            dbapi.end_write()

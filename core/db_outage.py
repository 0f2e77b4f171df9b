"""When the database is unreachable: which errors mean that, the process's one log line for each state change, and
the back-off its loops use meanwhile.

`is_outage(exc)` is the one classification: a connection that could not be made or was cut (PostgreSQL stopped,
restarting, refusing connections). It is deliberately narrow — a deadlock, a serialisation failure, a cancelled
statement or SQLite's "database is locked" are psycopg/sqlite3 OperationalErrors too, but retrying the same
work soon is the right answer to those, and they are bugs or contention worth a traceback, not a passing outage.

`OUTAGE` logs "database unavailable since …" when a *connection attempt* fails (an error on a connection made
before — the server restarted under it — is followed by a reconnect that usually works, so it is not yet an
outage) and "database back after 10.2 s" on the next connection made; meanwhile a daemon thread tries to connect,
backing off to every 2 s, so that line comes when the server is back, not when this process next needs it.
`make_engine` installs the hooks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)

PROBE_CAP = 2.0  # seconds between connection attempts while the database is down

#: PostgreSQL's "the server is going away / not there yet": admin_shutdown, crash_shutdown, cannot_connect_now
_OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_outage(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) says the database could not be reached."""
    for err in _chain(exc):
        if isinstance(err, DBAPIError):
            if err.connection_invalidated:
                return True
            err = err.orig
        if _is_psycopg_connection_error(err):
            return True
    return False


def _is_psycopg_connection_error(err: BaseException | None) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs still work
        return False
    if not isinstance(err, psycopg.OperationalError):
        return False
    state = getattr(err, "sqlstate", None)
    # no SQLSTATE: the client lost or could not open the connection (refused, closed unexpectedly, timed out)
    return state is None or state.startswith("08") or state in _OUTAGE_SQLSTATES


class Outage:
    """This process's view: is the database down, since when. Logs each change once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self._back = threading.Event()
        self._listeners: list[Callable[[], None]] = []

    def on_back(self, listener: Callable[[], None]) -> None:
        """Call `listener` (quick, no database) each time the database is back."""
        self._listeners.append(listener)

    @property
    def down(self) -> bool:
        return self._since is not None

    def went_down(self, exc: BaseException | None = None, engine: Engine | None = None) -> bool:
        """Record that the database can't be reached; True (and one log line) the first time. With `engine`, a
        thread tries to connect until the server answers."""
        with self._lock:
            if self._since is not None:
                return False
            self._since = time.monotonic()
            self._back.clear()
        if engine is not None:
            threading.Thread(target=self._probe, args=(engine,), name="ledgerlink-db-probe", daemon=True).start()
        reason = f" ({_short(exc)})" if exc is not None else ""
        logger.warning("database unavailable since %s%s; retrying with back-off",
                       datetime.now(UTC).strftime("%H:%M:%S UTC"), reason)
        return True

    def _probe(self, engine: Engine) -> None:
        backoff = Backoff(0.25, PROBE_CAP)
        while not self._back.wait(backoff.failed()):
            try:
                engine.connect().close()  # the connect hook says "back"
            except Exception:  # noqa: BLE001, S112 - still down (or another problem the next real use reports)
                continue
            self.came_back()  # a pooled connection may have answered without a new connect

    def came_back(self) -> None:
        with self._lock:
            since, self._since = self._since, None
            self._back.set()
        if since is not None:
            logger.warning("database back after %.1f s", time.monotonic() - since)
            for listener in self._listeners:
                listener()


def _short(exc: BaseException) -> str:
    err = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {first[:160]}" if first else type(err).__name__


OUTAGE = Outage()


class Backoff:
    """Waits between tries while the database is down: `base`, doubling to `cap`; `reset()` after a success."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, max(base, cap)
        self._next = base
        self._until = 0.0

    def failed(self) -> float:
        """The wait before the next try (and remember it for `ready`)."""
        wait, self._next = self._next, min(self.cap, self._next * 2)
        self._until = time.monotonic() + wait
        return wait

    def reset(self) -> None:
        self._next, self._until = self.base, 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self._until


def install(engine: Engine) -> None:
    """Report failed connection attempts and the first connection after them to `OUTAGE`."""
    event.listen(engine, "handle_error", _on_error)
    event.listen(engine, "connect", _on_connect)


def _on_error(context: Any) -> None:
    # connection is None: the error came from making a connection (a pre-ping's failure is retried by the pool)
    if context.connection is None and not context.is_pre_ping and is_outage(context.original_exception):
        OUTAGE.went_down(context.original_exception, context.engine)


def _on_connect(_dbapi_conn: Any, _record: Any) -> None:
    OUTAGE.came_back()

"""Who leads: of all `ledgerlink worker` processes on one database, exactly one runs the scheduled jobs.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held by a dedicated connection. When the
leader process dies its connection closes and the server drops the lock at once, so a follower's next
try wins. TCP keepalives on that connection bound how long a vanished *machine* keeps the lock.

SQLite (no advisory locks): a lease row in `scheduler_leases` that the leader renews every heartbeat; a
follower takes it over only after `expires_at` has passed, so failover takes up to one lease period.

Either way the leader calls `confirm()` before each job and on each heartbeat: a leader that lost its lock
connection or could not renew its lease stops scheduling before anyone else can start.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from core.db import make_engine
from core.db_outage import is_outage
from core.models import SchedulerLease, utcnow

logger = logging.getLogger(__name__)

LOCK_NAME = "ledgerlink-scheduler"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock(bigint)`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership(Protocol):
    holder: str

    def try_acquire(self) -> bool:
        """Become the leader if nobody is; True while we are."""
        ...

    def confirm(self) -> bool:
        """Still the leader? (renews a lease; checks the lock's connection). False means: stop now."""
        ...

    def release(self) -> None:
        """Stop leading (idempotent) so a follower can take over at once."""
        ...


class AdvisoryLockLeadership:
    """PostgreSQL: the lock lives as long as one dedicated connection (never a pooled one: returning it to a
    pool would leave the lock held by a connection nobody watches)."""

    def __init__(self, url: str, holder: str, *, name: str = LOCK_NAME, keepalive_seconds: int = 10) -> None:
        self.holder = holder
        self.key = advisory_key(name)
        # server side: notice a dead client within ~3 keepalive periods; client side: notice a dead server
        options = (f"-c tcp_keepalives_idle={keepalive_seconds} -c tcp_keepalives_interval={keepalive_seconds} "
                   "-c tcp_keepalives_count=3 -c idle_session_timeout=0")
        self._engine = make_engine(url, poolclass=NullPool, connect_args={
            "options": options, "connect_timeout": 10, "keepalives": 1, "keepalives_idle": keepalive_seconds,
            "keepalives_interval": keepalive_seconds, "keepalives_count": 3,
            "application_name": f"ledgerlink-worker {holder}"[:63]})
        self._conn = None
        self._leading = False
        self.lost_to_outage = False  # the last loss of the lock: its connection cut by a database outage
        self._guard = threading.Lock()  # the connection is shared by the heartbeat and the job threads

    def _connection(self):  # type: ignore[no-untyped-def]
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def try_acquire(self) -> bool:
        with self._guard:
            if self._leading:
                return self._check()
            try:
                got = bool(self._connection().execute(text("SELECT pg_try_advisory_lock(:k)"),
                                                      {"k": self.key}).scalar())
            except SQLAlchemyError as exc:
                _unreachable("leader lock", exc)
                self._drop_connection()
                return False
            self._leading = got
            return got

    def confirm(self) -> bool:
        with self._guard:
            return self._leading and self._check()

    def _check(self) -> bool:
        try:
            held = self._connection().execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
            )).scalar()
        except SQLAlchemyError as exc:
            # the worker logs the step-down; the cause is worth its own line unless it is the outage (logged once)
            self.lost_to_outage = is_outage(exc)
            logger.log(logging.DEBUG if is_outage(exc) else logging.ERROR,
                       "leader lock: lost the lock's connection (%s); stepping down", exc.__class__.__name__)
            self._leading = False
            self._drop_connection()
            return False
        if not held:
            self._leading = False
        return bool(held)

    def release(self) -> None:
        with self._guard:
            if self._leading and self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                except SQLAlchemyError:
                    pass  # closing the connection below releases it anyway
            self._leading = False
            self._drop_connection()

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except SQLAlchemyError:
                pass
            self._conn = None

    def close(self) -> None:
        self.release()
        self._engine.dispose()


class LeaseLeadership:
    """A lease row with an expiry, renewed by the holder; works on any database (the default on SQLite)."""

    def __init__(self, engine: Engine, holder: str, *, name: str = LOCK_NAME,
                 lease: timedelta = timedelta(seconds=30), clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.holder = holder
        self.name = name
        self.lease = lease
        self.clock = clock
        self._leading = False

    def try_acquire(self) -> bool:
        if self._leading:
            return self.confirm()
        now = self.clock()
        try:
            with Session(self.engine) as s:
                if self.engine.dialect.name == "sqlite":
                    s.connection().exec_driver_sql("BEGIN IMMEDIATE")  # read-then-write under the write lock
                row = s.execute(select(SchedulerLease).where(SchedulerLease.name == self.name)
                                .with_for_update()).scalars().first()
                if row is None:
                    s.add(SchedulerLease(name=self.name, holder=self.holder, acquired_at=now,
                                         expires_at=now + self.lease))
                elif row.holder == self.holder or _aware(row.expires_at) <= now:
                    if row.holder != self.holder:
                        logger.warning("leader lease: %s's lease expired at %s; taking over", row.holder,
                                       row.expires_at)
                    row.holder, row.acquired_at, row.expires_at = self.holder, now, now + self.lease
                else:
                    return False
                s.commit()
        except IntegrityError:  # another follower inserted the first lease at the same moment
            return False
        except SQLAlchemyError as exc:
            _unreachable("leader lease", exc)
            return False
        self._leading = True
        return True

    def confirm(self) -> bool:
        """Renew the lease if it is still ours and unexpired; otherwise we are no longer the leader."""
        if not self._leading:
            return False
        now = self.clock()
        try:
            with Session(self.engine) as s:
                renewed = s.execute(update(SchedulerLease).where(
                    SchedulerLease.name == self.name, SchedulerLease.holder == self.holder,
                    SchedulerLease.expires_at > now).values(expires_at=now + self.lease)).rowcount
                s.commit()
        except SQLAlchemyError as exc:
            logger.error("leader lease: cannot renew (%s); stepping down", exc.__class__.__name__)
            renewed = 0
        if renewed != 1:
            self._leading = False
        return self._leading

    def release(self) -> None:
        if not self._leading:
            return
        self._leading = False
        try:
            with Session(self.engine) as s:
                # expire it now rather than delete: the row keeps saying who led last
                s.execute(update(SchedulerLease).where(SchedulerLease.name == self.name,
                                                       SchedulerLease.holder == self.holder)
                          .values(expires_at=self.clock()))
                s.commit()
        except SQLAlchemyError:
            pass  # the lease simply runs out

    def close(self) -> None:
        self.release()


def _unreachable(what: str, exc: SQLAlchemyError) -> None:
    """A try to lead that could not reach the database: a warning, unless it is the outage already logged once
    (core/db_outage.py) — followers try every few seconds for as long as it lasts."""
    if is_outage(exc):
        logger.debug("%s: the database is unreachable; will retry", what)
    else:
        logger.warning("%s: cannot reach the database (%s); will retry", what, exc.__class__.__name__)


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def leadership_for(engine: Engine, url: str, holder: str, *, kind: str = "auto",
                   lease: timedelta = timedelta(seconds=30)) -> AdvisoryLockLeadership | LeaseLeadership:
    """Advisory lock on PostgreSQL, lease row elsewhere (`kind` = auto | advisory | lease)."""
    if kind == "advisory" or (kind == "auto" and engine.dialect.name == "postgresql"):
        return AdvisoryLockLeadership(url, holder)
    return LeaseLeadership(engine, holder, lease=lease)

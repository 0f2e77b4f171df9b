"""Engine and sessions. SQLite gets WAL + a busy timeout so threads and processes can share it;
Postgres is used as is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from core.config import get_settings
from core.db_outage import install as outage_hooks
from core.revisions import head_revision

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: more connections than a process has threads (Bolt's 16 listeners, waitress's 8, the background pool): a thread
#: may hold one while it asks for a second (a send reads the item, then refreshes a token), and a pool smaller than
#: the threads can end with every thread holding one and waiting for another until the pool's 30 s timeout
POOL = {"pool_size": 10, "max_overflow": 30}


def make_engine(url: str, **kwargs: object) -> Engine:
    kwargs = kwargs if "poolclass" in kwargs else {**POOL, **kwargs}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets readers run beside one writer; the busy timeout makes a second writer wait, not fail.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    outage_hooks(engine)  # one log line when the server goes away, one when it is back (core/db_outage.py)
    return engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_ignoring(dialect: str, table: Any) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` for `table` (chain `.on_conflict_do_nothing(...)`): a unique key decides
    which of two concurrent writers inserts, and the loser inserts nothing instead of failing."""
    if dialect == "postgresql":
        return pg_insert(table)
    if dialect == "sqlite":
        return sqlite_insert(table)
    raise NotImplementedError(f"ON CONFLICT DO NOTHING is not supported on {dialect}")


def db_status(engine: Engine) -> dict[str, object]:
    """For /healthz: can we reach the database, and is it migrated to head?"""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                rev = None

        return {"ok": True, "dialect": engine.dialect.name, "revision": rev,
                "migrated": rev is not None and rev == head_revision()}
    except SQLAlchemyError as exc:
        return {"ok": False, "dialect": engine.dialect.name, "error": exc.__class__.__name__}

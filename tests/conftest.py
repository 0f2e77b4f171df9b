"""Shared fixtures. `db_url`/`engine` run a test on SQLite and on PostgreSQL (see tests/support/postgres.py)."""

from __future__ import annotations

import os
import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.db import make_engine
from bot.migrate import upgrade
from tests.support.postgres import PrivatePostgres, create_database

# a real key for tests, so code paths that encrypt tokens run for real
os.environ.setdefault("LEDGERLINK_SECRET_KEY", Fernet.generate_key().decode())


@pytest.fixture(scope="session")
def postgres_server_url():
    url = os.environ.get("LEDGERLINK_TEST_POSTGRES_URL")
    server = None
    if not url:
        server = PrivatePostgres()
        try:
            url = server.start()
        except Exception as exc:  # noqa: BLE001 - reported below
            url = None
            reason = f"could not start PostgreSQL: {exc}"
        else:
            reason = "no PostgreSQL binaries (install Debian's postgresql)"
        if url is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI needs PostgreSQL: {reason}")
            pytest.skip(reason)
    yield url
    if server:
        server.stop()


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "ledgerlink.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _migrated_postgres(postgres_server_url):
    url = create_database(postgres_server_url, f"ledgerlink_test_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request):
    """A migrated, empty database URL (tables truncated after each test)."""
    url = request.getfixturevalue(f"_migrated_{request.param}")
    yield url
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()

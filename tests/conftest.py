"""Shared fixtures. `db_url`/`engine` run a test on SQLite and on PostgreSQL (see tests/support/postgres.py)."""

from __future__ import annotations

import os
import uuid

import httpx._transports.default
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from core.db import make_engine
from core.migrate import upgrade
from sync.http.tls import shared_context
from tests.reliability import tally
from tests.support.postgres import PrivatePostgres, create_database

# httpx reads certifi's CA bundle into a new TLS context for every Client and every httpx.get() (10-60 ms of CPU);
# the suite makes thousands of them, all to http://127.0.0.1. Give them the one context Ledgerlink's own clients
# share (sync/http/tls.py); other arguments (verify=False, a context) go through unchanged.
_create_ssl_context = httpx._transports.default.create_ssl_context
httpx._transports.default.create_ssl_context = (
    lambda verify=True, cert=None, trust_env=True: shared_context() if verify is True and cert is None and trust_env
    else _create_ssl_context(verify=verify, cert=cert, trust_env=trust_env))

# a real key for tests, so code paths that encrypt tokens run for real
os.environ.setdefault("LEDGERLINK_SECRET_KEY", Fernet.generate_key().decode())


@pytest.fixture(scope="session")
def postgres_server():
    """The private PostgreSQL server the session started (a tests/support/postgres.PrivatePostgres: tests may
    restart it), or None when LEDGERLINK_TEST_POSTGRES_URL names an external one."""
    if os.environ.get("LEDGERLINK_TEST_POSTGRES_URL"):
        yield None
        return
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
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server_url(postgres_server):
    return postgres_server.url if postgres_server is not None else os.environ["LEDGERLINK_TEST_POSTGRES_URL"]


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
        empty_tables(conn)
    engine.dispose()


def empty_tables(conn: Connection) -> None:
    """Delete every row (and on PostgreSQL restart every id sequence), as a fresh database would have them.

    Only the tables that have rows, children first: PostgreSQL's TRUNCATE of all ~30 tables cost 0.2-0.3 s per
    test (it swaps every table's files), a probe and a few DELETEs cost a few ms."""
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
    used = {row[0] for row in conn.execute(text(probe))}
    for name in tables:
        if name in used:
            conn.execute(text(f"DELETE FROM {name}"))
    if conn.dialect.name == "postgresql":  # setval(.., 1, false): the next id is 1 again (ALTER SEQUENCE RESTART)
        conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                          "FROM pg_sequences WHERE last_value IS NOT NULL"))


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def sandboxes():
    """The QBO and Procore sandboxes, served over HTTP on 127.0.0.1 for the whole session."""
    import sandbox.procore
    import sandbox.qbo
    from tests.support.servers import running_wsgi
    from tests.support.world_remote import Sandboxes

    with running_wsgi(sandbox.qbo.create_app()) as qbo_url, \
            running_wsgi(sandbox.procore.create_app(seed="none")) as procore_url:
        yield Sandboxes(qbo_url=qbo_url, procore_url=procore_url)


@pytest.fixture
def remote_world(engine, sandboxes):
    """A tenant with a fresh QBO realm and a fresh demo Procore company, and a TenantContext to use them."""
    from tests.support.world_remote import RemoteWorld

    return RemoteWorld(engine, sandboxes)


# --- the longest files first ---------------------------------------------------------------------------------------
#: files of a minute or more on a loaded 2-core machine, longest first (`pytest --durations`). `make test` hands
#: whole files to its workers in collection order (--dist loadfile --no-loadscope-reorder; xdist's default
#: reorder puts files with few tests, i.e. these, last): run first, they overlap the many short files instead of
#: leaving one worker alone with one of them at the end.
LONGEST_FILES = (  # seconds in one whole `make test` (2,570 tests, 2 processes, 13 min 44 s), longest first
    "tests/reliability/test_crash.py",  # 116
    "tests/reliability/test_concurrency.py",  # 105
    "tests/reliability/test_bad_input.py",  # 75
    "tests/reliability/test_faults.py",  # 70
    "tests/reliability/test_security_refresh.py",  # 55
    "tests/reliability/test_security.py",  # 50
    "tests/reliability/test_operations.py",  # 48
    "tests/bot/test_startup_errors.py",  # 45
    "tests/bot/test_worker_processes.py",  # 42
    "tests/reliability/test_db_outage.py",  # 42
    "tests/e2e/test_demo_story.py",  # 30
    "tests/bot/test_demo.py",  # 32
    "tests/scenarios/test_slack_pickers.py",  # 20
    "tests/bot/test_cli.py",  # 15
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: files keep order


# --- the reliability summary: one table at the end, totals across pytest-xdist workers ------------------------
def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["reliability_tally"] = tally.counts()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]  # xdist: a worker finished
    tally.merge(getattr(node, "workeroutput", {}).get("reliability_tally", {}))


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workerinput") or not any(tally.snapshot().values()):
        return
    terminalreporter.section("reliability summary")
    for line in tally.table():
        terminalreporter.write_line(line)

"""What every web and worker process imports at start: not the libraries only some commands or calls need (each
costs 0.2-0.5 s of CPU per process, and the suite starts many processes)."""

import subprocess
import sys

#: library -> when it loads instead
DEFERRED = {"alembic": "ledgerlink migrate / run", "fpdf": "a summary sheet drawn", "matplotlib": "a chart drawn",
            "numpy": "a sheet or chart drawn", "intuitlib.client": "a QBO OAuth call",
            "sandbox": "ledgerlink sandbox / run"}


def _loaded(*modules: str) -> set[str]:
    """Every module a fresh interpreter holds after importing `modules` (intuitlib itself is a namespace package
    that site-packages' .pth loads in every interpreter: its `client` is the part that costs)."""
    code = (f"import sys, {', '.join(modules)}\n"
            "print(' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_web_and_worker_start_without_the_deferred_libraries():
    loaded = _loaded("bot.cli", "bot.web", "bot.worker", "bot.observability")
    assert "sqlalchemy" in loaded and "flask" in loaded  # the probe sees real imports
    assert not loaded & set(DEFERRED), {name: DEFERRED[name] for name in loaded & set(DEFERRED)}


def test_the_worker_loads_no_web_framework():
    """The worker posts to Slack with slack_sdk and serves /metrics with prometheus_client: no Flask, no Bolt."""
    loaded = _loaded("bot.cli", "bot.worker", "bot.observability")
    assert {"apscheduler", "slack_sdk", "prometheus_client"} <= loaded
    assert not loaded & {"flask", "werkzeug", "slack_bolt", "waitress", *DEFERRED}


def test_the_cli_alone_loads_no_database_web_or_scheduler():
    """What every command pays (a sandbox process pays nothing more): SQLAlchemy loads only for the commands that
    reach the database; Flask, Bolt and APScheduler only for the roles that serve."""
    loaded = _loaded("bot.cli")
    assert "typer" in loaded
    assert not loaded & {"sqlalchemy", "sqlmodel", "core.models", "sync", "flask", "slack_bolt", "apscheduler",
                         "waitress", *DEFERRED}


def test_tables_leave_their_pydantic_validators_unbuilt():
    """core/models.py's `defer_build`: a process that only loads and writes rows never builds pydantic validators
    for the tables (~60 ms a process); one that asks for validation still gets it."""
    code = ("import core.models as m\n"
            "tables = [c for c in vars(m).values() if getattr(c, '__table__', None) is not None]\n"
            "row = m.Tenant(name='a')\n"
            "row.name = 'b'\n"
            "built = sum(c.__pydantic_complete__ for c in tables)\n"
            "print(len(tables), built, m.Tenant.model_validate({'name': 'c'}).name)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, built, validated = done.stdout.split()
    assert int(count) >= 24 and built == "0" and validated == "c"

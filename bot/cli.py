"""`ledgerlink` — the one command line. Each command wires parts together; the work is done elsewhere.

Every process of Ledgerlink starts here (web, worker, the sandboxes, migrate...), so this module imports only what
every command needs: each command imports its own parts when it runs (~1 s of CPU a process saves: a sandbox needs
no SQLAlchemy, and a start-up error is reported before Flask, Bolt or APScheduler load).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from typing import TYPE_CHECKING

import typer

from bot.startup import StartupError, require_free_port, where
from core import logctx
from core.config import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Ledgerlink: Procore ⇄ QuickBooks Online, approved from Slack.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

SANDBOXES = ("qbo", "procore", "slack")


def _settings(*, needs_key: bool = False) -> Settings:
    """The settings; `needs_key`: a role that encrypts tokens or signs links refuses to start without the key
    (rather than start, say "ok" on /healthz, then fail every connect with a 500)."""
    try:
        settings = get_settings()
        if needs_key:
            settings.require_secret_key()
        return settings
    except SettingsError as exc:
        typer.echo(f"ledgerlink: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic upgrade head)."""
    # CLI start-up: SQLAlchemy and Alembic (~0.3 s) load only for this command
    from sqlalchemy.exc import OperationalError

    from core.migrate import upgrade

    settings = _settings()
    try:
        upgrade(settings.database_url)
    except OperationalError as exc:
        raise StartupError(f"cannot reach the database at {where(settings.database_url)} "
                           f"({type(exc.orig or exc).__name__}): start it or fix DATABASE_URL.") from None
    typer.echo(f"database migrated: {settings.database_url.split('@')[-1]}")


@app.command()
def web(host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(3000, help="Port to listen on."),
        threads: int = typer.Option(8, help="Worker threads (waitress).")) -> None:
    """Serve HTTP: /healthz, /metrics, Slack at /slack/events (when configured), OAuth callbacks and webhooks.
    SIGTERM finishes the requests in flight, then exits 0."""
    settings = _settings()
    engine = _serving_engine(settings)
    require_free_port(host, port)
    from bot.web import serve  # CLI start-up: Flask, Bolt and waitress load only for this command, once checked

    serve(settings, host=host, port=port, threads=threads, engine=engine)


@app.command()
def socket() -> None:
    """Run the Slack app over Socket Mode (SLACK_APP_TOKEN, xapp-…): no public URL needed."""
    from bot.socket_mode import serve  # CLI start-up: Slack's Socket Mode client loads only here

    raise typer.Exit(serve(_settings(needs_key=True)))


@app.command()
def worker(metrics_port: int | None = typer.Option(None, help="Serve Prometheus metrics on this port."),
           metrics_host: str = typer.Option("127.0.0.1", help="Interface of the metrics port.")) -> None:
    """Run the scheduler (in the one worker that leads) and the outbox drain, until SIGTERM or Ctrl-C."""
    settings = _settings()
    engine = _serving_engine(settings)
    if metrics_port is not None:
        require_free_port(metrics_host, metrics_port, "--metrics-port")
    # CLI start-up: APScheduler, the engine, Flask and prometheus load only for the worker, once checked
    from bot.observability import serve_metrics
    from bot.worker import serve

    if metrics_port is not None:
        serve_metrics(engine, metrics_port, metrics_host)
    raise typer.Exit(serve(settings))


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every stored secret with the newest key of LEDGERLINK_SECRET_KEYS (then the old keys can go)."""
    from bot.rotation import rotate_all  # CLI start-up: loads only for this command
    from core.db import engine_for  # CLI start-up: SQLAlchemy loads only for commands that reach the database

    settings = _settings(needs_key=True)
    counts = rotate_all(engine_for(settings.database_url), settings.require_secret_key())
    for what, n in counts.items():
        typer.echo(f"{what}: {n} re-encrypted")
    typer.echo("every secret now uses the newest key; older keys can be removed from LEDGERLINK_SECRET_KEYS")


@app.command()
def run(port: int = typer.Option(3000, help="Port of the page you open (the Slack sandbox)."),
        web_port: int = typer.Option(3001, help="Port of the web role (Slack events, OAuth, webhooks)."),
        qbo_port: int = typer.Option(8081, help="Port of the QuickBooks Online sandbox."),
        procore_port: int = typer.Option(8082, help="Port of the Procore sandbox."),
        host: str = typer.Option("127.0.0.1", help="Interface every part listens on."),
        reset: bool = typer.Option(False, "--reset", help="Forget the demo data and secrets; start over.")) -> None:
    """The demo on one machine: migrate, seed a demo tenant once, start the sandboxes, web and worker."""
    from bot import demo  # CLI start-up: the demo and its sandboxes load only when it runs

    _settings()
    try:
        code = demo.run(demo.Ports(slack=port, web=web_port, qbo=qbo_port, procore=procore_port), host=host,
                        do_reset=reset, echo=lambda line: typer.echo(line))
    except demo.DemoError as exc:
        typer.echo(f"ledgerlink run: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                               "help_option_names": []})
def sandbox(ctx: typer.Context, name: str = typer.Argument("", help="qbo | procore | slack")) -> None:
    """Run one local emulator: `ledgerlink sandbox qbo --help` lists its options."""
    if name in ("", "--help", "-h"):
        typer.echo("usage: ledgerlink sandbox {qbo,procore,slack} [options]   (options: add --help after the name)")
        raise typer.Exit(0 if name else 2)
    if name not in SANDBOXES:
        typer.echo(f"ledgerlink: unknown sandbox {name!r}; choose one of {', '.join(SANDBOXES)}", err=True)
        raise typer.Exit(2)
    module = importlib.import_module(f"sandbox.{name}")
    raise typer.Exit(module.main(list(ctx.args)) or 0)


@app.command()
def sync(job: str = typer.Argument(..., help="The job to run now; `ledgerlink sync list` lists them."),
         tenant: int | None = typer.Option(None, help="Tenant id (default: the only tenant)."),
         dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing.")) -> None:
    """Run one sync job now; --dry-run prints what it would create, update or link, per record."""
    # CLI start-up: the sync engine (both API clients, the models) loads only for this command
    from bot.preflight import require_database
    from core.db import engine_for
    from sync import context as sync_context
    from sync.jobs import base as jobs_base

    settings = _settings()
    jobs = jobs_base.load_jobs()
    if job == "list":
        for name in sorted(jobs):
            typer.echo(f"{name:<16} {jobs[name].description}")
        return
    if job not in jobs:
        typer.echo(f"ledgerlink: unknown job {job!r}; choose one of: {', '.join(sorted(jobs)) or '(none yet)'}",
                   err=True)
        raise typer.Exit(2)
    engine = engine_for(settings.database_url)
    require_database(engine, settings.database_url)
    tenant_id = tenant if tenant is not None else _only_tenant(engine)
    ctx = sync_context.TenantContext(engine=engine, tenant_id=tenant_id, settings=settings,
                                     tokens=sync_context.token_store(engine, settings))
    try:
        report = jobs_base.run_job(ctx, job, dry_run=dry_run)
    except sync_context.NotConnected as exc:
        typer.echo(f"ledgerlink: {exc}", err=True)
        raise typer.Exit(1) from None
    for line in report.lines():
        typer.echo(line)
    typer.echo(report.summary())


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="One JSON object, for scripts."),
           tenant: int | None = typer.Option(None, help="Only this tenant."),
           local: bool = typer.Option(False, "--local", help="Only the database: skip Slack auth.test and the "
                                                            "Procore webhook listing.")) -> None:
    """Health at a glance: configuration, database, connections, Slack, webhooks, leader, outbox, last job runs.
    Exit code 1 when something needs a person."""
    from bot.status import safe_collect  # CLI start-up: the status report reaches every client; loads only here
    from core.db import engine_for  # CLI start-up: SQLAlchemy loads only for commands that reach the database

    settings = _settings()
    report = safe_collect(settings, engine_for(settings.database_url), remote=not local, tenant_id=tenant)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        for line in report.table():
            typer.echo(line)
    raise typer.Exit(1 if report.needs_person else 0)


def _serving_engine(settings: Settings) -> Engine:
    """`bot.preflight.serving_engine`: the key, then the database, each missing one named in a sentence."""
    from bot.preflight import serving_engine  # CLI start-up: SQLAlchemy loads only for commands that reach the DB

    return serving_engine(settings)


def _only_tenant(engine: Engine) -> int:
    # CLI start-up: the models load only for the commands that read them
    from sqlmodel import Session, select

    from core.models import Tenant

    with Session(engine) as s:
        tenants = list(s.exec(select(Tenant)))
    if len(tenants) != 1:
        names = ", ".join(f"{t.id} ({t.name})" for t in tenants) or "none yet"
        typer.echo(f"ledgerlink: say which tenant with --tenant; tenants: {names}", err=True)
        raise typer.Exit(2)
    return tenants[0].id


def main(argv: list[str] | None = None) -> None:
    try:
        logctx.configure(os.environ.get("LEDGERLINK_LOG_LEVEL", "INFO").upper())
    except ValueError as exc:  # a bad LEDGERLINK_LOG_FORMAT / LEVEL: say so and carry on in text at INFO
        logctx.configure("INFO", "text")
        logging.getLogger("ledgerlink").warning("%s", exc)
    try:
        app(args=argv, prog_name="ledgerlink")
    except SettingsError as exc:
        print(f"ledgerlink: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except StartupError as exc:
        print(f"ledgerlink: {exc}", file=sys.stderr)
        sys.exit(2)

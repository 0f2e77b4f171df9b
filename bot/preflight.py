"""Checks a long-running command makes before it starts, each failing with one sentence that says what to run or
set (the CLI prints it and exits 2): a missing setting, an unreachable or unmigrated database, a taken port."""

from __future__ import annotations

import errno
import socket

from sqlalchemy import Engine

from core.config import Settings, SettingsError
from core.db import db_status


class StartupError(Exception):
    """Why a command cannot start, as one sentence for a person."""


def where(database_url: str) -> str:
    """The database URL without its password."""
    scheme, _, rest = database_url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}" if "@" in rest else database_url


def require_secret_key(settings: Settings) -> None:
    try:
        settings.require_secret_key()
    except SettingsError:
        raise StartupError("LEDGERLINK_SECRET_KEY is not set: it encrypts the QuickBooks and Procore tokens; create "
                           "one with `python -c 'from cryptography.fernet import Fernet; "
                           "print(Fernet.generate_key().decode())'` and set it (keep it: tokens saved with it can "
                           "only be read with it).") from None


def require_database(engine: Engine, database_url: str) -> dict[str, object]:
    """The database answers and is migrated to the newest revision; returns `db_status`."""
    status = db_status(engine)
    if not status["ok"]:
        raise StartupError(f"cannot reach the database at {where(database_url)} ({status.get('error')}): start it "
                           "or fix DATABASE_URL.")
    if not status["migrated"]:
        state = "has no Ledgerlink tables" if status.get("revision") is None else \
            f"is at revision {status['revision']}, older than this version's"
        raise StartupError(f"the database at {where(database_url)} {state}: run `ledgerlink migrate`.")
    return status


def require_free_port(host: str, port: int, flag: str = "--port") -> None:
    """Fail early (before building the app) when something already listens on host:port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does: TIME_WAIT is not "taken"
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise StartupError(f"port {port} on {host} is taken (or not allowed): stop what uses it or "
                                   f"choose another with {flag}.") from None
            raise StartupError(f"cannot listen on {host}:{port} ({exc.strerror}): check --host.") from None


def check_serving(settings: Settings, engine: Engine) -> None:
    """What `ledgerlink web` and `ledgerlink worker` need before they start."""
    require_secret_key(settings)
    require_database(engine, settings.database_url)

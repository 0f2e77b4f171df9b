"""Checks a long-running command makes before it starts, each failing with one sentence that says what to run or
set (the CLI prints it and exits 2): a missing setting, an unreachable or unmigrated database. A taken port and the
error itself are in bot/startup.py (no SQLAlchemy there: every command imports it)."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.startup import StartupError, where
from core.config import Settings, SettingsError
from core.db import db_status, engine_for


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


def serving_engine(settings: Settings) -> Engine:
    """The engine of `ledgerlink web` / `worker`, once what they need is checked: the key, then the database (each
    missing one named in a sentence)."""
    require_secret_key(settings)
    engine = engine_for(settings.database_url)
    require_database(engine, settings.database_url)
    return engine

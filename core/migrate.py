"""Alembic, driven from code so `ledgerlink migrate` needs no alembic.ini on the path. Only what migrates imports
this module (Alembic costs ~0.3 s at import); the head revision a start-up check needs is in core/revisions.py."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def alembic_head() -> str | None:
    """Alembic's own answer (tests compare `core.revisions.head_revision` with it)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()

"""`ledgerlink sync cost-codes --dry-run` prints one line per record and writes nothing."""

from __future__ import annotations

from types import SimpleNamespace

from sqlmodel import Session, select
from typer.testing import CliRunner

import bot.cli
import sync.context
from core.models import Item, OutboxEntry
from sync import binder


def test_cli_dry_run_prints_per_record_lines(remote_world, db_url, monkeypatch):
    world = remote_world
    project = sorted(world.ctx.procore.list_projects(), key=lambda p: p.id)[0]
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "project", project.id, "58")
        s.commit()
    monkeypatch.setattr(bot.cli, "_settings", lambda: SimpleNamespace(database_url=db_url))
    monkeypatch.setattr(sync.context, "token_store", lambda engine, settings: None)
    monkeypatch.setattr(sync.context, "TenantContext", lambda **kwargs: world.ctx)
    result = CliRunner().invoke(bot.cli.app, ["sync", "cost-codes", "--dry-run", "--tenant", str(world.tenant.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "create     cost code item: 03-300 Cast-in-place Concrete — ready to send for acceptance" in lines
    assert any(line.startswith("skip       QBO Item: 2024-001-03-300.S (2024-001 Riverside Medical Office Building, "
                               "03-300 × Subcontract) — 03-300 is not an ERP standard cost code yet") for line in lines)
    assert lines[-1].startswith("cost-codes (dry run): ")
    with Session(world.engine) as s:
        assert s.exec(select(Item)).all() == [] and s.exec(select(OutboxEntry)).all() == []

"""Fixtures (a pytest plugin) for scenarios on a linked remote world: its projects and companies linked to
QuickBooks, the invoices and vendors Ledgerlink already knew, and the Slack app over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.web import create_web_app
from core.config import Settings, load_settings
from sync.jobs.base import run_job
from tests.support.servers import running_wsgi
from tests.sync.writes.money_links import link_world


# unique names: a plugin's fixtures are seen by every test module, and `world` / `slack` are others' too
@pytest.fixture
def linked_world(remote_world):
    remote_world.links = link_world(remote_world)
    run_job(remote_world.ctx, "sub-invoices")  # what Ledgerlink knew before
    run_job(remote_world.ctx, "vendors")
    return remote_world


@pytest.fixture
def linked_slack(linked_world, slack_for):
    return slack_for(linked_world, context_for=lambda _tenant: linked_world.ctx)


@contextmanager
def web_role(world, monkeypatch, secret: str) -> Iterator[tuple[str, Settings]]:
    """Ledgerlink's web role (webhooks only, no Slack) on a free port: its base URL and settings."""
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None, DATABASE_URL="sqlite://", PROCORE_WEBHOOK_SECRET=secret)
    with running_wsgi(create_web_app(settings, engine=world.engine)) as base:
        yield base, settings

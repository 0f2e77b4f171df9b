"""The web role with both webhook secrets set, over real HTTP (a plugin: name it in `pytest_plugins`)."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session

from bot.web import create_web_app
from core.config import load_settings
from core.models import Tenant
from tests.reliability.support_input import PROCORE_SECRET, QBO_VERIFIER
from tests.support.servers import running_wsgi


@pytest.fixture
def hooks_web(engine, monkeypatch):
    """(client, engine): the web app on 127.0.0.1; a tenant with QBO realm 4620 and Procore company 4264."""
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None, DATABASE_URL=engine.url.render_as_string(hide_password=False),
                             QBO_WEBHOOK_VERIFIER_TOKEN=QBO_VERIFIER, PROCORE_WEBHOOK_SECRET=PROCORE_SECRET)
    with Session(engine) as s:
        s.add(Tenant(name="Summit Builders", qbo_realm_id="4620", procore_company_id=4264))
        s.commit()
    with running_wsgi(create_web_app(settings, engine=engine)) as base, httpx.Client(base_url=base,
                                                                                    timeout=30) as http:
        yield http, engine

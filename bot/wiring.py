"""The Slack app's parts, built in one place from `Settings`: notifier, workflow, TenantContext factory, bound to
the Bolt app as `Services` (bot/app.py, the entry point, calls `build_services`)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.engine_setup import context_factory
from bot.notify import Notifier
from bot.services.runtime import Services, bind
from bot.slack_clients import client_factory, links_for
from core.config import Settings
from core.domain.workflow import Workflow


def build_services(app: Any, settings: Settings, engine: Engine, client: WebClient, *, multi_workspace: bool,
                   **overrides: Any) -> Services:
    """Make the app's Services (notifier, workflow, TenantContext factory…) and bind them to `app`."""
    links = overrides.pop("links", None) or links_for(settings)
    client_for = client_factory(settings, engine, None if multi_workspace else client)
    if "context_for" not in overrides:
        overrides["context_for"] = context_factory(engine, settings) if settings.optional_secret_key() else None
    services = Services(engine=engine, settings=settings, links=links, workflow=Workflow(engine),
                        notifier=Notifier(engine, client_for, links=links, public_url=settings.public_url,
                                          secret_key=settings.optional_secret_key()),
                        claim_single_tenant=not multi_workspace, **overrides)
    bind(app, services)
    return services

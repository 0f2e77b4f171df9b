"""Small builders that turn settings into the things the Slack side needs: plain construction from `Settings`,
plus the two engine calls the Slack side makes through here (the export hook of an item type, rescheduling)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from blocks.links import PROCORE_WEB, Links, qbo_app_for
from bot import scheduler
from core.config import Settings
from core.models import Tenant
from sync.services import exports

logger = logging.getLogger(__name__)


def links_for(settings: Settings) -> Links:
    """Procore and QuickBooks web bases: PROCORE_WEB_URL / QBO_APP_URL, else the vendors' own."""
    return Links(procore_web=settings.procore_web_url or PROCORE_WEB,
                 qbo_app=settings.qbo_app_url or qbo_app_for(settings.qbo_environment))


def context_factory(engine: Engine, settings: Settings) -> Callable[[int], Any]:
    """tenant id → TenantContext with clients made from the tenant's stored connections."""
    from sync.context import TenantContext, token_store

    cache: dict[str, Any] = {}

    def context_for(tenant_id: int) -> Any:
        if "tokens" not in cache:
            cache["tokens"] = token_store(engine, settings)
        return TenantContext(engine=engine, tenant_id=tenant_id, settings=settings, tokens=cache["tokens"])

    return context_for


def bot_client(settings: Settings, token: str | None = None) -> WebClient:
    from bot.app import make_web_client

    return make_web_client(settings, token)


def client_factory(settings: Settings, engine: Engine, default: WebClient | None = None) -> Callable[[int], WebClient]:
    """tenant id → WebClient: the one bot token, or the tenant's workspace installation (multi-workspace)."""
    if settings.slack_bot_token or default is not None:
        client = default or bot_client(settings)
        return lambda _tenant_id: client
    from bot.services.slack_install import installation_store

    store = installation_store(settings, engine)

    def for_tenant(tenant_id: int) -> WebClient:
        with Session(engine) as s:
            tenant = s.get(Tenant, tenant_id)
            team = tenant.slack_team_id if tenant else None
        installation = store.find_installation(enterprise_id=None, team_id=team) if team else None
        if installation is None or not installation.bot_token:
            raise LookupError(f"tenant {tenant_id} has no Slack installation (team {team})")
        return bot_client(settings, installation.bot_token)

    return for_tenant


def export_hook(item_type: str) -> Callable[..., None]:
    """The engine's hook for accepting an item type (sync.services.exports): it queues the outbox write in the
    decision's transaction, or says (InvalidInput) that the type can't be exported yet."""
    return exports.export_hook(item_type)


def reschedule(tenant_id: int, engine: Engine | None = None) -> bool:
    """Ask the scheduler to pick up new settings at once (bot.scheduler.reschedule_tenant)."""
    try:
        scheduler.reschedule_tenant(tenant_id, engine=engine)
    except Exception:  # noqa: BLE001 - the settings are saved; the worker applies them on its next start
        logger.exception("rescheduling tenant %s failed", tenant_id)
        return False
    return True


def build_services(app: Any, settings: Settings, engine: Engine, client: WebClient, *, multi_workspace: bool,
                   **overrides: Any) -> Any:
    """Make the app's Services (notifier, workflow, TenantContext factory…) and bind them to `app`."""
    from bot.notify import Notifier
    from bot.services.runtime import Services, bind
    from core.domain.workflow import Workflow

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


def engine_outbox(engine: Engine, operations: Any, *, context_for: Callable[[int], Any], worker_id: str,
                  claim_timeout: timedelta | None = None) -> Any:
    """The outbox the worker, the Slack app and the demo all run: bulk Bills go 30 to a QBO /batch request, and
    the owner-invoice summary sheet renderer (blocks/, which sync/ may not import) is installed."""
    from blocks.pdf import render_summary_sheet
    from sync.writes.batching import BatchingOutbox
    from sync.writes.invoices import use_sheet_renderer

    use_sheet_renderer(render_summary_sheet)
    extra = {"claim_timeout": claim_timeout} if claim_timeout is not None else {}
    return BatchingOutbox(engine, operations, context_for=context_for, worker_id=worker_id, **extra)

"""Slack Web API clients and web links, made from `Settings`: the one bot token, or each workspace's installation."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy import Engine
from sqlmodel import Session

from blocks.links import PROCORE_WEB, Links, qbo_app_for
from bot.observability import count_slack_calls
from bot.slack_install import installation_store
from core.config import Settings
from core.models import Tenant


def make_web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Slack Web API client with slack_sdk's own retry handlers (429 and dropped connections)."""
    bot_token = token or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None)
    client = WebClient(token=bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=2),
                                  ConnectionErrorRetryHandler(max_retry_count=2)])
    return count_slack_calls(client)


def links_for(settings: Settings) -> Links:
    """Procore and QuickBooks web bases: PROCORE_WEB_URL / QBO_APP_URL, else the vendors' own."""
    return Links(procore_web=settings.procore_web_url or PROCORE_WEB,
                 qbo_app=settings.qbo_app_url or qbo_app_for(settings.qbo_environment))


def client_factory(settings: Settings, engine: Engine, default: WebClient | None = None) -> Callable[[int], WebClient]:
    """tenant id → WebClient: the one bot token, or the tenant's workspace installation (multi-workspace)."""
    if settings.slack_bot_token or default is not None:
        client = default or make_web_client(settings)
        return lambda _tenant_id: client
    store = installation_store(settings, engine)

    def for_tenant(tenant_id: int) -> WebClient:
        with Session(engine) as s:
            tenant = s.get(Tenant, tenant_id)
            team = tenant.slack_team_id if tenant else None
        installation = store.find_installation(enterprise_id=None, team_id=team) if team else None
        if installation is None or not installation.bot_token:
            raise LookupError(f"tenant {tenant_id} has no Slack installation (team {team})")
        return make_web_client(settings, installation.bot_token)

    return for_tenant

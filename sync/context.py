"""Everything a sync job or an outbox operation needs for one tenant: database, clients, workflow.

Clients are made lazily from the tenant's stored connections (tokens through the rotation-safe
`TokenStore`), so a job that only reads Procore never touches QBO's credentials. Tests build a context
with clients pointed at the sandboxes; production builds it from settings — the same code either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from core.config import Settings
from core.crypto import SecretBox
from core.domain.workflow import Workflow
from core.models import Tenant
from sync.procore.client import ProcoreClient
from sync.procore.oauth import ProcoreOAuth
from sync.qbo.client import QboClient
from sync.qbo.oauth import QboOAuth
from sync.tokens import TokenStore


class NotConnected(LookupError):
    """The tenant has no working connection to a provider; the message says how to connect."""


def token_store(engine: Engine, settings: Settings) -> TokenStore:
    """A TokenStore with every provider's refresher registered."""
    store = TokenStore(engine, SecretBox(settings.require_secret_key()))
    if settings.qbo_client_id and settings.qbo_client_secret:
        store.register_refresher("qbo", QboOAuth.from_settings(settings).refresh)
    if settings.procore_client_id and settings.procore_client_secret:
        ProcoreOAuth.from_settings(settings).register(store)
    return store


@dataclass
class TenantContext:
    engine: Engine
    tenant_id: int
    settings: Settings | None = None
    tokens: TokenStore | None = None
    qbo_client: QboClient | None = None  # given directly in tests; otherwise made from the connection
    procore_client: ProcoreClient | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def workflow(self) -> Workflow:
        return Workflow(self.engine)

    def tenant(self) -> Tenant:
        with Session(self.engine) as s:
            tenant = s.get(Tenant, self.tenant_id)
            if tenant is None:
                raise LookupError(f"tenant {self.tenant_id} does not exist")
            return tenant

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @property
    def qbo(self) -> QboClient:
        if self.qbo_client is None:
            self.qbo_client = QboClient.for_connection(self._store(), self._connection("qbo"),
                                                       settings=self.settings)
        return self.qbo_client

    @property
    def procore(self) -> ProcoreClient:
        if self.procore_client is None:
            self.procore_client = ProcoreClient.for_connection(self._store(), self._connection("procore"),
                                                               settings=self.settings)
        return self.procore_client

    def _store(self) -> TokenStore:
        if self.tokens is None:
            if self.settings is None:
                raise NotConnected("no settings to build a token store from")
            self.tokens = token_store(self.engine, self.settings)
        return self.tokens

    def _connection(self, provider: str) -> int:
        info = self._store().find(tenant_id=self.tenant_id, provider=provider)
        label = {"qbo": "QuickBooks", "procore": "Procore"}[provider]
        if info is None:
            raise NotConnected(f"{label} is not connected yet: an admin can run `/ledgerlink connect {provider}`.")
        if info.status != "active":
            why = info.status_detail or info.status
            raise NotConnected(f"The {label} connection needs to be re-authorised ({why}): an admin can run "
                               f"`/ledgerlink connect {provider}`.")
        return info.id

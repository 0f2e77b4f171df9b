"""A tenant wired to live QBO and Procore sandboxes over real HTTP on 127.0.0.1.

`RemoteWorld` creates a fresh QBO realm (Intuit-style sample data) and a fresh Procore company (the demo
seed) for each test, a Tenant row linked to both, and a `TenantContext` whose clients talk to the sandboxes
with bearer tokens minted by the sandboxes' admin endpoints — the same client code as production.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlmodel import Session

from core.models import Tenant, TenantSettings
from sync.context import TenantContext
from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry
from sync.procore.client import ProcoreClient
from sync.qbo.client import QboClient
from tests.support.factories import World


@dataclass
class Sandboxes:
    qbo_url: str
    procore_url: str

    def qbo_admin(self, path: str, **json) -> dict:
        r = httpx.post(f"{self.qbo_url}/_sandbox/{path}", json=json, timeout=30)
        r.raise_for_status()
        return r.json()

    def procore_admin(self, path: str, **json) -> dict:
        r = httpx.post(f"{self.procore_url}/_sandbox/{path}", json=json, timeout=60)
        r.raise_for_status()
        return r.json()

    def qbo_requests(self, realm_id: str) -> dict:
        return httpx.get(f"{self.qbo_url}/_sandbox/requests", params={"realm_id": realm_id}, timeout=30).json()

    def procore_requests(self) -> dict:
        return httpx.get(f"{self.procore_url}/_sandbox/requests", timeout=30).json()


class RemoteWorld(World):
    """`World` (people, settings) plus a QBO realm and a Procore company behind a TenantContext."""

    def __init__(self, engine, sandboxes: Sandboxes, *, procore_seed: str = "demo", **kwargs) -> None:
        super().__init__(engine, **kwargs)
        self.sandboxes = sandboxes
        self.realm_id = sandboxes.qbo_admin("realms")["realm_id"]
        qbo_token = sandboxes.qbo_admin("tokens", realm_id=self.realm_id)["access_token"]
        company = sandboxes.procore_admin("companies", name=f"{self.tenant.name} {self.tenant.id}",
                                          seed=procore_seed)
        self.company_id = int(company["id"])
        procore_token = sandboxes.procore_admin("tokens", company_ids=[self.company_id])["access_token"]
        with Session(engine) as s:
            tenant = s.get(Tenant, self.tenant.id)
            tenant.qbo_realm_id, tenant.procore_company_id = self.realm_id, self.company_id
            s.add(tenant)
            s.commit()
        registry = LimiterRegistry()  # each world gets its own limiter state
        self.ctx = TenantContext(
            engine=engine, tenant_id=self.tenant.id,
            qbo_client=QboClient(realm_id=self.realm_id, tokens=StaticToken(qbo_token),
                                 base_url=sandboxes.qbo_url, registry=registry),
            procore_client=ProcoreClient(base_url=sandboxes.procore_url, tokens=StaticToken(procore_token),
                                         company_id=self.company_id, registry=registry),
        )

    def settings_row(self, session: Session) -> TenantSettings:
        return session.get(TenantSettings, self.tenant.id)

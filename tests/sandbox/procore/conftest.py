"""A Procore sandbox on a real 127.0.0.1 port per test, with helpers for tokens, scoped clients and admin calls."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.procore import create_app
from tests.support.servers import running_wsgi

COMPANY = 4278
OTHER = 5012


class Harness:
    def __init__(self, app, url: str) -> None:
        self.app = app
        self.url = url
        self.admin = httpx.Client(base_url=f"{url}/_sandbox", timeout=15)
        self.http = httpx.Client(base_url=url, timeout=15)
        self._clients: list[httpx.Client] = [self.admin, self.http]

    def token(self, company_ids=(COMPANY,), **extra) -> dict:
        body = {"company_ids": list(company_ids) if company_ids is not None else None, **extra}
        response = self.admin.post("/tokens", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def api(self, company: int | None = COMPANY, token: str | None = None, companies=None) -> httpx.Client:
        token = token or self.token(companies or [COMPANY if company is None else company])["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        if company is not None:
            headers["Procore-Company-Id"] = str(company)
        client = httpx.Client(base_url=f"{self.url}/rest/v1.0", headers=headers, timeout=15)
        self._clients.append(client)
        return client

    def config(self, **patch) -> dict:
        response = self.admin.post("/config", json=patch)
        assert response.status_code == 200, response.text
        return response.json()

    def records(self, table: str) -> list[dict]:
        return self.admin.get(f"/records/{table}").json()

    def project(self, company: int = COMPANY, index: int = 0) -> dict:
        return [p for p in self.records("projects") if p["company_id"] == company][index]

    def close(self) -> None:
        for client in self._clients:
            client.close()


class _Swappable:
    """One server for the session; each test plugs in a freshly seeded sandbox app."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _server() -> Iterator[tuple[_Swappable, str]]:
    swappable = _Swappable()
    with running_wsgi(swappable) as url:
        yield swappable, url


@pytest.fixture
def sandbox(_server) -> Iterator[Harness]:
    swappable, url = _server
    app = swappable.app = create_app()
    harness = Harness(app, url)
    try:
        yield harness
    finally:
        harness.close()
        app.extensions["procore_sandbox"].close()

"""A QBO sandbox on real HTTP (127.0.0.1) per test module, a fresh seeded company per test."""

from __future__ import annotations

import httpx
import pytest

from sandbox.qbo import create_app
from tests.support.servers import running_wsgi


class Qbo:
    """Thin helper over httpx for one company of the sandbox."""

    def __init__(self, base: str, client: httpx.Client) -> None:
        self.base = base
        self.http = client
        self.realm = client.post(f"{base}/_sandbox/realms", json={}).json()["realm_id"]
        tokens = client.post(f"{base}/_sandbox/tokens", json={"realm_id": self.realm}).json()
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    @property
    def api_base(self) -> str:
        return f"{self.base}/v3/company/{self.realm}"

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(self.api_base + path, headers=self.headers(), **kwargs)

    def post(self, path: str, body=None, **kwargs) -> httpx.Response:
        return self.http.post(self.api_base + path, json=body, headers=self.headers(), **kwargs)

    def create(self, entity: str, body: dict, **params) -> dict:
        response = self.post(f"/{entity.lower()}", body, params={"minorversion": "75", **params})
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def query(self, text: str) -> httpx.Response:
        return self.get("/query", params={"query": text, "minorversion": "75"})

    def rows(self, text: str, entity: str) -> list[dict]:
        response = self.query(text)
        assert response.status_code == 200, response.text
        return response.json()["QueryResponse"].get(entity, [])

    def admin(self, path: str, body: dict | None = None) -> dict:
        response = self.http.post(f"{self.base}/_sandbox{path}", json=body or {})
        assert response.status_code < 300, response.text
        return response.json()

    def requests(self) -> dict:
        return self.http.get(f"{self.base}/_sandbox/requests", params={"realm_id": self.realm}).json()


def fault_of(response: httpx.Response) -> dict:
    body = response.json()
    return body["Fault"]["Error"][0]


@pytest.fixture(scope="module")
def server():
    app = create_app()
    with running_wsgi(app) as base:
        yield base, app


@pytest.fixture
def qbo(server):
    base, app = server
    sb = app.extensions["qbo_sandbox"]
    sb.clock.set_offset(0)
    with httpx.Client(timeout=10) as client:
        client.post(f"{base}/_sandbox/config", json={"limits": False, "time_scale": 1.0, "batch_item_metering": False,
                                                     "fault_rates": {k: 0 for k in ("429", "500", "503", "slow",
                                                                                    "drop_after_commit")},
                                                     "reset_windows": True})
        yield Qbo(base, client)

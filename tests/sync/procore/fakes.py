"""An in-process fake of the parts of Procore a unit test needs, for `httpx.MockTransport`.

It follows procore.md: bare JSON arrays, `page`/`per_page`, `Total`/`Per-Page`/`Link` headers, a 400 when the
`Procore-Company-Id` header is missing on a company-scoped path. Tests add behaviour through `script`, a list of
canned responses served (in order) before the normal handling.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

import httpx

from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry
from sync.http.retry import RetryPolicy
from sync.procore.client import ProcoreClient

BASE = "https://api.procore.test"
COMPANY = 4264
FAST_RETRY = RetryPolicy(max_attempts=4, initial_wait=0.01, max_wait=0.05, jitter=0.0, rate_limit_jitter=0.0)


class FakeProcore:
    def __init__(self, *, vendors: int = 0) -> None:
        self.vendors = [{"id": i, "name": f"Vendor {i}", "is_active": True, "origin_id": None}
                        for i in range(1, vendors + 1)]
        self.requests: list[httpx.Request] = []
        self.stamps: list[float] = []  # time.time() of each request, for rate-limit tests
        self.script: list[httpx.Response | Callable[[httpx.Request], httpx.Response]] = []
        self.routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.stamps.append(time.time())
        if self.script:
            canned = self.script.pop(0)
            return canned(request) if callable(canned) else canned
        if "Procore-Company-Id" not in request.headers and request.url.path != "/rest/v1.0/companies":
            return httpx.Response(400, json={"errors": "Procore-Company-Id header is required"})
        route = self.routes.get((request.method, request.url.path))
        if route is not None:
            return route(request)
        if request.method == "GET" and request.url.path == "/rest/v1.0/vendors":
            return self.page(request, self.vendors)
        return httpx.Response(404, json={"errors": "Not Found"})

    def page(self, request: httpx.Request, records: list[dict]) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        per_page = int(request.url.params.get("per_page", 100))
        last = max(math.ceil(len(records) / per_page), 1)
        body = records[(page - 1) * per_page: page * per_page]
        links = []
        for rel, number in (("first", 1), ("prev", page - 1), ("next", page + 1), ("last", last)):
            if 1 <= number <= last and not (rel == "prev" and page == 1) and not (rel == "next" and page == last):
                url = request.url.copy_merge_params({"page": number, "per_page": per_page})
                links.append(f'<{url}>; rel="{rel}"')
        headers = {"Total": str(len(records)), "Per-Page": str(per_page), "Link": ", ".join(links)}
        return httpx.Response(200, json=body, headers=headers)

    def client(self, *, company_id: int | None = COMPANY, retry: RetryPolicy = FAST_RETRY,
               **kwargs) -> ProcoreClient:
        return ProcoreClient(base_url=BASE, tokens=kwargs.pop("tokens", StaticToken("tok")), company_id=company_id,
                             transport=httpx.MockTransport(self), retry=retry,
                             registry=kwargs.pop("registry", LimiterRegistry()),
                             rate_limited_pause=kwargs.pop("rate_limited_pause", 0.02), **kwargs)


def json_response(status: int, body, **headers: str) -> httpx.Response:
    if isinstance(body, str | bytes):
        return httpx.Response(status, content=body, headers=headers)
    return httpx.Response(status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json",
                                                                             **headers})

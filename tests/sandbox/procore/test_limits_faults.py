"""Rate-limit headers and 429s, and injected faults: 429/500/503, slow answers, drops after commit."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox.procore import create_app
from tests.sandbox.procore.conftest import COMPANY


def test_rate_limit_headers_on_every_response_even_when_not_enforced(sandbox):
    api = sandbox.api()
    first = api.get("/projects", params={"company_id": COMPANY})
    second = api.get("/projects", params={"company_id": COMPANY})
    assert first.headers["X-Rate-Limit-Limit"] == "3600"
    assert int(second.headers["X-Rate-Limit-Remaining"]) == int(first.headers["X-Rate-Limit-Remaining"]) - 1
    assert int(first.headers["X-Rate-Limit-Reset"]) > time.time()
    assert api.get("/requisitions").headers["X-Rate-Limit-Limit"] == "3600"  # errors carry them too


def test_over_the_limit_is_429_until_the_window_resets(sandbox):
    sandbox.config(rate_limit={"enabled": True, "limit": 3, "window": 60})
    api = sandbox.api()
    remaining = [api.get("/projects", params={"company_id": COMPANY}).headers["X-Rate-Limit-Remaining"]
                 for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = api.get("/projects", params={"company_id": COMPANY})
    assert refused.status_code == 429
    assert refused.headers["Content-Type"].startswith("application/json")
    assert refused.json()["error"]["error"].startswith("You have surpassed the max number of requests")
    reset = int(refused.headers["X-Rate-Limit-Reset"])
    assert refused.headers["X-Rate-Limit-Remaining"] == "0" and reset > time.time()
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other_token = sandbox.api()  # limits are per token
    assert other_token.get("/projects", params={"company_id": COMPANY}).status_code == 200
    sandbox.admin.post("/clock", json={"advance": 61})
    assert api.get("/projects", params={"company_id": COMPANY}).status_code == 200


def test_config_shorthands(sandbox):
    assert sandbox.config(rate_limit=2)["rate_limit"] == {"enabled": True, "limit": 2, "window": 3600,
                                                          "spike_limit": None, "spike_window": 10}
    assert sandbox.config(rate_limit=False)["rate_limit"]["enabled"] is False
    faults = sandbox.config(fault_rate=0.3)["faults"]
    assert faults["503"] == pytest.approx(0.1) and faults["slow"] == 0.0
    assert sandbox.admin.post("/config", json={"faults": {"teapot": 1}}).status_code == 400
    assert sandbox.admin.post("/config", json={"colour": "blue"}).status_code == 400


def test_spike_window_is_reported_when_it_is_closer_to_running_out(sandbox):
    sandbox.config(rate_limit={"enabled": True, "limit": 1000, "window": 3600, "spike_limit": 2, "spike_window": 10})
    api = sandbox.api()
    response = api.get("/projects", params={"company_id": COMPANY})
    assert response.headers["X-Rate-Limit-Limit"] == "2" and response.headers["X-Rate-Limit-Remaining"] == "1"
    api.get("/projects", params={"company_id": COMPANY})
    assert api.get("/projects", params={"company_id": COMPANY}).status_code == 429


def test_queued_faults_hit_matching_requests_only(sandbox):
    sandbox.config(fault_next=[{"kind": "503", "path": "/rest/v1.0/vendors", "count": 2}, {"kind": "500"}])
    api = sandbox.api()
    unavailable = api.get("/vendors", params={"company_id": COMPANY})
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "2"
    assert api.get("/vendors", params={"company_id": COMPANY}).status_code == 503
    assert api.get("/projects", params={"company_id": COMPANY}).status_code == 500
    assert api.get("/vendors", params={"company_id": COMPANY}).status_code == 200
    assert sandbox.admin.get("/config").json()["fault_next"] == []


def test_fault_rates_apply_to_the_api_but_never_to_admin(sandbox):
    sandbox.config(faults={"500": 1.0})
    api = sandbox.api()
    assert {api.get("/projects", params={"company_id": COMPANY}).status_code for _ in range(5)} == {500}
    assert sandbox.admin.get("/requests").status_code == 200
    sandbox.config(faults={"500": 0.0, "429": 1.0})
    limited = api.get("/projects", params={"company_id": COMPANY})
    assert limited.status_code == 429 and limited.headers["X-Rate-Limit-Remaining"] == "0"
    sandbox.config(faults={"429": 0.0})
    assert api.get("/projects", params={"company_id": COMPANY}).status_code == 200


def test_slow_fault_delays_the_answer(sandbox):
    sandbox.config(slow_seconds=0.3, fault_next=[{"kind": "slow"}])
    api = sandbox.api()
    started = time.monotonic()
    assert api.get("/projects", params={"company_id": COMPANY}).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_after_commit_loses_the_answer_but_keeps_the_change(sandbox):
    sandbox.config(fault_next=[{"kind": "drop_after_commit", "method": "POST"}])
    api = sandbox.api()
    with pytest.raises(httpx.TransportError):
        api.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": "Ghost Write LLC"}})
    names = [v["name"] for v in api.get("/vendors", params={"company_id": COMPANY, "per_page": 200}).json()]
    assert "Ghost Write LLC" in names


def test_create_app_options_turn_limits_and_faults_on():
    app = create_app(seed="none", rate_limit=5, fault_rate=0.3)
    config = app.extensions["procore_sandbox"].config.snapshot()
    assert config["rate_limit"]["enabled"] and config["rate_limit"]["limit"] == 5
    assert config["faults"]["500"] == pytest.approx(0.1)
    assert app.extensions["procore_sandbox"].store.all("companies") == []
    with pytest.raises(TypeError):
        create_app(colour="blue")
    direct = create_app(seed="none", webhooks={"duplicate": True}, slow_seconds=0.5)
    assert direct.extensions["procore_sandbox"].config["webhooks"]["duplicate"] is True
    assert direct.extensions["procore_sandbox"].config["slow_seconds"] == 0.5
    short = create_app(seed="none", config={"rate_limit": 7}, fault_rate=0.3)
    assert short.extensions["procore_sandbox"].config["rate_limit"]["limit"] == 7

"""The web role's /metrics (who may scrape it), Slack ack latency, and every Slack Web API call counted."""

from __future__ import annotations

import os

from flask import Flask, jsonify
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.app import make_web_client
from bot.web import create_web_app
from core.config import load_settings
from tests.support.servers import running_wsgi


def settings(url: str, **extra: str):
    return load_settings(_env_file=None, DATABASE_URL=url, LEDGERLINK_SECRET_KEY=os.environ["LEDGERLINK_SECRET_KEY"],
                         **extra)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_metrics_answer_loopback_peers_or_a_bearer_token(db_url):
    client = create_web_app(settings(db_url)).test_client()
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert samples(r.get_data(as_text=True))[("ledgerlink_outbox_rows", (("status", "pending"),))] == 0
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403  # via a proxy
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403

    guarded = create_web_app(settings(db_url, LEDGERLINK_METRICS_TOKEN="m-123")).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert guarded.get("/metrics", environ_base=remote).status_code == 403
    assert guarded.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer nope"}).status_code == 403
    assert guarded.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer m-123"}).status_code == 200


def test_slack_requests_are_timed(tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    client = create_web_app(settings(url)).test_client()
    before = REGISTRY.get_sample_value("ledgerlink_slack_ack_seconds_count") or 0
    client.post("/slack/events", data="payload=%7B%7D")  # Slack is not configured here: 503, still an answer
    client.get("/healthz")  # not a Slack request: not timed
    assert REGISTRY.get_sample_value("ledgerlink_slack_ack_seconds_count") - before == 1


def test_each_slack_api_attempt_is_counted_by_status():
    calls = []
    fake = Flask("fake-slack")

    @fake.post("/api/<method>")
    def api(method: str):
        calls.append(method)
        if len(calls) == 1:
            return jsonify({"ok": False, "error": "ratelimited"}), 429, {"Retry-After": "0"}
        return jsonify({"ok": True, "team": "T", "user": "bot"})

    def count(status: str) -> float:
        return REGISTRY.get_sample_value("ledgerlink_remote_requests_total",
                                         {"provider": "slack", "status": status}) or 0

    before = {s: count(s) for s in ("200", "429")}
    limited = REGISTRY.get_sample_value("ledgerlink_rate_limited_total", {"provider": "slack"}) or 0
    with running_wsgi(fake) as base:
        web = make_web_client(load_settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=f"{base}/api/"))
        assert web.auth_test()["ok"]  # a 429, retried by slack_sdk's own handler, then 200
    assert calls == ["auth.test", "auth.test"]
    assert {s: count(s) - before[s] for s in before} == {"200": 1, "429": 1}
    assert REGISTRY.get_sample_value("ledgerlink_rate_limited_total", {"provider": "slack"}) - limited == 1

"""Fixtures: the Slack sandbox on a real port, a slack_sdk WebClient pointed at it, and a recording "app"."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

import httpx
import pytest
from flask import Flask, request
from slack_sdk import WebClient

from sandbox.slack import create_app
from tests.support.servers import running_wsgi

BOT_TOKEN = "xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


class Switch:
    """One long-lived server per session whose WSGI app each test replaces (fresh state, no port churn)."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _sandbox_server():
    switch = Switch()
    with running_wsgi(switch) as url:
        yield switch, url


@pytest.fixture(scope="session")
def _app_server():
    switch = Switch()
    with running_wsgi(switch) as url:
        yield switch, url


@pytest.fixture
def sandbox_app(_sandbox_server):
    app = create_app(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    _sandbox_server[0].app = app
    return app


@pytest.fixture
def sandbox(sandbox_app):
    return sandbox_app.config["SLACK_SANDBOX"]


@pytest.fixture
def base_url(_sandbox_server, sandbox_app):
    return _sandbox_server[1]


@pytest.fixture
def app_server(_app_server):
    """Serve a WSGI app (the recorder, a Bolt app) at a stable URL: `url = app_server(wsgi)`."""
    switch, url = _app_server

    def serve(wsgi) -> str:
        switch.app = wsgi
        return url

    return serve


@pytest.fixture
def client(base_url) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=f"{base_url}/api/")


@pytest.fixture
def admin(base_url):
    with httpx.Client(base_url=base_url, timeout=10) as http:
        yield http


class Recorder:
    """A stand-in app that records every signed request and answers with `self.reply` (status, body, ctype)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply = (200, "", "text/plain")
        self.delay = 0.0
        self.lock = threading.Lock()

    def wsgi(self) -> Flask:
        app = Flask("recorder")

        @app.post("/slack/events")
        def events():
            raw = request.get_data()
            entry = {"headers": dict(request.headers), "raw": raw, "content_type": request.mimetype}
            if request.mimetype == "application/json":
                entry["json"] = json.loads(raw)
            else:
                form = dict(urllib.parse.parse_qsl(raw.decode()))
                entry["form"] = form
                if "payload" in form:
                    entry["json"] = json.loads(form["payload"])
            with self.lock:
                self.requests.append(entry)
            if self.delay:
                time.sleep(self.delay)
            status, body, ctype = self.reply
            return body, status, {"Content-Type": ctype}

        return app

    @property
    def last(self) -> dict:
        return self.requests[-1]


@pytest.fixture
def recorder(admin, app_server):
    rec = Recorder()
    url = app_server(rec.wsgi())
    admin.post("/_sandbox/config", json={"app_url": f"{url}/slack/events"}).raise_for_status()
    return rec


def channel_id(sandbox, name: str) -> str:
    return sandbox.store.conversation_by_name(name)["id"]


def user_id(sandbox, name: str) -> str:
    return next(u["id"] for u in sandbox.store.users() if u["name"] == name)


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll until `predicate()` is truthy (the app answers some clicks after its ack)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)

"""Real Ledgerlink processes for the reliability suite: `python -m bot worker` and `python -m bot web`, configured
like production (environment variables only) against the test's database and sandboxes, each logging to a file.

`connect` stores a tenant's QuickBooks and Procore connections the way the OAuth callbacks do (encrypted tokens
issued by the sandboxes), so the processes build their clients from the database like in production.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from core.crypto import SecretBox
from sync.tokens import TokenSet, TokenStore
from tests.support.world_remote import Sandboxes

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "ledgerlink-reliability", "reliability-secret"  # the sandboxes accept any pair
#: timings for processes under test: outbox polls and claim take-overs in a second, no scheduled syncs
FAST_SCHEDULER = {"intervals": {}, "tasks": [], "first_run_delay": 1, "follower_poll": 0.2, "heartbeat": 0.2,
                  "lease": 1.5, "requests": 0.5, "events": 0.5, "event_settle": 0.2, "outbox": 0.3,
                  "outbox_claim_timeout": 1.0}
#: seconds a process may take to start answering (its imports, on a 2-core machine shared by the suite's workers,
#: took over 30 s in whole runs): how fast it starts is not what these tests prove
START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(db_url: str, sandboxes: Sandboxes, slack_url: str, *, scheduler: dict | None = None,
            **extra: str) -> dict[str, str]:
    """The environment of a Ledgerlink process pointed at the test's database, sandboxes and Slack sandbox."""
    from tests.handlers.slack_harness import BOT_TOKEN, SIGNING_SECRET  # a pytest plugin: imported once it is one

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "QBO_", "PROCORE_", "LEDGERLINK_")) and k != "DATABASE_URL"}
    env.update(
        PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", DATABASE_URL=db_url,
        LEDGERLINK_SECRET_KEY=os.environ["LEDGERLINK_SECRET_KEY"], LEDGERLINK_LOG_LEVEL="INFO",
        LEDGERLINK_SCHEDULER=json.dumps(scheduler or FAST_SCHEDULER),
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=f"{slack_url}/api/",
        QBO_CLIENT_ID=CLIENT_ID, QBO_CLIENT_SECRET=CLIENT_SECRET, QBO_API_URL=sandboxes.qbo_url,
        QBO_ENVIRONMENT=f"{sandboxes.qbo_url}/.well-known/openid-configuration",
        PROCORE_CLIENT_ID=CLIENT_ID, PROCORE_CLIENT_SECRET=CLIENT_SECRET,
        PROCORE_API_URL=sandboxes.procore_url, PROCORE_LOGIN_URL=sandboxes.procore_url)
    env.update(extra)
    return env


def no_paid_sync(engine: Any, tenant_id: int) -> None:
    """The tenant's paid sync off (it would run in the worker processes alongside what a test watches)."""
    from sqlmodel import Session

    from core.models import TenantSettings

    with Session(engine) as s:
        row = s.get(TenantSettings, tenant_id)
        row.paid_sync_schedule = "never"
        s.add(row)
        s.commit()


def healthy(port: int) -> bool:
    """The web process on `port` answers /healthz with 200."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def token_store(engine: Any) -> TokenStore:
    return TokenStore(engine, SecretBox(os.environ["LEDGERLINK_SECRET_KEY"]))


def connect(world: Any, *, qbo_expires_in: float | None = None) -> dict[str, dict]:
    """Store the world's QuickBooks and Procore connections (fresh sandbox grants, client id CLIENT_ID) as the
    OAuth callbacks would; returns the grants."""
    sb = world.sandboxes
    qbo = sb.qbo_admin("tokens", realm_id=world.realm_id, client_id=CLIENT_ID)
    procore = sb.procore_admin("tokens", company_ids=[world.company_id], expires_in=7200, client_id=CLIENT_ID)
    store = token_store(world.engine)
    store.save(tenant_id=world.tenant.id, provider="qbo", external_id=world.realm_id, tokens=TokenSet.from_expires_in(
        access_token=qbo["access_token"], refresh_token=qbo["refresh_token"],
        expires_in=qbo_expires_in if qbo_expires_in is not None else qbo.get("expires_in"),
        refresh_expires_in=qbo.get("x_refresh_token_expires_in")))
    store.save(tenant_id=world.tenant.id, provider="procore", external_id=str(world.company_id),
               tokens=TokenSet.from_expires_in(access_token=procore["access_token"],
                                               refresh_token=procore.get("refresh_token"),
                                               expires_in=procore.get("expires_in")))
    return {"qbo": qbo, "procore": procore}


class Procs:
    """Ledgerlink processes started by a test, by name; logs in `tmp_path/<name>.log`."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path, self.env = tmp_path, env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=REPO, env={**self.env, **env},
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def worker(self, name: str, **env: str) -> subprocess.Popen:
        return self.start(name, "worker", **env)

    def web(self, name: str, port: int, **env: str) -> subprocess.Popen:
        return self.start(name, "web", "--host", "127.0.0.1", "--port", str(port), **env)

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {n} (pid {p.pid}, exit {p.poll()}) ---\n{self.log(n)[-3000:]}"
                         for n, p in self.procs.items())

    def wait_for(self, predicate: Callable[[], Any], what: str, timeout: float = 30,
                 explain: Callable[[], Any] | None = None) -> Any:
        """Poll until `predicate` is true; on time-out fail with `explain()` (what is left) and the logs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        left = f"\n{explain()}" if explain else ""
        raise AssertionError(f"timed out after {timeout}s waiting for {what}{left}\n{self.logs()}")

    def wait_exit(self, name: str, timeout: float = 30) -> int:
        try:
            return self.procs[name].wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{name} still running after {timeout}s\n{self.logs()}") from None

    def stop(self, name: str, timeout: float = 20) -> int:
        """SIGTERM, as an operator stops it; the exit code."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        return self.wait_exit(name, timeout)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "upgrade"}


class RoundRobin:
    """A load balancer in front of web processes (a WSGI app): each request goes to the next one, as is."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.sent = [0] * len(targets)
        self._next = 0
        self._lock = threading.Lock()
        self.http = httpx.Client(timeout=60)

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        with self._lock:
            n, self._next = self._next, (self._next + 1) % len(self.targets)
            self.sent[n] += 1
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {key[5:].replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["CONTENT-TYPE"] = environ["CONTENT_TYPE"]
        query = f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        r = self.http.request(environ["REQUEST_METHOD"], f"{self.targets[n]}{environ['PATH_INFO']}{query}",
                              content=body, headers=headers)
        start_response(f"{r.status_code} {r.reason_phrase}",
                       [(k, v) for k, v in r.headers.items() if k.lower() not in HOP_BY_HOP])
        return [r.content]

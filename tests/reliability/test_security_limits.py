"""Issue 14, findings 2 and 3: bounded requests, against a real `python -m bot web` (waitress) over real sockets.

- a 300 MB chunked body Slack didn't sign (four at once) must not grow the web process (peak RSS, /proc);
- a Content-Length over the route's limit is answered 413 before the body is sent;
- 150 slow connections held open must not stop /healthz and signed Slack requests answering in under 1 s.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.migrate import upgrade
from tests.reliability import tally
from tests.reliability.support_input import slack_headers
from tests.reliability.support_procs import REPO, Procs, free_port
from tests.support.servers import running_wsgi

pytestmark = pytest.mark.timeout(300)


def _peak_rss_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM): a body read whole and freed again still shows here."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture
def web_process(tmp_path):
    """(base URL, Popen, signing secret): `python -m bot web` on a migrated SQLite file, Slack = the sandbox."""
    from sandbox.slack import create_app as create_sandbox
    from tests.handlers.slack_harness import BOT_TOKEN, SIGNING_SECRET

    db_url = f"sqlite:///{tmp_path / 'web.db'}"
    upgrade(db_url)
    with running_wsgi(create_sandbox(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, users="none")) as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_", "LEDGERLINK_"))}
        env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", DATABASE_URL=db_url,
                   LEDGERLINK_SECRET_KEY=os.environ["LEDGERLINK_SECRET_KEY"], SLACK_BOT_TOKEN=BOT_TOKEN,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=f"{slack}/api/")
        procs = Procs(tmp_path, env)
        port = free_port()
        proc = procs.web("web", port)
        base = f"http://127.0.0.1:{port}"
        try:
            procs.wait_for(lambda: _answers(f"{base}/healthz"), "the web role to answer /healthz")
            yield base, proc, SIGNING_SECRET
        finally:
            procs.stop_all()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    block = b"{" * size
    for _ in range(total // size):
        yield block


def test_large_unsigned_bodies_do_not_grow_the_web_process(web_process):
    base, proc, _ = web_process
    for _ in range(20):  # warm up: imports, thread pools, first requests
        httpx.post(f"{base}/slack/events", content=b"x" * 1000, timeout=10)
    before = _peak_rss_kb(proc.pid)
    answers: list[object] = []

    def send() -> None:
        try:
            r = httpx.post(f"{base}/slack/events", content=_chunks(300 << 20), timeout=60,
                           headers={"Content-Type": "application/json"})
            answers.append(r.status_code)
        except httpx.HTTPError as exc:  # the server stopped reading and closed: what we want
            answers.append(type(exc).__name__)

    senders = [threading.Thread(target=send) for _ in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(120)
    grown_mb = (_peak_rss_kb(proc.pid) - before) / 1024
    print(f"peak RSS growth after 4 x 300 MB unsigned chunked bodies: {grown_mb:.1f} MB; answers {answers}")
    assert grown_mb < 30, f"the web process grew by {grown_mb:.0f} MB"
    assert all(a in (413, 401) or isinstance(a, str) for a in answers), answers

    # a declared Content-Length over the limit: 413 at once, before a byte of the body is sent
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5) as s:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 314572800\r\n\r\n")
        assert s.recv(200).startswith(b"HTTP/1.1 413"), "a too-large Content-Length was not refused up front"
    assert _answers(f"{base}/healthz")
    tally.add("security probes", len(answers) + 1)


def _slow_clients(port: int, n: int) -> list[socket.socket]:
    """`n` clients that started a request and went quiet (half the headers, or the headers and a bit of body)."""
    held = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if i % 2:
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Signature: v0=")
        else:
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n{\"a\": ")
        held.append(s)
    return held


def test_slow_connections_do_not_hold_up_health_and_slack(web_process):
    base, _, secret = web_process
    port = int(base.rsplit(":", 1)[1])
    held = _slow_clients(port, 150)
    try:
        time.sleep(0.5)
        worst = 0.0
        body = json.dumps({"token": "x", "challenge": "still-here", "type": "url_verification"}).encode()
        for _ in range(5):
            with httpx.Client(timeout=5) as http:  # a new connection each time, as a new Slack request would be
                started = time.monotonic()
                assert http.get(f"{base}/healthz").status_code == 200
                r = http.post(f"{base}/slack/events", content=body,
                              headers=slack_headers(body, secret=secret, content_type="application/json"))
                worst = max(worst, time.monotonic() - started)
            assert r.status_code == 200 and "still-here" in r.text, (r.status_code, r.text[:200])
        print(f"150 slow connections open: /healthz + a signed Slack request answered in {worst * 1000:.0f} ms "
              "at worst")
        assert worst < 1.0, f"{worst:.2f} s"
    finally:
        for s in held:
            s.close()
    tally.add("security probes", len(held))

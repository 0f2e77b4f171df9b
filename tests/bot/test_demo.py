"""`ledgerlink run` as a newcomer runs it: a real `python -m bot run` process on free ports in an empty directory.
It seeds the demo, prints where to go, shows approval cards in #accounting; Accept (clicked through the Slack
sandbox as Dana) turns a card into "Synced as Bill …" with the Bill in the QBO sandbox; SIGTERM stops every process;
a second run keeps the data; when one part dies all stop; a taken port is refused in one line."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60


def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def demo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "QBO_", "PROCORE_", "LEDGERLINK_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Demo:
    def __init__(self, cwd: Path, ports: list[int], *extra: str) -> None:
        self.ports = dict(zip(("page", "web", "qbo", "procore"), ports, strict=True))
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--port", str(ports[0]), "--web-port", str(ports[1]),
             "--qbo-port", str(ports[2]), "--procore-port", str(ports[3]), *extra],
            cwd=cwd, env=demo_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match:
        deadline, exited_at = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := re.search(pattern, line):
                    return m
            if self.proc.poll() is not None and exited_at is None:
                exited_at = time.monotonic()  # read what is left of its output, then give up
            elif exited_at is not None and time.monotonic() - exited_at > 1:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.lines[-40:]))

    def children(self) -> list[int]:
        kids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                kids.append(int(stat.parent.name))
        return kids

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    @property
    def slack(self) -> str:
        return f"http://127.0.0.1:{self.ports['page']}"

    @property
    def qbo(self) -> str:
        return f"http://127.0.0.1:{self.ports['qbo']}"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cards(demo: Demo) -> list[dict]:
    r = httpx.get(f"{demo.slack}/_sandbox/messages", params={"channel": "#accounting"}, timeout=10)
    r.raise_for_status()
    return [m for m in r.json()["messages"] if any(
        e.get("action_id") == "item_accept" for b in m.get("blocks", []) for e in b.get("elements", []) or [])]


def text_of(message: dict) -> str:
    return json.dumps(message.get("blocks", []))


@pytest.mark.skipif(sys.platform != "linux", reason="checks child processes through /proc")
def test_run_demo_accept_stop_rerun_and_taken_port(tmp_path):
    ports = free_ports(4)

    # a taken port: one line naming the port and the flag, non-zero exit, nothing started
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports[0]))
        taken.listen()
        busy = Demo(tmp_path, ports)
        assert busy.proc.wait(30) != 0
        busy.wait_for(rf"port {ports[0]} .*already in use.*--port")
    assert not (tmp_path / "ledgerlink.db").exists()

    demo = Demo(tmp_path, ports)
    m = demo.wait_for(r"Open (http://127\.0\.0\.1:(\d+)/\?as=(U\w+)&ts=[\d.]+) — you are Dana \(approver\)\. "
                      r"Try Accept on (.+)\.$")
    # issue 19: the database is under var/demo/, each seed line is printed once, Bolt doesn't warn
    assert (tmp_path / "var" / "demo" / "ledgerlink.db").exists() and not (tmp_path / "ledgerlink.db").exists()
    seeded = [line for line in demo.lines if line.startswith(("  sync ", "2"))]
    assert seeded and not [line for line in seeded if not line.startswith("  sync ")], seeded
    assert int(m.group(2)) == ports[0]
    dana, title = m.group(3), m.group(4)
    assert httpx.get(m.group(1), timeout=10).status_code == 200
    waiting = cards(demo)
    assert len(waiting) >= 3
    card = next(c for c in waiting if title in c["text"])
    assert "awaiting acceptance" in card["text"]

    out = httpx.post(f"{demo.slack}/_sandbox/actions/click", timeout=30, json={
        "user": dana, "channel": "#accounting", "ts": card["ts"], "action_id": "item_accept"}).json()
    assert out["ok"], out
    deadline, synced = time.monotonic() + 30, None
    while time.monotonic() < deadline and synced is None:
        now = next(c for c in cards(demo) + httpx.get(f"{demo.slack}/_sandbox/messages", timeout=10,
                                                      params={"channel": "#accounting"}).json()["messages"]
                   if c["ts"] == card["ts"])
        synced = re.search(r"Synced as [^\"]*?bill\?txnId=(\d+)\|Bill", text_of(now))
        time.sleep(0.3)
    assert synced, text_of(now)
    realm = httpx.get(f"{demo.qbo}/_sandbox/realms", timeout=10).json()["realms"][0]["realm_id"]
    token = httpx.post(f"{demo.qbo}/_sandbox/tokens", json={"realm_id": realm}, timeout=10).json()["access_token"]
    bill = httpx.get(f"{demo.qbo}/v3/company/{realm}/bill/{synced.group(1)}", timeout=10,
                     headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}).json()["Bill"]
    assert bill["DocNumber"] in title

    kids = demo.children()
    assert len(kids) == 5
    assert demo.stop() == 0
    time.sleep(0.5)
    assert [k for k in kids if alive(k)] == []

    # a second run keeps the data: no new tenant, the synced card and the waiting ones are still there
    again = Demo(tmp_path, ports)
    again.wait_for(r"you are Dana \(approver\)")
    assert any("using the existing demo data" in line for line in again.lines)
    assert not any("creating the demo tenant" in line for line in again.lines)
    messages = httpx.get(f"{again.slack}/_sandbox/messages", params={"channel": "#accounting"}, timeout=10).json()
    same = next(c for c in messages["messages"] if c["ts"] == card["ts"])
    assert "Synced as" in text_of(same)
    assert len(cards(again)) == len(waiting) - 1

    # one part dies ⇒ everything stops, with a message naming it, and a non-zero exit
    kids = again.children()
    worker = next(k for k in kids if Path(f"/proc/{k}/cmdline").read_bytes().split(b"\0")[-2] == b"worker")
    os.kill(worker, signal.SIGKILL)
    assert again.proc.wait(30) == 1
    again.wait_for(r"worker exited with code -9; stopping everything")
    time.sleep(0.5)
    assert [k for k in kids if alive(k)] == []

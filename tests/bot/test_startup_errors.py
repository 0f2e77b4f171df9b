"""A command that cannot start says, in one sentence, what to run or set — exit code 2, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "QBO_", "PROCORE_")) and k != "DATABASE_URL"}
    base.update({"PYTHONPATH": str(REPO), "DATABASE_URL": f"sqlite:///{tmp_path}/ll.db", **env})
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=base,
                          cwd=tmp_path, timeout=90)


def one_sentence(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    lines = [line for line in out.stderr.splitlines() if line.startswith("ledgerlink:")]
    assert len(lines) == 1, out.stderr
    return lines[0]


@pytest.mark.parametrize("command", [("web", "--port", "1"), ("worker",), ("sync", "vendors")])
def test_an_unmigrated_database(tmp_path, command):
    line = one_sentence(run(tmp_path, *command))
    assert "has no Ledgerlink tables: run `ledgerlink migrate`." in line


@pytest.mark.parametrize("command", [("web",), ("worker",), ("migrate",)])
def test_an_unreachable_database(tmp_path, command):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = one_sentence(run(tmp_path, *command, DATABASE_URL=f"postgresql://ll:hunter2@127.0.0.1:{port}/ll"))
    assert f"cannot reach the database at postgresql+psycopg://127.0.0.1:{port}/ll" in line
    assert "start it or fix DATABASE_URL" in line and "hunter2" not in line


def test_a_missing_setting(tmp_path):
    upgrade(f"sqlite:///{tmp_path}/ll.db")
    env = {k: v for k, v in os.environ.items() if k != "LEDGERLINK_SECRET_KEY"}
    out = subprocess.run([sys.executable, "-m", "bot", "worker"], capture_output=True, text=True, cwd=tmp_path,
                         env={**{k: v for k, v in env.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_"))},
                              "PYTHONPATH": str(REPO), "DATABASE_URL": f"sqlite:///{tmp_path}/ll.db"}, timeout=90)
    line = one_sentence(out)
    assert line.startswith("ledgerlink: LEDGERLINK_SECRET_KEY is not set") and "Fernet.generate_key()" in line


def test_a_bad_setting(tmp_path):
    line = one_sentence(run(tmp_path, "web", DATABASE_URL="mysql://x"))
    assert "configuration error" in line and "DATABASE_URL" in line


def test_a_taken_port(tmp_path):
    upgrade(f"sqlite:///{tmp_path}/ll.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_sentence(run(tmp_path, "web", "--port", str(port)))
        assert line == (f"ledgerlink: port {port} on 127.0.0.1 is taken (or not allowed): stop what uses it or "
                        "choose another with --port.")
        line = one_sentence(run(tmp_path, "worker", "--metrics-port", str(port)))
        assert "choose another with --metrics-port" in line

"""The CLI as a person runs it: `ledgerlink --help`, `migrate`, then `web` answering /healthz."""

import os
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/ll.db", **extra)
    return env


def test_help_lists_commands(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True,
                         env=_env(tmp_path), cwd=tmp_path, timeout=60)
    assert out.returncode == 0
    for cmd in ("migrate", "web"):
        assert cmd in out.stdout


def test_migrate_then_web_serves_healthz(tmp_path):
    env = _env(tmp_path)
    mig = subprocess.run([sys.executable, "-m", "bot", "migrate"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert mig.returncode == 0, mig.stderr
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "web did not start"
                time.sleep(0.2)
        assert r.status_code == 200
        assert r.json()["database"]["migrated"] is True
        assert r.json()["slack"]["missing"]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert "SLACK_SIGNING_SECRET" in out  # the start-up line names what is missing


def test_each_sandbox_shows_its_own_options(tmp_path):
    for name, flag in (("qbo", "--limits"), ("procore", "--rate-limit"), ("slack", "--app-url")):
        out = subprocess.run([sys.executable, "-m", "bot", "sandbox", name, "--help"], capture_output=True,
                             text=True, env=_env(tmp_path), cwd=tmp_path, timeout=60)
        assert out.returncode == 0 and flag in out.stdout, (name, out.stdout, out.stderr)
    bad = subprocess.run([sys.executable, "-m", "bot", "sandbox", "erp"], capture_output=True, text=True,
                         env=_env(tmp_path), cwd=tmp_path, timeout=60)
    assert bad.returncode == 2 and "unknown sandbox 'erp'" in bad.stderr

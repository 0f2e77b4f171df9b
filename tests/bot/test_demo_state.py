"""`ledgerlink run`'s local state: generated secrets kept across runs, `--reset` forgets them and the data, and the
port check names the flag to change."""

from __future__ import annotations

import socket

import pytest
from cryptography.fernet import Fernet

from bot import demo


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in demo.GENERATED:
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def test_secrets_generated_once_and_kept(here):
    first = demo.ensure_state()
    Fernet(first["LEDGERLINK_SECRET_KEY"].encode())
    assert first["SLACK_BOT_TOKEN"].startswith("xoxb-") and len(first["SLACK_SIGNING_SECRET"]) == 32
    assert demo.ensure_state() == first
    assert (here / "var" / ".gitignore").read_text().strip().endswith("*")
    assert oct((here / "var" / "demo.env").stat().st_mode & 0o777) == "0o600"


def test_reset_forgets_state_and_sqlite(here):
    demo.ensure_state()
    demo.SANDBOX_DIR.mkdir(parents=True)
    (demo.SANDBOX_DIR / "qbo.db").write_text("x")
    (here / "ledgerlink.db").write_text("x")
    demo.reset("sqlite:///ledgerlink.db")
    assert not (here / "ledgerlink.db").exists() and not demo.STATE_FILE.exists()
    assert list(demo.SANDBOX_DIR.iterdir()) == []
    with pytest.raises(demo.DemoError, match="PostgreSQL"):
        demo.reset("postgresql+psycopg://u@h/db")


def test_taken_port_names_the_flag():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(demo.DemoError, match=rf"port {port} \(qbo\) is already in use; .*--qbo-port"):
            demo.Ports(slack=0, web=0, qbo=port, procore=0).check_free()
    with pytest.raises(demo.DemoError, match="both"):
        demo.Ports(slack=5555, web=5555).check_free()


def test_the_page_port_is_named_first_when_several_are_taken():
    with socket.socket() as a, socket.socket() as b:
        for s in (a, b):
            s.bind(("127.0.0.1", 0))
            s.listen()
        web, page = a.getsockname()[1], b.getsockname()[1]
        with pytest.raises(demo.DemoError, match=rf"port {page} \(slack\) is already in use; .*--port N"):
            demo.Ports(slack=page, web=web, qbo=0, procore=0).check_free()

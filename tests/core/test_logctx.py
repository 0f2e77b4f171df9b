"""Log ids: bound per action, carried by every line of it (text and JSON), forgotten after it."""

from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from core import logctx


@pytest.fixture
def captured():
    """The root logger configured as the CLI does, into a buffer; restored afterwards."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    buffers = {}

    def configure(fmt: str) -> io.StringIO:
        buffers[fmt] = io.StringIO()
        logctx.configure("INFO", fmt, stream=buffers[fmt])
        return buffers[fmt]

    yield configure
    root.handlers[:] = before[0]
    root.setLevel(before[1])


def test_json_lines_carry_the_bound_ids_and_only_them(captured):
    out = captured("json")
    log = logging.getLogger("test.logctx")
    with logctx.scope(tenant=3, item=42):
        logctx.bind(outbox=7, requestid="ll-create-bill-abc", intuit_tid=None)
        log.info("exporting %s", "SC-1")
    log.info("after the action")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "exporting SC-1" and first["level"] == "INFO" and first["logger"] == "test.logctx"
    assert {k: first[k] for k in ("tenant", "item", "outbox", "requestid")} == {
        "tenant": 3, "item": 42, "outbox": 7, "requestid": "ll-create-bill-abc"}
    assert "intuit_tid" not in first  # None is not bound
    assert not set(logctx.FIELDS) & set(second)  # forgotten once the scope ends


def test_text_is_the_default_and_appends_the_ids(captured, monkeypatch):
    monkeypatch.delenv(logctx.FORMAT_ENV, raising=False)
    out = captured(None)
    with logctx.scope(item=5):
        logging.getLogger("t").warning("hello")
    logging.getLogger("t").warning("bare")
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("WARNING t: hello [item=5]") and lines[1].endswith("WARNING t: bare")


def test_bind_outside_a_scope_does_nothing_and_threads_do_not_share():
    logctx.bind(item=1)
    assert logctx.current() == {}
    seen = {}

    def other() -> None:
        seen["other"] = logctx.current()

    with logctx.scope(item=2):
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert logctx.current() == {"item": 2}
    assert seen["other"] == {}


def test_only_ids_may_be_bound():
    with logctx.scope(), pytest.raises(ValueError, match="access_token"):
        logctx.bind(access_token="secret")


def test_a_bad_format_is_refused():
    with pytest.raises(ValueError, match="LEDGERLINK_LOG_FORMAT"):
        logctx.configure("INFO", "xml", stream=io.StringIO())

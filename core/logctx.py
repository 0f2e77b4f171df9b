"""The ids that tie a log line to an action, and the log format (text by default, JSON with
LEDGERLINK_LOG_FORMAT=json).

A Slack request, an outbox run or a job binds what it knows (`scope(tenant=…, item=…)`, `bind(outbox=…)`); the
QBO client adds `requestid` and `intuit_tid`. Every line logged meanwhile in that thread carries them, so
`item=42` or one `requestid` finds the click in the web log, its export in the worker log and QuickBooks' answer.
Only these ids are ever attached — never a token, a body or a header.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FIELDS = ("tenant", "item", "outbox", "requestid", "intuit_tid")
FORMAT_ENV = "LEDGERLINK_LOG_FORMAT"

# None outside any `scope()`: long-lived threads (a job loop) must not carry one action's ids into the next
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("ledgerlink_log_context",
                                                                                 default=None)


def current() -> dict[str, Any]:
    """The ids bound in this thread/task now (a copy)."""
    return dict(_context.get() or {})


def bind(**ids: Any) -> None:
    """Add ids to the current scope; outside a scope this does nothing. None values are ignored; names other
    than FIELDS are refused (ids only, never data)."""
    unknown = set(ids) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a log id: {', '.join(sorted(unknown))}")
    bound = _context.get()
    values = {k: v for k, v in ids.items() if v is not None}
    if bound is not None and values:
        _context.set({**bound, **values})


@contextmanager
def scope(**ids: Any) -> Iterator[None]:
    """Bind ids for the duration of a block (one action); what was bound inside is forgotten after it."""
    token = _context.set(dict(_context.get() or {}))
    try:
        bind(**ids)
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (as attributes, for the JSON formatter, and as `ids` text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = _context.get() or {}
        for name in FIELDS:
            setattr(record, name, ids.get(name))
        record.ids = " [" + " ".join(f"{k}={ids[k]}" for k in FIELDS if k in ids) + "]" if ids else ""
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(ids)s"


def json_formatter() -> logging.Formatter:
    class _Formatter(JsonFormatter):
        def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict) -> None:
            super().add_fields(log_record, record, message_dict)
            log_record["process"] = record.process
            for name in FIELDS:  # only the ids that are known, so lines stay short
                if log_record.get(name) is None:
                    log_record.pop(name, None)
            log_record.pop("ids", None)

    return _Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level",
                                                                                     "name": "logger"})


def configure(level: str | int = "INFO", fmt: str | None = None, stream: Any = None) -> None:
    """Set up the root logger once per process: text (default) or JSON (`fmt="json"` or LEDGERLINK_LOG_FORMAT)."""
    fmt = (fmt or os.environ.get(FORMAT_ENV) or "text").lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"{FORMAT_ENV} must be text or json, not {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_ledgerlink", False):
            root.removeHandler(old)
    handler._ledgerlink = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    # chatter: a line per alembic plugin on every start, a line per HTTP request from httpx (ours says more)
    for name in ("alembic.runtime.plugins", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)

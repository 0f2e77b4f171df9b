"""Serve a WSGI app with waitress and stop gracefully on SIGTERM/SIGINT (waitress installs no handler of its own).

On a signal: stop accepting connections, let the requests already received finish and their answers reach the
clients, wait for the work they started after answering (Slack listeners), all within `grace` seconds, close the
idle keep-alive connections, and return — the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

logger = logging.getLogger(__name__)


def _busy(channel: Any) -> bool:
    """A connection with a request received and not yet fully answered."""
    return bool(getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
                or getattr(channel, "request", None) is not None and channel.request.headers_finished)


def serve_until_signal(app: Any, *, host: str, port: int, threads: int, grace: float = 30.0,
                       ident: str = "ledgerlink", settle: Callable[[float], bool] | None = None,
                       **options: Any) -> None:
    """Run waitress until SIGTERM or SIGINT, then drain in-flight requests (at most `grace` seconds). `settle`
    waits (up to the seconds given) for work the requests started after answering — Bolt acks a click first and
    runs its listener after — so none is cut off when the interpreter shuts down. `options`: more of waitress's
    settings (connection limits, timeouts, body size)."""
    server = create_server(app, host=host, port=port, threads=threads, ident=ident, **options)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        logger.info("received %s; finishing the requests in flight", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    timeout = server.adj.asyncore_loop_timeout
    socket_map = server._map
    try:
        while not stopping.is_set():
            wasyncore.loop(timeout=timeout, map=socket_map, use_poll=server.adj.asyncore_use_poll, count=1)
        wasyncore.dispatcher.close(server)  # the listening socket only: no new connections from here on
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            channels = [c for c in list(socket_map.values()) if isinstance(c, HTTPChannel)]
            if not any(_busy(c) for c in channels):
                break
            wasyncore.loop(timeout=0.05, map=socket_map, use_poll=server.adj.asyncore_use_poll, count=1)
        else:
            logger.warning("requests still running after %gs; stopping anyway", grace)
        if settle is not None and not settle(max(1.0, deadline - time.monotonic())):
            logger.warning("work started by requests still running after %gs; stopping anyway", grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(socket_map)
    logger.info("web stopped")

"""Real HTTP on 127.0.0.1 for tests: serve any WSGI app on a free port in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def running_wsgi(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Yield the base URL (no trailing slash) of `app` served by a threaded werkzeug server."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{server.server_port}", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

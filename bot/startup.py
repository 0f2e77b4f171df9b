"""Start-up failures a command reports as one sentence (the CLI prints it and exits 2), and the checks that need
nothing but the standard library. The checks that reach the database are in bot/preflight.py: this module is what
`bot/cli.py` imports at every start, so it stays free of SQLAlchemy."""

from __future__ import annotations

import errno
import socket


class StartupError(Exception):
    """Why a command cannot start, as one sentence for a person."""


def where(database_url: str) -> str:
    """The database URL without its password."""
    scheme, _, rest = database_url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}" if "@" in rest else database_url


def require_free_port(host: str, port: int, flag: str = "--port") -> None:
    """Fail early (before building the app) when something already listens on host:port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress does: TIME_WAIT is not "taken"
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise StartupError(f"port {port} on {host} is taken (or not allowed): stop what uses it or "
                                   f"choose another with {flag}.") from None
            raise StartupError(f"cannot listen on {host}:{port} ({exc.strerror}): check --host.") from None

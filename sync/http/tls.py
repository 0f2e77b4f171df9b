"""One TLS context for every HTTP client of the process.

httpx builds a new `ssl.SSLContext` for each `httpx.Client`, reading certifi's CA bundle each time (10–60 ms of
CPU). Ledgerlink opens a client per company connection, so every export after a click paid that again; under 50
clicks at once it was the largest single cost of the web process. A context is safe to share between threads and
clients (it holds the trust store and settings; each connection has its own state)."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def shared_context() -> ssl.SSLContext:
    """httpx's default context (certifi's CAs, SSL_CERT_FILE/SSL_CERT_DIR honoured), made once."""
    return httpx.create_ssl_context()

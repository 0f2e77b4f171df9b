"""Intuit's `intuit-oauth` library as sync/qbo/oauth.py uses it: an `AuthClient` whose every request carries a
timeout, and how to read its errors. Imported only when a QBO OAuth call is made (oauth.py's `_intuit`): intuitlib
brings requests, PyJWT and cryptography's x509, which every process would otherwise pay for at start."""

from __future__ import annotations

import json
from typing import Any

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

__all__ = ["SCOPES", "UNREACHABLE", "AuthClientError", "TimedAuthClient", "error_code"]

SCOPES = [Scopes.ACCOUNTING]
#: Intuit could not be reached: worth a retry
UNREACHABLE = (requests.ConnectionError, requests.Timeout)


class TimedAuthClient(AuthClient):
    """`AuthClient` whose every request (the discovery document included) carries a timeout."""

    def __init__(self, *args: Any, timeout: float, **kwargs: Any) -> None:
        self._timeout = timeout  # set first: the parent constructor already makes a request
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def error_code(exc: AuthClientError) -> str | None:
    try:
        body = json.loads(exc.content or b"{}")
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None

"""Provider-neutral error tree. Provider clients raise subclasses that also derive from their own base
(``QboRateLimited(QboApiError, RateLimitedError)``), so the retry policy can decide on meaning alone::

    RemoteError                      everything a client raises about a remote call
    ├── TransportFailure             no usable answer: the request may or may not have reached the server
    │   ├── ConnectionFailed         connect refused/reset, DNS, pool exhausted (``request_sent`` tells which)
    │   └── RequestTimeout           connect/read/write/pool timeout
    └── ApiError                     the server answered with an error (``.response``, ``.status_code``)
        ├── RateLimitedError         429 (``.retry_after`` seconds, if the server said)
        ├── ServerError              5xx
        ├── AuthenticationError      401: the access token was refused
        └── ClientError              any other 4xx (not retried: sending it again gives the same answer)

Retry looks only at these classes (see `sync.http.retry.RETRYABLE_ERRORS`).
"""

from __future__ import annotations

import httpx


class RemoteError(Exception):
    """Base of everything a Ledgerlink HTTP client raises about a remote call."""

    #: one sentence telling a person what to do about it (providers fill this from their code tables)
    hint: str = "Something went wrong talking to the remote service — try again later."


class TransportFailure(RemoteError):
    """No usable HTTP answer. ``request_sent`` is False when the request surely never left (safe to resend)."""

    def __init__(self, message: str, *, request: httpx.Request | None = None, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request = request
        self.request_sent = request_sent


class ConnectionFailed(TransportFailure):
    """The connection could not be made or was dropped."""


class RequestTimeout(TransportFailure):
    """A connect, read, write or pool timeout."""


class ApiError(RemoteError):
    """The server answered with an error status. Keeps the response (status, headers, body) for diagnosis."""

    def __init__(self, message: str, *, response: httpx.Response, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.retry_after = retry_after
        #: set by the base client when this error already paused the shared limiter (so retry need not sleep)
        self.limiter_paused = False

    @property
    def request(self) -> httpx.Request | None:
        try:
            return self.response.request
        except RuntimeError:  # a Response built without a request (unit tests)
            return None


class RateLimitedError(ApiError):
    """429 Too Many Requests."""


class ServerError(ApiError):
    """5xx: transient on the server's side."""


class AuthenticationError(ApiError):
    """401: the access token was refused (expired, revoked, or the connection lost its grant)."""


class ClientError(ApiError):
    """Any other 4xx: the request itself is wrong and resending it will not help."""


def transport_failure_from(exc: httpx.TransportError) -> type[TransportFailure]:
    """Which neutral class an httpx transport exception maps to."""
    return RequestTimeout if isinstance(exc, httpx.TimeoutException) else ConnectionFailed


def request_surely_unsent(exc: httpx.TransportError) -> bool:
    """True when httpx failed before any byte of the request could reach the server."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol)

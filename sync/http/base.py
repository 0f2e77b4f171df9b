"""A small base for provider clients: one `httpx.Client`, one `_request()`.

`_request()` is the single place where each cross-cutting concern lives:

1. retry (`RetryPolicy`, tenacity) around the whole attempt;
2. the shared per-account limiter around every send (window + concurrency + 429 pause);
3. the ``Authorization: Bearer`` header from a `TokenSource`;
4. "401 ⇒ refresh the token once and resend" (at most one refresh per logical call);
5. error mapping (`_error_for`, overridden by providers) and the rate-limit header hook;
6. logging: method, path, status, time, attempt — never headers, tokens or bodies.

Providers subclass it, set `provider`, and override `_error_for` / `_transport_error` to raise their own error
classes (which also derive from `sync.http.errors`, so retry understands them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, BinaryIO, ClassVar, Protocol

import httpx

from core import metrics
from sync.http.errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    RateLimitedError,
    ServerError,
    TransportFailure,
    request_surely_unsent,
    transport_failure_from,
)
from sync.http.limits import UNLIMITED, KeyLimiter, LimiterRegistry, RateLimitPolicy, limiter_for, parse_retry_after
from sync.http.retry import RetryPolicy
from sync.http.tls import shared_context

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)
DOWNLOAD_CHUNK = 64 * 1024


class TooLarge(Exception):
    """A download passed the size its caller can use; the rest was not fetched."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes or more, over the {limit}-byte limit")
        self.size, self.limit = size, limit


class TokenSource(Protocol):
    """Gives the current access token. ``rejected`` is a token the server just refused with 401: return a
    different one (refreshing if nobody else has yet). `sync.tokens.TokenStore.source()` implements this."""

    def access_token(self, *, rejected: str | None = None) -> str: ...


class StaticToken:
    """A fixed token (scripts, tests). Cannot refresh: a 401 surfaces as the provider's auth error."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self, *, rejected: str | None = None) -> str:
        return self._token

    def __repr__(self) -> str:  # never show the token
        return "StaticToken(***)"


class BaseClient:
    """Shared plumbing; see the module docstring. Thread-safe: one instance may serve many threads."""

    provider: ClassVar[str] = "http"
    #: read X-Rate-Limit-* headers on every response and pause the key when Remaining hits 0 (Procore)
    observe_rate_limit_headers: ClassVar[bool] = False

    def __init__(
        self,
        *,
        base_url: str,
        account: str,
        tokens: TokenSource | None,
        policy: RateLimitPolicy = UNLIMITED,
        limiter: KeyLimiter | None = None,
        registry: LimiterRegistry | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        rate_limited_pause: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account = str(account)
        self.tokens = tokens
        self.limiter = limiter or limiter_for(self.provider, self.account, policy, registry)
        self.retry = retry or RetryPolicy()
        self.rate_limited_pause = rate_limited_pause
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            headers={"Accept": "application/json", **(headers or {})},
            transport=transport, verify=shared_context(),
            limits=httpx.Limits(max_connections=max(policy.max_concurrent or 0, 20), max_keepalive_connections=20),
        )

    # -- lifecycle ---------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self):  # noqa: ANN204 - Self
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one request method --------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        batch: bool = False,
        cost: int = 1,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send one logical request (retried, limited, authenticated); return the successful response.

        `idempotent` defaults to True for GET/HEAD/PUT/DELETE and False for POST/PATCH; pass True for a write
        that carries an idempotency key (QBO ``requestid``), so timeouts may be retried too.
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        refreshed = False
        attempt_no = 0

        def attempt() -> httpx.Response:
            nonlocal refreshed, attempt_no
            attempt_no += 1
            token = self.tokens.access_token() if authenticated and self.tokens else None

            def send(bearer: str | None) -> httpx.Response:
                hdrs = dict(headers or {})
                if bearer:
                    hdrs["Authorization"] = f"Bearer {bearer}"
                request = self._http.build_request(method, url, params=params, json=json, content=content,
                                                   files=files, headers=hdrs)
                return self._send(request, cost=cost, batch=batch, attempt=attempt_no)

            response = send(token)
            if response.status_code == 401 and token and self.tokens and not refreshed:
                refreshed = True  # at most one refresh per logical call, whatever the retries
                logger.info("%s %s: 401, refreshing the access token once", self.provider, method)
                response.close()
                response = send(self.tokens.access_token(rejected=token))
            if self.observe_rate_limit_headers:
                self.limiter.observe_headers(response.headers)
            if response.is_error:
                raise self._raise_prepared(response)
            return response

        return self.retry.call(attempt, idempotent=idempotent, describe=f"{self.provider} {method} {path}")

    def download(self, url: str, sink: BinaryIO, *, max_bytes: int | None = None) -> int:
        """GET a signed file link (no bearer token: the signature is the permission) into `sink`, 64 KB at a time,
        so a big file never sits in memory whole; returns its size. Retried like any read (the sink starts over);
        past `max_bytes` it stops and raises `TooLarge`. Not metered by the API's limiter: the file store is not
        the API."""
        def attempt() -> int:
            sink.seek(0)
            sink.truncate()
            size = 0
            request = self._http.build_request("GET", url, headers={"Accept": "*/*"})
            try:
                response = self._http.send(request, stream=True)
                try:
                    if response.is_error:
                        response.read()  # an error body is small: the provider's error mapping reads it
                        raise self._raise_prepared(response)
                    declared = int(response.headers.get("Content-Length") or 0)
                    if max_bytes is not None and declared > max_bytes:
                        raise TooLarge(declared, max_bytes)
                    for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                        size += len(chunk)
                        if max_bytes is not None and size > max_bytes:
                            raise TooLarge(size, max_bytes)
                        sink.write(chunk)
                finally:
                    response.close()
            except httpx.TransportError as exc:
                raise self._transport_error(exc, request) from exc
            sink.flush()  # a file's size on disk is what an upload of it declares as its Content-Length
            return size

        host = httpx.URL(url).host
        return self.retry.call(attempt, idempotent=True, describe=f"{self.provider} download from {host}")

    def _send(self, request: httpx.Request, *, cost: int, batch: bool, attempt: int) -> httpx.Response:
        started = time.monotonic()
        with self.limiter.acquire(cost=cost, batch=batch):
            try:
                response = self._http.send(request)
                response.read()
            except httpx.TransportError as exc:
                metrics.record_remote(self.provider, None, time.monotonic() - started)
                logger.warning("%s %s %s: %s after %.0f ms (attempt %d)", self.provider, request.method,
                               request.url.path, type(exc).__name__, (time.monotonic() - started) * 1000, attempt)
                raise self._transport_error(exc, request) from exc
        metrics.record_remote(self.provider, response.status_code, time.monotonic() - started)
        self._bind_log_ids(response)
        logger.debug("%s %s %s -> %d in %.0f ms (attempt %d)%s", self.provider, request.method, request.url.path,
                     response.status_code, (time.monotonic() - started) * 1000, attempt, self._log_suffix(response))
        return response

    def _raise_prepared(self, response: httpx.Response) -> ApiError:
        """Map the response to an error and, for 429 (or a Retry-After on 5xx), pause the shared limiter."""
        err = self._error_for(response)
        if isinstance(err, RateLimitedError) or (isinstance(err, ServerError) and err.retry_after is not None):
            pause = err.retry_after if err.retry_after is not None else self.rate_limited_pause
            self.limiter.pause_for(pause, reason=f"{response.status_code} from {self.provider}")
            err.retry_after = pause
            err.limiter_paused = True
        logger.info("%s %s %s -> %d %s%s", self.provider, response.request.method, response.request.url.path,
                    response.status_code, type(err).__name__, self._log_suffix(response))
        return err

    # -- provider hooks ----------------------------------------------------------------------------------
    def _error_for(self, response: httpx.Response) -> ApiError:
        """Build the exception for an error response. Providers override to parse their error bodies."""
        status = response.status_code
        retry_after = parse_retry_after(response.headers)
        cls: type[ApiError] = (RateLimitedError if status == 429 else AuthenticationError if status == 401
                               else ServerError if status >= 500 else ClientError)
        return cls(f"{self.provider} answered HTTP {status} for {response.request.method} {response.request.url.path}",
                   response=response, retry_after=retry_after)

    def _transport_error(self, exc: httpx.TransportError, request: httpx.Request) -> TransportFailure:
        """Wrap an httpx transport exception. Providers override to use their own classes."""
        cls = transport_failure_from(exc)
        return cls(f"{self.provider} {request.method} {request.url.path}: {type(exc).__name__}: {exc}",
                   request=request, request_sent=not request_surely_unsent(exc))

    def _log_suffix(self, response: httpx.Response) -> str:
        """Extra, secret-free context for log lines (QBO: intuit_tid)."""
        return ""

    def _bind_log_ids(self, response: httpx.Response) -> None:
        """Put the provider's request ids on the following log lines of this action (QBO: requestid,
        intuit_tid; core/logctx.py)."""

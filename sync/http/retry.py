"""The retry policy for remote calls, on tenacity: exponential backoff with jitter, retryable errors only.

Retried: 429, 5xx, timeouts, connection errors (`RETRYABLE_ERRORS`). Never a 4xx other than 429 — sending the
same wrong request again gives the same answer. A request that is *not idempotent* (a write without an idempotency
key) is resent only when it surely never reached the server (429, or a connect failure), so a retry cannot create
a duplicate. QBO writes carry a ``requestid`` the caller made once; the attempt function re-sends the very same
request, so retries never invent a new one.

Rate limits: on a 429 the base client pauses the shared limiter (Retry-After, or the provider's default pause), so
every thread of that account waits there; the retry itself then only sleeps a little jitter before queueing again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from sync.http.errors import (
    ApiError,
    RateLimitedError,
    RemoteError,
    RequestTimeout,
    ServerError,
    TransportFailure,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: the only errors worth sending again
RETRYABLE_ERRORS: tuple[type[RemoteError], ...] = (RateLimitedError, ServerError, RequestTimeout, TransportFailure)


def is_retryable(exc: BaseException, *, idempotent: bool = True) -> bool:
    """Whether `exc` may be retried; a non-idempotent request only when it surely was not processed."""
    if not isinstance(exc, RETRYABLE_ERRORS):
        return False
    if idempotent:
        return True
    if isinstance(exc, RateLimitedError):
        return True  # refused before processing
    return isinstance(exc, TransportFailure) and not exc.request_sent


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts and how long to wait between them. Tests shrink the waits."""

    max_attempts: int = 5
    initial_wait: float = 0.5  # first backoff, doubled each attempt
    max_wait: float = 30.0
    jitter: float = 0.5  # up to this many random seconds added to each wait
    rate_limit_jitter: float = 0.25  # after a 429 the limiter pause does the waiting; this only spreads threads

    def _wait(self) -> Callable[[RetryCallState], float]:
        backoff = wait_exponential_jitter(initial=self.initial_wait, max=self.max_wait, jitter=self.jitter)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, ApiError) and exc.retry_after is not None:
                if exc.limiter_paused:  # the shared limiter already holds every thread back
                    return random.uniform(0, self.rate_limit_jitter)  # noqa: S311 - jitter, not crypto
                return min(exc.retry_after, self.max_wait) + random.uniform(0, self.rate_limit_jitter)  # noqa: S311
            return backoff(state)

        return wait

    def retrying(self, *, idempotent: bool = True, describe: str = "request") -> Retrying:
        """A tenacity `Retrying` for one logical call (re-raises the last error when attempts run out)."""

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.info("retrying %s after %s (attempt %d of %d, next in %.2f s)", describe,
                        type(exc).__name__, state.attempt_number, self.max_attempts,
                        state.next_action.sleep if state.next_action else 0.0)

        return Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait(),
            retry=retry_if_exception(lambda e: is_retryable(e, idempotent=idempotent)),
            before_sleep=log_retry,
            reraise=True,
        )

    def call(self, fn: Callable[[], T], *, idempotent: bool = True, describe: str = "request") -> T:
        """Run `fn` (one attempt) under this policy."""
        return self.retrying(idempotent=idempotent, describe=describe)(fn)


NO_RETRY = RetryPolicy(max_attempts=1)

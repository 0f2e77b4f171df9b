"""Identifiers shaped like Slack's: object ids, message timestamps, trigger ids, tokens and secrets."""

from __future__ import annotations

import secrets
import string
import threading
import time

_ID_ALPHABET = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def object_id(prefix: str, length: int = 10) -> str:
    """A Slack-style id: one type letter (U, C, D, B, A, T, V, F) and upper-case alphanumerics."""
    return prefix + "0" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length - 1))


def short_id(length: int = 5) -> str:
    """Slack's generated block_id / action_id values look like 'Xq3vT'."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def bot_token() -> str:
    """`xoxb-<team number>-<bot number>-<24 alphanumerics>`, the shape of a real bot token."""
    team = "".join(secrets.choice(string.digits) for _ in range(12))
    bot = "".join(secrets.choice(string.digits) for _ in range(13))
    return f"xoxb-{team}-{bot}-" + "".join(secrets.choice(_ALNUM) for _ in range(24))


def signing_secret() -> str:
    """32 lower-case hex characters, like the app's Signing Secret."""
    return secrets.token_hex(16)


def verification_token() -> str:
    """The deprecated verification token Slack still puts in every payload's `token` field."""
    return "".join(secrets.choice(_ALNUM) for _ in range(24))


def trigger_id() -> str:
    """`<digits>.<digits>.<32 hex>`, e.g. 13345224609.738474920.8088930838d88f008e0a1b2c3d4e5f6a."""
    return f"{secrets.randbelow(10**13):013d}.{secrets.randbelow(10**13):013d}.{secrets.token_hex(16)}"


def hook_secret() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(24))


def event_id() -> str:
    return "Ev0" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(9))


class TsClock:
    """Message timestamps: "<unix seconds>.<6 digits>", unique and strictly increasing, as strings."""

    def __init__(self, last: str | None = None) -> None:
        self._lock = threading.Lock()
        self._last = _ts_to_micros(last) if last else 0

    def next(self) -> str:
        with self._lock:
            now = int(time.time() * 1_000_000)
            self._last = max(now, self._last + 1)
            return micros_to_ts(self._last)


def _ts_to_micros(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction or "0").ljust(6, "0")[:6])


def micros_to_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

"""JSON for money: Decimal in, Decimal out — never a float in between.

`encode` writes each Decimal as a JSON number with exactly its digits (QBO wants numbers, not strings);
`decode` reads every non-integer number back as Decimal. `plain` makes a JSON-safe copy for JSON columns;
`parse_time` reads an ISO timestamp back as an aware UTC datetime.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


def encode(value: Any) -> bytes:
    marker = f"dec{secrets.token_hex(6)}:"

    def prepare(v: Any) -> Any:
        if isinstance(v, Decimal):
            if not v.is_finite():
                raise ValueError(f"cannot send {v} as a JSON number")
            return f"{marker}{v}"
        if isinstance(v, dict):
            return {str(k): prepare(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [prepare(x) for x in v]
        if isinstance(v, datetime | date):
            return v.isoformat()
        return v

    text = json.dumps(prepare(value), ensure_ascii=False, separators=(",", ":"))
    return re.sub(f'"{re.escape(marker)}([-0-9.Ee+]+)"', r"\1", text).encode()


def decode(content: bytes | str) -> Any:
    """Decoded JSON, Decimal for non-integers; NUL characters (which PostgreSQL text refuses) are dropped."""
    data = json.loads(content, parse_float=Decimal) if content else None
    return without_nul(data) if _may_hold_nul(content) else data


def _may_hold_nul(content: bytes | str | None) -> bool:
    """In valid JSON a NUL can only arrive escaped (strings may not hold raw control characters)."""
    if not content:
        return False
    return (b"\\u0000" in content) if isinstance(content, bytes) else ("\\u0000" in content)


def without_nul(value: Any) -> Any:
    """`value` with NUL removed from every string in it (dicts and lists are cleaned in place)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        for key, inner in value.items():
            value[key] = without_nul(inner)
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            value[n] = without_nul(inner)
    return value


def has_nul(value: Any) -> bool:
    """True when any string (key or value) in decoded JSON holds a NUL character, which PostgreSQL text refuses."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def plain(value: Any) -> Any:
    """A JSON-safe copy (Decimal → str, dates → ISO) for JSON columns."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def parse_time(text: str | None) -> datetime | None:
    """An ISO timestamp (QBO MetaData, our own payloads) as an aware UTC datetime; naive means UTC."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)

"""Strict parsing of ids that arrive as text (query parameters, button values, modal metadata)."""

from __future__ import annotations

import re

#: ASCII digits only (no "²", "٣", "1_000", " 7", "+7"), and small enough for a BIGINT column
_ID = re.compile(r"[0-9]{1,18}")


def strict_id(text: object) -> int | None:
    """A positive database id from `text`, or None when it is anything else."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 < text < 10**18 else None
    if not isinstance(text, str) or not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if value > 0 else None

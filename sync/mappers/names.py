"""QBO name rules shared by the mappers: length limits, forbidden characters, unique variants."""

from __future__ import annotations

import unicodedata
from typing import Any

# QBO limits (Intuit API reference): Vendor/Customer DisplayName 500, CompanyName 100, Item Name 100.
DISPLAY_NAME_MAX = 500
COMPANY_NAME_MAX = 100
ITEM_NAME_MAX = 100
DOC_NUMBER_MAX = 21


def clean_name(value: str | None) -> str:
    """QBO rejects ':' (its sub-entity separator), tabs and new lines in names; collapse whitespace. A number is
    read as its digits; anything else that isn't text (a remote's odd answer) as no name."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    text = unicodedata.normalize("NFC", value if isinstance(value, str) else "")
    text = text.replace(":", "-").replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return " ".join(text.split())


def obj(value: Any) -> dict[str, Any]:
    """A nested JSON object of a remote record, or {} when the remote sent something else there."""
    return value if isinstance(value, dict) else {}


def truncate(value: str, limit: int) -> str:
    """Cut to `limit` characters at a word boundary when one is near, never mid-character."""
    if len(value) <= limit:
        return value
    cut = value[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space >= limit * 0.6 else cut).rstrip(" -.,")


def unique_name(wanted: str, taken: set[str], limit: int) -> str:
    """`wanted`, or `wanted (2)`, `(3)`… — the first not in `taken` (compared case-insensitively, like QBO)."""
    lowered = {t.casefold() for t in taken}
    base = truncate(wanted, limit)
    if base.casefold() not in lowered:
        return base
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = truncate(wanted, limit - len(suffix)) + suffix
        if candidate.casefold() not in lowered:
            return candidate
        n += 1

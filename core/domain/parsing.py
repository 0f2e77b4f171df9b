"""Strict parsing of what arrives as text: ids (query parameters, button values, modal metadata) and JSON with a
nesting limit (request bodies)."""

from __future__ import annotations

import json
import re
from typing import Any

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


#: deeper than any payload Slack, QuickBooks or Procore sends; json.loads itself dies (RecursionError) near 1,000
MAX_JSON_DEPTH = 64
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_too_deep(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True when `text` nests arrays/objects deeper than `max_depth` (strings skipped); checked before parsing."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif mark in "]}":
            depth -= 1
    return False


def decoded_too_deep(value: Any, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """`json_too_deep` for JSON already decoded (without recursing: that is what it guards against)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads_bounded(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` that refuses (ValueError) nesting deeper than `max_depth` instead of recursing."""
    if json_too_deep(text, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)

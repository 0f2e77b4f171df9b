"""Compare a JSON answer with a shape written from a vendor's reference: every key, and each value's JSON type.

A shape is a type name (`"string"`, `"integer"`, `"number"`, `"boolean"`, `"object"` for a free-form object,
`"any"`), a dict of key → shape (the object must carry exactly those keys), `["array", item shape]`, or a list of
alternatives `["oneof", shape, ...]`. `null` matches any shape unless the fixture says `strict_null`; vendors
send null for unset fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object", list: "array",
         type(None): "null"}


def json_type(value: Any) -> str:
    return TYPES[type(value)]


def mismatches(value: Any, shape: Any, path: str = "$", *, nulls: bool = True) -> list[str]:
    """Every difference between `value` and `shape`, as readable lines (empty when they agree)."""
    if value is None and nulls:
        return []
    if isinstance(shape, list) and shape and shape[0] == "oneof":
        tries = [mismatches(value, alt, path, nulls=nulls) for alt in shape[1:]]
        return [] if any(not t for t in tries) else min(tries, key=len)
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{path}: {json_type(value)}, expected an array"]
        return [line for n, item in enumerate(value) for line in mismatches(item, shape[1], f"{path}[{n}]",
                                                                           nulls=nulls)]
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{path}: {json_type(value)}, expected an object"]
        out = []
        missing, extra = sorted(set(shape) - set(value)), sorted(set(value) - set(shape))
        if missing:
            out.append(f"{path}: missing {missing}")
        if extra:
            out.append(f"{path}: not in the reference {extra}")
        for key in sorted(set(shape) & set(value)):
            out += mismatches(value[key], shape[key], f"{path}.{key}", nulls=nulls)
        return out
    actual = json_type(value)
    if shape == "any" or actual == shape or (shape == "number" and actual == "integer"):
        return []
    return [f"{path}: {actual}, expected {shape}"]


def load(directory: Path) -> dict[str, dict[str, Any]]:
    """Fixtures by operation ("GET /rest/v1.0/projects")."""
    out = {}
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text())
        out[doc["operation"]] = doc
    return out

"""The Web API method registry: `@method("chat.postMessage")` handlers take (sandbox, args) and return the
success body (without `ok`), or raise `ApiError("channel_not_found")` for `{"ok": false, "error": ...}`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

METHODS: dict[str, Callable] = {}


def method(name: str) -> Callable:
    def register(fn: Callable) -> Callable:
        METHODS[name] = fn
        return fn

    return register


class ApiError(Exception):
    """An `ok: false` answer; `extra` adds fields such as `errors`, `needed`, `response_metadata`."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


class Args(dict):
    """Method arguments from the query string, a form body or a JSON body (JSON keeps its types).

    `notes` collects sandbox-only remarks for the call log (never sent to the caller)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(
            value)

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def int(self, name: str, default: int) -> int:
        try:
            return int(self.get(name) or default)
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments") from None

    def json(self, name: str, *, error: str = "invalid_arguments") -> Any:
        """A structured argument (blocks, view, files...): form bodies carry it as a JSON string."""
        value = self.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(error) from None
        return value

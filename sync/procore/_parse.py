"""Reading Procore JSON into typed fields: tolerant of missing optional fields, strict about required ones.

Money is Decimal, never float: responses are decoded with `parse_float=Decimal` (see `decode_json`) and money
that arrives as a string ("1250.00") or an int is converted here. A nested reference may be an object
(`"vendor": {"id": 7, "name": ..}`) or a bare id (`"vendor_id": 7`); `ref_id` reads either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core import jsonbody
from sync.procore.errors import ProcoreError, ProcoreRecordError

_MISSING = object()


def decode_json(content: bytes) -> Any:
    """JSON with every non-integer number as Decimal, so no float ever touches money (NUL characters dropped)."""
    try:
        return jsonbody.decode(content)
    except ValueError:  # also UnicodeDecodeError
        snippet = content[:80].decode("utf-8", "replace")
        raise ProcoreError(f"Procore's answer is not JSON: {snippet!r}") from None


class Fields:
    """Accessor over one record's JSON that names the record in every error."""

    def __init__(self, kind: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise ProcoreRecordError(f"Procore {kind}: expected a JSON object, got {type(data).__name__}")
        self.kind = kind
        self.data = data

    def _label(self) -> str:
        rid = self.data.get("id")
        return f"Procore {self.kind} {rid}" if rid is not None else f"Procore {self.kind} (no id)"

    def _first(self, keys: tuple[str, ...]) -> Any:
        for key in keys:
            value = self.data.get(key, _MISSING)
            if value is not _MISSING and value is not None:
                return value
        return None

    def req(self, *keys: str) -> Any:
        value = self._first(keys)
        if value is None:
            raise ProcoreRecordError(f"{self._label()} is missing required field {keys[0]!r} "
                                     f"(fields present: {', '.join(sorted(self.data)) or 'none'})")
        return value

    def opt(self, *keys: str, default: Any = None) -> Any:
        value = self._first(keys)
        return default if value is None else value

    def text(self, *keys: str) -> str | None:
        value = self._first(keys)
        return None if value is None else str(value)

    def req_int(self, *keys: str) -> int:
        return self._to_int(keys[0], self.req(*keys))

    def opt_int(self, *keys: str) -> int | None:
        value = self._first(keys)
        return None if value is None or value == "" else self._to_int(keys[0], value)

    def _to_int(self, key: str, value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ProcoreRecordError(f"{self._label()}: field {key!r} is not an integer: {value!r}") from None

    def flag(self, *keys: str, default: bool | None = None) -> bool | None:
        value = self._first(keys)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def money(self, *keys: str) -> Decimal | None:
        value = self._first(keys)
        return None if value is None else self._to_money(keys[0], value)

    def req_money(self, *keys: str) -> Decimal:
        return self._to_money(keys[0], self.req(*keys))

    def _to_money(self, key: str, value: Any) -> Decimal:
        return to_decimal(value, what=f"{self._label()}: field {key!r}")

    def day(self, *keys: str) -> date | None:
        value = self._first(keys)
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ProcoreRecordError(f"{self._label()}: field {keys[0]!r} is not a date: {value!r}") from None

    def timestamp(self, *keys: str) -> datetime | None:
        value = self._first(keys)
        if value is None or value == "":
            return None
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ProcoreRecordError(f"{self._label()}: field {keys[0]!r} is not a timestamp: {value!r}") from None

    def ref_id(self, name: str, *more: str) -> int | None:
        """Id of a reference given as `name: {"id": ..}` or `name_id: ..` (or any of `more` keys)."""
        for key in (name, *more, f"{name}_id"):
            value = self.data.get(key)
            if isinstance(value, Mapping):
                value = value.get("id")
            elif isinstance(value, str) and not value.strip().lstrip("-").isdigit() and key == name:
                continue  # e.g. a direct cost list's `"vendor": "Home Depot"` (a name, not a reference)
            if value is not None and value != "":
                return self._to_int(key, value)
        return None

    def ref_field(self, name: str, field: str) -> Any:
        value = self.data.get(name)
        return value.get(field) if isinstance(value, Mapping) else None

    def items(self, *keys: str) -> list[Any]:
        value = self._first(keys)
        return list(value) if isinstance(value, list | tuple) else []

    def obj(self, *keys: str) -> Mapping[str, Any]:
        value = self._first(keys)
        return value if isinstance(value, Mapping) else {}


def to_decimal(value: Any, *, what: str = "amount") -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ProcoreRecordError(f"{what} is not an amount: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):  # only if a caller decoded JSON without decode_json; keep the printed digits
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip().replace(",", "").replace("$", ""))
    except (InvalidOperation, ValueError):
        raise ProcoreRecordError(f"{what} is not an amount: {value!r}") from None

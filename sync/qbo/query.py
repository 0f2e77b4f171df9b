"""A pure builder for QBO's SQL-like query language (no I/O)::

    select("Vendor").where(DisplayName="O'Brien", Active=True).where_in("Id", ["1", "2"]).order_by("Id").build()
    -> "SELECT * FROM Vendor WHERE DisplayName = 'O\\'Brien' AND Active = true AND Id IN ('1', '2') ORDERBY Id"

Grammar (shared/docs/qbo.md): ``SELECT * | COUNT(*) FROM Entity [WHERE f op v AND ...] [ORDERBY f [DESC]]
[STARTPOSITION n] [MAXRESULTS m]``, ops ``= < > <= >= IN LIKE``, AND only. Values are always rendered here: strings
in single quotes with backslash and quote backslash-escaped; names (entity, fields) must be plain identifiers and are
never quoted, so user data can never reach the query text unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

MAX_RESULTS = 1000
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_OPS = ("=", "<", ">", "<=", ">=", "IN", "LIKE")

Value = str | int | Decimal | float | bool | date | datetime


def _name(name: str, what: str = "field") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"not a valid QBO {what} name: {name!r}")
    return name


def escape(text: str) -> str:
    r"""Backslash-escape backslashes and single quotes (``O'Brien`` -> ``O\'Brien``)."""
    if "\x00" in text:
        raise ValueError("a NUL character cannot be sent in a QBO query")
    return text.replace("\\", "\\\\").replace("'", "\\'")


def literal(value: Value) -> str:
    """Render one value: quoted+escaped string, true/false, a number, or a quoted ISO date/time."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN/infinity cannot be sent in a QBO query")
        return repr(value)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError("datetimes sent to QBO must be timezone-aware")
        return f"'{value.isoformat()}'"
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return f"'{escape(value)}'"
    raise TypeError(f"cannot use a {type(value).__name__} in a QBO query")


@dataclass(frozen=True)
class Select:
    """An immutable query; every method returns a new one."""

    entity: str
    fields: tuple[str, ...] = ()  # () means *
    conditions: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    start_position: int | None = None
    max_results: int | None = None
    is_count: bool = False

    def where(self, **equals: Value) -> Select:
        """``field = value`` for each keyword (AND-ed). Use `filter` for dotted names or other operators."""
        out = self
        for field_name, value in equals.items():
            out = out.filter(field_name, "=", value)
        return out

    def filter(self, field_name: str, op: str, value: Value) -> Select:
        """``field op value`` with op one of = < > <= >= LIKE (IN: `where_in`)."""
        op = op.upper().strip()
        if op not in _OPS or op == "IN":
            raise ValueError(f"unsupported QBO operator {op!r}")
        return replace(self, conditions=(*self.conditions, f"{_name(field_name)} {op} {literal(value)}"))

    def where_in(self, field_name: str, values: Iterable[Value]) -> Select:
        vals = list(values)
        if not vals:
            raise ValueError(f"IN needs at least one value for {field_name}")
        rendered = ", ".join(literal(v) for v in vals)
        return replace(self, conditions=(*self.conditions, f"{_name(field_name)} IN ({rendered})"))

    def like(self, field_name: str, pattern: str) -> Select:
        """``LIKE`` with QBO's ``%`` wildcard; the pattern is escaped like any string."""
        return self.filter(field_name, "LIKE", pattern)

    def contains(self, field_name: str, text: str) -> Select:
        return self.like(field_name, f"%{text}%")

    def order_by(self, field_name: str, *, desc: bool = False) -> Select:
        return replace(self, order=(*self.order, f"{_name(field_name)}{' DESC' if desc else ''}"))

    def page(self, start_position: int, max_results: int = MAX_RESULTS) -> Select:
        """STARTPOSITION (1-based) and MAXRESULTS (1..1000)."""
        if start_position < 1:
            raise ValueError("STARTPOSITION is 1-based")
        if not 1 <= max_results <= MAX_RESULTS:
            raise ValueError(f"MAXRESULTS must be between 1 and {MAX_RESULTS}")
        return replace(self, start_position=int(start_position), max_results=int(max_results))

    def count(self) -> Select:
        """The same query as ``SELECT COUNT(*)`` (no ordering or paging)."""
        return replace(self, is_count=True, order=(), start_position=None, max_results=None)

    def build(self) -> str:
        what = "COUNT(*)" if self.is_count else (", ".join(self.fields) if self.fields else "*")
        parts = [f"SELECT {what} FROM {_name(self.entity, 'entity')}"]
        if self.conditions:
            parts.append("WHERE " + " AND ".join(self.conditions))
        if self.order:
            parts.append("ORDERBY " + ", ".join(self.order))
        if self.start_position is not None:
            parts.append(f"STARTPOSITION {self.start_position}")
        if self.max_results is not None:
            parts.append(f"MAXRESULTS {self.max_results}")
        return " ".join(parts)

    __str__ = build


def select(entity: str, *fields: str) -> Select:
    """Start a query on `entity` (``SELECT *`` unless fields are named)."""
    return Select(entity=_name(entity, "entity"), fields=tuple(_name(f) for f in fields))

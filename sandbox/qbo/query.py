"""Intuit's query language: a tokenizer, a recursive-descent parser and an evaluator.

    SELECT (* [, f...] | COUNT(*) | f [, f...]) FROM Entity
      [WHERE cond (AND cond)*] [ORDERBY f [ASC|DESC] (, f [ASC|DESC])*] [STARTPOSITION n] [MAXRESULTS m]
    cond := field (= | < | > | <= | >= | !=) value | field IN (value, ...) | field LIKE 'pattern'

Keywords are case-insensitive; there is no OR, NOT or parentheses around conditions. Strings use single
quotes with backslash escapes (`'O\\'Brien'`). Errors read like Intuit's JavaCC parser messages (code 4000);
a well-formed query naming an unknown property is a validation error (code 4001).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from . import faults
from .clock import parse_ts

KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "ORDERBY", "ORDER", "BY", "ASC", "DESC", "STARTPOSITION",
            "MAXRESULTS", "IN", "LIKE", "COUNT"}
MAX_RESULTS = 1000
DEFAULT_MAX_RESULTS = 100


@dataclass
class Token:
    kind: str  # IDENTIFIER, KEYWORD, STRING, INTEGER, DECIMAL, OP, PUNCT, EOF
    image: str
    value: object
    column: int


@dataclass
class Condition:
    path: list[str]
    op: str  # = < > <= >= != IN LIKE
    value: object  # str | number | bool | list


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list[str] | None = None  # None = all
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[list[str], bool]] = field(default_factory=list)  # (path, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def _kind_label(tok: Token) -> str:
    if tok.kind in ("OP", "PUNCT", "KEYWORD"):
        return f'"{tok.image.lower()}"' if tok.kind == "KEYWORD" else f'"{tok.image}"'
    return f"<{tok.kind}>"


def _encountered(tok: Token) -> faults.QboFault:
    if tok.kind == "EOF":
        return faults.query_parse(f'Encountered "<EOF>" at line 1, column {tok.column}.')
    return faults.query_parse(f'Encountered " {_kind_label(tok)} "{tok.image} "" at line 1, column {tok.column}.')


def tokenize(text: str) -> list[Token]:
    tokens, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        col = i + 1
        if ch == "'":
            j, buf = i + 1, []
            while j < n and text[j] != "'":
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise faults.query_parse(f'Lexical error at line 1, column {n + 1}.  Encountered: <EOF> after : '
                                         f'"{text[i:]}"')
            tokens.append(Token("STRING", text[i:j + 1], "".join(buf), col))
            i = j + 1
        elif ch.isdigit() or (ch == "-" and i + 1 < n and text[i + 1].isdigit()):
            m = re.match(r"-?\d+(\.\d+)?", text[i:])
            image = m.group(0)
            kind = "DECIMAL" if m.group(1) else "INTEGER"
            tokens.append(Token(kind, image, float(image) if m.group(1) else int(image), col))
            i += len(image)
        elif ch.isalpha() or ch == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[i:])
            image = m.group(0)
            kind = "KEYWORD" if image.upper() in KEYWORDS else "IDENTIFIER"
            tokens.append(Token(kind, image, image.upper() if kind == "KEYWORD" else image, col))
            i += len(image)
        elif text.startswith(("<=", ">=", "!=", "<>"), i):
            tokens.append(Token("OP", text[i:i + 2], "!=" if text[i:i + 2] == "<>" else text[i:i + 2], col))
            i += 2
        elif ch in "=<>":
            tokens.append(Token("OP", ch, ch, col))
            i += 1
        elif ch in "(),*.":
            tokens.append(Token("PUNCT", ch, ch, col))
            i += 1
        else:
            raise faults.query_parse(f'Lexical error at line 1, column {col}.  Encountered: "{ch}" ({ord(ch)}), '
                                     f'after : ""')
    tokens.append(Token("EOF", "", None, n + 1))
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def _next(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def _is(self, kind: str, value: object = None) -> bool:
        return self.tok.kind == kind and (value is None or self.tok.value == value)

    def _expect(self, kind: str, value: object = None) -> Token:
        if not self._is(kind, value):
            raise _encountered(self.tok)
        return self._next()

    def parse(self) -> Query:
        self._expect("KEYWORD", "SELECT")
        count, fields = False, None
        if self._is("KEYWORD", "COUNT"):
            self._next()
            self._expect("PUNCT", "(")
            self._expect("PUNCT", "*")
            self._expect("PUNCT", ")")
            count = True
        elif self._is("PUNCT", "*"):
            self._next()
            while self._is("PUNCT", ","):  # `SELECT *, Sku FROM Item` (python-quickbooks) is still everything
                self._next()
                self._path()
        else:
            fields = [".".join(self._path())]
            while self._is("PUNCT", ","):
                self._next()
                fields.append(".".join(self._path()))
        self._expect("KEYWORD", "FROM")
        query = Query(self._expect("IDENTIFIER").image, count=count, fields=fields)
        if self._is("KEYWORD", "WHERE"):
            self._next()
            query.where.append(self._condition())
            while self._is("KEYWORD", "AND"):
                self._next()
                query.where.append(self._condition())
        if self._is("KEYWORD", "ORDERBY") or self._is("KEYWORD", "ORDER"):
            if self._next().value == "ORDER":
                self._expect("KEYWORD", "BY")
            query.order.append(self._order_item())
            while self._is("PUNCT", ","):
                self._next()
                query.order.append(self._order_item())
        seen = set()
        while self._is("KEYWORD", "STARTPOSITION") or self._is("KEYWORD", "MAXRESULTS"):
            word = self._next().value
            if word in seen:
                raise _encountered(self.tokens[self.pos - 1])
            seen.add(word)
            number = self._expect("INTEGER")
            if word == "STARTPOSITION":
                query.start = max(int(number.value), 1)
            else:
                query.max_results = int(number.value)
        self._expect("EOF")
        return query

    def _path(self) -> list[str]:
        path = [self._expect("IDENTIFIER").image]
        while self._is("PUNCT", "."):
            self._next()
            path.append(self._expect("IDENTIFIER").image)
        return path

    def _order_item(self) -> tuple[list[str], bool]:
        path = self._path()
        desc = False
        if self._is("KEYWORD", "ASC") or self._is("KEYWORD", "DESC"):
            desc = self._next().value == "DESC"
        return path, desc

    def _value(self) -> object:
        tok = self.tok
        if tok.kind in ("STRING", "INTEGER", "DECIMAL"):
            return self._next().value
        if tok.kind == "IDENTIFIER" and tok.image.lower() in ("true", "false"):
            self._next()
            return tok.image.lower() == "true"
        raise _encountered(tok)

    def _condition(self) -> Condition:
        path = self._path()
        if self._is("KEYWORD", "IN"):
            self._next()
            self._expect("PUNCT", "(")
            values = [self._value()]
            while self._is("PUNCT", ","):
                self._next()
                values.append(self._value())
            self._expect("PUNCT", ")")
            return Condition(path, "IN", values)
        if self._is("KEYWORD", "LIKE"):
            self._next()
            return Condition(path, "LIKE", self._expect("STRING").value)
        op = self._expect("OP").value
        return Condition(path, op, self._value())


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise faults.query_parse('Encountered "<EOF>" at line 1, column 1.')
    query = Parser(text).parse()
    if query.max_results > MAX_RESULTS:
        raise faults.query_invalid(f"value {query.max_results} is too large. Max allowed value is {MAX_RESULTS}")
    return query


# -- evaluation ------------------------------------------------------------------------------------------------
def _values(obj: object, path: list[str]) -> list:
    """Every value at `path` (lists fan out: `AttachableRef.EntityRef.value` looks in each ref)."""
    if not path:
        return [obj]
    if isinstance(obj, list):
        return [v for item in obj for v in _values(item, path)]
    if not isinstance(obj, dict):
        return []
    # the exact name first (what queries nearly always say; this runs per record per condition), then any case
    key = path[0] if path[0] in obj else next((k for k in obj if k.lower() == path[0].lower()), None)
    if key is None:
        return []
    value = obj[key]
    if len(path) == 1 and key.endswith("Ref") and isinstance(value, dict) and "value" in value:
        return [value["value"]]  # VendorRef = '56' compares the reference's value
    return _values(value, path[1:])


def _lookup(obj: dict, path: list[str]) -> object:
    found = _values(obj, path)
    return found[0] if found else None


def _coerce(left: object, right: object) -> tuple[object, object]:
    if isinstance(left, bool) or isinstance(right, bool):
        return str(left).lower(), str(right).lower()
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        try:
            return float(left), float(right)
        except (TypeError, ValueError):
            return str(left), str(right)
    if isinstance(left, str) and isinstance(right, str):
        # a date-time on either side is compared as one; plain dates compare as text (no parse: run per record)
        ld, rd = (_as_datetime(left), _as_datetime(right)) if "T" in left or "T" in right else (None, None)
        if ld is not None and rd is not None:
            return ld.replace(microsecond=0), rd.replace(microsecond=0)  # MetaData has whole seconds
        if left.isdigit() and right.isdigit():
            return int(left), int(right)
        return left.casefold(), right.casefold()
    return left, right


def _as_datetime(text: str) -> datetime | None:
    return parse_ts(text) if len(text) >= 10 and text[4:5] == "-" else None


def _test(cond: Condition) -> Callable[[dict], bool]:
    """One WHERE condition as a test of a record."""
    match = _in_list(cond.value) if cond.op == "IN" else (lambda actual: _matches_value(actual, cond))
    return lambda obj: any(match(actual) for actual in _values(obj, cond.path) if actual is not None)


def _in_list(values: list) -> Callable[[object], bool]:
    """`IN (values)`: any value `=` the actual one, but a digit string (an Id) is looked up among the digit-string
    values as a number, as `_coerce` compares two digit strings, instead of compared with each of them."""
    numbers = {int(v) for v in values if isinstance(v, str) and v.isdigit()}
    others = [v for v in values if not (isinstance(v, str) and v.isdigit())]

    def match(actual: object) -> bool:
        if isinstance(actual, str) and actual.isdigit():
            return int(actual) in numbers or any(_compare(actual, "=", v) for v in others)
        return any(_compare(actual, "=", v) for v in values)
    return match


def _matches_value(actual: object, cond: Condition) -> bool:
    if cond.op == "LIKE":
        pattern = "".join(".*" if ch == "%" else re.escape(ch) for ch in str(cond.value))
        return re.fullmatch(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    return _compare(actual, cond.op, cond.value)


def _compare(actual: object, op: str, wanted: object) -> bool:
    left, right = _coerce(actual, wanted)
    try:
        return {"=": left == right, "!=": left != right, "<": left < right, ">": left > right,
                "<=": left <= right, ">=": left >= right}[op]
    except TypeError:
        return False


def _sort_key(obj: dict, path: list[str]) -> tuple:
    value = _lookup(obj, path)
    if value is None:
        return (1, 0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    text = str(value)
    if path[-1].lower() == "id" and text.isdigit():
        return (0, int(text), "")
    when = _as_datetime(text)
    if when is not None and "T" in text:
        return (0, when.timestamp(), "")
    return (0, 0, text.casefold())


def run(query: Query, records: list[dict], has_active: bool) -> list[dict] | int:
    """Filter, order and page `records`; COUNT(*) returns an int. Inactive name-list records are left out unless
    the query itself says something about Active, like QBO."""
    rows = records
    if has_active and not any(c.path[0].lower() == "active" for c in query.where):
        rows = [r for r in rows if r.get("Active", True) is not False]
    tests = [_test(c) for c in query.where]
    rows = [r for r in rows if all(test(r) for test in tests)]
    if query.count:
        return len(rows)
    for path, desc in reversed(query.order or []):
        rows = sorted(rows, key=lambda r, p=path: _sort_key(r, p), reverse=desc)
    return rows[query.start - 1: query.start - 1 + max(query.max_results, 0)]


def project(obj: dict, fields: list[str] | None) -> dict:
    if fields is None:
        return obj
    out = {"Id": obj["Id"]}
    for name in fields:
        top = name.split(".")[0]
        key = next((k for k in obj if k.lower() == top.lower()), None)
        if key is not None:
            out[key] = obj[key]
    out["domain"] = "QBO"
    out["sparse"] = True
    return out

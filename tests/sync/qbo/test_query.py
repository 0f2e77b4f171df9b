"""The query builder alone: rendering, escaping, and injection attempts that must stay inside their quotes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sync.qbo.query import escape, literal, select


def test_readme_example():
    q = select("Vendor").where(DisplayName="O'Brien", Active=True).where_in("Id", ["1", "2"]).order_by("Id")
    assert q.build() == ("SELECT * FROM Vendor WHERE DisplayName = 'O\\'Brien' AND Active = true "
                         "AND Id IN ('1', '2') ORDERBY Id")


def test_full_grammar():
    q = (select("Bill", "Id", "SyncToken").filter("MetaData.LastUpdatedTime", ">=", datetime(2026, 1, 2, tzinfo=UTC))
         .filter("TotalAmt", ">", Decimal("10.50")).contains("DocNumber", "A-1").order_by("TxnDate", desc=True)
         .page(1001, 500))
    assert q.build() == ("SELECT Id, SyncToken FROM Bill WHERE MetaData.LastUpdatedTime >= "
                         "'2026-01-02T00:00:00+00:00' AND TotalAmt > 10.50 AND DocNumber LIKE '%A-1%' "
                         "ORDERBY TxnDate DESC STARTPOSITION 1001 MAXRESULTS 500")
    assert q.count().build() == ("SELECT COUNT(*) FROM Bill WHERE MetaData.LastUpdatedTime >= "
                                 "'2026-01-02T00:00:00+00:00' AND TotalAmt > 10.50 AND DocNumber LIKE '%A-1%'")
    assert str(select("Account")) == "SELECT * FROM Account"


def test_builder_is_immutable():
    base = select("Vendor")
    base.where(Active=True)
    assert base.build() == "SELECT * FROM Vendor"


@pytest.mark.parametrize("value, rendered", [
    ("plain", "'plain'"),
    ("O'Brien", "'O\\'Brien'"),
    ("back\\slash", "'back\\\\slash'"),
    ("ends with backslash\\", "'ends with backslash\\\\'"),
    ("\\'", "'\\\\\\''"),
    (True, "true"), (False, "false"), (42, "42"), (Decimal("1.10"), "1.10"), (1.5, "1.5"),
    (date(2026, 3, 4), "'2026-03-04'"),
])
def test_literals(value, rendered):
    assert literal(value) == rendered


INJECTIONS = [
    "x' OR '1'='1",
    "x' AND Active = false --",
    "'; DELETE FROM Vendor; --",
    "a\\' OR Id > '0",  # tries to cancel our escape with its own backslash
    "\\",
    "''",
    "x' ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000 '",
]


def _string_literals(query: str) -> list[str]:
    """Tokenise quoted strings the way QBO does (backslash escapes the next character)."""
    return [m.group(0) for m in re.finditer(r"'(?:\\.|[^'\\])*'", query)]


def _unquote(lit: str) -> str:
    return re.sub(r"\\(.)", r"\1", lit[1:-1])


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_stays_one_string_literal(attack):
    q = select("Vendor").where(DisplayName=attack).build()
    lits = _string_literals(q)
    assert len(lits) == 1, q
    assert _unquote(lits[0]) == attack
    assert q == f"SELECT * FROM Vendor WHERE DisplayName = {lits[0]}"  # nothing leaked outside the quotes


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_in_in_and_like(attack):
    q = select("Vendor").where_in("Id", [attack, "2"]).like("DisplayName", f"%{attack}%").build()
    lits = _string_literals(q)
    assert [_unquote(x) for x in lits] == [attack, "2", f"%{attack}%"]


@pytest.mark.parametrize("bad", ["Display Name", "Id;", "Id = '1' OR Id", "1Id", "Id)", "", "MetaData..X", "a-b"])
def test_names_must_be_identifiers(bad):
    with pytest.raises(ValueError):
        select("Vendor").filter(bad, "=", "x")
    with pytest.raises(ValueError):
        select(bad)
    with pytest.raises(ValueError):
        select("Vendor").order_by(bad)


def test_bad_operators_values_and_paging():
    with pytest.raises(ValueError):
        select("Vendor").filter("Id", "OR", "1")
    with pytest.raises(ValueError):
        select("Vendor").filter("Id", "IN", "1")  # IN has its own method
    with pytest.raises(ValueError):
        select("Vendor").where_in("Id", [])
    with pytest.raises(ValueError):
        escape("nul\x00byte")
    with pytest.raises(ValueError):
        literal(datetime(2026, 1, 1))  # naive
    with pytest.raises(ValueError):
        literal(float("nan"))
    with pytest.raises(TypeError):
        literal(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        select("Vendor").page(0)
    with pytest.raises(ValueError):
        select("Vendor").page(1, 1001)

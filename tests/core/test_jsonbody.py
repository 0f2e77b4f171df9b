"""Money crosses the wire as exact JSON numbers, both ways."""

from datetime import date
from decimal import Decimal

import pytest

from core import jsonbody


@pytest.mark.parametrize(("value", "text"), [
    ({"Amount": Decimal("48250.10")}, '{"Amount":48250.10}'),
    ({"Amount": Decimal("-0.01"), "Qty": Decimal("1")}, '{"Amount":-0.01,"Qty":1}'),
    ([Decimal("1E+2")], "[1E+2]"),
    ({"Name": "dec:1 looks like a marker", "d": date(2026, 11, 1)},
     '{"Name":"dec:1 looks like a marker","d":"2026-11-01"}'),
    ({"Name": "Béton"}, '{"Name":"Béton"}'),
])
def test_encode(value, text):
    assert jsonbody.encode(value).decode() == text


def test_round_trip_is_exact():
    body = {"Line": [{"Amount": Decimal("0.10")}, {"Amount": Decimal("0.20")}]}
    back = jsonbody.decode(jsonbody.encode(body))
    assert sum(x["Amount"] for x in back["Line"]) == Decimal("0.30")


def test_nan_is_refused():
    with pytest.raises(ValueError):
        jsonbody.encode({"Amount": Decimal("NaN")})

"""The one money formatter: half-up to the cent everywhere (cards, PDFs, CSVs, messages), never float."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.money import money, plain, to_cents


@pytest.mark.parametrize(("amount", "expected"), [
    (D("48250"), "$48,250.00"), (D("-1200.5"), "-$1,200.50"), (D("0.005"), "$0.01"), (D("1.005"), "$1.01"),
    ("1.005", "$1.01"), (1.005, "$1.01"), (D("-1.005"), "-$1.01"), ("1234567.891", "$1,234,567.89"),
    (0, "$0.00"), (None, "—"), ("", "—"), ("n/a", "n/a"), (D("NaN"), "NaN"), (True, "True"),
])
def test_money(amount, expected):
    assert money(amount) == expected


def test_blank_and_currency_are_the_callers_choice():
    assert money(None, blank="") == "" and money(D("2.5"), currency="€") == "€2.50"


@pytest.mark.parametrize(("amount", "expected"), [(D("1.005"), "1.01"), (D("1234567.891"), "1234567.89"),
                                                  (D("-0.125"), "-0.13"), (None, ""), ("x", "")])
def test_plain_is_a_number_a_spreadsheet_reads(amount, expected):
    assert plain(amount) == expected


def test_to_cents_rounds_half_up_and_refuses_what_is_not_an_amount():
    assert to_cents("2.675") == D("2.68") and to_cents("inf") is None and to_cents(False) is None

"""The one money formatter: Decimal rounded half-up to the cent, never float — for cards, messages, PDFs and CSVs.

    money(Decimal("1.005"))        -> '$1.01'
    money(-1200)                   -> '-$1,200.00'
    money(None)                    -> '—'      (money(None, blank="") for a PDF cell)
    plain(Decimal("1.005"))        -> '1.01'   (CSV: a number a spreadsheet reads, no symbol or grouping)
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def to_cents(value: Any) -> Decimal | None:
    """The amount rounded half-up to the cent; None for nothing or for what is not a finite amount."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        # str() of a float is its shortest repr (1.005 stays "1.005"), so a float cannot smuggle in binary noise
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) if amount.is_finite() else None


def money(value: Any, *, currency: str = "$", blank: str = "—") -> str:
    """'$48,250.00' / '-$1,200.50'; `blank` for nothing; text that is not an amount comes back as it was."""
    if value is None or value == "":
        return blank
    amount = to_cents(value)
    if amount is None:
        return str(value)
    return f"{'-' if amount < 0 else ''}{currency}{abs(amount):,.2f}"


def plain(value: Any) -> str:
    """'1234.50' for a CSV cell: rounded like `money`, without symbol or thousands separators ('' for nothing)."""
    amount = to_cents(value)
    return "" if amount is None else format(amount, "f")

"""Money for QBO bodies: Decimal rounded half-up to the cent — never float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(value: Decimal | int | str | None) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def usd(value: Decimal) -> str:
    """$48,250.00 / -$1,200.50 for people."""
    v = cents(value)
    return f"{'-' if v < 0 else ''}${abs(v):,.2f}"

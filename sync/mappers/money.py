"""Money for QBO bodies: Decimal rounded half-up to the cent — never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sync.mappers.errors import MappingError

CENT = Decimal("0.01")


def cents(value: Decimal | int | str | None) -> Decimal:
    """The amount to the cent; MappingError (naming the value) when it isn't an amount at all."""
    try:
        amount = Decimal(value or 0)
        if amount.is_finite() and not isinstance(value, bool):
            return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        pass
    raise MappingError(f"{str(value)[:40]!r} is not an amount")


def usd(value: Decimal) -> str:
    """$48,250.00 / -$1,200.50 for people."""
    v = cents(value)
    return f"{'-' if v < 0 else ''}${abs(v):,.2f}"

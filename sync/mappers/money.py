"""Money for QBO bodies: Decimal rounded half-up to the cent — never float (for people: `core.money.money`)."""

from decimal import Decimal

from core.money import to_cents
from sync.mappers.errors import MappingError


def cents(value: Decimal | int | str | None) -> Decimal:
    """The amount to the cent (nothing is 0.00); MappingError (naming the value) when it isn't an amount at all."""
    amount = None if isinstance(value, bool) else to_cents(0 if value in (None, "") else value)
    if amount is None:
        raise MappingError(f"{str(value)[:40]!r} is not an amount")
    return amount

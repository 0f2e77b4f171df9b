"""Any report's rows as CSV text (the `csv` module; one header row from the dataclass fields)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.domain.errors import PermissionDenied
from core.domain.permissions import Actor
from core.money import plain

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return plain(value)  # rounded half-up to the cent like every other place money is shown
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    # a name typed in QBO or Procore must not run as a formula when the file is opened in a spreadsheet
    return f"'{text}" if text.startswith(FORMULA_START) else text


def to_csv(rows: Iterable[Any], row_type: type) -> str:
    """CSV with a header of `row_type`'s field names, one line per row (an empty report is just the header)."""
    if not is_dataclass(row_type):
        raise TypeError(f"{row_type!r} is not a report row type")
    names = [f.name for f in fields(row_type)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(getattr(row, n)) for n in names])
    return out.getvalue()


def own_tenant(actor: Actor, tenant_id: int) -> None:
    """Reports show one company's data to its own people only."""
    if actor.tenant_id is not None and actor.tenant_id != tenant_id:
        raise PermissionDenied("You can only see reports of your own company's Ledgerlink.")

"""Reports as Slack blocks (the first rows, summarised) and as CSV (every row) — from a `Report`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from blocks.cards import Message
from blocks.text import bounded_lines, escape, truncate
from core.money import money

ROWS_SHOWN = 25  # more than this ⇒ the full report is attached as CSV


@dataclass
class Report:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    money_columns: frozenset[int] = frozenset()
    note: str = ""
    totals: dict[str, Any] = field(default_factory=dict)
    filename: str = "report.csv"

    @property
    def long(self) -> bool:
        return len(self.rows) > ROWS_SHOWN


def _cell(value: Any, is_money: bool) -> str:
    if value is None:
        return "—"
    if is_money or isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def report_message(report: Report, *, csv_attached: bool = False) -> Message:
    """The first rows as lines ('A · B · $1.00'), with a count of the rest and where to find them."""
    lines = [truncate(" · ".join(escape(_cell(v, i in report.money_columns)) for i, v in enumerate(row)), 280)
             for row in report.rows]
    head = " · ".join(f"*{escape(c)}*" for c in report.columns)
    body = bounded_lines(lines, limit=2900 - len(head), max_lines=ROWS_SHOWN, noun="row") if lines else \
        "_Nothing to report._"
    blocks: list[Block] = [HeaderBlock(text=truncate(report.title, 150)),
                           SectionBlock(text=MarkdownTextObject(text=f"{head}\n{body}"))]
    if report.totals:
        totals = " · ".join(f"*{escape(k)}:* {escape(_cell(v, isinstance(v, Decimal)))}"
                            for k, v in report.totals.items())
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(totals, 3000))))
    notes = [n for n in (report.note, f"{len(report.rows)} rows; the full report is in the CSV file I sent you."
                         if csv_attached else "") if n]
    if notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(escape(n), 3000)) for n in notes]))
    text = f"{report.title}: {len(report.rows)} row{'s' if len(report.rows) != 1 else ''}"
    return Message(text=escape(text), blocks=blocks)


def to_csv(report: Report) -> str:
    """Every row, amounts as plain decimals (spreadsheet-friendly); cells that look like formulas are quoted
    with a leading apostrophe so a spreadsheet does not run them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True

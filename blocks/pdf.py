"""PDF documents from jinja2 templates, drawn with fpdf2 (pure Python): the owner invoice summary sheet.

    pdf_bytes = render_summary_sheet(sheet)   # sheet: sync.writes.invoices.summary_sheet(...) — strings only

Rendering only: this module never calls a remote API (the outbox's `qbo.attach_pdf` uploads the bytes; the
worker's wiring installs this function with `sync.writes.invoices.use_sheet_renderer`). fpdf2's core fonts are
Latin-1, so text is folded to it (en dash → "-", curly quotes → straight) rather than failing on a name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import TextStyle
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
INK = (30, 41, 59)  # headings: slate, not fpdf2's default red
STYLES = {"h1": TextStyle(font_size_pt=16, color=INK, t_margin=0, b_margin=1),
          "h3": TextStyle(font_size_pt=10, color=INK, t_margin=3, b_margin=1),
          "p": TextStyle(t_margin=0, b_margin=1)}
#: a fixed creation date keeps the bytes of one sheet stable across renders (retries upload the same file)
CREATED = datetime(2000, 1, 1, tzinfo=UTC)
_FOLD = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
         "\u2026": "...", "\u00a0": " ", "\u2212": "-"}


def latin1(value: Any) -> Any:
    """Text that fpdf2's core fonts can draw (Latin-1), keeping what it can and folding the rest."""
    if not isinstance(value, str):
        return value
    return "".join(_fold(ch) for ch in value)


def _fold(ch: str) -> str:
    if ord(ch) < 256:
        return ch
    if ch in _FOLD:
        return _FOLD[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(ord(c) < 256 for c in base) else "?"


def usd(value: Any) -> str:
    """'$1,234.50' / '-$8,100.00' / '' for nothing (values arrive as strings; never float)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def pct(value: Any) -> str:
    if value in (None, ""):
        return ""
    text = str(value).rstrip("%")
    try:
        return f"{Decimal(text).quantize(Decimal('0.1'))}%"
    except InvalidOperation:
        return str(value)


def day(value: Any) -> str:
    if not value:
        return "-"
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%b %d, %Y")
    except ValueError:
        return str(value)


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, finalize=latin1, trim_blocks=True, lstrip_blocks=True)
_env.filters.update(usd=usd, pct=pct, day=day)


def render_html(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


class _Sheet(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="L", unit="mm", format="Letter")
        self._footer = footer

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self._footer}   |   page {self.page_no()} of {{nb}}", align="C")


def render_summary_sheet(sheet: Mapping[str, Any]) -> bytes:
    """The owner invoice summary sheet as PDF bytes (US Letter, landscape)."""
    html = render_html("owner_invoice_summary.html", sheet=sheet)
    project = (sheet.get("project") or {}).get("name") or ""
    pdf = _Sheet(latin1(f"Owner invoice {sheet.get('invoice_number') or ''} - {project} - prepared by Ledgerlink"))
    pdf.set_creation_date(CREATED)
    pdf.set_title(latin1(f"Owner invoice {sheet.get('invoice_number') or ''} summary"))
    pdf.set_author("Ledgerlink")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.write_html(html, table_line_separators=True, tag_styles=STYLES)
    return bytes(pdf.output())

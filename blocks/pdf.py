"""PDF documents from jinja2 templates, drawn with fpdf2 (pure Python): the owner invoice summary sheet.

    pdf_bytes = render_summary_sheet(sheet)   # sheet: sync.writes.invoices.summary_sheet(...) — strings only

Rendering only: this module never calls a remote API (the outbox's `qbo.attach_pdf` uploads the bytes; the
worker's wiring installs this function with `sync.writes.invoices.use_sheet_renderer`). Imported only when a sheet
is drawn (bot/engine_setup.py): fpdf2 brings fontTools, PIL and numpy, ~0.5 s of CPU a process would pay at start.

Names print as written: the sheet embeds DejaVu Sans (shipped inside matplotlib's wheel, so `make install` brings
it) for Latin, Greek and Cyrillic, with Droid Sans Fallback (Debian `fonts-droid-fallback`, installed by `.ci/run`)
as fallback for Chinese, Japanese and Korean. A character neither font has prints as "?" rather than vanishing.
Money goes through `core.money.money`, the formatter the cards use.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TextStyle
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from blocks.fonts import CJK_FONT, FAMILY, FONTS
from core.money import money

TEMPLATES = Path(__file__).parent / "templates"
INK = (30, 41, 59)  # headings: slate, not fpdf2's default red
STYLES = {"h1": TextStyle(font_size_pt=16, color=INK, t_margin=0, b_margin=1),
          "h3": TextStyle(font_size_pt=10, color=INK, t_margin=3, b_margin=1),
          "p": TextStyle(t_margin=0, b_margin=1)}
#: a fixed creation date keeps the bytes of one sheet stable across renders (retries upload the same file)
CREATED = datetime(2000, 1, 1, tzinfo=UTC)


@cache
def _drawable() -> frozenset[int]:
    """Code points the embedded fonts can draw (DejaVu, plus the CJK fallback when it is installed)."""
    paths = [FONTS[""], FONTS["B"]] + ([CJK_FONT] if CJK_FONT.exists() else [])
    points: set[int] = set()
    for path in paths:
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap())
    return frozenset(points)


def printable(value: Any) -> Any:
    """Text as the sheet can print it: every character the fonts have kept as written, any other as "?"."""
    if not isinstance(value, str):
        return value
    have = _drawable()
    return "".join(ch if ord(ch) in have or ch in "\n\t" else "?" for ch in value)


def usd(value: Any) -> str:
    """The template's money filter: `core.money.money`, blank for nothing."""
    return money(value, blank="")


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
                   undefined=StrictUndefined, finalize=printable, trim_blocks=True, lstrip_blocks=True)
_env.filters.update(usd=usd, pct=pct, day=day)


def render_html(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


def _embed_fonts(pdf: FPDF, text: str) -> None:
    for style, path in FONTS.items():
        pdf.add_font(FAMILY, style, str(path))
    # the CJK face is 4 MB to parse (~0.9 s): only for a sheet that has CJK (U+2E80 on), and one face serves
    # every style (exact_match=False: no oblique in CJK, and bold is rare in a name)
    if CJK_FONT.exists() and any(ord(ch) >= 0x2E80 for ch in text):
        pdf.add_font("CJK", "", str(CJK_FONT))
        pdf.set_fallback_fonts(["CJK"], exact_match=False)


class _Sheet(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="L", unit="mm", format="Letter")
        self._footer = footer

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self._footer}   |   page {self.page_no()} of {{nb}}", align="C")


def render_summary_sheet(sheet: Mapping[str, Any]) -> bytes:
    """The owner invoice summary sheet as PDF bytes (US Letter, landscape)."""
    html = render_html("owner_invoice_summary.html", sheet=sheet)
    project = (sheet.get("project") or {}).get("name") or ""
    footer = printable(f"Owner invoice {sheet.get('invoice_number') or ''} – {project} – prepared by Ledgerlink")
    pdf = _Sheet(footer)
    pdf.set_creation_date(CREATED)
    _embed_fonts(pdf, html + footer)
    pdf.set_title(f"Owner invoice {sheet.get('invoice_number') or ''} summary")
    pdf.set_author("Ledgerlink")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FAMILY, size=8)
    pdf.write_html(html, table_line_separators=True, tag_styles=STYLES, font_family=FAMILY)
    return bytes(pdf.output())

"""The owner invoice summary sheet: jinja2 → fpdf2 PDF, readable (text extracted, page rendered to PNG)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from blocks.pdf import CJK_FONT, printable, render_summary_sheet, usd

SHEET = {
    "invoice_number": "0001", "application_number": "1", "owner": "Riverside Health Partners",
    "project": {"id": 1, "name": "Riverside Medical Office Building", "number": "2024-001"},
    "contract": "Riverside MOB – Prime Contract", "period": {"start": "2024-03-01", "end": "2024-03-31"},
    "billing_date": "2024-03-31",
    "lines": [{"description": "Work completed this period (Mar 01 – Mar 31, 2024)", "amount": "162000.00"},
              {"description": "Retainage held this period", "amount": "-8100.00"}],
    "total": "153900.00",
    "retainage": {"held_this_period": "8100.00", "released_this_period": "0.00", "total_retained": "8100.00"},
    "g702": [{"label": "1. Original contract sum", "amount": "3010000.00"},
             {"label": "8. Current payment due", "amount": "153900.00"}],
    "sov": [{"item": "1", "cost_code": "01-100", "description": "General conditions", "scheduled_value": "620000.00",
             "previous": "0.00", "this_period": "52000.00", "materials_stored": "0.00",
             "completed_to_date": "52000.00", "percent": "8.39", "balance_to_finish": "568000.00",
             "retainage": "2600.00"},
            {"item": "2", "cost_code": "03-300", "description": "Concrete – Bézier ‘podium’ 🚧", "scheduled_value":
             "1480000.00", "previous": "0.00", "this_period": "110000.00", "materials_stored": "0.00",
             "completed_to_date": "110000.00", "percent": "7.43", "balance_to_finish": "1370000.00",
             "retainage": "5500.00"}],
    "sov_totals": {"scheduled_value": "2100000.00", "previous": "0.00", "this_period": "162000.00",
                   "materials_stored": "0.00", "completed_to_date": "162000.00", "balance_to_finish": "1938000.00",
                   "retainage": "8100.00"},
}


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {tool} (Debian package poppler-utils; .ci/run installs it)")
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    return path


def test_sheet_renders_readable_pdf_and_png(tmp_path):
    pdf = render_summary_sheet(SHEET)
    assert pdf.startswith(b"%PDF") and pdf == render_summary_sheet(SHEET)  # same bytes every time
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    text = subprocess.run([poppler("pdftotext"), "-layout", str(tmp_path / "sheet.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for words in ("Owner Invoice Summary", "Invoice 0001", "Riverside Medical Office Building (2024-001)",
                  "Mar 01, 2024 to Mar 31, 2024", "Riverside Health Partners", "$162,000.00", "-$8,100.00",
                  "$153,900.00", "Total due this period", "8. Current payment due", "General conditions",
                  "Concrete – Bézier ‘podium’ ?", "8.4%", "$1,370,000.00", "Totals"):
        assert words in text, words
    subprocess.run([poppler("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "sheet.pdf"),
                    str(tmp_path / "page")], check=True)
    png = (tmp_path / "page-1.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a drawn page, not a blank one
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (660, 510)  # US Letter landscape at 60 dpi


@pytest.mark.parametrize(("value", "text"), [("153900", "$153,900.00"), ("-8100.5", "-$8,100.50"), (None, ""),
                                             ("", "")])
def test_usd(value, text):
    assert usd(value) == text


def test_printable_keeps_what_the_fonts_have_and_marks_the_rest():
    assert printable("Mar 01 – Mar 31 “ok” café Šťastný 🚧") == "Mar 01 – Mar 31 “ok” café Šťastný ?"


def pdf_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "s.pdf").write_bytes(pdf)
    return subprocess.run([poppler("pdftotext"), "-layout", str(tmp_path / "s.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_names_print_as_written_latin_extended_and_cjk(tmp_path):
    if not CJK_FONT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs fonts-droid-fallback (.ci/run installs it)")
        pytest.skip("apt-get install fonts-droid-fallback")
    sheet = {**SHEET, "owner": "Šťastný Stavby s.r.o.", "project": {"id": 1, "name": "北京建工 Tower", "number": "7"},
             "total": "1.005", "lines": [{"description": "Žluťoučký kůň – 北京建工", "amount": "1.005"}]}
    text = pdf_text(render_summary_sheet(sheet), tmp_path)
    for words in ("Šťastný Stavby s.r.o.", "北京建工 Tower (7)", "Žluťoučký kůň – 北京建工", "$1.01"):
        assert words in text, words
    assert "$1.00" not in text  # half-up, as the cards show it

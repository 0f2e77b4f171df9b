"""The weekly chart, checked by rendering it: a PNG of the expected size with bars in their colours (not blank),
names in any script, and the same figures as text through core/money's one formatter."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from PIL import Image

from blocks.chart import KINDS, MAX_PROJECTS, Week, alt_text, figures_text, week_png


def _week() -> Week:
    week = Week(start=date(2026, 11, 30), tenant_name="Summit Builders")
    week.add("Riverside Clinic", "waiting", Decimal("48250.00"))
    week.add("Riverside Clinic", "paid", Decimal("1.005"))
    week.add("北京建工 Tower", "exported", Decimal("153900"))
    week.add("Šťastný Stavby", "rejected", Decimal("9000"))
    week.add("Šťastný Stavby", "rejected", Decimal("1000"))
    return week


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_the_chart_renders_with_its_size_and_coloured_bars():
    png = week_png(_week())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png)).convert("RGB")
    # 9 in wide at 100 dpi; 1.2 in + 0.9 in per project (3) tall
    assert image.size == (900, 390)
    pixels = list(image.getdata())
    not_white = sum(1 for p in pixels if p != (255, 255, 255))
    assert not_white > len(pixels) * 0.02, f"only {not_white} drawn pixels"
    colours = set(pixels)
    for _kind, _label, colour in KINDS:  # every bar kind is drawn (each has at least one item)
        assert _hex(colour) in colours, colour


def test_an_empty_week_still_draws_a_picture_and_says_so():
    week = Week(start=date(2026, 11, 30))
    image = Image.open(io.BytesIO(week_png(week))).convert("RGB")
    assert image.size[0] == 900 and any(p != (255, 255, 255) for p in image.getdata())
    assert figures_text(week) == "Nothing was waiting, exported, paid or rejected this week."


def test_the_figures_beside_it_use_the_one_money_formatter():
    text = figures_text(_week())
    assert ("*All projects:* waiting for acceptance 1 ($48,250.00) · exported 1 ($153,900.00) · paid 1 ($1.01) · "
            "rejected 2 ($10,000.00)") in text.splitlines()[0]
    assert "• *Riverside Clinic:* waiting for acceptance 1 ($48,250.00) · paid 1 ($1.01)" in text
    assert "• *北京建工 Tower:* exported 1 ($153,900.00)" in text
    assert "Šťastný Stavby" in text
    assert alt_text(_week()).startswith("Bar chart of the week of Nov 30 – Dec 6, 2026 per project")


def test_many_projects_fold_into_other_projects():
    week = Week(start=date(2026, 11, 30))
    for n in range(MAX_PROJECTS + 3):
        week.add(f"Project {n:02d}", "exported", Decimal(100 + n))
    shown = week.shown()
    assert len(shown) == MAX_PROJECTS and shown[-1].name == "Other projects"
    assert shown[-1].tallies["exported"].count == 4
    assert Image.open(io.BytesIO(week_png(week))).size == (900, int(100 * (1.2 + 0.9 * MAX_PROJECTS)))

"""Where the fonts of the PDF sheet (blocks/pdf.py) and the weekly chart (blocks/chart.py) are: paths only, so a
process that draws neither imports neither fpdf nor matplotlib.

DejaVu Sans ships inside matplotlib's wheel (`make install` brings it), found without importing matplotlib (numpy
and all); Droid Sans Fallback (Debian `fonts-droid-fallback`, installed by `.ci/run`) covers Chinese, Japanese and
Korean.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

FAMILY = "DejaVu"
_DEJAVU = Path(find_spec("matplotlib").submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"  # type: ignore[index, union-attr]
FONTS = {"": _DEJAVU / "DejaVuSans.ttf", "B": _DEJAVU / "DejaVuSans-Bold.ttf",
         "I": _DEJAVU / "DejaVuSans-Oblique.ttf", "BI": _DEJAVU / "DejaVuSans-BoldOblique.ttf"}
#: CJK glyphs: Debian's fonts-droid-fallback (TrueType outlines, which fpdf2 embeds as a subset)
CJK_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")

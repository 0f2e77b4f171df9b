"""A picture of the week: per project, what waits for acceptance, what was exported, paid and rejected, with the
amounts — drawn with matplotlib (Agg: no display) as a PNG, and the same figures as text for screen readers.

`week_png` draws the chart; `figures_text` is the text that goes beside it (the weekly digest's message and App
Home's "This week" section), every amount through core/money's one formatter.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from blocks.fonts import CJK_FONT
from blocks.text import escape, truncate
from core.money import money

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: the four bars of a project, in reading order, with their colours (distinct also in greyscale)
KINDS: tuple[tuple[str, str, str], ...] = (
    ("waiting", "Waiting for acceptance", "#e8a33d"),
    ("exported", "Exported", "#2f7ed8"),
    ("paid", "Paid", "#3c9d5d"),
    ("rejected", "Rejected", "#c8423b"),
)
MAX_PROJECTS = 8  # more would make unreadable bars; the rest are summed as "Other projects"


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = Decimal("0")

    def add(self, amount: Decimal | None) -> None:
        self.count += 1
        self.amount += amount or Decimal("0")


@dataclass
class ProjectWeek:
    name: str
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k, _, _ in KINDS})

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.tallies.values()), Decimal("0"))


@dataclass
class Week:
    """One week (Monday `start` to the Sunday after) of one company; `projects` by name."""

    start: date
    tenant_name: str = ""
    projects: dict[str, ProjectWeek] = field(default_factory=dict)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def label(self) -> str:
        return f"{self.start:%b} {self.start.day} – {self.end:%b} {self.end.day}, {self.end.year}"

    def add(self, project: str, kind: str, amount: Decimal | None) -> None:
        self.projects.setdefault(project, ProjectWeek(project)).tallies[kind].add(amount)

    def shown(self) -> list[ProjectWeek]:
        """The biggest projects by amount, then one "Other projects" row for the rest."""
        ordered = sorted(self.projects.values(), key=lambda p: (-p.total, p.name))
        if len(ordered) <= MAX_PROJECTS:
            return ordered
        other = ProjectWeek("Other projects")
        for p in ordered[MAX_PROJECTS - 1:]:
            for kind, tally in p.tallies.items():
                other.tallies[kind].count += tally.count
                other.tallies[kind].amount += tally.amount
        return ordered[:MAX_PROJECTS - 1] + [other]

    def totals(self) -> dict[str, Tally]:
        out = {k: Tally() for k, _, _ in KINDS}
        for p in self.projects.values():
            for kind, tally in p.tallies.items():
                out[kind].count += tally.count
                out[kind].amount += tally.amount
        return out


@cache
def _figure_class() -> type[Figure]:
    """matplotlib, set up once. Imported here, not at the top: it takes seconds to import, and every web and worker
    process imports this module (App Home's figures) while only the weekly digest draws."""
    import matplotlib

    matplotlib.use("Agg")  # a worker has no display; a bare Figure (no pyplot) also keeps threads apart
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    # project names print as written, like the PDF's: DejaVu Sans, then the CJK fallback where Debian has it
    if CJK_FONT.exists():
        font_manager.fontManager.addfont(str(CJK_FONT))
        matplotlib.rcParams["font.family"] = ["DejaVu Sans", font_manager.FontProperties(fname=CJK_FONT).get_name()]
    return Figure


def week_png(week: Week, *, dpi: int = 100) -> bytes:
    """The chart as PNG bytes: one group of four horizontal bars (amounts) per project, counts on the bars."""
    projects = week.shown()
    rows = max(len(projects), 1)
    fig = _figure_class()(figsize=(9, 1.2 + 0.9 * rows), dpi=dpi)  # a Figure of its own: thread-safe, no pyplot state
    ax = fig.subplots()
    height = 0.8 / len(KINDS)
    for i, (kind, label, colour) in enumerate(KINDS):
        ys = [r + (i - 1.5) * height for r in range(len(projects))]
        amounts = [float(p.tallies[kind].amount) for p in projects]
        bars = ax.barh(ys, amounts, height=height, color=colour, label=label)
        for bar, p in zip(bars, projects, strict=True):
            tally = p.tallies[kind]
            if tally.count:
                ax.annotate(f"{tally.count} · {money(tally.amount)}", (bar.get_width(), bar.get_y() + height / 2),
                            xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_yticks(range(len(projects)), [truncate(p.name, 28) for p in projects])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda x, _pos: money(Decimal(str(round(x)))).removesuffix(".00"))
    ax.margins(x=0.25)
    ax.set_title(f"{week.tenant_name or 'Ledgerlink'} · week of {week.label}", fontsize=11, pad=22)
    if not projects:
        ax.text(0.5, 0.5, "Nothing moved this week", ha="center", va="center", transform=ax.transAxes)
    ax.legend(loc="lower center", fontsize=8, frameon=False, ncols=len(KINDS), bbox_to_anchor=(0.5, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor="white")
    return out.getvalue()


def figures_text(week: Week) -> str:
    """The chart's numbers as mrkdwn lines (what a screen reader reads instead of the picture)."""
    def line(tallies: dict[str, Tally]) -> str:
        return " · ".join(f"{label.lower()} {tallies[k].count} ({money(tallies[k].amount)})"
                          for k, label, _ in KINDS if tallies[k].count) or "nothing"
    totals = week.totals()
    rows = [f"*All projects:* {line(totals)}"]
    rows += [f"• *{escape(p.name)}:* {line(p.tallies)}" for p in week.shown()]
    return "\n".join(rows) if week.projects else "Nothing was waiting, exported, paid or rejected this week."


def alt_text(week: Week) -> str:
    """The image's own description (Slack's alt text): the totals in one sentence."""
    totals = week.totals()
    parts = ", ".join(f"{label.lower()} {money(totals[k].amount)}" for k, label, _ in KINDS)
    return truncate(f"Bar chart of the week of {week.label} per project: {parts}.", 1000)


def figures_blocks(heading: str, week: Week) -> list[Block]:
    """The weekly digest's message: a header, then the figures as a section (the chart follows as a file)."""
    return [HeaderBlock(text=truncate(f":bar_chart: {heading}", 150)),
            SectionBlock(text=MarkdownTextObject(text=truncate(figures_text(week), 3000))),
            ContextBlock(elements=[MarkdownTextObject(text="Waiting: sent, not yet accepted · exported: in "
                                                           "QuickBooks · paid and rejected: this week. The same "
                                                           "figures are in App Home under *This week*.")])]

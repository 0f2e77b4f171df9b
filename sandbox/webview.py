"""The read-only HTML pages the QBO and Procore sandboxes show people (the demo's "Open in QuickBooks" and "View in
Procore" links land there): one small layout — a header bar, breadcrumbs, a block of facts and tables — that each
sandbox fills with records in its vendor's own terms. Everything is escaped by jinja2's autoescape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Response
from jinja2 import Environment

_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · {{ brand }}</title>
<style>
 body{margin:0;font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d1d1f;background:#f4f5f8}
 header{background:{{ color }};color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
 header b{font-size:17px} header a{color:#fff;text-decoration:none;opacity:.9} header a:hover{opacity:1}
 header .who{margin-left:auto;opacity:.85;font-size:13px}
 main{max-width:1100px;margin:18px auto;padding:0 24px}
 nav.crumbs{font-size:13px;color:#6b6c72;margin-bottom:6px} nav.crumbs a{color:#6b6c72}
 h1{font-size:22px;margin:4px 0 14px} h2{font-size:16px;margin:22px 0 8px}
 .card{background:#fff;border:1px solid #dcdde2;border-radius:8px;padding:14px 18px;margin-bottom:14px}
 dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 22px;margin:0} dt{color:#6b6c72} dd{margin:0}
 table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dcdde2;border-radius:8px}
 th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #ececf0;vertical-align:top}
 th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:#6b6c72;background:#fafafc}
 td.num,th.num{text-align:right;font-variant-numeric:tabular-nums} a{color:{{ link }}}
 .empty{color:#6b6c72;font-style:italic} .badge{display:inline-block;padding:1px 8px;border-radius:10px;
 background:#eef0f4;font-size:12px} .note{color:#6b6c72;font-size:12px;margin-top:24px}
</style></head>
<body><header><b>{{ brand }}</b>{% for label, href in menu %}<a href="{{ href }}">{{ label }}</a>{% endfor %}
<span class="who">{{ who }}</span></header>
<main>
{% if crumbs %}<nav class="crumbs">{% for label, href in crumbs %}{% if not loop.first %} › {% endif %}
{% if href %}<a href="{{ href }}">{{ label }}</a>{% else %}{{ label }}{% endif %}{% endfor %}</nav>{% endif %}
<h1 data-testid="title">{{ title }}</h1>
{% if facts %}<div class="card"><dl>{% for f in facts %}<dt>{{ f.label }}</dt><dd>
{% if f.href %}<a href="{{ f.href }}">{{ f.text }}</a>{% else %}{{ f.text }}{% endif %}</dd>{% endfor %}
</dl></div>{% endif %}
{% for t in tables %}<h2>{{ t.title }}</h2>
{% if t.rows %}<table data-testid="{{ t.title }}"><thead><tr>{% for c in t.columns %}
<th class="{{ 'num' if c in t.numeric else '' }}">{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in t.rows %}<tr>{% for cell in row %}<td class="{{ 'num' if t.columns[loop.index0] in t.numeric else '' }}">
{% if cell.href %}<a href="{{ cell.href }}">{{ cell.text }}</a>{% else %}{{ cell.text }}{% endif %}</td>{% endfor %}
</tr>{% endfor %}</tbody></table>{% else %}<p class="empty">None.</p>{% endif %}{% endfor %}
<p class="note">{{ note }}</p>
</main></body></html>"""

_ENV = Environment(autoescape=True)
_TEMPLATE = _ENV.from_string(_LAYOUT)


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None


def cell(value: Any, href: str | None = None) -> Cell:
    return value if isinstance(value, Cell) else Cell("" if value is None else str(value), href)


@dataclass
class Table:
    title: str
    columns: Sequence[str]
    rows: list[list[Cell]] = field(default_factory=list)
    numeric: frozenset[str] = frozenset({"Amount", "Total", "Balance", "Open balance", "Rate", "Qty", "Price",
                                         "Value", "Paid", "This period", "Budget", "Amount due"})

    def add(self, *values: Any) -> None:
        self.rows.append([cell(v) for v in values])


@dataclass(frozen=True)
class Brand:
    name: str
    color: str
    link: str
    note: str


def money(value: Any) -> str:
    try:
        return f"${float(value):,.2f}"
    except (TypeError, ValueError):
        return "" if value in (None, "") else str(value)


def render(brand: Brand, title: str, *, menu: Iterable[tuple[str, str]] = (),
           crumbs: Iterable[tuple[str, str | None]] = (),
           facts: Iterable[tuple[str, Any] | tuple[str, Any, str | None]] = (), tables: Iterable[Table] = (),
           who: str = "", status: int = 200) -> Response:
    """One page of the layout above; facts with an empty value are left out."""
    rows = []
    for fact in facts:
        label, value, href = (*fact, None)[:3]
        if value not in (None, ""):
            rows.append({"label": label, "text": str(value), "href": href})
    html = _TEMPLATE.render(brand=brand.name, color=brand.color, link=brand.link, note=brand.note, title=title,
                            menu=list(menu), crumbs=list(crumbs), facts=rows, tables=list(tables), who=who)
    return Response(html, status=status, content_type="text/html; charset=utf-8")

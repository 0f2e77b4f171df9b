"""Page a list the way Procore does: `?page=&per_page=`, bare JSON array, `Total`/`Per-Page`/`Link` headers.

The `Link` header follows the api-pagination convention Procore's documentation shows
(https://developers.procore.com/documentation/pagination): `first` and `prev` unless on the first page,
`last` and `next` unless on the last page, in the order first, prev, last, next.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from .errors import json_response


def _positive_int(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    return value if value > 0 else default


def paginate(items: Sequence[Any], serialize: Callable[[Any], Any], paging: dict[str, int]) -> Response:
    """Serialize one page of `items` (already filtered and ordered) with Procore's paging headers."""
    per_page = min(_positive_int(request.args.get("per_page"), paging["default_per_page"]),
                   paging["max_per_page"])
    page = _positive_int(request.args.get("page"), 1)
    total = len(items)
    last = max(1, math.ceil(total / per_page))
    chunk = items[(page - 1) * per_page: page * per_page]
    response = json_response([serialize(item) for item in chunk])
    response.headers["Total"] = str(total)
    response.headers["Per-Page"] = str(per_page)
    links = []
    if page > 1:
        links += [("first", 1), ("prev", min(page - 1, last))]
    if page < last:
        links += [("last", last), ("next", page + 1)]
    if links:
        response.headers["Link"] = ", ".join(f'<{_page_url(n, per_page)}>; rel="{rel}"' for rel, n in links)
    return response


def _page_url(page: int, per_page: int) -> str:
    params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    params += [("page", str(page)), ("per_page", str(per_page))]
    return f"{request.base_url}?{urlencode(params)}"

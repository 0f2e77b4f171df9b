"""Transparent pagination: a lazy iterator that follows Procore's `Link: <…>; rel="next"` header.

Procore lists are bare JSON arrays; `?page=N&per_page=M` picks a page (1-based) and the `Link` header carries
`first`/`prev`/`next`/`last` — the last page has no `next`. `Listing` asks for page 1 only when iterated, yields
records page by page and fetches the next page only when the previous one is used up, so memory holds one page,
never the whole list. `Total` (when sent) is available as `.total` after the first page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

import httpx

from sync.procore._parse import decode_json
from sync.procore.errors import ProcoreError

T = TypeVar("T")

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 2000  # procore.md: keep per_page ≤ 2,000 (most lists cap at 100 anyway)


def next_link(response: httpx.Response, *, base_url: str) -> str | None:
    """The `rel="next"` URL of a list response, or None on the last page.

    Only a link to the same origin as `base_url` is followed, so the bearer token never goes to another host.
    """
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    target = response.url.join(url)  # relative links are allowed by RFC 8288
    base = httpx.URL(base_url)
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        raise ProcoreError(f"Procore's Link header points to another host ({target.host}); not following it")
    return str(target)


class PageSource(Protocol):
    """What a `Listing` needs of the client (`sync.procore._core.ProcoreCore`, which builds listings)."""

    base_url: str

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response: ...

    def _scope_headers(self) -> dict[str, str]: ...


class Listing(Generic[T]):
    """A Procore list, fetched lazily page by page. Iterate it (records), or use `.pages()` / `.raw()`."""

    def __init__(self, client: PageSource, path: str, parse: Callable[[Mapping[str, Any]], T], *,
                 params: Mapping[str, Any] | None = None, per_page: int = DEFAULT_PER_PAGE) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        self._client = client
        self._path = path
        self._parse = parse
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._per_page = per_page
        self.total: int | None = None  # from the `Total` header, once the first page is in
        self.pages_fetched = 0

    def __repr__(self) -> str:
        return f"Listing({self._path!r}, params={self._params!r}, per_page={self._per_page})"

    def raw_pages(self) -> Iterator[list[Mapping[str, Any]]]:
        """Each page as the list of JSON objects Procore sent."""
        url: str | None = self._path
        params: dict[str, Any] | None = {**self._params, "page": 1, "per_page": self._per_page}
        seen: set[str] = set()
        while url is not None:
            response = self._client._request("GET", url, params=params, headers=self._client._scope_headers())
            self.pages_fetched += 1
            total = response.headers.get("Total")
            if total is not None and total.strip().isdigit():
                self.total = int(total)
            body = decode_json(response.content)
            if not isinstance(body, list):
                raise ProcoreError(f"Procore GET {self._path}: expected a JSON array, got {type(body).__name__}")
            yield body
            url, params = next_link(response, base_url=self._client.base_url), None
            if url is not None:
                if url in seen:  # a server bug must not become an endless loop
                    raise ProcoreError(f"Procore GET {self._path}: Link rel=next repeats {url}")
                seen.add(url)

    def pages(self) -> Iterator[list[T]]:
        for page in self.raw_pages():
            yield [self._parse(item) for item in page]

    def raw(self) -> Iterator[Mapping[str, Any]]:
        """Every record as JSON (for callers that parse and report bad records themselves)."""
        for page in self.raw_pages():
            yield from page

    def __iter__(self) -> Iterator[T]:
        for page in self.raw_pages():
            for item in page:
                yield self._parse(item)

    def first(self) -> T | None:
        return next(iter(self), None)

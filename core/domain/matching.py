"""Finding a record from what a person typed: ranking for pickers and "did you mean" for commands. Pure.

Text is compared unicode-normalised and case-insensitively (NFKD with the accents dropped, then casefold), so
"Šťastný" finds "Stastny", "café" finds "CAFE" and "straße" finds "STRASSE". A choice has a name and may have
other keys (an id, a number, an alias); the best key decides its rank:

    0 exact       a key equals the query
    1 prefix      a key starts with the query
    2 word        a word of a key starts with the query ("con" → "ACME Concrete")
    3 contains    the query is inside a key
    4 fuzzy       `similarity` with the name reaches FUZZY_CUTOFF (typos, swapped words)

Ties keep the order the choices came in (alphabetical for lists, newest first for items).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

FUZZY_CUTOFF = 75.0  # below this, typos and unrelated names mix
FUZZY_MIN_QUERY = 3  # one or two letters match nearly everything fuzzily
SUGGEST_SPREAD = 15.0  # "did you mean" lists near misses within this many points of the nearest
EXACT, PREFIX, WORD, CONTAINS, FUZZY = range(5)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+|[^\w\s]+\w*")  # words, and tokens like "#12" that start with punctuation


@lru_cache(maxsize=65536)  # the same names are normalised on every keystroke
def normalise(text: str) -> str:
    """Accents off, case folded, whitespace collapsed: the form every comparison uses."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", plain.casefold()).strip()


def words(text: str) -> list[str]:
    """The words of normalised text ("acme #12-b" → ["acme", "#12", "b"])."""
    return _WORD.findall(text)


def _word_starts(text: str) -> list[int]:
    return [m.start() for m in _WORD.finditer(text)]


def similarity(query: str, title: str) -> float:
    """0–100 for normalised text: the whole title, its words in any order ("electric bolt"), or the stretch of
    the title the query would cover from one of its word starts (a typo in "acme concrte" or in "concrte").

    Unlike rapidfuzz's WRatio this does not score "acme #21" high for "acme concrte" because both say "acme"."""
    best = max(fuzz.ratio(query, title), fuzz.token_sort_ratio(query, title))
    n = len(query)
    if len(title) > n:
        for start in _word_starts(title):
            best = max(best, fuzz.ratio(query, title[start:start + n]))
    return best


@dataclass(frozen=True)
class Choice:
    """Something a person can pick: `value` goes back to the app, `label` is what they see, `keys` are what
    they may type besides the label (ids, numbers, aliases)."""

    value: str
    label: str
    keys: tuple[str, ...] = ()
    name: str = ""  # what fuzzy matching and "did you mean" compare against; the label when empty

    @property
    def title(self) -> str:
        return self.name or self.label


@dataclass(frozen=True)
class Ranked:
    choice: Choice
    tier: int
    score: float = 100.0


@dataclass
class _Prepared:
    choices: list[Choice]
    keys: list[tuple[str, ...]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, choices: Sequence[Choice]) -> _Prepared:
        prepared = cls(list(choices))
        for c in prepared.choices:
            title = normalise(c.title)
            prepared.titles.append(title)
            prepared.keys.append((title, *(k for k in (normalise(x) for x in c.keys) if k)))
        return prepared


def _literal_tier(query: str, keys: tuple[str, ...]) -> int | None:
    best: int | None = None
    for key in keys:
        if key == query:
            return EXACT
        if key.startswith(query):
            tier = PREFIX
        elif any(w.startswith(query) for w in words(key)) or f" {query}" in key:
            tier = WORD
        elif query in key:
            tier = CONTAINS
        else:
            continue
        best = tier if best is None else min(best, tier)
    return best


def rank(query: str, choices: Sequence[Choice], *, limit: int | None = 100) -> list[Ranked]:
    """The choices matching `query`, best first (all of them, in their order, for an empty query)."""
    q = normalise(query)
    if not q:
        picked = [Ranked(c, EXACT) for c in choices]
        return picked[:limit] if limit is not None else picked
    prepared = _Prepared.of(choices)
    found: dict[int, Ranked] = {}
    for i, keys in enumerate(prepared.keys):
        tier = _literal_tier(q, keys)
        if tier is not None:
            found[i] = Ranked(prepared.choices[i], tier)
    if len(q) >= FUZZY_MIN_QUERY:
        for i, title in enumerate(prepared.titles):
            if i not in found and (score := similarity(q, title)) >= FUZZY_CUTOFF:
                found[i] = Ranked(prepared.choices[i], FUZZY, score)
    ordered = sorted(found.items(), key=lambda pair: (pair[1].tier, -pair[1].score if pair[1].tier == FUZZY else 0,
                                                      pair[0]))
    out = [r for _i, r in ordered]
    return out[:limit] if limit is not None else out


@dataclass(frozen=True)
class Resolved:
    """What a typed reference names: one choice, several equally good ones, or none (with near misses)."""

    choice: Choice | None = None
    ambiguous: tuple[Choice, ...] = ()
    near: tuple[Choice, ...] = ()


def resolve(ref: str, choices: Sequence[Choice], *, suggestions: int = 3) -> Resolved:
    """The one choice a typed reference means.

    An exact key (id, number, name) wins; several exact matches are ambiguous. Otherwise the choice whose words
    include every word typed ("acme #12" → "ACME Concrete invoice #12") when only one has them all. Otherwise
    nothing, with up to `suggestions` near misses for "did you mean"."""
    q = normalise(ref)
    if not q:
        return Resolved()
    prepared = _Prepared.of(choices)
    exact = [prepared.choices[i] for i, keys in enumerate(prepared.keys) if q in keys]
    if len(exact) == 1:
        return Resolved(choice=exact[0])
    if exact:
        return Resolved(ambiguous=tuple(exact))
    wanted = set(words(q))
    covering = [prepared.choices[i] for i, keys in enumerate(prepared.keys)
                if wanted and any(wanted <= set(words(k)) for k in keys)]
    if len(covering) == 1:
        return Resolved(choice=covering[0])
    if covering:
        return Resolved(ambiguous=tuple(covering))
    scored = sorted(((similarity(q, t), i) for i, t in enumerate(prepared.titles)), key=lambda p: (-p[0], p[1]))
    near = [i for score, i in scored[:suggestions] if score >= FUZZY_CUTOFF and score >= scored[0][0] - SUGGEST_SPREAD]
    return Resolved(near=tuple(prepared.choices[i] for i in near))


def quoted_list(names: Sequence[str], *, joiner: str = "or") -> str:
    """“A”, “B” or “C” — for "Did you mean …?" and "… match: …" sentences."""
    quoted = [f"“{n}”" for n in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {joiner} {quoted[-1]}"


def not_found_sentence(what: str, ref: str, resolved: Resolved, hint: str, *, where: str = "") -> str:
    """"I can't find invoice 'ACME #2'. Did you mean “ACME #21” or “ACME #12A”?" (the hint when nothing is near);
    for several matches, which ones (by label, which says more than the name) and the hint."""
    if resolved.ambiguous:
        shown = [c.label for c in resolved.ambiguous[:3]]
        more = f" and {len(resolved.ambiguous) - 3} more" if len(resolved.ambiguous) > 3 else ""
        return f"More than one {what} matches '{ref}': {quoted_list(shown, joiner='and')}{more}. {hint}"
    if resolved.near:
        return f"I can't find {what} '{ref}'{where}. Did you mean {quoted_list([c.title for c in resolved.near])}?"
    return f"I can't find {what} '{ref}'{where}. {hint}"

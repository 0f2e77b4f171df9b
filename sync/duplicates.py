"""Likely duplicate companies (Procore directory ⇄ itself, or ⇄ QBO vendors).

Signals, strongest first: same tax id, same normalised name, same phone digits, same e-mail; then a fuzzy
name score (rapidfuzz token-sort ratio on names stripped of legal suffixes). Pure: records in, pairs out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

LEGAL_SUFFIXES = {"inc", "incorporated", "llc", "l", "c", "ltd", "limited", "co", "corp", "corporation",
                  "company", "the", "lp", "llp", "pllc", "pc", "plc", "gmbh"}
FUZZY_THRESHOLD = 93.0  # 90 paired "Painting Group" with "Paving Group"


@dataclass(frozen=True)
class Company:
    """The fields duplicate detection looks at, from either side."""

    key: str  # e.g. "procore:123" or "qbo:56"
    name: str
    tax_id: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass
class Match:
    a: str
    b: str
    score: float
    reasons: list[str] = field(default_factory=list)


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text)
    kept = [w for w in words if w not in LEGAL_SUFFIXES]
    return " ".join(kept or words)


def _digits(value: str | None) -> str | None:
    d = re.sub(r"\D", "", value or "")
    if len(d) == 11 and d.startswith("1"):
        d = d[1:]
    return d if len(d) >= 7 else None


def _numbers(normalised: str) -> frozenset[str]:
    return frozenset(w for w in normalised.split() if w.isdigit())


def _email(value: str | None) -> str | None:
    v = (value or "").strip().casefold()
    return v if "@" in v else None


def find_duplicates(companies: Sequence[Company], *, against: Sequence[Company] | None = None,
                    threshold: float = FUZZY_THRESHOLD) -> list[Match]:
    """Pairs that are probably the same company, best first. With `against`, only cross pairs are returned."""
    left = list(companies)
    right = list(against) if against is not None else left
    cross = against is not None
    found: dict[tuple[str, str], Match] = {}

    def add(i: int, j: int, score: float, reason: str) -> None:
        a, b = left[i].key, right[j].key
        if a == b or (not cross and j <= i):
            return
        pair = (a, b)
        m = found.setdefault(pair, Match(a, b, 0.0))
        m.score = max(m.score, score)
        if reason not in m.reasons:
            m.reasons.append(reason)

    # exact signals through an index on the right side
    for signal, getter, score in (("same tax id", lambda c: _digits(c.tax_id), 100.0),
                                  ("same name", lambda c: normalise_name(c.name) or None, 100.0),
                                  ("same phone", lambda c: _digits(c.phone), 95.0),
                                  ("same e-mail", lambda c: _email(c.email), 95.0)):
        index: dict[str, list[int]] = defaultdict(list)
        for j, c in enumerate(right):
            if (v := getter(c)) is not None:
                index[v].append(j)
        for i, c in enumerate(left):
            if (v := getter(c)) is not None:
                for j in index.get(v, ()):
                    add(i, j, score, signal)

    # fuzzy names (rapidfuzz scans each row in C; no numpy needed)
    left_names = [normalise_name(c.name) for c in left]
    right_names = left_names if not cross else [normalise_name(c.name) for c in right]
    right_numbers = [_numbers(n) for n in right_names]
    for i, name in enumerate(left_names):
        numbers = _numbers(name)
        for _choice, score, j in process.extract(name, right_names, scorer=fuzz.token_sort_ratio,
                                                 score_cutoff=threshold, limit=None):
            if numbers == right_numbers[j]:  # "Unit 2" and "Unit 21" are different companies
                add(i, j, float(score), f"similar name ({score:.0f}%)")
    return sorted(found.values(), key=lambda m: (-m.score, m.a, m.b))


def suggestions_for(company: Company, candidates: Iterable[Company], limit: int = 5) -> list[Match]:
    """The best candidates for linking one company (for pickers: duplicates ranked first)."""
    return find_duplicates([company], against=list(candidates))[:limit]

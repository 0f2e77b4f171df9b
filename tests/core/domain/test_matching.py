"""Picker ranking and typed-reference resolution (core/domain/matching.py), table-driven."""

import pytest

from core.domain.matching import (
    CONTAINS,
    EXACT,
    FUZZY,
    PREFIX,
    WORD,
    Choice,
    normalise,
    not_found_sentence,
    quoted_list,
    rank,
    resolve,
)

NAMES = ["ACME Concrete", "Acme Concrete Inc.", "Šťastný Stavby s.r.o.", "Café Nero", "Cafe Rio", "Bolt Electric",
         "Concrete Masters", "ACME #21", "ACME #12A", "Painting Group", "Paving Group", "Straße Bau GmbH",
         "Ｆｕｌｌｗｉｄｔｈ Works"]
CHOICES = [Choice(str(i), n) for i, n in enumerate(NAMES)]


def _labels(query: str, choices=CHOICES, **kw) -> list[str]:
    return [r.choice.label for r in rank(query, choices, **kw)]


@pytest.mark.parametrize(("raw", "norm"), [
    ("Šťastný", "stastny"),
    ("CAFÉ", "cafe"),
    ("Cafe\u0301", "cafe"),  # combining accent
    ("Straße", "strasse"),
    ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),  # NFKD folds compatibility forms
    ("  ACME   Concrete ", "acme concrete"),
    ("", ""),
])
def test_normalise(raw, norm):
    assert normalise(raw) == norm


@pytest.mark.parametrize(("query", "expected"), [
    # prefix first, in the order the choices came in
    ("acme", ["ACME Concrete", "Acme Concrete Inc.", "ACME #21", "ACME #12A"]),
    # unicode-normalised, case-insensitive, both ways round
    ("stastny", ["Šťastný Stavby s.r.o."]),
    ("ŠŤASTNÝ", ["Šťastný Stavby s.r.o."]),
    ("café", ["Café Nero", "Cafe Rio"]),
    ("CAFE", ["Café Nero", "Cafe Rio"]),
    ("strasse", ["Straße Bau GmbH"]),
    ("fullwidth", ["Ｆｕｌｌｗｉｄｔｈ Works"]),
    # a name starting with the query beats one with a word starting with it
    ("conc", ["Concrete Masters", "ACME Concrete", "Acme Concrete Inc."]),
    ("#12", ["ACME #12A"]),
    # typos and swapped words: fuzzy, best score first
    ("acme concrte", ["ACME Concrete", "Acme Concrete Inc."]),
    ("electrc bolt", ["Bolt Electric"]),
    ("pavng", ["Paving Group"]),
    # one letter matches literally, never fuzzily
    ("z", []),
    ("zzz top", []),
])
def test_rank(query, expected):
    assert _labels(query) == expected


@pytest.mark.parametrize(("query", "tiers"), [
    ("acme concrete", [EXACT, PREFIX]),
    ("concrete", [PREFIX, WORD, WORD]),
    ("crete", [CONTAINS, CONTAINS, CONTAINS]),
    ("ACME #1", [PREFIX, FUZZY]),  # "ACME #12A", then "ACME #21" one typo away
    ("acme concrte", [FUZZY, FUZZY]),
])
def test_tiers(query, tiers):
    assert [r.tier for r in rank(query, CHOICES)] == tiers


def test_keys_other_than_the_name_match_too():
    choices = [Choice("562949953421636", "ACME Concrete", ("562949953421636",)),
               Choice("58", "Bolt Electric", ("58", "BOLT-01"))]
    assert _labels("5629", choices) == ["ACME Concrete"]
    assert _labels("bolt-01", choices) == ["Bolt Electric"]
    assert [r.tier for r in rank("58", choices)] == [EXACT]


def test_empty_query_keeps_the_given_order_and_the_limit_caps_every_answer():
    many = [Choice(str(i), f"Vendor {i:04d}") for i in range(250)]
    assert _labels("", many, limit=100) == [f"Vendor {i:04d}" for i in range(100)]
    assert len(rank("vendor", many, limit=100)) == 100
    assert len(rank("vendor", many, limit=None)) == 250


@pytest.mark.parametrize(("ref", "found", "ambiguous", "near"), [
    ("acme concrete", "ACME Concrete", [], []),  # exact beats "Acme Concrete Inc." starting the same
    ("ACME #12a", "ACME #12A", [], []),
    ("stastny stavby s.r.o.", "Šťastný Stavby s.r.o.", [], []),
    ("bolt", "Bolt Electric", [], []),  # the only one with every word typed
    ("cafe", None, ["Café Nero", "Cafe Rio"], []),
    ("ACME #2", None, [], ["ACME #21", "ACME #12A"]),  # near misses only within reach of the nearest
    ("acme concrte inc", None, [], ["Acme Concrete Inc.", "ACME Concrete"]),
    ("xylophone", None, [], []),
])
def test_resolve(ref, found, ambiguous, near):
    got = resolve(ref, CHOICES)
    assert (got.choice.label if got.choice else None) == found
    assert [c.label for c in got.ambiguous] == ambiguous
    assert [c.label for c in got.near] == near


def test_sentences():
    assert quoted_list(["A"]) == "“A”"
    assert quoted_list(["A", "B", "C"]) == "“A”, “B” or “C”"
    said = not_found_sentence("invoice", "ACME #2", resolve("ACME #2", CHOICES), "Use its id.", where=" here")
    assert said == "I can't find invoice 'ACME #2' here. Did you mean “ACME #21” or “ACME #12A”?"
    assert not_found_sentence("vendor", "xylophone", resolve("xylophone", CHOICES), "Use its id.") == \
        "I can't find vendor 'xylophone'. Use its id."
    assert not_found_sentence("vendor", "cafe", resolve("cafe", CHOICES), "Use its id.") == \
        "More than one vendor matches 'cafe': “Café Nero” and “Cafe Rio”. Use its id."

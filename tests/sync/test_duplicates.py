"""Duplicate detection: signals table-tested, and precision/recall on a generated 2,000-company directory."""

import random

import pytest

from sync.duplicates import Company, find_duplicates, normalise_name, suggestions_for


@pytest.mark.parametrize(("raw", "norm"), [
    ("ACME Concrete, Inc.", "acme concrete"),
    ("Acme Concrete LLC", "acme concrete"),
    ("The Smith & Sons Co.", "smith and sons"),
    ("Béton Québec Ltée", "beton quebec ltee"),
    ("LLC", "llc"),  # never normalise a name away entirely
])
def test_normalise_name(raw, norm):
    assert normalise_name(raw) == norm


@pytest.mark.parametrize(("a", "b", "reason"), [
    (Company("1", "ACME Concrete"), Company("2", "Acme Concrete, Inc."), "same name"),
    (Company("1", "Foo", tax_id="12-3456789"), Company("2", "Bar", tax_id="123456789"), "same tax id"),
    (Company("1", "Foo", phone="(555) 010-2000"), Company("2", "Bar", phone="+1 555 010 2000"), "same phone"),
    (Company("1", "Foo", email="AP@x.com"), Company("2", "Bar", email="ap@x.com "), "same e-mail"),
    (Company("1", "Northwest Electrical Contractors"), Company("2", "Northwest Electrical Contractor"),
     "similar name"),
])
def test_each_signal(a, b, reason):
    matches = find_duplicates([a, b])
    assert len(matches) == 1 and any(r.startswith(reason) for r in matches[0].reasons)


def test_different_companies_are_not_matched():
    assert find_duplicates([Company("1", "Acme Concrete"), Company("2", "Apex Drywall"),
                            Company("3", "Acme Roofing")]) == []


def test_suggestions_rank_the_duplicate_first():
    qbo = [Company("q1", "Apex Drywall"), Company("q2", "ACME CONCRETE LLC"), Company("q3", "Acme Roofing")]
    best = suggestions_for(Company("p1", "Acme Concrete, Inc."), qbo)
    assert best[0].b == "q2"


WORDS = ["Summit", "Apex", "Acme", "Pioneer", "Granite", "Cascade", "Redwood", "Harbor", "Evergreen", "Keystone",
         "Liberty", "Frontier", "Atlas", "Beacon", "Sterling", "Horizon", "Ironwood", "Lakeside", "Meridian", "Oak",
         "Pacific", "Quarry", "Ridge", "Sierra", "Timber", "Union", "Valley", "Westside", "Yellowstone", "Zenith"]
TRADES = ["Concrete", "Drywall", "Electric", "Plumbing", "Roofing", "Steel", "Glass", "Paving", "Masonry",
          "Landscaping", "Mechanical", "Painting", "Flooring", "Excavation", "Framing", "Insulation"]
SUFFIX = ["Inc.", "LLC", "Co.", "Corp.", "", "Ltd.", "& Sons", "Group", "Services", "Contractors"]


def _directory(n: int, dupes: int, seed: int = 7):
    rng = random.Random(seed)
    names, companies = set(), []
    while len(companies) < n:
        core = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(TRADES)}"
        name = f"{core} {rng.choice(SUFFIX)}".strip()
        base = " ".join(sorted(normalise_name(core).split()))  # distinct companies have distinct cores
        if base in names:
            continue
        names.add(base)
        companies.append(Company(f"c{len(companies)}", name, phone=f"555{rng.randrange(10**7):07d}"))
    truth = set()
    for k in range(dupes):
        orig = companies[rng.randrange(n)]
        variant = rng.choice([
            lambda c, k=k: Company(f"d{k}", c.name.upper().replace(" INC.", ", INC")),
            lambda c, k=k: Company(f"d{k}", c.name.replace("Inc.", "Incorporated").replace("LLC", "L.L.C.")),
            lambda c, k=k: Company(f"d{k}", c.name + " LLC"),
            lambda c, k=k: Company(f"d{k}", "Totally Different Name " + str(k), phone=c.phone),
            lambda c, k=k: Company(f"d{k}", c.name[:-1] if len(c.name) > 12 else c.name + "s"),
        ])(orig)
        companies.append(variant)
        truth.add((orig.key, variant.key))
    return companies, truth


def test_precision_recall_on_2000_companies(capsys):
    companies, truth = _directory(2000, 120)
    matches = find_duplicates(companies)
    found = {tuple(sorted((m.a, m.b), key=lambda k: (k[0] != "c", k))) for m in matches}
    planted = {tuple(sorted(p, key=lambda k: (k[0] != "c", k))) for p in truth}
    tp = len(found & planted)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(planted)
    with capsys.disabled():
        print(f"\nduplicates: {len(companies)} companies, {len(planted)} planted, {len(found)} found, "
              f"precision={precision:.3f} recall={recall:.3f}")
    assert recall >= 0.95
    assert precision >= 0.9

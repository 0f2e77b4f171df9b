"""The files `make test` starts first (tests/conftest.py LONGEST_FILES) exist: a renamed one would quietly go back to
its place in collection order, at the end of a worker's queue."""

from pathlib import Path

from tests.conftest import LONGEST_FILES

REPO = Path(__file__).resolve().parents[1]


def test_the_longest_files_exist_and_are_listed_once():
    assert [path for path in LONGEST_FILES if not (REPO / path).is_file()] == []
    assert len(set(LONGEST_FILES)) == len(LONGEST_FILES)

"""The shape comparison used by the vendor fixture tests finds what it must."""

from tests.sandbox.shapes import mismatches

SHAPE = {"id": "integer", "name": "string", "amount": "number", "tags": ["array", {"id": "integer"}],
         "meta": "object"}


def test_an_answer_that_matches_has_no_mismatches():
    assert mismatches({"id": 1, "name": "a", "amount": 2, "tags": [{"id": 3}], "meta": {"x": 1}}, SHAPE) == []


def test_missing_extra_and_wrong_types_are_all_reported():
    found = mismatches({"id": "1", "amount": 2.5, "tags": [{"id": 3, "x": 1}], "meta": None, "more": 1}, SHAPE)
    assert found == ["$: missing ['name']", "$: not in the reference ['more']", "$.id: string, expected integer",
                     "$.tags[0]: not in the reference ['x']"]


def test_null_passes_unless_strict_and_alternatives_are_tried():
    assert mismatches(None, "string", nulls=False) == ["$: null, expected string"]
    assert mismatches("x", ["oneof", "integer", "string"]) == []
    assert mismatches([], {"id": "integer"}) == ["$: array, expected an object"]

"""decoded_too_deep: the nesting limit on JSON already decoded answers as json_too_deep does on its text."""

import json

import pytest

from core.domain.parsing import MAX_JSON_DEPTH, decoded_too_deep, json_too_deep


def nested(depth: int, inner: object = 1) -> object:
    value = inner
    for n in range(depth):
        value = [value] if n % 2 else {"k": value, "s": "[[[{{{"}
    return value


@pytest.mark.parametrize("value", [
    1, "text with [[[ and {{{ inside", [], {}, {"a": [1, {"b": None}]},
    nested(MAX_JSON_DEPTH - 1), nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH + 1), nested(MAX_JSON_DEPTH, []),
    nested(MAX_JSON_DEPTH, {}), [nested(3), nested(MAX_JSON_DEPTH + 1)], nested(500),
])
def test_agrees_with_the_check_on_text(value):
    assert decoded_too_deep(value) == json_too_deep(json.dumps(value))


@pytest.mark.parametrize(("depth", "limit", "too_deep"), [(3, 3, False), (3, 2, True), (0, 0, False), (1, 0, True)])
def test_the_limit_counts_arrays_and_objects(depth, limit, too_deep):
    assert decoded_too_deep(nested(depth), limit) is too_deep

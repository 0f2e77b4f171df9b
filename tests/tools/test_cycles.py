"""The loop check finds every circle of imports, and only circles."""

from __future__ import annotations

from tools.cycles import cycles, main


def test_a_tree_of_imports_has_no_loop():
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_finds_two_separate_loops_largest_first():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert cycles(graph) == [["a", "b", "c"], ["d", "e"]]


def test_a_module_importing_itself_is_no_loop_between_modules():
    assert cycles({"a": {"a"}}) == []


def test_imports_outside_the_graph_are_ignored():
    assert cycles({"a": {"os"}}) == []


def test_the_ground_and_the_blocks_have_no_loop(capsys):
    assert main(["core", "blocks"]) == 0
    assert "no import loops" in capsys.readouterr().out

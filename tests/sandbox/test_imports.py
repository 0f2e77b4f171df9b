"""The sandboxes stand alone and their modules form no import loop.

The loop check is `tools.cycles` (imports inside functions count); a function-level import is allowed only with a
comment on the same line saying why.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import sandbox
from tools.cycles import cycles, import_graph

ROOT = Path(sandbox.__file__).parent
OURS = ("sync", "handlers", "blocks", "bot", "core", "tests")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str) -> list[tuple[ast.stmt, str]]:
    """(statement, imported module) pairs, relative imports resolved; `from pkg import mod` names the module."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.append((node, child if child in MODULES else base))
    return found


def test_the_sandboxes_import_nothing_of_ours():
    offenders = [f"{name}: {target}" for name in MODULES for _, target in _imports(name)
                 if target.split(".")[0] in OURS]
    assert offenders == []


def test_no_import_loop_between_sandbox_modules():
    assert cycles(import_graph(["sandbox"])) == []


def _says_why(line: str) -> bool:
    """A comment with words beyond a linter code (`# noqa: PLC0415 - optional dependency`)."""
    comment = line.partition("#")[2]
    return bool(re.sub(r"noqa(:\s*[A-Z]+\d+(,\s*[A-Z]+\d+)*)?", "", comment).strip(" -:"))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_inside_functions_say_why(name):
    lines = MODULES[name].read_text().splitlines()
    tree = ast.parse(MODULES[name].read_text())
    unexplained = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom) and not _says_why(lines[node.lineno - 1]):
                unexplained.append(f"line {node.lineno}: {lines[node.lineno - 1].strip()}")
    assert unexplained == []


def test_a_bare_linter_code_is_not_a_reason():
    assert not _says_why("    from x import y  # noqa: PLC0415")
    assert not _says_why("    from x import y")
    assert _says_why("    from x import y  # noqa: PLC0415 - only the serving CLI needs it")

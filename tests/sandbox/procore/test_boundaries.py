"""The sandbox stands alone: it never imports Ledgerlink's client, domain, handlers or Slack blocks."""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox.procore

FORBIDDEN = ("sync", "handlers", "blocks", "bot")


def test_sandbox_imports_nothing_from_the_app():
    root = Path(sandbox.procore.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_modules_stay_small():
    root = Path(sandbox.procore.__file__).parent
    sizes = {p.relative_to(root).as_posix(): len(p.read_text().splitlines()) for p in root.rglob("*.py")}
    assert max(sizes.values()) < 400, sizes

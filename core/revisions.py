"""The newest migration's revision id, read from the migration files themselves without importing Alembic.

Every process checks the database's `alembic_version` against it at start (bot/preflight.py, /healthz), and
importing Alembic for that costs ~0.3 s of CPU (its DDL and autogenerate machinery). The files declare
`revision = '...'` and `down_revision = ...` as literals (Alembic's template); the head is the one revision no other
names as its parent — the answer Alembic's `ScriptDirectory.get_current_head()` gives (tests/core/test_revisions.py
compares the two).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

VERSIONS_DIR = Path(__file__).parent / "migrations" / "versions"


class RevisionGraphError(RuntimeError):
    """The migration files do not form one chain with one head."""


def _literals(path: Path) -> dict[str, object]:
    """The module-level `revision` and `down_revision` of one migration file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and node.value is not None:
            try:
                found[target.id] = ast.literal_eval(node.value)
            except ValueError:
                raise RevisionGraphError(f"{path.name}: {target.id} is not a literal") from None
    if not isinstance(found.get("revision"), str):
        raise RevisionGraphError(f"{path.name}: no revision id")
    return found


def _parents(down: object) -> set[str]:
    if down is None:
        return set()
    return {down} if isinstance(down, str) else set(down)  # a merge revision names a tuple of parents


@cache
def head_revision(versions_dir: Path = VERSIONS_DIR) -> str | None:
    """The single head revision (None when there are no migrations); cached: the files do not change while a
    process runs."""
    revisions: dict[str, set[str]] = {}
    for path in sorted(versions_dir.glob("*.py")):
        found = _literals(path)
        revisions[str(found["revision"])] = _parents(found.get("down_revision"))
    named_as_parent = set().union(*revisions.values()) if revisions else set()
    heads = sorted(set(revisions) - named_as_parent)
    if len(heads) > 1:
        raise RevisionGraphError(f"the migrations have {len(heads)} heads ({', '.join(heads)}): merge them")
    return heads[0] if heads else None

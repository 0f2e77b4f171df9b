"""core.revisions reads the head revision from the migration files without Alembic, and agrees with Alembic."""

import pytest

from core.migrate import alembic_head
from core.revisions import RevisionGraphError, head_revision


def _write(tmp_path, name, revision, down):
    (tmp_path / f"{name}.py").write_text(f'"""{name}"""\nimport sqlalchemy as sa\n\nrevision = {revision!r}\n'
                                         f"down_revision: str | None = {down!r}\n\n\ndef upgrade():\n    pass\n")


def test_head_is_alembics_head():
    assert head_revision() == alembic_head() is not None


def test_head_of_a_chain_with_a_merge(tmp_path):
    _write(tmp_path, "a", "a1", None)
    _write(tmp_path, "b", "b1", "a1")
    _write(tmp_path, "c", "c1", "a1")
    _write(tmp_path, "m", "m1", ("b1", "c1"))
    assert head_revision(tmp_path) == "m1"


def test_two_heads_are_refused(tmp_path):
    _write(tmp_path, "a", "a1", None)
    _write(tmp_path, "b", "b1", "a1")
    _write(tmp_path, "c", "c1", "a1")
    with pytest.raises(RevisionGraphError, match="2 heads"):
        head_revision(tmp_path)


def test_no_migrations_no_head(tmp_path):
    assert head_revision(tmp_path) is None


def test_a_computed_revision_id_is_refused(tmp_path):
    (tmp_path / "x.py").write_text("revision = 'x' + '1'\ndown_revision = None\n")
    with pytest.raises(RevisionGraphError, match="not a literal"):
        head_revision(tmp_path)


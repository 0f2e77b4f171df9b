"""core.rows.by_key: what session.get answers, with the statement built once per model."""

import pytest
from sqlalchemy import event
from sqlmodel import Session

from core import rows
from core.models import Item, Tenant, TenantSettings
from core.rows import by_key


@pytest.fixture
def statements(engine):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def tenant_id(engine) -> int:
    with Session(engine) as s:
        tenant = Tenant(name="Acme")
        s.add(tenant)
        s.commit()
        s.add(TenantSettings(tenant_id=tenant.id))
        s.commit()
        return tenant.id


@pytest.mark.parametrize("model", [Tenant, TenantSettings])
def test_answers_as_session_get(engine, tenant_id, model):
    with Session(engine) as a, Session(engine) as b:
        mine, theirs = by_key(a, model, tenant_id), b.get(model, tenant_id)
        assert mine is not None and mine.model_dump() == theirs.model_dump()
        assert by_key(a, model, tenant_id + 1000) is None and b.get(model, tenant_id + 1000) is None


def test_a_row_the_session_holds_is_not_read_again(engine, tenant_id, statements):
    with Session(engine) as s:
        first = by_key(s, Tenant, tenant_id)
        read = len(statements)
        assert by_key(s, Tenant, tenant_id) is first
        assert len(statements) == read == 1


def test_the_statement_is_built_once_per_model(engine, tenant_id):
    with Session(engine) as s:
        by_key(s, Item, 1)
        built = rows._BY_KEY[Item]
        by_key(s, Item, 2)
        assert rows._BY_KEY[Item] is built

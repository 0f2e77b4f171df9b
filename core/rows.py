"""Reading a row by its key on the paths every click takes."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

T = TypeVar("T")
_BY_KEY: dict[type, Any] = {}


def by_key(session: Session, model: type[T], key: Any) -> T | None:
    """`session.get`, for hot paths: the session's identity map first, else one statement per model built once
    (SQLAlchemy 2.0's `get` builds and annotates a new statement on every call, which costs more than running it)."""
    found = session.identity_map.get(identity_key(model, key))
    if found is not None:
        return found  # type: ignore[no-any-return]
    stmt = _BY_KEY.get(model)
    if stmt is None:
        (column,) = sa_inspect(model).primary_key
        stmt = _BY_KEY.setdefault(model, select(model).where(column == bindparam("key")))
    return session.exec(stmt, params={"key": key}).first()  # type: ignore[no-any-return]

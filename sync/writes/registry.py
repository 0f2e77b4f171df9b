"""The outbox's operations by name: each remote-write module registers its classes with `@operation("create_vendor")`
when it is imported (sync/operations.py imports them all). Built with a function that gives the TenantContext of a
tenant id, since one worker serves every tenant."""

from __future__ import annotations

from collections.abc import Callable

from sync.context import TenantContext
from sync.outbox import Operation

ContextFor = Callable[[int], TenantContext]
OPERATIONS: dict[str, Callable[[ContextFor], Operation]] = {}


def operation(name: str) -> Callable[[type], type]:
    def decorate(cls: type) -> type:
        OPERATIONS[name] = cls
        return cls
    return decorate

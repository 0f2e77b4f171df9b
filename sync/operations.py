"""The outbox's operations by name. Each remote-write module registers its classes here with
`@operation("create_vendor")`; the worker builds them with a function that gives the TenantContext of a
tenant id, since one worker serves every tenant.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sync.context import TenantContext
from sync.outbox import Operation

ContextFor = Callable[[int], TenantContext]
OPERATIONS: dict[str, Callable[[ContextFor], Operation]] = {}
#: modules that define operations (imported before the worker builds them)
OPERATION_MODULES: list[str] = [
    "sync.writes.payments",
    "sync.writes.direct_costs",
    "sync.writes.companies",
    "sync.writes.projects",
    "sync.writes.bills",
    "sync.writes.invoices",
    "sync.writes.cost_items",
    "sync.writes.commitments",
]


def operation(name: str) -> Callable[[type], type]:
    def decorate(cls: type) -> type:
        OPERATIONS[name] = cls
        return cls
    return decorate


def build_operations(context_for: ContextFor) -> dict[str, Operation]:
    for module in OPERATION_MODULES:
        importlib.import_module(module)
    return {name: factory(context_for) for name, factory in OPERATIONS.items()}

"""Every outbox operation the engine has, by name: importing the remote-write modules registers their classes
(`sync.writes.registry.operation`); a new write module is one more import line here."""

from __future__ import annotations

import sync.writes.bills
import sync.writes.commitments
import sync.writes.companies
import sync.writes.cost_items
import sync.writes.customers
import sync.writes.direct_costs
import sync.writes.invoices
import sync.writes.payments
import sync.writes.projects
import sync.writes.receipts  # noqa: F401 - the imports above and this one register the operations
from sync.outbox import Operation
from sync.writes.registry import OPERATIONS, ContextFor


def build_operations(context_for: ContextFor) -> dict[str, Operation]:
    return {name: factory(context_for) for name, factory in OPERATIONS.items()}

"""Budget line (cost code × cost type) on a QBO-linked project → QBO Service item (pure).

Naming, the item body, which lines are synced (cost-code preferences, ERP standard cost codes, an accepted
budget) and what to do about each line's item (create / rename / reactivate / deactivate / keep / skip), and
which chart-of-accounts entries new items post to. Procore's connector: "[project number]-[cost code].[cost
type]", the WBS description on purchase transactions, the QBO project's Id when the project number is blank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.mappers.errors import MappingError
from sync.mappers.names import ITEM_NAME_MAX, clean_name, truncate, unique_name


def cost_item_name(project_number: str, cost_code: str, cost_type: str, *, taken: set[str] | None = None) -> str:
    """`[project number]-[cost code].[cost type]`, as Procore's QBO connector names them, within QBO's 100
    characters, made unique against `taken` (QBO item names are unique, case-insensitive)."""
    parts = [clean_name(p) for p in (project_number, cost_code, cost_type)]
    if not all(parts):
        missing = [n for n, p in zip(("project number", "cost code", "cost type"), parts, strict=True) if not p]
        raise ValueError(f"can't name the QuickBooks item: the {' and '.join(missing)} is empty")
    return unique_name(f"{parts[0]}-{parts[1]}.{parts[2]}", taken or set(), ITEM_NAME_MAX)


def cost_item_body(name: str, *, description: str, income_account_id: str, expense_account_id: str) -> dict[str, Any]:
    """A QBO Service item that bills and costs can both use (purchase side: ExpenseAccountRef)."""
    return {
        "Name": name,
        "Type": "Service",
        "Description": description[:4000],
        "PurchaseDesc": description[:4000],
        "IncomeAccountRef": {"value": income_account_id},
        "ExpenseAccountRef": {"value": expense_account_id},
        "Active": True,
    }


# --- which budget lines become items, and what each item needs (pure planning) ------------------------------

#: binder entity of a budget line's QBO item; its Procore side is `cost_item_key(...)`
ITEM_LINK = "cost_item"
_VARIANT = re.compile(r"^(?P<base>.*) \((?P<n>\d+)\)$")


def cost_item_key(project_id: int | str, cost_code_id: int | str, line_item_type_id: int | str) -> str:
    """The binder key of one budget line's item: `"{project_id}:{cost_code_id}:{line_item_type_id}"`."""
    return f"{project_id}:{cost_code_id}:{line_item_type_id}"


def parse_cost_item_key(key: str) -> tuple[int, int, int]:
    project_id, cost_code_id, type_id = (int(part) for part in key.split(":"))
    return project_id, cost_code_id, type_id


def cost_item_description(cost_code_name: str | None, cost_type_name: str | None) -> str:
    """Procore's WBS description ("Cast-in-place Concrete.Subcontract"), shown on purchase transactions."""
    return ".".join(clean_name(p) for p in (cost_code_name, cost_type_name) if clean_name(p))[:4000]


def same_item_name(current: str, wanted: str) -> bool:
    """Is `current` the wanted name, or a collision variant of it ("… (2)") that Ledgerlink chose earlier?"""
    if current.casefold() == truncate(wanted, ITEM_NAME_MAX).casefold():
        return True
    match = _VARIANT.match(current)
    if match is None:
        return False
    suffix = f" ({match['n']})"
    return match["base"].casefold() == truncate(wanted, ITEM_NAME_MAX - len(suffix)).casefold()


@dataclass(frozen=True)
class ProjectCostCode:
    """A project cost code as the plan needs it."""

    id: int
    full_code: str
    name: str = ""
    standard_cost_code_id: int | None = None
    type_ids: tuple[int, ...] = ()  # the cost types assigned to it on the project (empty: none listed)
    erp: bool = False  # it came from the ERP (Procore `origin_id` set)


@dataclass(frozen=True)
class CostType:
    id: int
    name: str
    code: str | None = None

    @property
    def label(self) -> str:
        """What the item name carries: the cost type's code (L, M, S…), else its name."""
        return clean_name(self.code) or clean_name(self.name)


@dataclass(frozen=True)
class BudgetLine:
    id: int
    cost_code_id: int | None
    line_item_type_id: int | None


@dataclass(frozen=True)
class Preferences:
    """The tenant's cost-code preferences (no row = synced, no defaults)."""

    excluded_codes: frozenset[int] = frozenset()  # standard cost code ids that are not synced
    excluded_types: frozenset[int] = frozenset()  # cost type ids that are not synced
    default_types: Mapping[int, tuple[int, ...]] = field(default_factory=dict)  # standard code → cost types

    def effective_types(self, code: ProjectCostCode) -> tuple[int, ...] | None:
        """The cost types a project cost code carries: its assignments, else its standard code's defaults, else
        any (None)."""
        if code.type_ids:
            return code.type_ids
        if code.standard_cost_code_id is not None and self.default_types.get(code.standard_cost_code_id):
            return tuple(self.default_types[code.standard_cost_code_id])
        return None


@dataclass(frozen=True)
class LinkedItem:
    """A budget line's QBO item as Ledgerlink last saw it."""

    qbo_id: str
    name: str
    active: bool = True
    sync_token: str | None = None
    description: str | None = None  # None: unknown, not compared


@dataclass(frozen=True)
class ProjectScope:
    project_id: int
    project_number: str  # Procore's project number, else the QBO project's Id (as Procore's connector does)
    accepted_codes: frozenset[int] = frozenset()  # standard cost codes accepted into the ERP list
    budget_accepted: bool = False  # the project's budget was accepted: every line is synced


@dataclass(frozen=True)
class ItemPlan:
    """What to do about one budget line's item."""

    action: str  # create | rename | update (description) | reactivate | deactivate | keep | skip
    key: str
    name: str  # the wanted name (create/rename/reactivate), else the current one
    description: str = ""
    qbo_id: str | None = None
    reason: str = ""
    cost_code: str = ""
    cost_type: str = ""
    cost_type_id: int | None = None
    base_name: str = ""  # the name before collision handling


def plan_cost_items(scope: ProjectScope, lines: Iterable[BudgetLine], codes: Mapping[int, ProjectCostCode],
                    types: Mapping[int, CostType], prefs: Preferences, linked: Mapping[str, LinkedItem],
                    taken: Iterable[str], *, force: bool = False,
                    in_use: Mapping[str, str] | None = None) -> list[ItemPlan]:
    """One plan per budget line (cost code × cost type) of the project, plus a deactivation for each linked
    item whose line, cost code or cost-type assignment is gone from Procore — unless a live record still uses the
    item (`in_use`: key → what uses it, e.g. an unbudgeted commitment line or an invoice waiting for acceptance):
    Procore lets commitments and invoices carry cost code × cost type pairs that no budget line has, and an
    inactive item would make their export fail.

    A line is synced when its cost code and cost type are synced (preferences) and its cost code is an ERP
    standard cost code — accepted into the ERP list, or from the ERP — or the project's budget was accepted
    (`force`: exporting an accepted budget). Names are unique against `taken` (every QBO item name), each item's
    own current name aside; a line that is present but not synced keeps whatever item it has (skip)."""
    taken_set = {t.casefold() for t in taken}
    present: dict[str, tuple[ProjectCostCode, CostType]] = {}
    for line in sorted(lines, key=lambda x: x.id):
        code = codes.get(line.cost_code_id) if line.cost_code_id is not None else None
        kind = types.get(line.line_item_type_id) if line.line_item_type_id is not None else None
        if code is None or kind is None:
            continue
        allowed = prefs.effective_types(code)
        if allowed is not None and kind.id not in allowed:
            continue  # the cost-type assignment was deleted from the project cost code
        present.setdefault(cost_item_key(scope.project_id, code.id, kind.id), (code, kind))
    plans: list[ItemPlan] = []
    for key, (code, kind) in sorted(present.items(), key=lambda kv: (kv[1][0].full_code, kv[1][1].label)):
        base = cost_item_name(scope.project_number, code.full_code, kind.label)
        facts = {"description": cost_item_description(code.name, kind.name), "cost_code": code.full_code,
                 "cost_type": kind.name, "cost_type_id": kind.id, "base_name": base}
        link = linked.get(key)
        why = _not_synced(scope, code, kind, prefs, force)
        if why:
            plans.append(ItemPlan("skip", key, link.name if link else base, qbo_id=link.qbo_id if link else None,
                                  reason=why, **facts))
            continue
        if link is None:
            name = unique_name(base, taken_set, ITEM_NAME_MAX)
            taken_set.add(name.casefold())
            plans.append(ItemPlan("create", key, name, **facts))
            continue
        others = taken_set - {link.name.casefold()}
        if not link.active:
            name = unique_name(base, others, ITEM_NAME_MAX)
            taken_set.add(name.casefold())
            plans.append(ItemPlan("reactivate", key, name, qbo_id=link.qbo_id,
                                  reason="the budget line is back in Procore", **facts))
        elif same_item_name(link.name, base):
            if link.description is not None and link.description != facts["description"]:
                plans.append(ItemPlan("update", key, link.name, qbo_id=link.qbo_id,
                                      reason="its cost code or cost type was renamed in Procore", **facts))
            else:
                plans.append(ItemPlan("keep", key, link.name, qbo_id=link.qbo_id, **facts))
        else:
            name = unique_name(base, others, ITEM_NAME_MAX)
            taken_set.add(name.casefold())
            plans.append(ItemPlan("rename", key, name, qbo_id=link.qbo_id,
                                  reason=f"was '{link.name}'", **facts))
    for key, link in sorted(linked.items()):
        if key not in present and link.active and in_use and key in in_use:
            plans.append(ItemPlan("skip", key, link.name, qbo_id=link.qbo_id,
                                  reason=f"no budget line uses it, but {in_use[key]} does: kept active"))
        elif key not in present and link.active:
            plans.append(ItemPlan("deactivate", key, link.name, qbo_id=link.qbo_id,
                                  reason="its budget line, cost code or cost-type assignment was deleted in Procore"))
    return plans


def _not_synced(scope: ProjectScope, code: ProjectCostCode, kind: CostType, prefs: Preferences,
                force: bool) -> str:
    if code.standard_cost_code_id is not None and code.standard_cost_code_id in prefs.excluded_codes:
        return f"cost code {code.full_code} is not synced (cost-code preferences)"
    if kind.id in prefs.excluded_types:
        return f"cost type {kind.name} is not synced (cost-code preferences)"
    if force or scope.budget_accepted or code.erp:
        return ""
    if code.standard_cost_code_id is not None and code.standard_cost_code_id in scope.accepted_codes:
        return ""
    return (f"{code.full_code} is not an ERP standard cost code yet: send it for acceptance "
            f"(`/ledgerlink send cost-code {code.full_code}`) or send the project's budget")


# --- the QBO accounts new items post to ------------------------------------------------------------------------
DEFAULT_EXPENSE_NAMES = ("Job Expenses", "Cost of Goods Sold")
DEFAULT_INCOME_NAMES = ("Services", "Construction Income")


def pick_account(accounts: Iterable[Mapping[str, Any]], *, kind: str, wanted: str | None = None) -> str:
    """The Id of the account new cost items use for `kind` ("income" or "expense"): the configured one (an Id or
    a name), else by name ("Job Expenses"/"Cost of Goods Sold", "Services"/"Construction Income"), else the first
    active account of the right type. Never a hard-coded Id."""
    active = [a for a in accounts if a.get("Active", True) is not False]
    if wanted:
        for account in active:
            if str(account.get("Id")) == wanted or str(account.get("Name", "")).casefold() == wanted.casefold() \
                    or str(account.get("FullyQualifiedName", "")).casefold() == wanted.casefold():
                return str(account["Id"])
        raise MappingError(f"The {kind} account '{wanted}' chosen for cost-code items is not an active QuickBooks "
                           "account: pick another in the cost-code settings.")
    types = ("Cost of Goods Sold", "Expense") if kind == "expense" else ("Income",)
    names = DEFAULT_EXPENSE_NAMES if kind == "expense" else DEFAULT_INCOME_NAMES
    candidates = [a for a in active if a.get("AccountType") in types]
    for name in names:
        for account in candidates:
            if str(account.get("Name", "")).casefold() == name.casefold():
                return str(account["Id"])
    for account_type in types:
        for account in candidates:
            if account.get("AccountType") == account_type:
                return str(account["Id"])
    label = "expense or cost of goods sold" if kind == "expense" else "income"
    raise MappingError(f"QuickBooks has no active {label} account for cost-code items: add one, or choose one in "
                       "the cost-code settings.")

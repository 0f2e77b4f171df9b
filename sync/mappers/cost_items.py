"""Budget line (cost code × cost type) on a QBO-linked project → QBO Service item (pure)."""

from __future__ import annotations

from typing import Any

from sync.mappers.names import ITEM_NAME_MAX, clean_name, unique_name


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

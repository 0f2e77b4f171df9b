"""The cost-code item plan (pure): names, collisions, which lines are synced, and what happens to each item."""

from __future__ import annotations

import pytest

from sync.mappers.cost_items import (
    BudgetLine,
    CostType,
    LinkedItem,
    Preferences,
    ProjectCostCode,
    ProjectScope,
    cost_item_description,
    cost_item_key,
    cost_item_name,
    parse_cost_item_key,
    pick_account,
    plan_cost_items,
    same_item_name,
)
from sync.mappers.errors import MappingError

P = 562949953421700  # Procore ids are 64-bit
CONCRETE = ProjectCostCode(11, "03-300", "Cast-in-place Concrete", standard_cost_code_id=301, type_ids=(1, 2))
REBAR = ProjectCostCode(12, "03-200", "Concrete Reinforcing", standard_cost_code_id=302)
ERP = ProjectCostCode(13, "01-100", "General Requirements", standard_cost_code_id=None, erp=True)
TYPES = {1: CostType(1, "Subcontract", "S"), 2: CostType(2, "Material", "M"), 3: CostType(3, "Labor", "L")}
CODES = {c.id: c for c in (CONCRETE, REBAR, ERP)}
SCOPE = ProjectScope(P, "2024-001", accepted_codes=frozenset({301, 302}))


def plan(lines, *, linked=None, taken=(), prefs=Preferences(), scope=SCOPE, codes=CODES, force=False, in_use=None):
    return {p.key: p for p in plan_cost_items(scope, [BudgetLine(n, c, t) for n, (c, t) in enumerate(lines, 1)],
                                              codes, TYPES, prefs, linked or {}, taken, force=force, in_use=in_use)}


@pytest.mark.parametrize(("project", "code", "kind", "name"), [
    ("2024-001", "03-300", "S", "2024-001-03-300.S"),
    ("  2024 001 ", "03-300", "Subcontract", "2024 001-03-300.Subcontract"),
    ("Tower: Phase 2", "03-300", "M", "Tower- Phase 2-03-300.M"),  # ':' is QBO's sub-item separator
    ("Café Béton", "03-300", "Matériel", "Café Béton-03-300.Matériel"),
    ("O'Brien \"North\"", "01-100", "L", "O'Brien \"North\"-01-100.L"),
    ("P" * 120, "03-300", "S", None),  # cut to QBO's 100 characters
])
def test_item_names(project, code, kind, name):
    out = cost_item_name(project, code, kind)
    assert len(out) <= 100
    if name is not None:
        assert out == name


def test_keys_and_descriptions():
    key = cost_item_key(P, 11, 2)
    assert key == f"{P}:11:2" and parse_cost_item_key(key) == (P, 11, 2)
    assert cost_item_description("Cast-in-place Concrete", "Subcontract") == "Cast-in-place Concrete.Subcontract"
    assert cost_item_description(None, "Labor") == "Labor"


@pytest.mark.parametrize(("current", "wanted", "same"), [
    ("2024-001-03-300.S", "2024-001-03-300.S", True),
    ("2024-001-03-300.s", "2024-001-03-300.S", True),  # QBO compares names case-insensitively
    ("2024-001-03-300.S (2)", "2024-001-03-300.S", True),  # the variant Ledgerlink chose on a collision
    ("2024-001B-03-300.S", "2024-001-03-300.S", False),
    ("2024-001-03-300.S (deleted)", "2024-001-03-300.S", False),
    ("X" * 96 + " (2)", "X" * 130, True),
])
def test_same_item_name(current, wanted, same):
    assert same_item_name(current, wanted) is same


def test_new_lines_are_created_with_unique_names():
    out = plan([(11, 1), (11, 2), (12, 1)], taken={"2024-001-03-300.S"})
    assert {p.action for p in out.values()} == {"create"}
    assert out[cost_item_key(P, 11, 1)].name == "2024-001-03-300.S (2)"  # someone else's item has the name
    assert out[cost_item_key(P, 11, 1)].base_name == "2024-001-03-300.S"
    assert out[cost_item_key(P, 11, 2)].description == "Cast-in-place Concrete.Material"
    assert out[cost_item_key(P, 12, 1)].name == "2024-001-03-200.S"


def test_two_lines_that_clean_to_the_same_name_get_distinct_names():
    codes = {**CODES, 14: ProjectCostCode(14, "03:300", "Twin", standard_cost_code_id=301)}
    out = plan([(11, 1), (14, 1)], codes=codes)
    assert sorted(p.name for p in out.values()) == ["2024-001-03-300.S", "2024-001-03-300.S (2)"]


def test_one_item_per_cost_code_and_cost_type_even_with_duplicate_lines():
    assert len(plan([(11, 1), (11, 1), (11, 1)])) == 1


def test_linked_items_are_kept_renamed_reactivated_or_deactivated():
    keep, rename, back, gone = (cost_item_key(P, *pair) for pair in ((11, 1), (11, 2), (12, 1), (12, 2)))
    linked = {keep: LinkedItem("70", "2024-001-03-300.S"), rename: LinkedItem("71", "2023-999-03-300.M"),
              back: LinkedItem("72", "2024-001-03-200.S (deleted)", active=False),
              gone: LinkedItem("73", "2024-001-03-200.M")}
    out = plan([(11, 1), (11, 2), (12, 1)], linked=linked,
               taken={"2024-001-03-300.S", "2023-999-03-300.M", "2024-001-03-200.S (deleted)", "2024-001-03-200.M"})
    assert (out[keep].action, out[keep].qbo_id) == ("keep", "70")
    assert (out[rename].action, out[rename].name) == ("rename", "2024-001-03-300.M")
    assert (out[back].action, out[back].name) == ("reactivate", "2024-001-03-200.S")
    assert (out[gone].action, out[gone].qbo_id) == ("deactivate", "73")


def test_an_inactive_item_whose_line_is_gone_stays_as_it_is():
    linked = {cost_item_key(P, 12, 2): LinkedItem("73", "x (deleted)", active=False)}
    assert plan([], linked=linked) == {}


def test_deleted_cost_type_assignment_deactivates_and_defaults_fill_in_missing_assignments():
    linked = {cost_item_key(P, 11, 3): LinkedItem("80", "2024-001-03-300.L")}
    out = plan([(11, 3)], linked=linked)  # 03-300 carries only S and M now: Labor was taken off
    assert [p.action for p in out.values()] == ["deactivate"]
    prefs = Preferences(default_types={302: (2,)})  # 03-200 lists no cost types: its defaults apply
    out = plan([(12, 1), (12, 2)], prefs=prefs)
    assert [(p.cost_type, p.action) for p in out.values()] == [("Material", "create")]


def test_preferences_and_acceptance_decide_what_is_synced():
    prefs = Preferences(excluded_codes=frozenset({302}), excluded_types=frozenset({2}))
    out = plan([(11, 1), (11, 2), (12, 1)], prefs=prefs)
    assert out[cost_item_key(P, 11, 1)].action == "create"
    assert "cost type Material is not synced" in out[cost_item_key(P, 11, 2)].reason
    assert "cost code 03-200 is not synced" in out[cost_item_key(P, 12, 1)].reason
    waiting = plan([(11, 1), (13, 3)], scope=ProjectScope(P, "2024-001"))
    assert waiting[cost_item_key(P, 11, 1)].action == "skip"
    assert "not an ERP standard cost code yet" in waiting[cost_item_key(P, 11, 1)].reason
    assert waiting[cost_item_key(P, 13, 3)].action == "create"  # from the ERP already
    budget = plan([(11, 1)], scope=ProjectScope(P, "2024-001", budget_accepted=True))
    assert budget[cost_item_key(P, 11, 1)].action == "create"
    forced = plan([(11, 1)], scope=ProjectScope(P, "2024-001"), force=True)
    assert forced[cost_item_key(P, 11, 1)].action == "create"
    # a linked item whose code is no longer synced is left alone, not renamed
    linked = {cost_item_key(P, 12, 1): LinkedItem("90", "old name")}
    assert plan([(12, 1)], prefs=prefs, linked=linked)[cost_item_key(P, 12, 1)].action == "skip"


ACCOUNTS = [
    {"Id": "1", "Name": "Services", "AccountType": "Income"},
    {"Id": "45", "Name": "Landscaping Services", "AccountType": "Income"},
    {"Id": "58", "Name": "Job Expenses", "AccountType": "Expense"},
    {"Id": "80", "Name": "Cost of Goods Sold", "AccountType": "Cost of Goods Sold"},
    {"Id": "90", "Name": "Subcontractors", "AccountType": "Cost of Goods Sold", "FullyQualifiedName": "Subcontractors"},
    {"Id": "99", "Name": "Old", "AccountType": "Expense", "Active": False},
]


@pytest.mark.parametrize(("kind", "wanted", "accounts", "expected"), [
    ("income", None, ACCOUNTS, "1"),
    ("expense", None, ACCOUNTS, "58"),
    ("expense", None, [a for a in ACCOUNTS if a["Id"] != "58"], "80"),
    ("expense", None, [a for a in ACCOUNTS if a["Id"] in ("90", "1")], "90"),
    ("expense", "subcontractors", ACCOUNTS, "90"),
    ("expense", "90", ACCOUNTS, "90"),
    ("income", None, [{"Id": "7", "Name": "Fees", "AccountType": "Income"}], "7"),
])
def test_pick_account(kind, wanted, accounts, expected):
    assert pick_account(accounts, kind=kind, wanted=wanted) == expected


def test_pick_account_explains_what_is_missing():
    with pytest.raises(MappingError, match="not an active QuickBooks account"):
        pick_account(ACCOUNTS, kind="expense", wanted="Old")
    with pytest.raises(MappingError, match="no active income account"):
        pick_account([a for a in ACCOUNTS if a["AccountType"] != "Income"], kind="income")


def test_a_renamed_cost_code_updates_the_item_description_only():
    key = cost_item_key(P, 11, 1)
    stale = {key: LinkedItem("70", "2024-001-03-300.S", description="Concrete (old name).Subcontract")}
    out = plan([(11, 1)], linked=stale, taken={"2024-001-03-300.S"})
    assert (out[key].action, out[key].name, out[key].description) == (
        "update", "2024-001-03-300.S", "Cast-in-place Concrete.Subcontract")
    fresh = {key: LinkedItem("70", "2024-001-03-300.S", description="Cast-in-place Concrete.Subcontract")}
    assert plan([(11, 1)], linked=fresh)[key].action == "keep"


def test_an_item_live_records_use_is_kept_when_its_budget_line_is_gone():
    gone = cost_item_key(P, 12, 1)
    linked = {gone: LinkedItem("73", "2024-001-03-200.S")}
    out = plan([(11, 1)], linked=linked, in_use={gone: "ACME invoice SC-1"})
    assert (out[gone].action, out[gone].qbo_id) == ("skip", "73") and "ACME invoice SC-1" in out[gone].reason
    assert plan([(11, 1)], linked=linked)[gone].action == "deactivate"

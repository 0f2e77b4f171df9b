"""Cost structure: standard cost code lists and codes, project cost codes, cost types, budget line items.

Docs: https://developers.procore.com/reference/rest/standard-cost-codes, …/cost-codes, …/line-item-types,
…/budget-line-items
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.procore._core import V1, ProcoreCore, filter_params
from sync.procore.pagination import Listing
from sync.procore.records import BudgetLineItem, CostCode, LineItemType, StandardCostCodeList


class CostCalls(ProcoreCore):
    def list_standard_cost_code_lists(self, *, per_page: int | None = None) -> Listing[StandardCostCodeList]:
        return self._list(f"{V1}/standard_cost_code_lists", StandardCostCodeList.from_api,
                          params={"company_id": self.company_id}, per_page=per_page)

    def list_standard_cost_codes(self, *, standard_cost_code_list_id: int,
                                 per_page: int | None = None) -> Listing[CostCode]:
        return self._list(f"{V1}/standard_cost_codes", CostCode.from_api,
                          params={"standard_cost_code_list_id": standard_cost_code_list_id,
                                  "company_id": self.company_id}, per_page=per_page)

    def list_cost_codes(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                        per_page: int | None = None) -> Listing[CostCode]:
        """A project's cost codes."""
        return self._list(f"{V1}/cost_codes", CostCode.from_api,
                          params={"project_id": project_id, **filter_params(filters)}, per_page=per_page,
                          project_id=project_id)

    def delete_cost_code(self, *, project_id: int, cost_code_id: int) -> None:
        self._call("DELETE", f"{V1}/cost_codes/{cost_code_id}", params={"project_id": project_id})

    def list_line_item_types(self, *, per_page: int | None = None) -> Listing[LineItemType]:
        """The company's cost types (Labor, Material, Equipment, Subcontract, Other, …)."""
        return self._list(f"{V1}/line_item_types", LineItemType.from_api,
                          params={"company_id": self.company_id}, per_page=per_page)

    def list_budget_line_items(self, *, project_id: int, per_page: int | None = None) -> Listing[BudgetLineItem]:
        return self._list(f"{V1}/budget_line_items", BudgetLineItem.from_api,
                          params={"project_id": project_id}, per_page=per_page, project_id=project_id)

"""Cost structure: standard cost code lists and codes, project cost codes, cost types, budget line items.

Docs: https://developers.procore.com/reference/rest/standard-cost-codes, …/cost-codes, …/line-item-types,
…/budget-line-items
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    def update_cost_code(self, *, project_id: int, cost_code_id: int,
                         line_item_type_ids: Sequence[int] | None = None, **fields: Any) -> CostCode:
        """Procore's "Update Cost Code": e.g. the cost types assigned to a project cost code."""
        cost_code = {**fields} if line_item_type_ids is None else {"line_item_type_ids": list(line_item_type_ids),
                                                                    **fields}
        body = self._call("PATCH", f"{V1}/cost_codes/{cost_code_id}",
                          json={"project_id": project_id, "cost_code": cost_code})
        return self._one(CostCode.from_api, body, f"cost code {cost_code_id}", project_id=project_id)

    def delete_cost_code(self, *, project_id: int, cost_code_id: int) -> None:
        self._call("DELETE", f"{V1}/cost_codes/{cost_code_id}", params={"project_id": project_id})

    def list_line_item_types(self, *, per_page: int | None = None) -> Listing[LineItemType]:
        """The company's cost types (Labor, Material, Equipment, Subcontract, Other, …)."""
        return self._list(f"{V1}/line_item_types", LineItemType.from_api,
                          params={"company_id": self.company_id}, per_page=per_page)

    def list_budget_line_items(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                               per_page: int | None = None) -> Listing[BudgetLineItem]:
        return self._list(f"{V1}/budget_line_items", BudgetLineItem.from_api,
                          params={"project_id": project_id, **filter_params(filters)}, per_page=per_page,
                          project_id=project_id)

    def create_budget_line_item(self, *, project_id: int, budget_line_item: Mapping[str, Any]) -> BudgetLineItem:
        """Add a budget line (`cost_code_id`, `line_item_type_id`, `original_budget_amount`, `origin_id`, …)."""
        body = self._call("POST", f"{V1}/budget_line_items",
                          json={"project_id": project_id, "budget_line_item": budget_line_item})
        return self._one(BudgetLineItem.from_api, body, "created budget line item", project_id=project_id)

"""Prime contracts, change orders, updating a cost code and adding a budget line: typed, company-scoped calls."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from sync.procore.financials import ChangeOrder, PrimeContract
from sync.procore.records import BudgetLineItem, CostCode
from tests.sync.procore.fakes import COMPANY, FakeProcore

PROJECT = 77
PRIME = {"id": 5, "number": "PC-1", "title": "Owner contract", "status": "Approved", "grand_total": "1000.00",
         "origin_id": "42",
         "line_items": [{"id": 1, "amount": "1000.00", "cost_code": {"id": 9, "full_code": "01-100"}}]}
CO = {"id": 8, "contract": {"id": 5}, "number": "3", "status": "approved", "grand_total": "250.00",
      "line_items": [{"id": 2, "amount": "250.00"}]}


def _json(request: httpx.Request) -> dict:
    return json.loads(request.content)


def test_prime_contracts_are_listed_with_filters_and_read_one_by_one():
    fake = FakeProcore()
    fake.routes[("GET", "/rest/v1.0/prime_contracts")] = lambda r: fake.page(r, [PRIME])
    fake.routes[("GET", "/rest/v1.0/prime_contracts/5")] = lambda r: httpx.Response(200, json=PRIME)
    client = fake.client()

    listed = list(client.list_prime_contracts(project_id=PROJECT, filters={"origin_id": "42"}))
    one = client.get_prime_contract(project_id=PROJECT, prime_contract_id=5)

    assert listed == [one] and isinstance(one, PrimeContract)
    assert one.grand_total == Decimal("1000.00") and one.lines[0].cost_code == "01-100" and one.origin_id == "42"
    listing, get = fake.requests
    assert listing.url.params["project_id"] == str(PROJECT) and listing.url.params["filters[origin_id]"] == "42"
    assert get.url.params["project_id"] == str(PROJECT)
    assert all(r.headers["Procore-Company-Id"] == str(COMPANY) for r in fake.requests)


def test_change_orders_by_kind_status_and_contract():
    fake = FakeProcore()
    fake.routes[("GET", f"/rest/v1.0/projects/{PROJECT}/commitment_change_orders")] = lambda r: fake.page(r, [CO])
    fake.routes[("GET", f"/rest/v1.0/projects/{PROJECT}/prime_change_orders/8")] = lambda r: httpx.Response(200,
                                                                                                          json=CO)
    client = fake.client()

    listed = list(client.list_change_orders(project_id=PROJECT, kind="commitment", status="approved", contract_id=5))
    one = client.get_change_order(project_id=PROJECT, kind="prime", change_order_id=8)

    assert listed == [one] and isinstance(one, ChangeOrder) and one.approved and one.contract_id == 5
    assert fake.requests[0].url.params["filters[status]"] == "approved"
    assert fake.requests[0].url.params["filters[contract_id]"] == "5"
    with pytest.raises(ValueError):
        client.list_change_orders(project_id=PROJECT, kind="owner")


def test_create_prime_contract_posts_the_body_in_the_project():
    fake = FakeProcore()
    fake.routes[("POST", "/rest/v1.0/prime_contracts")] = lambda r: httpx.Response(201, json=PRIME)

    created = fake.client().create_prime_contract(project_id=PROJECT, prime_contract={"title": "Owner contract",
                                                                                     "origin_id": "42"})

    assert created.id == 5 and created.title == "Owner contract"
    assert _json(fake.requests[0]) == {"project_id": PROJECT,
                                       "prime_contract": {"title": "Owner contract", "origin_id": "42"}}
    assert fake.requests[0].headers["Procore-Company-Id"] == str(COMPANY)


def test_update_cost_code_sets_its_cost_types():
    fake = FakeProcore()
    fake.routes[("PATCH", "/rest/v1.0/cost_codes/9")] = lambda r: httpx.Response(
        200, json={"id": 9, "name": "Concrete", "full_code": "03-100", "line_item_type_ids": [1, 2]})

    code = fake.client().update_cost_code(project_id=PROJECT, cost_code_id=9, line_item_type_ids=[1, 2])

    assert isinstance(code, CostCode) and code.id == 9 and code.project_id == PROJECT
    assert code.raw["line_item_type_ids"] == [1, 2]
    assert _json(fake.requests[0]) == {"project_id": PROJECT, "cost_code": {"line_item_type_ids": [1, 2]}}


def test_create_budget_line_item():
    fake = FakeProcore()
    fake.routes[("POST", "/rest/v1.0/budget_line_items")] = lambda r: httpx.Response(
        201, json={"id": 31, "cost_code": {"id": 9}, "line_item_type": {"id": 1}, "original_budget_amount": "500.00"})
    body = {"cost_code_id": 9, "line_item_type_id": 1, "original_budget_amount": "500.00", "origin_id": "q-7"}

    line = fake.client().create_budget_line_item(project_id=PROJECT, budget_line_item=body)

    assert isinstance(line, BudgetLineItem) and line.id == 31 and line.project_id == PROJECT
    assert _json(fake.requests[0]) == {"project_id": PROJECT, "budget_line_item": body}

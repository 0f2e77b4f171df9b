"""Money: commitments, subcontractor invoices (requisitions), owner invoices (payment applications), contract
payments and direct costs. Every call here is project-scoped and also carries the company header.

Docs: https://developers.procore.com/reference/rest/work-order-contracts, …/purchase-order-contracts,
…/requisitions, …/payment-applications, …/contract-payments, …/direct-costs
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sync.procore._core import V1, V11, ProcoreCore, attributes, filter_params
from sync.procore.financials import (
    ChangeOrder,
    Commitment,
    ContractPayment,
    DirectCost,
    PaymentApplication,
    PrimeContract,
    Requisition,
)
from sync.procore.pagination import Listing

WORK_ORDER = "work_order_contract"
PURCHASE_ORDER = "purchase_order_contract"
CHANGE_ORDER_KINDS = ("commitment", "prime")


def _commitment_parser(kind: str):  # type: ignore[no-untyped-def]
    return lambda data: Commitment.from_api(data, kind=kind)


def _change_order_kind(kind: str) -> str:
    if kind not in CHANGE_ORDER_KINDS:
        raise ValueError(f"change order kind must be one of {', '.join(CHANGE_ORDER_KINDS)}, not {kind!r}")
    return kind


class ContractCalls(ProcoreCore):
    # -- commitments -------------------------------------------------------------------------------------
    def list_work_order_contracts(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                                  per_page: int | None = None) -> Listing[Commitment]:
        """Subcontracts of a project (`filters`: e.g. `{"updated_at": "<from>...<to>"}`)."""
        return self._list(f"{V1}/work_order_contracts", _commitment_parser(WORK_ORDER),
                          params={"project_id": project_id, **filter_params(filters)}, per_page=per_page,
                          project_id=project_id)

    def get_work_order_contract(self, *, project_id: int, contract_id: int) -> Commitment:
        body = self._call("GET", f"{V1}/work_order_contracts/{contract_id}", params={"project_id": project_id})
        return self._one(_commitment_parser(WORK_ORDER), body, f"work order contract {contract_id}",
                         project_id=project_id)

    def list_purchase_order_contracts(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                                      per_page: int | None = None) -> Listing[Commitment]:
        return self._list(f"{V1}/purchase_order_contracts", _commitment_parser(PURCHASE_ORDER),
                          params={"project_id": project_id, **filter_params(filters)}, per_page=per_page,
                          project_id=project_id)

    def get_purchase_order_contract(self, *, project_id: int, contract_id: int) -> Commitment:
        body = self._call("GET", f"{V1}/purchase_order_contracts/{contract_id}", params={"project_id": project_id})
        return self._one(_commitment_parser(PURCHASE_ORDER), body, f"purchase order contract {contract_id}",
                         project_id=project_id)

    # -- prime contracts and change orders ---------------------------------------------------------------
    def list_prime_contracts(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                             per_page: int | None = None) -> Listing[PrimeContract]:
        """A project's prime contracts (`filters`: e.g. `{"origin_id": "42"}`)."""
        return self._list(f"{V1}/prime_contracts", PrimeContract.from_api,
                          params={"project_id": project_id, **filter_params(filters)}, per_page=per_page,
                          project_id=project_id)

    def get_prime_contract(self, *, project_id: int, prime_contract_id: int) -> PrimeContract:
        body = self._call("GET", f"{V1}/prime_contracts/{prime_contract_id}", params={"project_id": project_id})
        return self._one(PrimeContract.from_api, body, f"prime contract {prime_contract_id}", project_id=project_id)

    def create_prime_contract(self, *, project_id: int, prime_contract: Mapping[str, Any]) -> PrimeContract:
        """Create a prime contract (`prime_contract`: Procore's body, with `line_items` and `origin_id`)."""
        body = self._call("POST", f"{V1}/prime_contracts",
                          json={"project_id": project_id, "prime_contract": prime_contract})
        return self._one(PrimeContract.from_api, body, "created prime contract", project_id=project_id)

    def list_change_orders(self, *, project_id: int, kind: str, status: str | None = None,
                           contract_id: int | None = None, filters: Mapping[str, Any] | None = None,
                           per_page: int | None = None) -> Listing[ChangeOrder]:
        """`kind` "commitment" or "prime": `GET /rest/v1.0/projects/{id}/{kind}_change_orders` (no lines)."""
        return self._list(f"{V1}/projects/{project_id}/{_change_order_kind(kind)}_change_orders",
                          ChangeOrder.from_api,
                          params=filter_params({**(filters or {}), "status": status, "contract_id": contract_id}),
                          per_page=per_page, project_id=project_id)

    def get_change_order(self, *, project_id: int, kind: str, change_order_id: int) -> ChangeOrder:
        """One change order with its lines (`kind` "commitment" or "prime")."""
        kind = _change_order_kind(kind)
        body = self._call("GET", f"{V1}/projects/{project_id}/{kind}_change_orders/{change_order_id}")
        return self._one(ChangeOrder.from_api, body, f"{kind} change order {change_order_id}", project_id=project_id)

    # -- subcontractor invoices --------------------------------------------------------------------------
    def list_requisitions(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                          with_items: bool = False, per_page: int | None = None) -> Listing[Requisition]:
        """A project's subcontractor invoices (v1.0: summary only; `with_items`: v1.1 with their lines)."""
        if with_items:
            return self._list(f"{V11}/requisitions", Requisition.from_api, per_page=per_page, project_id=project_id,
                              params={"project_id": project_id, "views": "extended", **filter_params(filters)})
        return self._list(f"{V1}/requisitions", Requisition.from_api,
                          params={"project_id": project_id, **filter_params(filters)}, per_page=per_page,
                          project_id=project_id)

    def get_requisition(self, *, project_id: int, requisition_id: int, with_commitment: bool = True) -> Requisition:
        """One invoice with its lines (v1.1). `with_commitment` also reads the commitment (one more call) to
        give each line its cost type and full cost code, which Procore's invoice lines leave out."""
        body = self._call("GET", f"{V11}/requisitions/{requisition_id}", params={"project_id": project_id})
        req = self._one(Requisition.from_api, body, f"requisition {requisition_id}", project_id=project_id)
        if with_commitment and req.commitment_id is not None:
            get = (self.get_purchase_order_contract if req.commitment_type == "PurchaseOrderContract"
                   else self.get_work_order_contract)
            req = req.with_commitment(get(project_id=project_id, contract_id=req.commitment_id))
        return req

    def requisition_workflow_complete(self, *, requisition_id: int) -> bool | None:
        """Whether the approval workflow on a subcontractor invoice reached its last step; None when no workflow
        is applied to it (Procore's Workflows tool: `GET /workflow_instances`, filtered to the invoice)."""
        instances = list(self._list(f"{V1}/workflow_instances", dict, params={
            "company_id": self.company_id, "filters[workflowed_object_type]": "Requisition",
            "filters[workflowed_object_id]": requisition_id}))
        if not instances:
            return None
        state = instances[-1].get("current_state") or {}
        return bool(state.get("terminal") or instances[-1].get("completed_at"))

    # -- owner invoices ----------------------------------------------------------------------------------
    def list_payment_applications(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                                  per_page: int | None = None) -> Listing[PaymentApplication]:
        return self._list(f"{V1}/payment_applications", PaymentApplication.from_api,
                          params={"project_id": project_id, **filter_params(filters)}, per_page=per_page,
                          project_id=project_id)

    def get_payment_application(self, *, project_id: int, payment_application_id: int) -> PaymentApplication:
        body = self._call("GET", f"{V1}/payment_applications/{payment_application_id}",
                          params={"project_id": project_id})
        return self._one(PaymentApplication.from_api, body, f"payment application {payment_application_id}",
                         project_id=project_id)

    # -- payments issued ---------------------------------------------------------------------------------
    def list_contract_payments(self, *, project_id: int, contract_id: int,
                               per_page: int | None = None) -> Listing[ContractPayment]:
        """Payments issued against one commitment."""
        return self._list(f"{V1}/contract_payments", ContractPayment.from_api,
                          params={"project_id": project_id, "contract_id": contract_id}, per_page=per_page,
                          project_id=project_id)

    def create_contract_payment(self, *, project_id: int, contract_id: int, amount: Decimal, payment_date: date,
                                requisition_id: int | None = None, payment_number: str | None = None,
                                check_number: str | None = None, invoice_number: str | None = None,
                                notes: str | None = None, origin_id: str | None = None,
                                **fields: Any) -> ContractPayment:
        """Record a payment issued against a commitment (and optionally one of its invoices)."""
        payment = attributes(amount=amount, date=payment_date, requisition_id=requisition_id,
                             payment_number=payment_number, check_number=check_number,
                             invoice_number=invoice_number, notes=notes, origin_id=origin_id, **fields)
        scope = {"project_id": project_id, "contract_id": contract_id}
        body = self._call("POST", f"{V1}/contract_payments", params=scope, json={**scope, "contract_payment": payment})
        return self._one(ContractPayment.from_api, body, "created contract payment", project_id=project_id)

    def delete_contract_payment(self, *, project_id: int, contract_payment_id: int) -> None:
        self._call("DELETE", f"{V1}/contract_payments/{contract_payment_id}", params={"project_id": project_id})

    # -- payments received on a prime contract (against an owner invoice) ----------------------------------
    def list_prime_contract_payments(self, *, project_id: int, prime_contract_id: int) -> Listing[ContractPayment]:
        return self._list(f"{V1}/prime_contracts/{prime_contract_id}/payments", ContractPayment.from_api,
                          params={"project_id": project_id}, project_id=project_id)

    def create_prime_contract_payment(self, *, project_id: int, prime_contract_id: int, payment_application_id: int,
                                      amount: Decimal, payment_date: date, check_number: str | None = None,
                                      notes: str | None = None, origin_id: str | None = None) -> ContractPayment:
        """Record a payment received from the owner against one owner invoice."""
        payment = attributes(amount=amount, date=payment_date, payment_application_id=payment_application_id,
                             check_number=check_number, notes=notes, origin_id=origin_id)
        body = self._call("POST", f"{V1}/prime_contracts/{prime_contract_id}/payments",
                          params={"project_id": project_id}, json={"project_id": project_id, "payment": payment})
        return self._one(ContractPayment.from_api, body, "created prime contract payment", project_id=project_id)

    def delete_prime_contract_payment(self, *, project_id: int, prime_contract_id: int, payment_id: int) -> None:
        self._call("DELETE", f"{V1}/prime_contracts/{prime_contract_id}/payments/{payment_id}",
                   params={"project_id": project_id})

    # -- direct costs ------------------------------------------------------------------------------------
    def list_direct_costs(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                          per_page: int | None = None) -> Listing[DirectCost]:
        """A project's direct costs (the list has no lines; `get_direct_cost` has them)."""
        return self._list(f"{V1}/projects/{project_id}/direct_costs", DirectCost.from_api,
                          params=filter_params(filters), per_page=per_page, project_id=project_id)

    def get_direct_cost(self, *, project_id: int, direct_cost_id: int) -> DirectCost:
        body = self._call("GET", f"{V11}/projects/{project_id}/direct_costs/{direct_cost_id}")
        return self._one(DirectCost.from_api, body, f"direct cost {direct_cost_id}", project_id=project_id)

    def create_direct_cost(self, *, project_id: int, direct_cost_type: str, direct_cost_date: date,
                           line_items: Sequence[Mapping[str, Any]], vendor_id: int | None = None,
                           invoice_number: str | None = None, description: str | None = None,
                           status: str | None = None, origin_id: str | None = None, **fields: Any) -> DirectCost:
        """Create a direct cost ("invoice", "expense", "payroll") with its lines
        (`{"amount", "cost_code_id", "line_item_type_id", "description", …}`)."""
        item = attributes(direct_cost_type=direct_cost_type, direct_cost_date=direct_cost_date,
                          vendor_id=vendor_id, invoice_number=invoice_number, description=description,
                          status=status, origin_id=origin_id, line_items=list(line_items), **fields)
        body = self._call("POST", f"{V11}/projects/{project_id}/direct_costs", json={"item": item})
        return self._one(DirectCost.from_api, body, "created direct cost", project_id=project_id)

    def update_direct_cost(self, *, project_id: int, direct_cost_id: int, **fields: Any) -> DirectCost:
        body = self._call("PATCH", f"{V11}/projects/{project_id}/direct_costs/{direct_cost_id}",
                          json={"item": fields})
        return self._one(DirectCost.from_api, body, f"direct cost {direct_cost_id}", project_id=project_id)

    def delete_direct_cost(self, *, project_id: int, direct_cost_id: int) -> None:
        self._call("DELETE", f"{V11}/projects/{project_id}/direct_costs/{direct_cost_id}")

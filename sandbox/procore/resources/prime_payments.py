"""Payments received on a prime contract, against one of its owner invoices (payment applications).

`/rest/v1.0/prime_contracts/<prime_contract_id>/payments?project_id=` — list, create, delete. Created with
`{"project_id", "payment": {"date", "amount", "payment_application_id", "check_number", "payment_number",
"notes", "origin_id"}}`. Procore keeps `origin_id` unique per resource within a company (409 when taken). The
owner invoice's `total_amount_paid` is the sum of the payments received against it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from .. import errors
from ..billing import ZERO, dec, money
from ..context import actor, json_body, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import filtered, origin_taken, page, pick, require_object
from .payments import amount_and_date

bp = Blueprint("procore_prime_payments", __name__)

TABLE = "prime_contract_payments"
WRITABLE = ("date", "amount", "payment_application_id", "check_number", "payment_number", "notes", "origin_id",
            "origin_data")
FIELDS = ("id", "amount", "date", "payment_application_id", "check_number", "payment_number", "notes",
          "origin_id", "origin_data", "prime_contract_id", "project_id", "created_at", "updated_at")


def serialize(payment: Record) -> dict[str, Any]:
    return {**{k: payment.get(k) for k in FIELDS}, "amount": money(payment.get("amount"))}


def _contract(project: Record, contract_id: int) -> Record:
    contract = current().store.get("prime_contracts", contract_id)
    if contract is None or contract["project_id"] != project["id"]:
        raise errors.not_found("Prime Contract")
    return contract


def _clean(contract: Record, raw: dict[str, Any]) -> dict[str, Any]:
    fields = pick(raw, WRITABLE)
    problems = amount_and_date(fields, creating=True)
    app_id = fields.get("payment_application_id")
    app = current().store.get("payment_applications", int(app_id)) if str(app_id or "").isdigit() else None
    if app is None or app.get("prime_contract_id") != contract["id"]:
        problems["payment_application_id"] = ["does not match an owner invoice on this prime contract"]
    if problems:
        raise errors.invalid(problems)
    fields["payment_application_id"] = app["id"]
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
        if origin_taken(TABLE, contract["company_id"], fields["origin_id"]):
            raise errors.conflict()
    return fields


def _settle(app_id: int) -> None:
    """The owner invoice's `total_amount_paid`: what its payments received add up to."""
    store = current().store
    paid = money(sum((dec(p["amount"]) for p in store.find(TABLE, payment_application_id=app_id)), ZERO))
    store.update("payment_applications", app_id, {"total_amount_paid": paid}, actor=actor())


@bp.get("/rest/v1.0/prime_contracts/<int:contract_id>/payments")
def list_prime_payments(contract_id: int):
    contract = _contract(project_param(), contract_id)
    return page(filtered(current().store.find(TABLE, prime_contract_id=contract["id"])), serialize)


@bp.post("/rest/v1.0/prime_contracts/<int:contract_id>/payments")
def create_prime_payment(contract_id: int):
    body = json_body()
    project = project_param(body)
    contract = _contract(project, contract_id)
    fields = _clean(contract, require_object(body, "payment"))
    store = current().store
    existing = store.find(TABLE, prime_contract_id=contract["id"])
    fields.setdefault("payment_number", str(len(existing) + 1))
    payment = store.insert(TABLE, dict(fields, company_id=project["company_id"], project_id=project["id"],
                                       prime_contract_id=contract["id"]), actor=actor())
    _settle(payment["payment_application_id"])
    return json_response(serialize(payment), 201)


@bp.delete("/rest/v1.0/prime_contracts/<int:contract_id>/payments/<int:payment_id>")
def delete_prime_payment(contract_id: int, payment_id: int):
    project = project_param(json_body())
    contract = _contract(project, contract_id)
    payment = current().store.get(TABLE, payment_id)
    if payment is None or payment["prime_contract_id"] != contract["id"]:
        raise errors.not_found("Payment")
    current().store.delete(TABLE, payment_id, actor=actor())
    _settle(payment["payment_application_id"])
    return json_response({})

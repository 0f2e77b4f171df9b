"""Payments issued against a commitment (`/rest/v1.0/contract_payments?project_id=&contract_id=`).

Created with `{"project_id", "contract_id", "contract_payment": {"date", "amount", "check_number",
"invoice_number", "payment_number", "draw_request_number", "notes", "origin_id", ...}}`. The invoice paid
is `requisition_id` in responses; on input it is found from `draw_request_number` (the invoice number on
the commitment) or, as an extension, a `requisition_id` in the payment object.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint

from .. import errors
from ..billing import money
from ..context import actor, json_body, param, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from . import commitments
from .common import blank, filtered, origin_taken, page, pick, require_object

bp = Blueprint("procore_payments", __name__)

WRITABLE = ("date", "invoice_number", "check_number", "invoice_date", "draw_request_number", "notes",
            "payment_number", "payment_method", "amount", "origin_id", "origin_data", "origin_code", "requisition_id")
FIELDS = ("id", "amount", "check_number", "contract_id", "created_at", "date", "date_payment_settled",
          "date_payment_initiated", "draw_request_number", "external_payment_id", "invoice_number", "notes",
          "payment_number", "attachments", "project_id", "requisition_id", "origin_id", "origin_code", "origin_data",
          "status")


def serialize(payment: Record) -> dict[str, Any]:
    out = {k: payment.get(k) for k in FIELDS}
    out.update(amount=money(payment.get("amount")), attachments=[])
    return out


def _contract(project: Record, body: dict[str, Any] | None = None) -> Record:
    contract_id = param("contract_id", body)
    if contract_id in (None, ""):
        raise errors.missing_param("contract_id")
    _, contract = commitments.find(contract_id)
    if contract is None or contract["project_id"] != project["id"]:
        raise errors.not_found("Contract")
    return contract


def _payment(project: Record, payment_id: int, contract: Record | None = None) -> Record:
    payment = current().store.get("contract_payments", payment_id)
    if payment is None or payment["project_id"] != project["id"] or (
            contract is not None and payment["contract_id"] != contract["id"]):
        raise errors.not_found("Contract Payment")
    return payment


def amount_and_date(fields: dict[str, Any], *, creating: bool) -> dict[str, list[str]]:
    """Validate (and normalise) a payment's amount and date as Procore does; the problems by field."""
    problems: dict[str, list[str]] = {}
    if creating or "amount" in fields:
        try:
            if blank(fields.get("amount")):
                problems["amount"] = ["can't be blank"]
            else:
                fields["amount"] = money(fields["amount"])
        except ArithmeticError:
            problems["amount"] = ["is not a number"]
    if creating or "date" in fields:
        try:
            date.fromisoformat(str(fields.get("date")))
        except ValueError:
            problems["date"] = ["can't be blank" if blank(fields.get("date")) else "is not a valid date"]
    return problems


def _clean(contract: Record, raw: dict[str, Any], payment: Record | None) -> dict[str, Any]:
    store = current().store
    fields = pick(raw, WRITABLE)
    problems = amount_and_date(fields, creating=payment is None)
    reqs = store.find("requisitions", commitment_id=contract["id"])
    if fields.get("requisition_id") not in (None, ""):
        req = next((r for r in reqs if r["id"] == int(fields["requisition_id"])), None)
        if req is None:
            problems["requisition_id"] = ["is invalid"]
        else:
            fields["requisition_id"], fields["draw_request_number"] = req["id"], req["number"]
    elif fields.get("draw_request_number") not in (None, ""):
        req = next((r for r in reqs if r["number"] == int(fields["draw_request_number"])), None)
        if req is None:
            problems["draw_request_number"] = ["does not match an invoice on this contract"]
        else:
            fields["requisition_id"] = req["id"]
    if problems:
        raise errors.invalid(problems)
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
        own_id = payment["id"] if payment else None
        if origin_taken("contract_payments", contract["company_id"], fields["origin_id"], own_id):
            raise errors.conflict()
    return fields


@bp.get("/rest/v1.0/contract_payments")
def list_payments():
    project = project_param()
    contract = _contract(project)
    return page(filtered(current().store.find("contract_payments", contract_id=contract["id"])), serialize)


@bp.get("/rest/v1.0/contract_payments/<int:payment_id>")
def show_payment(payment_id: int):
    project = project_param()
    contract = _contract(project) if param("contract_id") else None
    return json_response(serialize(_payment(project, payment_id, contract)))


@bp.post("/rest/v1.0/contract_payments")
def create_payment():
    body = json_body()
    project = project_param(body)
    contract = _contract(project, body)
    fields = _clean(contract, require_object(body, "contract_payment"), None)
    store = current().store
    existing = store.find("contract_payments", contract_id=contract["id"])
    fields.setdefault("payment_number", max((p.get("payment_number") or 0 for p in existing), default=0) + 1)
    payment = store.insert("contract_payments", dict(fields, company_id=project["company_id"], project_id=project["id"],
                                                     contract_id=contract["id"], status=None), actor=actor())
    return json_response(serialize(payment), 201)


@bp.patch("/rest/v1.0/contract_payments/<int:payment_id>")
def update_payment(payment_id: int):
    body = json_body()
    project = project_param(body)
    payment = _payment(project, payment_id)
    _, contract = commitments.find(payment["contract_id"])
    fields = _clean(contract, require_object(body, "contract_payment"), payment)
    return json_response(serialize(current().store.update("contract_payments", payment["id"], fields, actor=actor())))


@bp.delete("/rest/v1.0/contract_payments/<int:payment_id>")
def delete_payment(payment_id: int):
    project = project_param(json_body())
    contract = _contract(project) if param("contract_id") else None
    payment = _payment(project, payment_id, contract)
    current().store.delete("contract_payments", payment["id"], actor=actor())
    return json_response({})


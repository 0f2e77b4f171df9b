"""Owner invoices (payment applications) on a project's prime contract, with G702 totals and G703 lines."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from .. import billing
from ..billing import dec, money
from ..context import in_project, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import filtered, page
from .cost_codes import serialize_cost_code

bp = Blueprint("procore_payment_apps", __name__)

STATUSES = ("draft", "under_review", "revise_and_resubmit", "approved")
LIST_FIELDS = ("id", "billing_date", "invoice_number", "origin_data", "origin_id", "percent_complete", "period_start",
               "period_end", "period_id", "status", "total_amount_paid", "number", "total_amount_accrued_this_period",
               "formatted_contract_company", "currency_configuration", "g702", "billing_period", "contract",
               "created_at", "updated_at", "description_type")


def computed(app: Record) -> dict[str, Any]:
    store = current().store
    contract = store.get("prime_contracts", app.get("prime_contract_id")) or {}
    schedule = {li["id"]: dec(li.get("amount")) for li in contract.get("line_items") or []}
    siblings = store.find("payment_applications", prime_contract_id=app.get("prime_contract_id"))
    return billing.progress(siblings, "line_items", schedule, dec(contract.get("retainage_percent")))[app["id"]]


def serialize(app: Record) -> dict[str, Any]:
    contract = current().store.get("prime_contracts", app.get("prime_contract_id")) or {}
    calc = computed(app)
    out = {k: app.get(k) for k in LIST_FIELDS}
    out.update({
        "percent_complete": calc["percent_complete"], "total_amount_paid": money(app.get("total_amount_paid")),
        "total_amount_accrued_this_period": calc["this_period"],
        "formatted_contract_company": contract.get("owner_name"),
        "currency_configuration": {"currency_iso_code": "USD", "base_currency_iso_code": "USD",
                                   "currency_exchange_rate": "1.0"}, "g702": calc["g702"],
        "billing_period": {"start_date": app.get("period_start"), "end_date": app.get("period_end")},
        "contract": {"id": contract.get("id"), "type": "PrimeContract", "title": contract.get("title")},
        "description_type": app.get("description_type") or "automatic",
    })
    return out


def serialize_detail(app: Record) -> dict[str, Any]:
    """Show: the list's fields less the time stamps and the rate, plus attachments and the G703 lines."""
    store = current().store
    out = serialize(app)
    del out["created_at"], out["updated_at"]
    out["currency_configuration"] = {"currency_iso_code": "USD"}
    out["attachments"] = []
    lines = []
    for n, line in enumerate(computed(app)["lines"], start=1):
        code = store.get("cost_codes", line.get("cost_code_id"))
        lines.append({
            "id": line["id"], "origin_id": line.get("line_item_id"), "origin_type": "PrimeContractLineItem",
            "added_from_source": None, "added_from_source_id": None, **{k: line[k] for k in (
                "balance_to_finish", "materials_presently_stored", "scheduled_value",
                "total_completed_and_stored_to_date", "total_completed_and_stored_to_date_percent",
                "work_completed_from_previous_application", "work_completed_this_period",
                "work_completed_retainage_from_previous_application", "work_completed_retainage_released_this_period",
                "work_completed_retainage_retained_this_period", "work_completed_retainage_percent_this_period",
                "work_completed_retainage_currently_retained", "materials_stored_retainage_currently_retained",
                "materials_stored_retainage_released_this_period", "materials_stored_retainage_percent_this_period",
                "total_retainage_currently_retained")},
            "description_of_work": line.get("description_of_work"), "description_override": None,
            "currency_configuration": {"currency_iso_code": "USD"}, "item_number": n,
            "cost_code": serialize_cost_code(code) if code else None, "wbs_code": None,
            "materials_stored_retainage_from_previous_application": "0.00",
            "materials_stored_retainage_retained_this_period": line["materials_stored_retainage_currently_retained"],
            "total_retainage_from_previous_application": line["work_completed_retainage_from_previous_application"],
            "type": "PaymentApplicationContractItem",
            # amount-based lines (the sandbox's) carry no quantities
            "scheduled_quantity": None, "scheduled_unit_price": None, "work_completed_this_period_quantity": None,
            "work_completed_from_previous_application_quantity": None,
            "total_completed_and_stored_to_date_quantity": None,
        })
    out["g703"] = lines
    return out


@bp.get("/rest/v1.0/payment_applications")
def list_payment_applications():
    project = project_param()
    return page(filtered(current().store.find("payment_applications", project_id=project["id"])), serialize)


@bp.get("/rest/v1.0/payment_applications/<int:app_id>")
def show_payment_application(app_id: int):
    app = in_project("payment_applications", app_id, project_param(), "Payment Application")
    return json_response(serialize_detail(app))

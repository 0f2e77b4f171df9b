"""Subcontractor invoices, which Procore's API still calls requisitions.

v1.0 list/show return the invoice with its G702 `summary` (money as strings, no line items); line items
come from `/requisitions/{id}/contract_items` or from v1.1 with `views=items`/`extended`
(https://developers.procore.com/documentation/tutorial-requisitions). Statuses: draft, under_review,
revise_and_resubmit, approved, approved_as_noted, pending_owner_approval.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from .. import billing, errors, prostore
from ..billing import dec, money
from ..context import actor, in_project, json_body, param, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from . import commitments
from .common import filtered, origin_taken, page, pick, require_object

bp = Blueprint("procore_requisitions", __name__)

STATUSES = ("draft", "under_review", "revise_and_resubmit", "approved", "approved_as_noted",
            "pending_owner_approval")
WRITABLE = ("period_id", "requisition_start", "requisition_end", "billing_date", "final", "invoice_number",
            "payment_date", "origin_data", "origin_id", "status", "submitted_at", "comment", "erp_status")
ITEM_WRITABLE = ("work_completed_this_period", "materials_presently_stored", "description_of_work",
                 "work_completed_retainage_percent_this_period", "work_completed_retainage_released_this_period",
                 "materials_stored_retainage_percent_this_period", "materials_stored_retainage_released_this_period",
                 "work_completed_this_period_quantity", "comment")
V10_FIELDS = ("id", "project_id", "electronic_signature_id", "billing_date", "commitment_id", "commitment_type",
              "contract_name", "created_at", "created_by", "updated_at", "invoice_number", "origin_data",
              "origin_id", "payment_date", "period_id", "requisition_start", "requisition_end", "status",
              "erp_status", "submitted_at", "comment", "final", "number", "percent_complete", "vendor_name",
              "total_claimed_amount", "deletable", "custom_fields", "currency_configuration", "attachments",
              "summary", "action_policy")
V11_FIELDS = ("id", "previous_requisition_id", "project_id", "billing_date", "created_at", "updated_at",
              "commitment_id", "commitment_type", "contract_name", "deletable", "final", "vendor_name", "vendor_id",
              "invoice_number", "invoice_type", "origin_data", "origin_id", "payment_date", "percent_complete",
              "period_id", "requisition_start", "requisition_end", "status", "erp_status", "number",
              "submitted_at", "total_claimed_amount", "electronic_signature_id",
              "move_materials_to_previous_work_completed", "summary", "created_by", "custom_fields",
              "currency_configuration", "attachments")


#: a commitment's table and record, its invoices, and each invoice's lines and G702 summary by invoice id
Billed = tuple[str | None, Record, list[Record], dict[int, dict[str, Any]]]
#: commitment id -> Billed, shared by the invoices of one listed page
Memo = dict[Any, Billed]


def _commitment(commitment_id: Any, memo: Memo | None = None) -> Billed:
    """The commitment's table and record, its invoices, and every invoice's lines and G702 summary (each invoice
    is derived from the earlier ones, so a page computes a commitment once, not once per invoice listed)."""
    if memo is not None and commitment_id in memo:
        return memo[commitment_id]
    table, contract = commitments.find(commitment_id)
    contract = contract or {}
    schedule = {li["id"]: dec(li.get("amount")) for li in contract.get("line_items") or []}
    siblings = current().store.find("requisitions", commitment_id=commitment_id)
    found = (table, contract, siblings,
             billing.progress(siblings, "items", schedule, dec(contract.get("retainage_percent"))))
    if memo is not None:
        memo[commitment_id] = found
    return found


def computed(req: Record) -> dict[str, Any]:
    """This invoice's lines and G702 summary, derived from every invoice on the same commitment."""
    return _commitment(req["commitment_id"])[3][req["id"]]


def _base(req: Record, memo: Memo | None = None) -> dict[str, Any]:
    store = current().store
    table, contract, siblings, progress = _commitment(req["commitment_id"], memo)
    vendor = store.get("vendors", contract.get("vendor_id")) or {}
    creator = store.get("users", req.get("created_by_id")) or {}
    calc = progress[req["id"]]
    latest = max((r["number"] for r in siblings), default=0)
    previous = [r for r in siblings if r["number"] < req["number"]]
    creator_name = f"{creator.get('first_name', '')} {creator.get('last_name', '')}".strip()
    deletable = req["number"] == latest and req.get("status") in ("draft", "revise_and_resubmit")
    out = {k: req.get(k) for k in set(V10_FIELDS) | set(V11_FIELDS)}
    out.update({
        "commitment_type": commitments.KINDS[table][1] if table else None, "contract_name": contract.get("title"),
        "created_by": {"id": creator.get("id"), "name": creator_name,
                       "login": creator.get("email_address"), "company_name": None} if creator else None,
        "percent_complete": calc["percent_complete"], "vendor_name": vendor.get("name"), "vendor_id": vendor.get("id"),
        "total_claimed_amount": calc["claimed"], "summary": calc["g702"], "custom_fields": {},
        "deletable": deletable,
        # what the caller may do with this invoice next (Procore's `action_policy` view)
        "action_policy": {"update": not str(req.get("status", "")).startswith("approved"), "destroy": deletable},
        "currency_configuration": {"currency_iso_code": "USD"},
        "attachments": [prostore.public(a) for a in req.get("attachments") or []], "final": bool(req.get("final")),
        "invoice_type": "progress", "move_materials_to_previous_work_completed": False,
        "previous_requisition_id": max(previous, key=lambda r: r["number"])["id"] if previous else None,
        "_lines": calc["lines"],
    })
    return out


def serialize_v10(req: Record, memo: Memo | None = None) -> dict[str, Any]:
    base = _base(req, memo)
    return {k: base[k] for k in V10_FIELDS}


CONTRACT_ITEM_FIELDS = (
    "id", "cost_code_id", "line_item_id", "description_of_work", "scheduled_value", "scheduled_quantity",
    "scheduled_unit_price", "work_completed_from_previous_application",
    "work_completed_from_previous_application_quantity", "work_completed_this_period",
    "work_completed_this_period_quantity", "materials_presently_stored", "materials_moved",
    "total_completed_and_stored_to_date", "total_completed_and_stored_to_date_percent",
    "work_completed_retainage_from_previous_application", "work_completed_retainage_retained_this_period",
    "work_completed_retainage_percent_this_period", "materials_stored_retainage_currently_retained",
    "materials_stored_retainage_percent_this_period", "work_completed_retainage_released_this_period",
    "materials_stored_retainage_released_this_period", "materials_retainage_retained_moved", "accounting_method",
    "comment", "currency_configuration", "item_type", "position", "ssr_manual_override", "status",
    "subcontractor_claimed_amount", "wbs_code")
# v1.1's items add the gross/net amounts, the line number and what was stored before this period.
V11_ITEM_FIELDS = CONTRACT_ITEM_FIELDS + (
    "gross_amount", "net_amount", "line_number", "materials_presently_stored_from_previous_progress",
    "materials_presently_stored_quantity", "materials_previously_stored_quantity",
    "materials_stored_retainage_new_materials", "total_completed_and_stored_to_date_from_previous")
# v1.1 also names the base currency and the exchange rate
V11_CURRENCY = {"currency_iso_code": "USD", "base_currency_iso_code": "USD", "currency_exchange_rate": 1.0}


def _item(req: Record, line: dict[str, Any], n: int) -> dict[str, Any]:
    """One invoice line in full; amount-based lines (the sandbox's) carry no quantities."""
    gross = dec(line["work_completed_this_period"]) + dec(line["materials_presently_stored"])
    out = dict(line)
    out.update({
        "item_type": "contract_item", "accounting_method": "amount", "position": n, "line_number": str(n),
        "status": "approved" if str(req.get("status", "")).startswith("approved") else "no_action",
        "comment": line.get("comment"), "wbs_code": None, "ssr_manual_override": False,
        "currency_configuration": {"currency_iso_code": "USD"},
        "subcontractor_claimed_amount": line["work_completed_this_period"],
        "gross_amount": money(gross),
        "net_amount": money(gross - dec(line["work_completed_retainage_retained_this_period"])),
        "materials_moved": "0.00", "materials_retainage_retained_moved": "0.00",
        "total_completed_and_stored_to_date_from_previous": line["work_completed_from_previous_application"],
        "materials_presently_stored_from_previous_progress": None, "materials_stored_retainage_new_materials": None,
        "scheduled_quantity": None, "scheduled_unit_price": None, "work_completed_this_period_quantity": None,
        "work_completed_from_previous_application_quantity": None, "materials_presently_stored_quantity": None,
        "materials_previously_stored_quantity": None,
    })
    return out


def contract_item(req: Record, line: dict[str, Any], n: int) -> dict[str, Any]:
    item = _item(req, line, n)
    return {k: item.get(k) for k in CONTRACT_ITEM_FIELDS}


def _summary_text(req: Record, base: dict[str, Any]) -> dict[str, Any]:
    """The G702 header lines as text, as Procore prints them on the invoice."""
    store = current().store
    project = store.get("projects", req["project_id"]) or {}
    _, contract = commitments.find(req["commitment_id"])
    vendor = store.get("vendors", (contract or {}).get("vendor_id")) or {}
    company = store.get("companies", project.get("company_id")) or {}
    return {"project_name": project.get("name"), "project_number": project.get("project_number"),
            "to_general_contractor": company.get("name"), "requisition_period_start": req.get("requisition_start"),
            "requisition_period_end": req.get("requisition_end"), "subcontractor_name": vendor.get("name"),
            "subcontractor_street": vendor.get("address"), "subcontractor_city": vendor.get("city"),
            "subcontractor_state_code": vendor.get("state_code"), "subcontractor_zip": vendor.get("zip"),
            "subcontractor_country_code": vendor.get("country_code"), "application_number": str(req["number"]),
            "contract_for": base["contract_name"], "contract_date": (contract or {}).get("contract_date")}


def serialize_v11(req: Record, with_items: bool, memo: Memo | None = None) -> dict[str, Any]:
    base = _base(req, memo)
    out = {k: base[k] for k in V11_FIELDS}
    out["summary"] = dict(out["summary"], new_materials="0.00", new_materials_quantity="0.0",
                          stored_materials="0.00", stored_materials_quantity="0.0")
    out["summary_text"] = _summary_text(req, base)
    out["currency_configuration"] = V11_CURRENCY
    if with_items:
        items = [_item(req, line, n) for n, line in enumerate(base["_lines"], start=1)]
        out["items"] = [dict({k: item.get(k) for k in V11_ITEM_FIELDS}, currency_configuration=V11_CURRENCY)
                        for item in items]
        out["item_packages"] = []
    return out


def _validate(fields: dict[str, Any], req: Record | None, company_id: int) -> None:
    if "status" in fields and fields["status"] not in STATUSES:
        raise errors.invalid({"status": ["is not included in the list"]})
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
        if origin_taken("requisitions", company_id, fields["origin_id"], req["id"] if req else None):
            raise errors.conflict()


def _list(project: Record) -> list[Record]:
    records = current().store.find("requisitions", project_id=project["id"])
    for key in ("commitment_id", "period_id"):
        wanted = request.args.get(f"filters[{key}]")
        if wanted:
            records = [r for r in records if str(r.get(key)) == wanted]
    return filtered(records)


@bp.get("/rest/v1.0/requisitions")
def list_requisitions():
    memo: Memo = {}  # nothing writes while a page is serialized
    return page(_list(project_param()), lambda r: serialize_v10(r, memo))


@bp.get("/rest/v1.1/requisitions")
def list_requisitions_v11():
    views = request.args.get("views", "")
    with_items = "items" in views or "extended" in views
    memo: Memo = {}  # nothing writes while a page is serialized
    return page(_list(project_param()), lambda r: serialize_v11(r, with_items, memo))


@bp.get("/rest/v1.0/requisitions/<int:req_id>")
def show_requisition(req_id: int):
    return json_response(serialize_v10(in_project("requisitions", req_id, project_param(), "Requisition")))


@bp.get("/rest/v1.1/requisitions/<int:req_id>")
def show_requisition_v11(req_id: int):
    req = in_project("requisitions", req_id, project_param(), "Requisition")
    return json_response(serialize_v11(req, with_items=True))


@bp.post("/rest/v1.0/requisitions")
@bp.post("/rest/v1.1/requisitions")
def create_requisition():
    body = json_body()
    project = project_param(body)
    commitment_id = param("commitment_id", body)
    if commitment_id in (None, ""):
        raise errors.missing_param("commitment_id")
    table, contract = commitments.find(commitment_id)
    if contract is None or contract["project_id"] != project["id"]:
        raise errors.not_found("Commitment")
    fields = pick(require_object(body, "requisition"), WRITABLE)
    _validate(fields, None, project["company_id"])
    store = current().store
    existing = store.find("requisitions", commitment_id=contract["id"])
    if any(r.get("status") in ("draft", "under_review", "revise_and_resubmit") for r in existing):
        raise errors.business_rule("The previous invoice must be approved before a new one can be created")
    items = [{"id": store.new_id(), "line_item_id": li["id"], "cost_code_id": li.get("cost_code_id"),
              "description_of_work": li.get("description"), "work_completed_this_period": "0.00",
              "materials_presently_stored": "0.00"} for li in contract.get("line_items") or []]
    req = store.insert("requisitions", dict({"status": "draft"}, **fields, company_id=project["company_id"],
                                            project_id=project["id"], commitment_id=contract["id"],
                                            number=len(existing) + 1, items=items, created_by_id=actor()),
                       actor=actor())
    return json_response(serialize_v11(req, with_items=True), 201)  # both versions answer the v1.1 invoice


@bp.patch("/rest/v1.0/requisitions/<int:req_id>")
@bp.patch("/rest/v1.1/requisitions/<int:req_id>")
def update_requisition(req_id: int):
    # Procore takes files as multipart/form-data: `requisition[field]` form fields and `attachments[]` files
    files = request.files.getlist("attachments[]")
    body = ({"requisition": {k[len("requisition["):-1]: v for k, v in request.form.items()
                             if k.startswith("requisition[") and k.endswith("]")}} if request.files else json_body())
    req = in_project("requisitions", req_id, project_param(body), "Requisition")
    fields = pick(require_object(body, "requisition"), WRITABLE)
    _validate(fields, req, req["company_id"])
    for file in files:
        prostore.add(req["id"], file.filename or "attachment", file.mimetype, file.read())
    req = current().store.update("requisitions", req["id"], fields, actor=actor())
    return json_response(serialize_v11(req, with_items=True))


@bp.delete("/rest/v1.0/requisitions/<int:req_id>")
def delete_requisition(req_id: int):
    req = in_project("requisitions", req_id, project_param(json_body()), "Requisition")
    if not _base(req)["deletable"]:
        raise errors.business_rule("Only the latest, open invoice can be deleted")
    current().store.delete("requisitions", req["id"], actor=actor())
    return json_response({})


@bp.get("/rest/v1.0/requisitions/<int:req_id>/contract_items")
def list_contract_items(req_id: int):
    req = in_project("requisitions", req_id, project_param(), "Requisition")
    lines = computed(req)["lines"]
    return page(lines, lambda line: contract_item(req, line, lines.index(line) + 1))


@bp.patch("/rest/v1.0/requisitions/<int:req_id>/contract_items/<int:item_id>")
def update_contract_item(req_id: int, item_id: int):
    body = json_body()
    req = in_project("requisitions", req_id, project_param(body), "Requisition")
    raw = pick(require_object(body, "requisition_contract_item"), ITEM_WRITABLE)
    items = [dict(i) for i in req.get("items") or []]
    target = next((i for i in items if i.get("id") == item_id), None)
    if target is None:
        raise errors.not_found("Contract Item")
    try:
        for key in raw:
            if key not in ("description_of_work", "comment"):
                raw[key] = money(raw[key])
    except ArithmeticError:
        raise errors.invalid({"work_completed_this_period": ["is not a number"]}) from None
    target.update(raw)
    req = current().store.update("requisitions", req["id"], {"items": items}, actor=actor())
    lines = computed(req)["lines"]
    n, line = next((n, li) for n, li in enumerate(lines, start=1) if li["id"] == item_id)
    return json_response(contract_item(req, line, n))

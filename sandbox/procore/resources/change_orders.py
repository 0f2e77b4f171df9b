"""Commitment change orders and prime contract change orders (1- and 2-tier projects).

`/rest/v1.0/projects/{project_id}/commitment_change_orders` and `.../prime_change_orders`: list (filters
`contract_id`, `status`, `id`, `updated_at`), show (adds `line_items`, shaped like a change order package's:
cost code, line item type, amounts as strings, holder), create and update (`{"change_order": {...}}`, no lines:
Procore adds change-order lines through its v2.0 line-item resource, keyed by WBS budget codes the sandbox does
not model; plant lines with `POST /_sandbox/records/<table>` instead).
https://developers.procore.com/reference/rest/commitment-change-orders, …/prime-change-orders
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from .. import errors
from ..billing import ZERO, dec, money
from ..context import actor, json_body, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import blank, filtered, origin_taken, page, pick, require_object
from .prime_contracts import serialize_line

bp = Blueprint("procore_change_orders", __name__)

STATUSES = ("draft", "pricing", "not_pricing", "pending", "revised", "proceeding", "not_proceeding",
            "pending_billable", "no_charge", "approved", "rejected", "void")
WRITABLE = ("contract_id", "batch_id", "description", "due_date", "paid_date", "invoiced_date", "title", "status",
            "reference", "number", "revision", "field_change", "signature_required",
            "signed_change_order_received_date", "schedule_impact_amount", "executed", "private", "paid", "reason",
            "revised_substantial_completion_date", "origin_id", "origin_data", "origin_code")
LIST_FIELDS = ("id", "batch_id", "contract_id", "description", "title", "invoiced_date", "due_date",
               "revised_substantial_completion_date", "signed_change_order_received_date", "updated_at",
               "created_at", "reviewed_at", "number", "revision", "status", "reference", "schedule_impact_amount",
               "legacy_package_id", "legacy_request_id", "location_id")
# Who and why: references Procore fills from its UI (people, reason, change events); the sandbox has none.
UNSET = {"created_by": None, "designated_reviewer": None, "received_from": None, "reviewed_by": None,
         "change_order_change_reason": None, "change_events": [], "custom_fields": {}}
KINDS = {  # table -> (contract tables, holder type, change order type)
    "commitment_change_orders": (("work_order_contracts", "purchase_order_contracts"), "CommitmentContract",
                                 "CommitmentChangeOrder"),
    "prime_change_orders": (("prime_contracts",), "PrimeContract", "PrimeContractChangeOrder"),
}


def _contract(table: str, project: Record, contract_id: Any) -> Record | None:
    for contract_table in KINDS[table][0]:
        record = current().store.get(contract_table, contract_id)
        if record is not None and record.get("project_id") == project["id"]:
            return record
    return None


def serializer(table: str, full: bool):
    def serialize(co: Record) -> dict[str, Any]:
        total = sum((dec(li.get("amount")) for li in co.get("line_items") or []), ZERO)
        out = {k: co.get(k) for k in LIST_FIELDS}
        out.update(UNSET)
        if table == "prime_change_orders":  # only a prime contract's change order is paid to us
            out["paid_date"] = co.get("paid_date")
        out.update({"type": KINDS[table][2], "grand_total": money(total), "executed": bool(co.get("executed")),
                    "paid": bool(co.get("paid")), "private": bool(co.get("private")),
                    "signature_required": bool(co.get("signature_required")),
                    "field_change": bool(co.get("field_change")), "currency_configuration": {
                        "currency_iso_code": "USD"}})
        if full:
            out["attachments"] = []
            # Not Procore's: it serves change-order lines from its v2.0 WBS line-item resource (not modelled);
            # Ledgerlink's client reads them here (see tests/sandbox/procore/test_shapes.py GAPS).
            contract = {"id": co.get("contract_id"), "created_at": co.get("created_at"),
                        "updated_at": co.get("updated_at")}
            out["line_items"] = [serialize_line(contract, li, KINDS[table][1]) for li in co.get("line_items") or []]
        return out
    return serialize


def _change_order(table: str, project: Record, co_id: int) -> Record:
    co = current().store.get(table, co_id)
    if co is None or co.get("project_id") != project["id"]:
        raise errors.not_found("Change Order")
    return co


def _save(table: str, project: Record, raw: dict[str, Any], co: Record | None = None) -> Record:
    store = current().store
    fields = pick(raw, WRITABLE)
    problems: dict[str, list[str]] = {}
    if "status" in fields and fields["status"] not in STATUSES:
        problems["status"] = ["is not included in the list"]
    contract_id = fields.get("contract_id", co.get("contract_id") if co else None)
    if blank(contract_id):
        problems["contract_id"] = ["can't be blank"]
    elif _contract(table, project, contract_id) is None:
        problems["contract"] = ["must exist"]
    if problems:
        raise errors.invalid(problems)
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
    if origin_taken(table, project["company_id"], fields.get("origin_id"), co["id"] if co else None):
        raise errors.conflict()
    if fields.get("status") == "approved" and (co is None or co.get("status") != "approved"):
        fields["reviewed_at"] = store.clock.iso()
    if co is None:
        siblings = store.find(table, contract_id=int(contract_id))
        record = {"status": "draft", "number": str(len(siblings) + 1), "revision": 0, **fields,
                  "contract_id": int(contract_id), "company_id": project["company_id"], "project_id": project["id"],
                  "line_items": []}
        return store.insert(table, record, actor=actor())
    return store.update(table, co["id"], fields, actor=actor())


def _register(table: str) -> None:
    base = f"/rest/v1.0/projects/<int:project_id>/{table}"

    def list_all(project_id: int):
        project = project_param(raw=project_id)
        records = current().store.find(table, project_id=project["id"])
        wanted = request.args.get("filters[contract_id]")
        if wanted:
            records = [r for r in records if str(r.get("contract_id")) == wanted]
        return page(filtered(records, ("title", "number")), serializer(table, full=False))

    def show(project_id: int, co_id: int):
        return json_response(serializer(table, full=True)(_change_order(table, project_param(raw=project_id),
                                                                        co_id)))

    def create(project_id: int):
        project = project_param(raw=project_id)
        co = _save(table, project, require_object(json_body(), "change_order"))
        return json_response(serializer(table, full=True)(co), 201)

    def update(project_id: int, co_id: int):
        project = project_param(raw=project_id)
        co = _change_order(table, project, co_id)
        return json_response(serializer(table, full=True)(_save(table, project, require_object(json_body(),
                                                                                                 "change_order"),
                                                                 co)))

    def delete(project_id: int, co_id: int):
        project = project_param(raw=project_id)
        co = _change_order(table, project, co_id)
        if co.get("status") == "approved":
            raise errors.business_rule("An approved change order cannot be deleted")
        current().store.delete(table, co["id"], actor=actor())
        return Response(status=204)

    for rule, view, methods in ((base, list_all, ["GET"]), (base, create, ["POST"]),
                                (f"{base}/<int:co_id>", show, ["GET"]), (f"{base}/<int:co_id>", update, ["PATCH"]),
                                (f"{base}/<int:co_id>", delete, ["DELETE"])):
        bp.add_url_rule(rule, endpoint=f"{table}_{view.__name__}", view_func=view, methods=methods)


for _table in KINDS:
    _register(_table)

"""The company directory's vendors: list, show, create, update, inactive list and `PATCH /vendors/sync`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from .. import errors
from ..context import actor, company_param, json_body, visible_company
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import blank, filtered, origin_taken, page, pick, require_object, sync_action, sync_target

bp = Blueprint("procore_vendors", __name__)

WRITABLE = ("name", "address", "city", "zip", "business_phone", "mobile_phone", "fax_number", "email_address",
            "is_active", "state_code", "authorized_bidder", "prequalified", "country_code", "labor_union",
            "license_number", "website", "union_member", "non_union_prevailing_wage", "abbreviated_name", "notes",
            "vendor_group_id", "parent_id", "primary_contact_id", "origin_id", "origin_data", "origin_code",
            "trade_name", "business_id", "legal_name")
FIELDS = ("id", "name", "abbreviated_name", "address", "attachments", "authorized_bidder", "business_id",
          "business_phone", "business_register", "city", "contact_count", "company", "country_code", "created_at",
          "email_address", "fax_number", "is_active", "is_connected", "labor_union", "license_number", "logo",
          "mobile_phone", "non_union_prevailing_wage", "notes", "origin_code", "origin_data", "origin_id",
          "prequalified", "primary_contact", "state_code", "synced_to_erp", "trade_name", "union_member",
          "updated_at", "vendor_group", "website", "zip", "bidding", "bidding_distribution", "children_count",
          "company_vendor", "legal_name", "parent", "project_ids", "standard_cost_codes", "trades")
DEFAULTS = {"is_active": True, "authorized_bidder": False, "prequalified": False, "union_member": False,
            "non_union_prevailing_wage": False, "country_code": "US"}


def serialize(vendor: Record) -> dict[str, Any]:
    store = current().store
    out = {k: vendor.get(k) for k in FIELDS}
    parent = store.get("vendors", vendor["parent_id"]) if vendor.get("parent_id") else None
    out.update({
        "company": vendor.get("name"), "attachments": [], "contact_count": 0, "is_connected": False,
        "business_register": None, "logo": None, "primary_contact": None, "vendor_group": None,
        "synced_to_erp": not blank(vendor.get("origin_id")), "bidding": None, "bidding_distribution": [],
        "children_count": len(store.find("vendors", parent_id=vendor["id"])),
        "company_vendor": True, "parent": {"id": parent["id"], "name": parent["name"]} if parent else None,
        "project_ids": vendor.get("project_ids") or [], "standard_cost_codes": [], "trades": [],
    })
    for key, value in DEFAULTS.items():
        if out.get(key) is None:
            out[key] = value
    return out


STATE_NAMES = {"ID": "Idaho", "OR": "Oregon", "WA": "Washington", "UT": "Utah", "NV": "Nevada", "MT": "Montana"}
COUNTRY_NAMES = {"US": "United States", "CA": "Canada"}


def serialize_show(vendor: Record) -> dict[str, Any]:
    """Show adds the vendor's counts, contacts and place names to the list's fields."""
    out = serialize(vendor)
    projects = out["project_ids"]
    out.update({
        "active_users_count": 0, "bids_count": 0, "open_bids_count": 0, "projects_count": len(projects),
        "business": None, "contract_signer": None, "invoice_contacts": [], "erp_custom_fields": [],
        "origin_custom_fields": [], "state_name": STATE_NAMES.get(out.get("state_code") or ""),
        "country_name": COUNTRY_NAMES.get(out.get("country_code") or ""),
    })
    return out


def serialize_inactive(vendor: Record) -> dict[str, Any]:
    """The inactive list adds where to reactivate the vendor."""
    return dict(serialize(vendor), links={"reactivate": f"/rest/v1.0/vendors/{vendor['id']}"})


def save(company: Record, raw: dict[str, Any], vendor: Record | None = None, conflict_status: int = 409) -> Record:
    fields = pick(raw, WRITABLE)
    if fields.get("origin_id") is not None:
        fields["origin_id"] = str(fields["origin_id"])
    if (vendor is None or "name" in fields) and blank(fields.get("name")):
        raise errors.invalid({"name": ["can't be blank"]})
    if fields.get("parent_id") is not None and vendor is not None and int(fields["parent_id"]) == vendor["id"]:
        raise errors.invalid({"parent_id": ["cannot be the same as the vendor's id"]})
    if origin_taken("vendors", company["id"], fields.get("origin_id"), vendor["id"] if vendor else None):
        raise errors.ApiError(conflict_status, {"errors": {"origin_id": ["has already been taken"]}})
    store = current().store
    if vendor is None:
        return store.insert("vendors", dict(DEFAULTS, **fields, company_id=company["id"]), actor=actor())
    return store.update("vendors", vendor["id"], fields, actor=actor())


def _vendor(company: Record, vendor_id: int) -> Record:
    vendor = current().store.get("vendors", vendor_id)
    if vendor is None or vendor["company_id"] != company["id"]:
        raise errors.not_found("Vendor")
    return vendor


@bp.get("/rest/v1.0/vendors")
def list_vendors():
    company = company_param()
    vendors = [v for v in current().store.find("vendors", company_id=company["id"]) if v.get("is_active", True)]
    return page(filtered(vendors, ("name", "notes", "origin_code", "business_id", "abbreviated_name")), serialize)


@bp.get("/rest/v1.0/companies/<int:company_id>/vendors/inactive")
def list_inactive_vendors(company_id: int):
    company = visible_company(company_id)
    vendors = [v for v in current().store.find("vendors", company_id=company["id"]) if not v.get("is_active", True)]
    return page(filtered(vendors, ("name", "origin_code")), serialize_inactive)


@bp.get("/rest/v1.0/vendors/<int:vendor_id>")
def show_vendor(vendor_id: int):
    return json_response(serialize_show(_vendor(company_param(), vendor_id)))


@bp.post("/rest/v1.0/vendors")
def create_vendor():
    body = json_body()
    company = company_param(body)
    return json_response(serialize(save(company, require_object(body, "vendor"))), 201)


@bp.patch("/rest/v1.0/vendors/<int:vendor_id>")
def update_vendor(vendor_id: int):
    body = json_body()
    company = company_param(body)
    vendor = _vendor(company, vendor_id)
    return json_response(serialize(save(company, require_object(body, "vendor"), vendor)))


@bp.patch("/rest/v1.0/vendors/sync")
def sync_vendors():
    body = json_body()
    company = company_param(body)

    def apply_one(raw: dict[str, Any]) -> Record:
        target = sync_target("vendors", raw, company["id"], lambda v: v["company_id"] == company["id"])
        return save(company, raw, target, conflict_status=422)

    return sync_action(body.get("updates"), apply_one, serialize)

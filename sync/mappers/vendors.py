"""Procore directory company ⇄ QBO Vendor (pure)."""

from __future__ import annotations

from typing import Any

from sync.mappers.errors import MappingError
from sync.mappers.names import COMPANY_NAME_MAX, DISPLAY_NAME_MAX, clean_name, obj, truncate
from sync.procore.records import Vendor


def procore_vendor_to_qbo_vendor(vendor: Vendor) -> dict[str, Any]:
    """The QBO Vendor body to create for a Procore company."""
    name = truncate(clean_name(vendor.name), DISPLAY_NAME_MAX)
    if not name:
        raise ValueError(f"Procore company {vendor.id} has no name; give it one in the Directory first")
    body: dict[str, Any] = {"DisplayName": name, "CompanyName": truncate(name, COMPANY_NAME_MAX)}
    if vendor.email_address:
        body["PrimaryEmailAddr"] = {"Address": vendor.email_address.strip()}
    if vendor.business_phone:
        body["PrimaryPhone"] = {"FreeFormNumber": vendor.business_phone.strip()}
    addr = {k: v for k, v in (("Line1", vendor.address), ("City", vendor.city),
                              ("CountrySubDivisionCode", vendor.state_code), ("PostalCode", vendor.zip),
                              ("Country", vendor.country_code)) if v}
    if addr:
        body["BillAddr"] = addr
    return body


def qbo_vendor_to_procore_vendor(qbo: dict[str, Any]) -> dict[str, Any]:
    """The Procore vendor body (for POST /vendors or a /vendors/sync update) for a QBO Vendor."""
    name = clean_name(qbo.get("DisplayName") or qbo.get("CompanyName") or "")
    if not name or qbo.get("Id") in (None, ""):
        raise MappingError(f"QBO vendor {qbo.get('Id')} has no DisplayName or no Id")
    out: dict[str, Any] = {"name": name, "is_active": bool(qbo.get("Active", True)),
                           "origin_id": str(qbo["Id"]), "origin_code": qbo.get("AcctNum") or None}
    if email := obj(qbo.get("PrimaryEmailAddr")).get("Address"):
        out["email_address"] = email
    if phone := obj(qbo.get("PrimaryPhone")).get("FreeFormNumber"):
        out["business_phone"] = phone
    addr = obj(qbo.get("BillAddr"))
    for src, dst in (("Line1", "address"), ("City", "city"), ("CountrySubDivisionCode", "state_code"),
                     ("PostalCode", "zip")):
        if addr.get(src):
            out[dst] = addr[src]
    return {k: v for k, v in out.items() if v is not None}

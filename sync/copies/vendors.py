"""QBO Vendors and Procore companies as Ledgerlink keeps them: what the vendors job caches and the company
writes refresh after they change a record."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.jsonbody import parse_time, plain
from core.models import RemoteRecord
from sync import cache
from sync.procore.records import Vendor

QBO, QBO_VENDOR = "qbo", "Vendor"
PROCORE, PROCORE_VENDOR = "procore", "vendor"
LINK = "company"  # binder entity type: Procore vendor id ⇄ QBO Vendor Id
_QBO_FIELDS = ("Id", "SyncToken", "DisplayName", "CompanyName", "GivenName", "FamilyName", "PrintOnCheckName",
               "Active", "PrimaryEmailAddr", "PrimaryPhone", "Mobile", "TaxIdentifier", "AcctNum", "BillAddr",
               "Vendor1099", "MetaData")
_PROCORE_FIELDS = ("id", "name", "abbreviated_name", "is_active", "email_address", "business_phone", "business_id",
                   "address", "city", "state_code", "zip", "country_code", "origin_id", "origin_code", "updated_at")


def qbo_vendor_data(vendor: dict[str, Any]) -> dict[str, Any]:
    """The fields Ledgerlink keeps of a QBO Vendor (JSON-safe)."""
    return plain({k: vendor[k] for k in _QBO_FIELDS if k in vendor})


def qbo_vendor_name(vendor: dict[str, Any]) -> str:
    return str(vendor.get("DisplayName") or vendor.get("CompanyName") or f"Vendor {vendor.get('Id')}")


def cache_qbo_vendor(session: Session, tenant_id: int, vendor: dict[str, Any]) -> tuple[RemoteRecord, bool]:
    return cache.upsert(session, tenant_id, QBO, QBO_VENDOR, str(vendor["Id"]), name=qbo_vendor_name(vendor),
                        data=qbo_vendor_data(vendor), active=vendor.get("Active", True) is not False,
                        sync_token=vendor.get("SyncToken"),
                        remote_updated_at=parse_time((vendor.get("MetaData") or {}).get("LastUpdatedTime")))


def procore_vendor_data(vendor: Vendor) -> dict[str, Any]:
    raw = dict(vendor.raw or {})
    data = {k: raw[k] for k in _PROCORE_FIELDS if k in raw}
    data.update({"id": vendor.id, "name": vendor.name, "origin_id": vendor.origin_id})
    return plain(data)


def cache_procore_vendor(session: Session, tenant_id: int, vendor: Vendor) -> tuple[RemoteRecord, bool]:
    return cache.upsert(session, tenant_id, PROCORE, PROCORE_VENDOR, str(vendor.id), name=vendor.name,
                        data=procore_vendor_data(vendor), active=vendor.is_active is not False,
                        remote_updated_at=vendor.updated_at)

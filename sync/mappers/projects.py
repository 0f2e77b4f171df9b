"""QBO projects (Customers with IsProject/Job) → Procore projects (pure)."""

from __future__ import annotations

from typing import Any

from sync.mappers.errors import MappingError
from sync.mappers.names import clean_name, obj


def is_qbo_project(customer: dict[str, Any]) -> bool:
    """QBO marks projects with IsProject (newer) or as a Job (a sub-customer) (older companies)."""
    return bool(customer.get("IsProject")) or (bool(customer.get("Job")) and bool(customer.get("ParentRef")))


def qbo_project_to_procore_project(customer: dict[str, Any], *, project_number: str | None = None) -> dict[str, Any]:
    """The Procore project body for a QBO project; `origin_id` carries the QBO Id (the Procore side of the link)."""
    full = customer.get("FullyQualifiedName")
    name = clean_name(customer.get("DisplayName") or (full.split(":")[-1] if isinstance(full, str) else ""))
    if not name or customer.get("Id") in (None, ""):
        raise MappingError(f"QBO project {customer.get('Id')} has no name or no Id")
    out: dict[str, Any] = {"name": name, "origin_id": str(customer["Id"]), "active": bool(customer.get("Active", True))}
    if project_number:
        out["project_number"] = project_number
    addr = obj(customer.get("ShipAddr")) or obj(customer.get("BillAddr"))
    for src, dst in (("Line1", "address"), ("City", "city"), ("CountrySubDivisionCode", "state_code"),
                     ("PostalCode", "zip")):
        if addr.get(src):
            out[dst] = addr[src]
    return out


def project_import_state(qbo_last_updated: str | None, linked_last_synced: str | None, linked: bool) -> str:
    """Ready to import (no link) / Synced / Ready to update (QBO changed since the last import)."""
    if not linked:
        return "ready_to_import"
    if qbo_last_updated and linked_last_synced and qbo_last_updated > linked_last_synced:
        return "ready_to_update"
    return "synced"

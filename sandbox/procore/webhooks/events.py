"""What a change looks like on the wire: resource names, matching hooks and the delivery body.

Resource names are Procore's webhook resource names (the ones `GET /rest/v1.0/webhooks/resources` lists).
Payload formats follow https://developers.procore.com/documentation/webhooks: v2.0 (legacy, the default),
v3.0 (adds `related_resources`) and v4.0 (string ids, `reason`, `resource_type`).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from ..store import Record, Store

# store table -> Procore webhook resource name
RESOURCE_NAMES = {
    "projects": "Projects",
    "vendors": "Company Vendors",
    "users": "Company Users",
    "line_item_types": "Line Item Types",
    "standard_cost_code_lists": "Standard Cost Code Lists",
    "standard_cost_codes": "Standard Cost Codes",
    "cost_codes": "Cost Codes",
    "budget_line_items": "Budget Line Items",
    "work_order_contracts": "Work Order Contracts",
    "purchase_order_contracts": "Purchase Order Contracts",
    "prime_contracts": "Prime Contracts",
    "commitment_change_orders": "Commitment Change Orders",
    "prime_change_orders": "Prime Change Orders",
    "requisitions": "Requisitions",
    "payment_applications": "Payment Applications",
    "contract_payments": "Contract Payments",
    "prime_contract_payments": "Prime Contract Payments",
    "direct_costs": "Direct Costs",
}
COMPANY_LEVEL = {"Projects", "Company Vendors", "Company Users", "Line Item Types", "Standard Cost Code Lists",
                 "Standard Cost Codes"}
EVENT_TYPES = ("create", "update", "delete")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(epoch: float | None = None) -> str:
    """A 26-character ULID: 48-bit millisecond time then 80 random bits, Crockford base32."""
    millis = int((time.time() if epoch is None else epoch) * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def event_scope(store: Store, record: Record) -> tuple[int | None, int | None]:
    """(company_id, project_id) of a changed record."""
    project_id = record.get("project_id")
    company_id = record.get("company_id")
    if company_id is None and project_id is not None:
        project = store.get("projects", project_id)
        company_id = project["company_id"] if project else None
    return company_id, project_id


def matching_hooks(store: Store, resource_name: str, event_type: str, resource_id: int,
                   company_id: int | None, project_id: int | None) -> list[Record]:
    """Hooks in scope of the change with at least one trigger for this resource and event."""
    hooks = []
    for hook in store.all("webhook_hooks"):
        if hook.get("owned_by_project_id") is not None:
            if hook["owned_by_project_id"] != project_id:
                continue
        elif hook.get("owned_by_company_id") != company_id:
            continue
        for trigger in store.find("webhook_triggers", webhook_hook_id=hook["id"]):
            if (trigger["resource_name"] == resource_name and trigger["event_type"] == event_type
                    and trigger.get("resource_id") in (None, resource_id)):
                hooks.append(hook)
                break
    return hooks


def build_event(event_id: int, ulid: str, epoch: float, resource_name: str, resource_id: int,
                event_type: str, company_id: int | None, project_id: int | None,
                user_id: int | None, application_id: str | None) -> dict[str, Any]:
    """The legacy (v2.0) event object; `payload_for` reshapes it for other payload versions."""
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "id": event_id,
        "ulid": ulid,
        "timestamp": stamp,
        "metadata": {"source_user_id": user_id, "source_project_id": project_id, "source_operation_id": None,
                     "source_company_id": company_id, "source_application_id": application_id},
        "user_id": user_id,
        "company_id": company_id,
        "project_id": project_id,
        "api_version": "v2.0",
        "event_type": event_type,
        "resource_name": resource_name,
        "resource_id": resource_id,
    }


def payload_for(hook: Record, event: dict[str, Any]) -> dict[str, Any]:
    version = str(hook.get("api_version") or "v2")
    if version.startswith("v4"):
        def text(value: Any) -> str | None:
            return None if value is None else str(value)
        return {"id": event["ulid"], "timestamp": event["timestamp"], "reason": event["event_type"],
                "company_id": text(event["company_id"]), "project_id": text(event["project_id"]),
                "user_id": text(event["user_id"]), "resource_type": event["resource_name"],
                "resource_id": text(event["resource_id"])}
    body = dict(event, api_version=version)
    if version.startswith("v3"):
        body["related_resources"] = []
    return body

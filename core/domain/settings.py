"""Tenant settings the workflow reads: direct-export mode, paid-sync schedule, thresholds."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from core.models import TenantSettings


class DirectExports(StrEnum):
    DISABLED = "disabled"  # everything needs acceptance
    ENABLED = "enabled"  # senders may export directly
    ENABLED_WITH_WORKFLOW = "enabled_with_workflow"  # only after the item's Procore workflow completes


class PaidSyncSchedule(StrEnum):
    HOURLY = "hourly"
    EVERY_2H = "every_2h"
    EVERY_4H = "every_4h"
    DAILY = "daily"
    NEVER = "never"

    @property
    def interval_hours(self) -> int | None:
        return {"hourly": 1, "every_2h": 2, "every_4h": 4, "daily": 24, "never": None}[self.value]


def direct_export_refusal(mode: str, title: str, *, workflow_complete: bool) -> str | None:
    """Why the direct-exports setting refuses exporting `title` now, or None when it allows it."""
    setting = DirectExports(mode)
    if setting is DirectExports.DISABLED:
        return ("Direct exports are disabled for this company: send the item for acceptance instead "
                "(`/ledgerlink send`).")
    if setting is DirectExports.ENABLED_WITH_WORKFLOW and not workflow_complete:
        return (f"{title} can be exported directly only after its Procore workflow is complete; finish the "
                "workflow or send it for acceptance.")
    return None


def tenant_settings(session: Session, tenant_id: int) -> TenantSettings:
    """The tenant's settings row, created with defaults on first use."""
    row = session.get(TenantSettings, tenant_id)
    if row is None:
        row = TenantSettings(tenant_id=tenant_id)
        session.add(row)
        session.flush()
    return row

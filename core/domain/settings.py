"""Tenant settings the workflow reads: direct-export mode, paid-sync schedule, thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core.domain.errors import InvalidInput
from core.models import TenantSettings
from core.rows import by_key

#: the scheduled sync jobs a tenant may time: job → (what it syncs, default minutes between runs). The Procore
#: item polls are the safety net under the webhook (incremental: cheap when nothing changed). `paid` and
#: `receipts` follow the paid-sync schedule instead.
SYNC_JOBS: dict[str, tuple[str, int]] = {
    "sub-invoices": ("Subcontractor invoices from Procore", 10),
    "owner-invoices": ("Owner invoices from Procore", 10),
    "commitments": ("Commitments and their change orders", 15),
    "prime-contracts": ("Prime contracts and their change orders", 30),
    "budget": ("Project budgets from Procore", 60),
    "cost-codes": ("Cost codes", 5),
    "vendors": ("Companies (vendors)", 60),
    "projects": ("Projects", 60),
    "job-costs": ("Job costs into Procore", 120),
    "procore-webhook": ("Check of Ledgerlink's Procore webhook", 360),
}
MIN_SYNC_MINUTES, MAX_SYNC_MINUTES = 5, 7 * 24 * 60  # not more often than Procore's limits bear; at least weekly


def sync_minutes(overrides: Mapping[str, int] | None, job: str) -> int:
    """How often the tenant's `job` runs, in minutes (its own choice, else the default)."""
    return int((overrides or {}).get(job) or SYNC_JOBS[job][1])


def stored_sync_intervals(current: Mapping[str, int] | None, wanted: Mapping[str, Any]) -> dict[str, int] | None:
    """`wanted` (job → minutes) checked and merged into the tenant's choices; defaults are not stored."""
    merged = dict(current or {})
    for job, minutes in wanted.items():
        if job not in SYNC_JOBS:
            raise InvalidInput(f"There is no scheduled sync called {job}.")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not (
                MIN_SYNC_MINUTES <= minutes <= MAX_SYNC_MINUTES):
            raise InvalidInput(f"{SYNC_JOBS[job][0]}: enter whole minutes from {MIN_SYNC_MINUTES} to "
                               f"{MAX_SYNC_MINUTES} (a week).")
        merged[job] = minutes
    return {job: m for job, m in sorted(merged.items()) if m != SYNC_JOBS[job][1]} or None


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
    row = by_key(session, TenantSettings, tenant_id)
    if row is None:
        row = TenantSettings(tenant_id=tenant_id)
        session.add(row)
        session.flush()
    return row

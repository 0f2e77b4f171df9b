"""`/ledgerlink sync job-costs on|off [project]`: the engine's `set_job_cost_sync` (seed: Admin, audited) for one
Procore project, or for every linked project when none is named."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.actions.common import tenant_context
from bot.identity import Identity
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.permissions import Perm, check
from core.models import ExternalLink
from sync.services import schedule


def _linked_projects(svc: Services, tenant_id: int) -> list[int]:
    with Session(svc.engine) as s:
        return sorted(int(lk.procore_id) for lk in s.exec(select(ExternalLink).where(
            ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == "project")))


def set_job_costs(svc: Services, me: Identity, enabled: bool, project_ref: str | None) -> str:
    check(me.actor, Perm.SYNC_JOB_COSTS)
    tenant_context(svc, me.tenant_id)  # says so when the connections aren't configured
    if project_ref is None:
        ids = _linked_projects(svc, me.tenant_id)
        names = [str(i) for i in ids]
    else:
        chosen = lookup.find_record(svc.engine, me.tenant_id, pickers.PROCORE_PROJECT_PICK, project_ref)
        ids, names = [int(chosen.value)], [chosen.title]
    for pid in ids:
        schedule.set_job_cost_sync(svc.engine, me.actor, tenant_id=me.tenant_id, procore_project_id=pid,
                                   enabled=enabled)
    state = "on" if enabled else "off"
    if not ids:
        return ("No Procore project is linked to QuickBooks yet, so there is nothing to sync: "
                "`/ledgerlink link project`.")
    where = names[0] if project_ref is not None else f"all {len(ids)} linked project(s)"
    return (f":gear: Job-cost sync is {state} for {where}." +
            (" `/ledgerlink sync job-costs now` runs it right away." if enabled else ""))

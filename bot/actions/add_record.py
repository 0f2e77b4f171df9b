"""`/ledgerlink add company …` (a QuickBooks vendor into Procore's company directory) and `add project …` (a
QuickBooks project into Procore, or its changes when it is Ready to update): queued through the outbox, written
at once, linked when Procore answers. The engine checks the seed's rows (Standard; Admin for projects) and
audits each request."""

from __future__ import annotations

from bot.actions.common import queued_outcome, tenant_context
from bot.identity import Identity
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.permissions import Perm, check
from sync.services import companies, projects

KINDS = ("company", "project")


def add_company(svc: Services, me: Identity, vendor_ref: str) -> str:
    check(me.actor, Perm.ADD_ERP_COMPANY_TO_DIRECTORY)
    ctx = tenant_context(svc, me.tenant_id)
    vendor = lookup.find_record(svc.engine, me.tenant_id, pickers.QBO_VENDOR_PICK, vendor_ref)
    entry = companies.add_company_to_procore(ctx, me.actor, qbo_vendor_id=vendor.value)
    return queued_outcome(svc, entry.id, f":office: Added {vendor.title} to Procore's company directory, linked",
                          f"adding {vendor.title} to the directory")


def add_project(svc: Services, me: Identity, project_ref: str, number: str | None = None) -> str:
    """Add a QuickBooks project to Procore (Ready to import) or update its Procore twin (Ready to update)."""
    check(me.actor, Perm.ADD_ERP_JOB)
    ctx = tenant_context(svc, me.tenant_id)
    project = lookup.find_record(svc.engine, me.tenant_id, pickers.QBO_PROJECT_PICK, project_ref)
    entry = projects.add_erp_job_to_procore(ctx, me.actor, qbo_project_id=project.value, project_number=number)
    verb = "Updated" if entry.operation == "procore.update_project" else "Added"
    return queued_outcome(svc, entry.id, f":building_construction: {verb} QuickBooks project {project.title} in "
                          "Procore, linked", f"project {project.title}")

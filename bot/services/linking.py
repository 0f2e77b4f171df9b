"""`/ledgerlink link company|project <Procore id> <QuickBooks id>`: the engine's link services for a person."""

from __future__ import annotations

from bot.domain.errors import InvalidInput
from bot.identity import Identity
from bot.services.runtime import Services
from sync.services import companies, projects


def link(svc: Services, me: Identity, kind: str, *, procore: str, qbo: str) -> None:
    """Link a Procore company to a QuickBooks vendor, or a Procore project to a QuickBooks project."""
    if svc.context_for is None:
        raise InvalidInput("Linking needs the QuickBooks and Procore connections, which aren't configured here.")
    ctx = svc.context_for(me.tenant_id)
    if kind == "company":
        companies.link_company(ctx, me.actor, procore_vendor_id=procore, qbo_vendor_id=qbo)
    else:
        projects.link_erp_job(ctx, me.actor, qbo_project_id=qbo, procore_project_id=procore)

"""`/ledgerlink link company|project …` and the link modal: the engine's link services for a person.

Both sides may be given by id or by name (resolved from the local cache, with "Did you mean …?"); the pickers
hand over ids."""

from __future__ import annotations

from dataclasses import dataclass

from bot.identity import Identity
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.errors import InvalidInput
from core.domain.matching import Choice
from core.domain.permissions import Perm, check
from sync.services import companies, projects

SOURCES = {"company": (pickers.PROCORE_COMPANY, pickers.QBO_VENDOR_PICK),
           "project": (pickers.PROCORE_PROJECT_PICK, pickers.QBO_PROJECT_PICK)}
PERMS = {"company": Perm.LINK_COMPANIES, "project": Perm.ADD_ERP_JOB}  # what the engine's link services check


@dataclass(frozen=True)
class Linked:
    kind: str  # company | project
    procore: Choice
    qbo: Choice

    @property
    def sentence(self) -> str:
        other = "vendor" if self.kind == "company" else "project"
        return (f":link: Linked Procore {self.kind} {self.procore.title} ({self.procore.value}) to QuickBooks "
                f"{other} {self.qbo.title} ({self.qbo.value}).")


def check_ready(svc: Services) -> None:
    if svc.context_for is None:
        raise InvalidInput("Linking needs the QuickBooks and Procore connections, which aren't configured here.")


def link(svc: Services, me: Identity, kind: str, *, procore: str, qbo: str) -> Linked:
    """Link a Procore company to a QuickBooks vendor, or a Procore project to a QuickBooks project."""
    check_ready(svc)
    check(me.actor, PERMS[kind])  # before names are resolved: "did you mean" shows names
    procore_source, qbo_source = SOURCES[kind]
    left = lookup.find_record(svc.engine, me.tenant_id, procore_source, procore)
    right = lookup.find_record(svc.engine, me.tenant_id, qbo_source, qbo)
    ctx = svc.context_for(me.tenant_id)  # type: ignore[misc]
    if kind == "company":
        companies.link_company(ctx, me.actor, procore_vendor_id=left.value, qbo_vendor_id=right.value)
    else:
        projects.link_erp_job(ctx, me.actor, qbo_project_id=right.value, procore_project_id=left.value)
    return Linked(kind, left, right)

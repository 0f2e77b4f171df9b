"""`/ledgerlink projects`: QuickBooks projects Ready to import and Ready to update (each with its button: the
`add project` action), and each Procore project missing from those lists with the reason and the command that
fixes it (the engine's `why_missing_from_erp`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from bot.actions.common import tenant_context
from bot.identity import Identity
from bot.services.runtime import Services
from core.domain.permissions import Perm, check
from sync import cache
from sync.copies.projects import PROCORE, PROCORE_PROJECT
from sync.services import projects

LIMIT = 25  # per list: a message has room for about that many rows with buttons


@dataclass
class Lists:
    ready_to_import: list[projects.ErpJobRow] = field(default_factory=list)
    ready_to_update: list[projects.ErpJobRow] = field(default_factory=list)
    sub_jobs_to_import: list[projects.ErpJobRow] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (Procore project, why and what to do)
    synced: int = 0


def lists(svc: Services, me: Identity) -> Lists:
    check(me.actor, Perm.VIEW_ITEMS)
    ctx = tenant_context(svc, me.tenant_id)
    out = Lists()
    for row in projects.list_erp_jobs(ctx, me.actor):
        if row.state == "synced":
            out.synced += 1
        elif row.kind == "sub_job":
            out.sub_jobs_to_import.append(row)
        else:
            (out.ready_to_update if row.state == "ready_to_update" else out.ready_to_import).append(row)
    with Session(svc.engine) as s:
        procore = cache.listing(s, me.tenant_id, PROCORE, PROCORE_PROJECT, archived=None)
    for rec in sorted(procore, key=lambda r: r.name.casefold()):
        why = projects.why_missing_from_erp(ctx, procore_project_id=rec.remote_id)
        if why is not None:
            out.missing.append((rec.name, why))
    return out

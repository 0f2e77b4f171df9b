"""`/ledgerlink import sub-job|budget|prime-contract …`: bring a QuickBooks sub job, budget or estimate into
Procore through the engine's import services (seed rows: Admin for sub jobs, Standard for the others; each
audited), written at once through the outbox."""

from __future__ import annotations

from bot.actions.common import queued_outcome, tenant_context
from bot.identity import Identity
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.errors import InvalidInput
from core.domain.permissions import Perm, check
from sync.services import commitments, projects

KINDS = ("sub-job", "budget", "prime-contract")
PERMS = {"sub-job": Perm.IMPORT_SUB_JOB, "budget": Perm.IMPORT_BUDGET, "prime-contract": Perm.IMPORT_PRIME_CONTRACT}


def import_sub_job(svc: Services, me: Identity, ref: str, code: str | None = None) -> str:
    check(me.actor, PERMS["sub-job"])
    ctx = tenant_context(svc, me.tenant_id)
    sub = lookup.find_record(svc.engine, me.tenant_id, pickers.QBO_SUB_JOB_PICK, ref)
    entry = projects.import_sub_job(ctx, me.actor, qbo_sub_job_id=sub.value, code=code)
    return queued_outcome(svc, entry.id, f":inbox_tray: Imported sub job {sub.title} into its Procore project",
                          f"sub job {sub.title}")


def _project(svc: Services, me: Identity, ref: str) -> int:
    return int(lookup.find_record(svc.engine, me.tenant_id, pickers.PROCORE_PROJECT_PICK, ref).value)


def parse_accounts(pairs: list[str]) -> dict[str, tuple[int, int]]:
    """`<QuickBooks account id>=<cost code id>:<cost type id>` pairs: where each budget account lands."""
    out = {}
    for pair in pairs:
        account, _, target = pair.partition("=")
        code, _, kind = target.partition(":")
        if not (account and code.isdigit() and kind.isdigit()):
            raise InvalidInput(f"'{pair}' isn't `<account id>=<cost code id>:<cost type id>`.")
        out[account] = (int(code), int(kind))
    return out


def import_budget(svc: Services, me: Identity, project_ref: str, budget_id: str,
                  accounts: dict[str, tuple[int, int]]) -> str:
    check(me.actor, PERMS["budget"])
    ctx = tenant_context(svc, me.tenant_id)
    result = commitments.import_budget_from_qbo(ctx, me.actor, _project(svc, me, project_ref), budget_id, accounts)
    svc.drain_outbox()
    skipped = "".join(f"\n• left out {why}" for why in result.skipped)
    return f":inbox_tray: Imported {result.queued} budget line(s) from QuickBooks budget {budget_id}.{skipped}"


def import_prime_contract(svc: Services, me: Identity, project_ref: str, estimate_id: str) -> str:
    check(me.actor, PERMS["prime-contract"])
    ctx = tenant_context(svc, me.tenant_id)
    commitments.import_prime_contract_from_qbo(ctx, me.actor, _project(svc, me, project_ref), estimate_id)
    svc.drain_outbox()
    return f":inbox_tray: Imported QuickBooks estimate {estimate_id} as the project's prime contract in Procore."

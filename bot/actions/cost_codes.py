"""`/ledgerlink cost-codes …`: the cost-code preferences form (default cost types of a standard cost code, and
whether its lines become QuickBooks items), and deleting a project cost code or one of its cost-type
assignments (asked first). All through the engine's cost-code services (seed: Admin; each audited)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.actions.common import Confirm, tenant_context
from bot.identity import Identity
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.errors import InvalidInput
from core.domain.permissions import Perm, check
from sync import cache
from sync.jobs.cost_codes import E_CODE, E_TYPE, PROCORE
from sync.services import cost_codes


@dataclass(frozen=True)
class Form:
    """What the preferences modal offers: standard cost codes (id, label, synced, default type ids) and types."""

    codes: list[tuple[str, str]]
    types: list[tuple[str, str]]


def form(svc: Services, me: Identity) -> Form:
    check(me.actor, Perm.ASSIGN_DEFAULT_COST_TYPES)
    ctx = tenant_context(svc, me.tenant_id)
    rows = cost_codes.cost_code_preferences(ctx, me.actor)
    if not rows:
        raise InvalidInput("Ledgerlink has no standard cost codes yet: `/ledgerlink refresh cost-codes` first.")
    with Session(svc.engine) as s:
        types = [(r.remote_id, r.name) for r in cache.listing(s, me.tenant_id, PROCORE, E_TYPE)]
    codes = [(str(r.standard_cost_code_id),
              f"{r.full_code} {r.name}" + (f" (defaults: {', '.join(r.default_cost_types)})" if r.default_cost_types
                                           else "") + ("" if r.synced else " — not synced")) for r in rows]
    return Form(codes, types)


def save(svc: Services, me: Identity, code_id: int, type_ids: list[int], synced: bool) -> str:
    ctx = tenant_context(svc, me.tenant_id)
    names = cost_codes.assign_default_cost_types(ctx, me.actor, code_id, type_ids)
    cost_codes.set_cost_code_synced(ctx, me.actor, code_id, synced)
    return (f":gear: Cost code {code_id}: default cost types {', '.join(names) or 'none'}; its budget lines "
            f"{'become' if synced else 'no longer become'} QuickBooks items.")


def _code(svc: Services, tenant_id: int, cost_code_id: int) -> str:
    with Session(svc.engine) as s:
        row = cache.get(s, tenant_id, PROCORE, E_CODE, str(cost_code_id))
    return row.name if row else f"cost code {cost_code_id}"


def delete(svc: Services, me: Identity, project_ref: str, cost_code_id: int, type_id: int | None, *,
           confirmed: bool) -> Confirm | str:
    """Delete a project cost code (type_id None) or one cost-type assignment of it."""
    check(me.actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    ctx = tenant_context(svc, me.tenant_id)
    project = lookup.find_record(svc.engine, me.tenant_id, pickers.PROCORE_PROJECT_PICK, project_ref)
    code = _code(svc, me.tenant_id, cost_code_id)
    what = f"cost type {type_id} from {code}" if type_id is not None else code
    if not confirmed:
        return Confirm(f"Delete {what} on {project.title}? It goes from Procore and its QuickBooks items are made "
                       "inactive (their history stays).", "Delete")
    if type_id is None:
        count = cost_codes.delete_project_cost_code(ctx, me.actor, int(project.value), cost_code_id)
    else:
        count = cost_codes.delete_cost_type_assignment(ctx, me.actor, int(project.value), cost_code_id, type_id)
    svc.drain_outbox()
    return f":wastebasket: Deleted {what} on {project.title}; {count} QuickBooks item(s) made inactive."

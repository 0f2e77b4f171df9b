"""Outbox operations for cost-code items: a budget line's QBO Service item, created once, renamed, deactivated.

    qbo.create_item    create one budget line's item (binder "cost_item", key "{project}:{cost code}:{cost type}")
    qbo.update_item    rename / reactivate / deactivate it (sparse update with the current SyncToken)
    qbo.export_budget  an accepted budget: the items of every budget line of the project, in one outbox row
    procore.delete_cost_code, procore.set_cost_code_types   the Procore side of deleting a project cost code or
                       a cost-type assignment (the QBO items are deactivated by `qbo.update_item`)

Exactly once: a create carries the outbox row's requestid (QBO replays the first answer); on a retry `reconcile`
looks the item up by Name and adopts it only if QBO created it after our first attempt. A name QBO says is taken
(6240) by an item that is not ours gets the next free variant ("… (2)"), with a new requestid — QBO remembers
refusals under a requestid too. An update first re-reads the item: already as wanted ⇒ nothing to write (so a
replay after the requestid window is harmless); a stale SyncToken (5010) ⇒ re-read and try again. Items are
never deleted (QBO can't delete name-list records): a deleted budget line deactivates its item (Active=false,
which QBO shows as "… (deleted)").

The module also holds what the job, the services and these operations read in common: preferences, links and
the QBO item names.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from core.domain import audit
from core.domain.permissions import SYSTEM
from core.models import CostCodePreference, ExternalLink, OutboxEntry, RemoteRecord
from sync import binder, cache
from sync.mappers.cost_items import (
    ITEM_LINK,
    BudgetLine,
    CostType,
    LinkedItem,
    Preferences,
    ProjectCostCode,
    ProjectScope,
    cost_item_body,
    pick_account,
    plan_cost_items,
)
from sync.mappers.errors import MappingError
from sync.mappers.names import ITEM_NAME_MAX, unique_name
from sync.outbox import OutboxStatus, PermanentError, RemoteResult, enqueue, make_requestid
from sync.procore.errors import ProcoreApiError, ProcoreError, ProcoreNotFound
from sync.qbo.errors import QboDuplicate, QboError, QboStaleObject
from sync.qbo.query import select as qbo_select
from sync.writes.common import created_since, find_by_name, remote_failure
from sync.writes.registry import ContextFor, operation

logger = logging.getLogger(__name__)

OP_CREATE = "qbo.create_item"
OP_UPDATE = "qbo.update_item"
OP_EXPORT_BUDGET = "qbo.export_budget"
QBO_ITEM = "Item"  # RemoteRecord entity of cached QBO items
PREF_CODE, PREF_TYPE, PREF_SETTING = "standard_cost_code", "cost_type", "qbo_setting"
MAX_NAME_TRIES = 5
MAX_STALE_TRIES = 4


# --- what the plan reads -----------------------------------------------------------------------------------
def load_preferences(session: Session, tenant_id: int) -> tuple[Preferences, dict[str, str]]:
    """The tenant's cost-code preferences and its QBO settings (income_account, expense_account[:type id])."""
    rows = list(session.exec(select(CostCodePreference).where(CostCodePreference.tenant_id == tenant_id)))
    codes = frozenset(int(r.key) for r in rows if r.kind == PREF_CODE and not r.synced)
    kinds = frozenset(int(r.key) for r in rows if r.kind == PREF_TYPE and not r.synced)
    defaults = {int(r.key): tuple(r.default_cost_type_ids) for r in rows
                if r.kind == PREF_CODE and r.default_cost_type_ids}
    settings = {r.key: r.value for r in rows if r.kind == PREF_SETTING and r.value}
    return Preferences(codes, kinds, defaults), settings


def linked_items(session: Session, tenant_id: int, project_id: int | None = None) -> dict[str, LinkedItem]:
    """key → the item Ledgerlink linked, with its name and state from the QBO item cache."""
    stmt = select(ExternalLink).where(ExternalLink.tenant_id == tenant_id, ExternalLink.entity_type == ITEM_LINK)
    if project_id is not None:
        stmt = stmt.where(ExternalLink.procore_id.startswith(f"{project_id}:"))
    links = list(session.exec(stmt))
    cached = {r.remote_id: r for r in session.exec(select(RemoteRecord).where(
        RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == "qbo", RemoteRecord.entity == QBO_ITEM,
        RemoteRecord.remote_id.in_([lk.qbo_id for lk in links] or ["-"])))}
    out = {}
    for link in links:
        row = cached.get(link.qbo_id)
        out[link.procore_id] = LinkedItem(link.qbo_id, row.name if row else "", row.active if row else True,
                                          row.sync_token if row else link.sync_token,
                                          (row.data or {}).get("Description") if row else None)
    return out


def cached_item_names(session: Session, tenant_id: int) -> set[str]:
    return set(session.exec(select(RemoteRecord.name).where(
        RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == "qbo", RemoteRecord.entity == QBO_ITEM)))


def cache_item(session: Session, tenant_id: int, item: Mapping[str, Any]) -> None:
    cache.upsert(session, tenant_id, "qbo", QBO_ITEM, str(item["Id"]), name=str(item.get("Name", "")),
                 active=item.get("Active", True) is not False, sync_token=item.get("SyncToken"),
                 parent_id=(item.get("ParentRef") or {}).get("value"),
                 data={k: item.get(k) for k in ("Name", "Type", "Active", "Description", "FullyQualifiedName",
                                                 "IncomeAccountRef", "ExpenseAccountRef", "MetaData")})


def item_accounts(accounts: list[Mapping[str, Any]], settings: Mapping[str, str], type_id: int | None
                  ) -> tuple[str, str]:
    """(income account Id, expense account Id) for a new item of this cost type."""
    expense = settings.get(f"expense_account:{type_id}") or settings.get("expense_account")
    return (pick_account(accounts, kind="income", wanted=settings.get("income_account")),
            pick_account(accounts, kind="expense", wanted=expense))


# --- enqueueing --------------------------------------------------------------------------------------------
def enqueue_item_write(session: Session, *, tenant_id: int, operation: str, key: str, version: str,
                       payload: dict[str, Any], again_if_done: bool = False) -> OutboxEntry:
    """Queue one item write; the same (key, version) is queued once. A write that failed for good (or, with
    `again_if_done`, one that is done but whose effect is gone) is queued anew under a new version, so it gets a
    fresh requestid (QBO would replay the refusal)."""
    n = 0
    while True:
        entry = enqueue(session, tenant_id=tenant_id, target="qbo", operation=operation,
                        record=f"{ITEM_LINK}:{key}", version=version if n == 0 else f"{version}#{n}",
                        payload={**payload, "key": key})
        if entry.status == OutboxStatus.FAILED or (again_if_done and entry.status == OutboxStatus.DONE):
            n += 1
            continue
        if "not_before" not in entry.payload:
            entry.payload = {**entry.payload, "not_before": entry.created_at.isoformat()}
            session.add(entry)
            session.flush()
        return entry


def live_item_writes(session: Session, tenant_id: int) -> dict[str, list[OutboxEntry]]:
    """key → its item writes still waiting in the outbox (so a report can say "already queued")."""
    out: dict[str, list[OutboxEntry]] = {}
    for entry in session.exec(select(OutboxEntry).where(
            OutboxEntry.tenant_id == tenant_id, OutboxEntry.operation.in_([OP_CREATE, OP_UPDATE]),
            OutboxEntry.status.in_([OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value]))):
        key = (entry.payload or {}).get("key")
        if key:
            out.setdefault(key, []).append(entry)
    return out


# --- the remote halves -------------------------------------------------------------------------------------
def item_result(item: Mapping[str, Any], summary: str = "") -> RemoteResult:
    return RemoteResult(str(item["Id"]), item.get("SyncToken"), body={"item": _plain_item(item)},
                        summary=summary or f"Item {item.get('Name')}")


def _plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("Id", "SyncToken", "Name", "Active", "Type", "Description",
                                     "FullyQualifiedName", "MetaData")}


def find_item(ctx: Any, name: str) -> dict[str, Any] | None:
    """The item with this Name, active or not (QBO compares names case-insensitively)."""
    return find_by_name(ctx, "Item", name, label="item", field="Name")


def _names_like(ctx: Any, base: str) -> set[str]:
    prefix = base[:60].replace("%", "")
    query = qbo_select("Item").like("Name", f"{prefix}%").where_in("Active", [True, False])
    try:
        return {str(r.get("Name", "")) for r in ctx.qbo.query_all(select_=query)}
    except QboError as exc:
        raise remote_failure(exc, f"Looking up QuickBooks items named like '{base}'") from None


def _sub_requestid(requestid: str, n: int) -> str:
    return requestid if n == 0 else f"{requestid[:44]}-n{n}"


def create_cost_item(ctx: Any, *, body: Mapping[str, Any], base_name: str, requestid: str,
                     not_before: str | None) -> dict[str, Any]:
    """Create the item; a name taken by an item that is not ours moves to the next free variant."""
    name, tried = str(body["Name"]), set()
    for n in range(MAX_NAME_TRIES):
        try:
            return ctx.qbo.create(entity="Item", body={**body, "Name": name}, requestid=_sub_requestid(requestid, n))
        except QboDuplicate:
            found = find_item(ctx, name)
            if found is not None and created_since(found, not_before) and found.get("Type") == "Service":
                return found  # ours: an earlier attempt created it and its answer was lost
            tried.add(name)
            name = unique_name(base_name or name, tried | _names_like(ctx, base_name or name), ITEM_NAME_MAX)
        except QboError as exc:
            raise remote_failure(exc, f"Creating the QuickBooks item '{name}'") from None
    raise PermanentError(f"QuickBooks refused every name Ledgerlink tried for the item '{body['Name']}' "
                         f"({', '.join(sorted(tried))}): rename the clashing items in QuickBooks and press Retry.")


def _matches(item: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    if "Active" in fields and (item.get("Active", True) is not False) != bool(fields["Active"]):
        return False
    if fields.get("Active") is False:
        return True  # QBO renames an inactive item itself ("… (deleted)")
    if "Description" in fields and (item.get("Description") or "") != fields["Description"]:
        return False
    return "Name" not in fields or str(item.get("Name", "")).casefold() == str(fields["Name"]).casefold()


def update_cost_item(ctx: Any, *, qbo_id: str, fields: Mapping[str, Any], base_name: str | None,
                     requestid: str) -> dict[str, Any]:
    """Sparse-update the item with its current SyncToken; re-read on 5010; nothing to do if already as wanted."""
    wanted = dict(fields)
    what = f"Updating the QuickBooks item {qbo_id}"
    tried: set[str] = set()
    for n in range(MAX_STALE_TRIES + MAX_NAME_TRIES):
        try:
            current = ctx.qbo.read(entity="Item", id=qbo_id)
        except QboError as exc:
            raise remote_failure(exc, what) from None
        if _matches(current, wanted):
            return current
        body = {"Id": str(qbo_id), "SyncToken": current["SyncToken"], **wanted}
        try:
            return ctx.qbo.update(entity="Item", body=body, requestid=_sub_requestid(requestid, n))
        except QboStaleObject:
            logger.info("QBO item %s changed meanwhile (5010); re-reading", qbo_id)
            continue
        except QboDuplicate:
            if "Name" not in wanted or not base_name:
                raise PermanentError(f"{what}: QuickBooks says another item already has the name "
                                     f"'{wanted.get('Name')}'; rename that item and press Retry.") from None
            tried.add(str(wanted["Name"]))
            wanted["Name"] = unique_name(base_name, tried | _names_like(ctx, base_name), ITEM_NAME_MAX)
        except QboError as exc:
            raise remote_failure(exc, what) from None
    raise PermanentError(f"{what}: it kept changing in QuickBooks while Ledgerlink wrote to it; press Retry.")


def bind_item(session: Session, tenant_id: int, key: str, item: Mapping[str, Any], why: Mapping[str, Any]) -> bool:
    """Link the budget line to the item unless either side is linked elsewhere (then say so in the audit)."""
    qbo_id = str(item["Id"])
    if item.get("Name"):
        cache_item(session, tenant_id, item)
    mine = binder.to_external(session, tenant_id, ITEM_LINK, key)
    theirs = binder.to_internal(session, tenant_id, ITEM_LINK, qbo_id)
    if (mine is None or mine.qbo_id == qbo_id) and (theirs is None or theirs.procore_id == key):
        binder.bind(session, tenant_id, ITEM_LINK, key, qbo_id, item.get("SyncToken"))
        return True
    audit.record(session, tenant_id=tenant_id, actor=SYSTEM, action="link_conflict",
                 detail={**why, "key": key, "qbo_item_id": qbo_id,
                         "linked_meanwhile": (mine.qbo_id if mine else None, theirs.procore_id if theirs else None)})
    return False


# --- operations --------------------------------------------------------------------------------------------
@operation(OP_CREATE)
class CreateCostItem:
    """payload: key, body (QBO Item), base_name (before collision handling), not_before."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p = entry.payload
        item = create_cost_item(self.context_for(entry.tenant_id), body=p["body"], base_name=p.get("base_name", ""),
                                requestid=entry.requestid, not_before=p.get("not_before"))
        return item_result(item)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        found = find_item(self.context_for(entry.tenant_id), entry.payload["body"]["Name"])
        if found is not None and created_since(found, entry.payload.get("not_before")):
            return item_result(found)
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        item = result.body.get("item") or {"Id": result.remote_id, "SyncToken": result.sync_token}
        bind_item(session, entry.tenant_id, entry.payload["key"], item,
                  {"operation": entry.operation, "outbox_id": entry.id})


@operation(OP_UPDATE)
class UpdateCostItem:
    """payload: key, qbo_id, fields ({"Name", "Active", "Description"…}), base_name, action."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p = entry.payload
        item = update_cost_item(self.context_for(entry.tenant_id), qbo_id=p["qbo_id"], fields=p["fields"],
                                base_name=p.get("base_name"), requestid=entry.requestid)
        return item_result(item, f"Item {item.get('Name')} ({p.get('action', 'updated')})")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # execute re-reads first, so running it again is safe

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        item = result.body.get("item") or {"Id": result.remote_id, "SyncToken": result.sync_token}
        bind_item(session, entry.tenant_id, entry.payload["key"], item,
                  {"operation": entry.operation, "outbox_id": entry.id})


@operation(OP_EXPORT_BUDGET)
class ExportBudget:
    """An accepted budget (a `budget` item): the item of every budget line, as the approver saw it.

    payload: project_id, project_number, lines (the snapshot in the item's detail), not_before, round. Each line's
    create gets its own stable requestid derived from this row's, so a rerun after a crash replays them."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, p = self.context_for(entry.tenant_id), entry.payload
        with ctx.session() as s:
            prefs, settings = load_preferences(s, entry.tenant_id)
            linked = linked_items(s, entry.tenant_id, int(p["project_id"]))
        try:
            items = list(ctx.qbo.query_all(select_=qbo_select("Item").where_in("Active", [True, False])))
        except QboError as exc:
            raise remote_failure(exc, "Reading the QuickBooks items") from None
        live = {str(i["Id"]): i for i in items}
        linked = {k: LinkedItem(v.qbo_id, str(live.get(v.qbo_id, {}).get("Name", v.name)),
                                live.get(v.qbo_id, {}).get("Active", v.active) is not False, v.sync_token)
                  for k, v in linked.items()}  # descriptions are the cost-code sync's business, not the budget's
        scope, lines, codes, types = budget_inputs(p)
        plans = plan_cost_items(scope, lines, codes, types, prefs, linked, [str(i.get("Name", "")) for i in items],
                                force=True)
        accounts: list[dict[str, Any]] | None = None
        done: dict[str, dict[str, Any]] = {}
        for plan in plans:
            if plan.action not in ("create", "reactivate"):
                continue
            rid = make_requestid(entry.tenant_id, OP_CREATE, plan.key, entry.requestid)
            if plan.action == "reactivate":
                item = update_cost_item(ctx, qbo_id=plan.qbo_id or "", base_name=plan.base_name, requestid=rid,
                                        fields={"Name": plan.name, "Active": True})
            else:
                if accounts is None:
                    accounts = _accounts(ctx)
                try:
                    income, expense = item_accounts(accounts, settings, plan.cost_type_id)
                except MappingError as exc:
                    raise PermanentError(exc.sentence) from None
                body = cost_item_body(plan.name, description=plan.description, income_account_id=income,
                                      expense_account_id=expense)
                item = create_cost_item(ctx, body=body, base_name=plan.base_name, requestid=rid,
                                        not_before=p.get("not_before"))
            done[plan.key] = _plain_item(item)
        kept = sum(1 for plan in plans if plan.action in ("keep", "rename"))
        skipped = [plan for plan in plans if plan.action == "skip"]
        summary = (f"{len(done)} QuickBooks item(s) for the budget of {scope.project_number}"
                   + (f", {kept} already there" if kept else "")
                   + (f", {len(skipped)} not synced by preference" if skipped else ""))
        return RemoteResult("", body={"items": done}, summary=summary)

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # every line's write is idempotent on its own: running it all again is safe

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        for key, item in (result.body.get("items") or {}).items():
            bind_item(session, entry.tenant_id, key, item, {"operation": entry.operation, "outbox_id": entry.id})


def _accounts(ctx: Any) -> list[dict[str, Any]]:
    try:
        return list(ctx.qbo.query_all(entity="Account"))
    except QboError as exc:
        raise remote_failure(exc, "Reading the QuickBooks chart of accounts") from None


def budget_inputs(snapshot: Mapping[str, Any]) -> tuple[ProjectScope, list[BudgetLine], dict[int, ProjectCostCode],
                                                         dict[int, CostType]]:
    """The plan's inputs from a budget snapshot (a `budget` item's detail, or the export payload)."""
    lines, codes, types = [], {}, {}
    for row in snapshot.get("lines") or []:
        code_id, type_id = row.get("cost_code_id"), row.get("line_item_type_id")
        lines.append(BudgetLine(int(row["id"]), code_id, type_id))
        if code_id is not None:
            codes[code_id] = ProjectCostCode(code_id, str(row.get("cost_code") or code_id),
                                             str(row.get("cost_code_name") or ""), row.get("standard_cost_code_id"),
                                             tuple(row.get("type_ids") or ()), bool(row.get("erp")))
        if type_id is not None:
            types[type_id] = CostType(type_id, str(row.get("cost_type") or type_id), row.get("cost_type_code"))
    scope = ProjectScope(int(snapshot["project_id"]), str(snapshot.get("project_number") or ""),
                         budget_accepted=True)
    return scope, lines, codes, types




# --- the Procore side of deleting project cost codes / cost-type assignments --------------------------------------
@operation("procore.delete_cost_code")
class DeleteProjectCostCode:
    """payload: project_id, cost_code_id, name. Already gone counts as done."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p = entry.payload
        what = f"Deleting cost code {p.get('name') or p['cost_code_id']} from the Procore project"
        try:
            self.context_for(entry.tenant_id).procore.delete_cost_code(project_id=int(p["project_id"]),
                                                                       cost_code_id=int(p["cost_code_id"]))
        except ProcoreNotFound:
            pass  # deleted already (by an earlier attempt or a person)
        except ProcoreApiError as exc:
            if exc.status_code == 422:
                raise PermanentError(f"{what} was refused: Procore keeps cost codes that budget lines, commitments "
                                     "or direct costs use — remove those lines first, then delete it again.") from None
            raise remote_failure(exc, what) from None
        except ProcoreError as exc:
            raise remote_failure(exc, what) from None
        return RemoteResult(str(p["cost_code_id"]), summary=f"Deleted cost code {p.get('name')}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        cache.remove(session, entry.tenant_id, "procore", "cost_code", str(entry.payload["cost_code_id"]))


@operation("procore.set_cost_code_types")
class SetProjectCostCodeTypes:
    """payload: project_id, cost_code_id, line_item_type_ids (the cost types that stay assigned), name."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p = entry.payload
        what = f"Changing the cost types of {p.get('name') or p['cost_code_id']} in Procore"
        procore = self.context_for(entry.tenant_id).procore
        try:
            code = procore.update_cost_code(project_id=int(p["project_id"]), cost_code_id=int(p["cost_code_id"]),
                                            line_item_type_ids=list(p["line_item_type_ids"]))
        except ProcoreError as exc:
            raise remote_failure(exc, what) from None
        return RemoteResult(str(p["cost_code_id"]), body={"cost_code": dict(code.raw)},
                            summary=f"Cost types of {p.get('name')} updated")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # setting the same list twice is harmless

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        row = cache.get(session, entry.tenant_id, "procore", "cost_code", str(entry.payload["cost_code_id"]))
        if row is not None:
            row.data = {**row.data, "type_ids": list(entry.payload["line_item_type_ids"])}
            session.add(row)

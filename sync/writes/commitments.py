"""Outbox operations for contracts: PurchaseOrders and Estimates in QBO, prime contracts and budgets into Procore.

    qbo.create_purchase_order   an accepted commitment → a PurchaseOrder (binder "commitment")
    qbo.amend_purchase_order    an accepted commitment change order → its lines appended (binder "cco")
    qbo.create_estimate         an accepted prime contract → an Estimate (binder "prime_contract")
    qbo.amend_estimate          an accepted prime contract change order → its lines appended (binder "pcco")
    procore.create_prime_contract     Import a Prime Contract from QBO: Estimate → Procore (origin_id = Estimate Id)
    procore.create_budget_line_item   Import a Budget from QBO: one budget line (origin_id names the QBO budget)

Creates carry the outbox row's requestid; on a retry `reconcile` finds the record a lost answer created: a QBO
record of the same vendor/customer with our PrivateNote ("Procore subcontract 123"), created after our first
attempt; a Procore record by its origin_id. An amendment re-reads the record first: lines already carrying the
change order's "CO <n>:" prefix ⇒ done; a stale SyncToken (5010) ⇒ re-read and update again with a new requestid
(QBO remembers refusals under the old one). Each successful amendment bumps the record's SyncToken, stored on
the link.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from core.domain import audit
from core.domain.permissions import SYSTEM
from core.jsonbody import plain
from core.models import Item, OutboxEntry
from sync import binder, cache
from sync.mappers.commitments import amended_lines
from sync.mappers.errors import MappingError
from sync.outbox import PermanentError, RemoteResult
from sync.procore.errors import ProcoreConflict, ProcoreError
from sync.procore.financials import PrimeContract
from sync.qbo.errors import QboDuplicate, QboError, QboStaleObject
from sync.qbo.query import select as qbo_select
from sync.writes.common import created_since, remote_failure
from sync.writes.registry import ContextFor, operation

logger = logging.getLogger(__name__)

MONEY_KEYS = frozenset({"Amount", "UnitPrice", "Qty"})
MAX_STALE_TRIES = 4


def thaw(value: Any, key: str | None = None) -> Any:
    """A payload body back with money as Decimal (sent as exact JSON numbers, never float)."""
    if isinstance(value, Mapping):
        return {k: thaw(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [thaw(v) for v in value]
    if key in MONEY_KEYS and isinstance(value, str | int):
        return Decimal(str(value))
    return value


def _summary(entity: str, record: Mapping[str, Any]) -> str:
    number = f" {record['DocNumber']}" if record.get("DocNumber") else f" {record.get('Id')}"
    return f"{'Purchase order' if entity == 'PurchaseOrder' else 'Estimate'}{number}, total {record.get('TotalAmt')}"


def _result(entity: str, record: Mapping[str, Any]) -> RemoteResult:
    keep = {k: record.get(k) for k in ("Id", "SyncToken", "DocNumber", "TotalAmt", "PrivateNote", "MetaData")}
    keep["Lines"] = [{"Id": line.get("Id"), "Amount": line.get("Amount"), "Description": line.get("Description")}
                     for line in record.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]
    return RemoteResult(str(record["Id"]), record.get("SyncToken"), body={"record": plain(keep)},
                        summary=_summary(entity, record))


def _bind(session: Session, entry: OutboxEntry, link: str, procore_id: str, result: RemoteResult,
          entity: str) -> None:
    mine = binder.to_external(session, entry.tenant_id, link, procore_id)
    theirs = binder.to_internal(session, entry.tenant_id, link, result.remote_id)
    if (mine is None or mine.qbo_id == result.remote_id) and (theirs is None or theirs.procore_id == procore_id):
        binder.bind(session, entry.tenant_id, link, procore_id, result.remote_id, result.sync_token)
    else:
        audit.record(session, tenant_id=entry.tenant_id, actor=SYSTEM, action="link_conflict",
                     detail={"operation": entry.operation, "outbox_id": entry.id, "link": link,
                             "procore_id": procore_id, "qbo_id": result.remote_id})
    record = result.body.get("record") or {}
    cache.upsert(session, entry.tenant_id, "qbo", entity, result.remote_id,
                 name=str(record.get("DocNumber") or result.remote_id), sync_token=result.sync_token,
                 data=record)
    if entry.item_id is not None:
        session.execute(update(Item).where(Item.id == entry.item_id).values(remote_id=result.remote_id))


class _CreateRecord:
    """Create a PurchaseOrder / Estimate. payload: body, procore_id, label, not_before."""

    entity = ""
    party = ""  # VendorRef | CustomerRef
    link = ""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, body = self.context_for(entry.tenant_id), thaw(entry.payload["body"])
        what = f"Creating the QuickBooks {self._word()} for {entry.payload.get('label') or 'the Procore record'}"
        try:
            return _result(self.entity, ctx.qbo.create(entity=self.entity, body=body, requestid=entry.requestid))
        except QboDuplicate as exc:
            found = self._find(ctx, entry)
            if found is not None:
                return _result(self.entity, found)
            raise PermanentError(f"{what} was refused: QuickBooks already has a {self._word()} numbered "
                                 f"{body.get('DocNumber')} ({exc.detail or exc}). Change the number in Procore or "
                                 "turn off QuickBooks' duplicate-number warning, then press Retry.") from None
        except QboError as exc:
            raise remote_failure(exc, what) from None

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        found = self._find(self.context_for(entry.tenant_id), entry)
        return _result(self.entity, found) if found is not None else None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        _bind(session, entry, self.link, str(entry.payload["procore_id"]), result, self.entity)

    def _find(self, ctx: Any, entry: OutboxEntry) -> dict[str, Any] | None:
        """Ours: same party, our PrivateNote, created after our first attempt."""
        body = entry.payload["body"]
        query = qbo_select(self.entity).where(**{self.party: str(body[self.party]["value"])})
        if body.get("DocNumber"):
            query = query.where(DocNumber=body["DocNumber"])
        try:
            rows = list(ctx.qbo.query_all(select_=query))
        except QboError as exc:
            raise remote_failure(exc, f"Looking up the QuickBooks {self._word()}") from None
        for row in rows:
            if row.get("PrivateNote") == body.get("PrivateNote") and created_since(row,
                                                                                    entry.payload.get("not_before")):
                return row
        return None

    def _word(self) -> str:
        return "purchase order" if self.entity == "PurchaseOrder" else "estimate"


class _AmendRecord:
    """Append an approved change order's lines. payload: procore_id (the change order), parent_procore_id,
    lines (QBO lines, mapped at acceptance), marker ("CO 3:"), label."""

    entity = ""
    parent_link = ""
    link = ""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        ctx, p = self.context_for(entry.tenant_id), entry.payload
        word = "purchase order" if self.entity == "PurchaseOrder" else "estimate"
        with ctx.session() as s:
            parent = binder.to_external(s, entry.tenant_id, self.parent_link, p["parent_procore_id"])
        if parent is None:
            raise PermanentError(f"{p.get('label') or 'The change order'} amends a {word} that is not in QuickBooks "
                                 f"yet: export {p.get('parent_label') or 'its contract'} first, then press Retry.")
        what = f"Amending QuickBooks {word} {parent.qbo_id} with {p.get('label') or 'a change order'}"
        added = thaw(p["lines"])
        for n in range(MAX_STALE_TRIES):
            try:
                current = ctx.qbo.read(entity=self.entity, id=parent.qbo_id)
            except QboError as exc:
                raise remote_failure(exc, what) from None
            try:
                lines = amended_lines(current.get("Line") or [], added, p["marker"], p.get("label") or what)
            except MappingError as exc:
                raise PermanentError(exc.sentence) from None
            if lines is None:
                return _result(self.entity, current)  # amended already (an earlier attempt's answer was lost)
            body = {"Id": str(parent.qbo_id), "SyncToken": current["SyncToken"], "Line": lines}
            requestid = entry.requestid if n == 0 else f"{entry.requestid[:44]}-s{n}"
            try:
                return _result(self.entity, ctx.qbo.update(entity=self.entity, body=body, requestid=requestid))
            except QboStaleObject:
                logger.info("%s %s changed meanwhile (5010); re-reading", self.entity, parent.qbo_id)
                continue
            except QboError as exc:
                raise remote_failure(exc, what) from None
        raise PermanentError(f"{what}: it kept changing in QuickBooks while Ledgerlink wrote to it; press Retry.")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        return None  # execute re-reads and sees an amendment that is already there

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        _bind(session, entry, self.link, str(entry.payload["procore_id"]), result, self.entity)
        parent = binder.to_external(session, entry.tenant_id, self.parent_link, entry.payload["parent_procore_id"])
        if parent is not None and parent.qbo_id == result.remote_id:
            binder.bind(session, entry.tenant_id, self.parent_link, parent.procore_id, parent.qbo_id,
                        result.sync_token)


@operation("qbo.create_purchase_order")
class CreatePurchaseOrder(_CreateRecord):
    entity, party, link = "PurchaseOrder", "VendorRef", "commitment"


@operation("qbo.amend_purchase_order")
class AmendPurchaseOrder(_AmendRecord):
    entity, parent_link, link = "PurchaseOrder", "commitment", "cco"


@operation("qbo.create_estimate")
class CreateEstimate(_CreateRecord):
    entity, party, link = "Estimate", "CustomerRef", "prime_contract"


@operation("qbo.amend_estimate")
class AmendEstimate(_AmendRecord):
    entity, parent_link, link = "Estimate", "prime_contract", "pcco"


# --- imports into Procore -----------------------------------------------------------------------------------
@operation("procore.create_prime_contract")
class CreateProcorePrimeContract:
    """payload: project_id, estimate_id, body (Procore prime contract with line_items, origin_id = Estimate Id)."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p, procore = entry.payload, self.context_for(entry.tenant_id).procore
        what = f"Importing QuickBooks estimate {p['estimate_id']} as a Procore prime contract"
        try:
            contract = procore.create_prime_contract(project_id=int(p["project_id"]), prime_contract=p["body"])
        except ProcoreConflict:
            contract = self._by_origin(procore, p)
            if contract is None:
                raise PermanentError(f"{what} was refused: Procore says a prime contract already carries QuickBooks "
                                     f"id {p['estimate_id']} but does not show it; check the project's contracts."
                                     ) from None
        except ProcoreError as exc:
            raise remote_failure(exc, what) from None
        return RemoteResult(str(contract.id), summary=f"Procore prime contract {contract.title}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        contract = self._by_origin(self.context_for(entry.tenant_id).procore, entry.payload)
        return RemoteResult(str(contract.id), summary=f"Procore prime contract {contract.title}") if contract else None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        binder.bind(session, entry.tenant_id, "prime_contract", result.remote_id, str(entry.payload["estimate_id"]))

    @staticmethod
    def _by_origin(procore: Any, p: Mapping[str, Any]) -> PrimeContract | None:
        try:
            return next(iter(procore.list_prime_contracts(project_id=int(p["project_id"]),
                                                          filters={"origin_id": str(p["estimate_id"])})), None)
        except ProcoreError as exc:
            raise remote_failure(exc, "Looking up the Procore prime contract") from None


@operation("procore.create_budget_line_item")
class CreateProcoreBudgetLine:
    """payload: project_id, body (cost_code_id, line_item_type_id, original_budget_amount, origin_id), label."""

    def __init__(self, context_for: ContextFor) -> None:
        self.context_for = context_for

    def execute(self, entry: OutboxEntry) -> RemoteResult:
        p, procore = entry.payload, self.context_for(entry.tenant_id).procore
        what = f"Adding the budget line {p.get('label') or ''} to the Procore project".replace("  ", " ")
        try:
            line = procore.create_budget_line_item(project_id=int(p["project_id"]), budget_line_item=p["body"])
        except ProcoreError as exc:
            raise remote_failure(exc, what) from None
        return RemoteResult(str(line.id), summary=f"Budget line {p.get('label')}")

    def reconcile(self, entry: OutboxEntry) -> RemoteResult | None:
        p, procore = entry.payload, self.context_for(entry.tenant_id).procore
        try:
            rows = list(procore.list_budget_line_items(project_id=int(p["project_id"])))
        except ProcoreError as exc:
            raise remote_failure(exc, "Looking up the Procore budget lines") from None
        for row in rows:  # the import refuses pairs already budgeted, so a line for this pair now is ours
            if (row.cost_code_id, row.line_item_type_id) == (p["body"]["cost_code_id"],
                                                             p["body"]["line_item_type_id"]):
                return RemoteResult(str(row.id), summary=f"Budget line {p.get('label')}")
        return None

    def on_done(self, session: Session, entry: OutboxEntry, result: RemoteResult) -> None:
        audit.record(session, tenant_id=entry.tenant_id, actor=SYSTEM, action="budget_imported",
                     detail={"project_id": entry.payload["project_id"], "budget_line_item_id": result.remote_id,
                             "origin_id": entry.payload["body"].get("origin_id")})

"""Create / read / update / delete / void for every supported entity, on top of the store and the entity rules."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from . import entities as ent
from . import faults
from . import transactions as txn
from .clock import fmt
from .entities import Ctx

READ_ONLY = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status", "time", "V4IDPseudonym")


@dataclass(frozen=True)
class Spec:
    name: str
    prepare: Callable[[Ctx, dict, dict | None], dict]
    kind: str  # "list" (name list: deactivate, never delete), "txn" (deletable) or "other"
    voidable: bool = False


SPECS = {s.name: s for s in (
    Spec("Vendor", ent.prepare_vendor, "list"),
    Spec("Customer", ent.prepare_customer, "list"),
    Spec("Employee", ent.prepare_employee, "list"),
    Spec("Item", ent.prepare_item, "list"),
    Spec("Account", ent.prepare_account, "list"),
    Spec("Class", ent.prepare_class, "list"),
    Spec("Term", ent.prepare_term, "list"),
    Spec("Bill", txn.prepare_bill, "txn"),
    Spec("BillPayment", txn.prepare_billpayment, "txn", voidable=True),
    Spec("Invoice", txn.prepare_invoice, "txn", voidable=True),
    Spec("Payment", txn.prepare_payment, "txn", voidable=True),
    Spec("Purchase", txn.prepare_purchase, "txn"),
    Spec("VendorCredit", txn.prepare_vendorcredit, "txn"),
    Spec("Attachable", txn.prepare_attachable, "txn"),
    Spec("PurchaseOrder", txn.prepare_purchaseorder, "txn"),
    Spec("Estimate", txn.prepare_estimate, "txn"),
)}
BY_URL = {name.lower(): name for name in SPECS}
READ_ONLY_ENTITIES = ("CompanyInfo", "Preferences")
QUERY_ONLY_ENTITIES = ("Budget",)  # the API can query these but not create, update, delete or read them by Id
LOOKUP_ENTITIES = ("TaxCode", "TaxRate", "TaxAgency")  # read by Id and queried; the sample company's, not written
# Writes that can move a balance (a job moved to another parent moves BalanceWithJobs between the parents).
BALANCE_ENTITIES = ("Bill", "BillPayment", "Invoice", "Payment", "VendorCredit", "Customer")
# Id sequences: customers, vendors and employees share one ("Names"), all transactions share another, as in QBO.
SEQUENCES = {"Vendor": "Names", "Customer": "Names", "Employee": "Names", **{n: "Transactions" for n in (
    "Bill", "BillPayment", "Invoice", "Payment", "Purchase", "VendorCredit", "PurchaseOrder", "Estimate")}}
ID_FLOORS = {"Class": 1000000000, "Attachable": 5000000000}


def new_id(ctx: Ctx, entity: str) -> str:
    return ctx.store.next_id(ctx.realm, SEQUENCES.get(entity, entity), ID_FLOORS.get(entity, 0))


def entity_name(segment: str) -> str | None:
    """URL segment or query/batch name → canonical entity name (case-insensitive)."""
    lowered = segment.lower()
    if lowered in BY_URL:
        return BY_URL[lowered]
    return next((n for n in READ_ONLY_ENTITIES + QUERY_ONLY_ENTITIES + LOOKUP_ENTITIES if n.lower() == lowered),
                None)


class Events:
    """Collects (entity, id, operation, lastUpdated) for webhooks during one request."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, entity: str, oid: str, operation: str, when: str) -> None:
        self.items.append({"name": entity, "id": oid, "operation": operation, "lastUpdated": when})


def stamp(ctx: Ctx, obj: dict, existing: dict | None, entity: str = "") -> None:
    when = fmt(ctx.now)
    if entity in ent.NAME_ENTITIES:  # an opaque id QBO adds to people records
        digest = hashlib.sha1(f"{ctx.realm.realm_id}:{obj['Id']}".encode(), usedforsecurity=False).hexdigest()
        obj["V4IDPseudonym"] = (existing or {}).get("V4IDPseudonym") or "00" + digest
    if entity == "Customer":
        obj.setdefault("ClientEntityId", "0")
    obj["MetaData"] = {"CreateTime": existing["MetaData"]["CreateTime"] if existing else when, "LastUpdatedTime": when}
    obj["domain"] = "QBO"
    obj["sparse"] = False


def commit(ctx: Ctx, entity: str, obj: dict, events: Events, operation: str, existing: dict | None = None) -> dict:
    """Store `obj` (replacing `existing`, a copy of the stored version) and the balances it moves."""
    ctx.store.put(ctx.realm, entity, obj)
    if entity in BALANCE_ENTITIES:
        for changed_entity, changed in txn.refresh_balances(ctx, [(entity, existing), (entity, obj)]):
            ctx.store.put(ctx.realm, changed_entity, changed)
    events.add(entity, obj["Id"], operation, obj["MetaData"]["LastUpdatedTime"])
    return copy.deepcopy(ctx.store.peek(ctx.realm, entity, obj["Id"]))


def create(ctx: Ctx, entity: str, body: dict, events: Events) -> dict:
    spec = SPECS[entity]
    data = ent.clean(copy.deepcopy(body))
    for key in READ_ONLY:
        data.pop(key, None)
    ctx.create = True
    obj = spec.prepare(ctx, data, None)
    obj["Id"] = new_id(ctx, entity)
    obj["SyncToken"] = "0"
    stamp(ctx, obj, None, entity)
    return commit(ctx, entity, obj, events, "Create")


def _current(ctx: Ctx, entity: str, body: dict) -> dict:
    oid = str(body.get("Id", "")).strip()
    existing = ctx.store.get(ctx.realm, entity, oid) if oid else None
    if existing is None:
        raise faults.not_found()
    token = body.get("SyncToken")
    if token is None or str(token).strip() == "":
        raise faults.required("SyncToken")
    if str(token).strip() != existing["SyncToken"]:
        raise faults.stale()
    return existing


def update(ctx: Ctx, entity: str, body: dict, events: Events) -> dict:
    """Full update (omitted writable fields become null) or sparse update (`"sparse": true`, given fields only)."""
    spec = SPECS[entity]
    existing = _current(ctx, entity, body)
    data = ent.clean(copy.deepcopy(body))
    for key in READ_ONLY:
        data.pop(key, None)
    if body.get("sparse") in (True, "true"):
        base = {k: v for k, v in copy.deepcopy(existing).items() if k not in READ_ONLY}
        base.update(data)
        data = base
    ctx.create = False
    obj = spec.prepare(ctx, data, existing)
    obj["Id"] = existing["Id"]
    obj["SyncToken"] = str(int(existing["SyncToken"]) + 1)
    stamp(ctx, obj, existing, entity)
    return commit(ctx, entity, obj, events, "Update", existing)


def delete(ctx: Ctx, entity: str, body: dict, events: Events) -> dict:
    spec = SPECS[entity]
    if spec.kind == "list":
        raise faults.unsupported("Operation Delete is not supported.")
    existing = _current(ctx, entity, body)
    if entity in ("Bill", "Invoice", "VendorCredit") and existing.get("LinkedTxn"):
        raise faults.business("This transaction has payments or credits applied to it. Delete or unlink them "
                              "before you delete this transaction.")
    when = fmt(ctx.now)
    ctx.store.remove(ctx.realm, entity, existing["Id"], when)
    if entity in BALANCE_ENTITIES:
        for changed_entity, changed in txn.refresh_balances(ctx, [(entity, existing)]):
            ctx.store.put(ctx.realm, changed_entity, changed)
    events.add(entity, existing["Id"], "Delete", when)
    return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}


def void(ctx: Ctx, entity: str, body: dict, events: Events) -> dict:
    if not SPECS[entity].voidable:
        raise faults.unsupported("Operation Void is not supported.")
    existing = _current(ctx, entity, body)
    obj = txn.void(entity, copy.deepcopy(existing))
    obj["SyncToken"] = str(int(existing["SyncToken"]) + 1)
    stamp(ctx, obj, existing)
    return commit(ctx, entity, obj, events, "Void", existing)


def read(ctx: Ctx, entity: str, oid: str) -> dict:
    if entity in QUERY_ONLY_ENTITIES:
        raise faults.unsupported(f"Operation Read is not supported for {entity}; query it instead.")
    if entity in READ_ONLY_ENTITIES:
        obj = ctx.store.get(ctx.realm, entity, "1")
    else:
        obj = ctx.store.get(ctx.realm, entity, oid)
    if obj is None:
        raise faults.not_found()
    return obj


def write(ctx: Ctx, entity: str, body: dict, operation: str, events: Events) -> dict:
    """Dispatch one write as it arrives on POST /{entity}?operation=... or in a batch item."""
    if entity not in SPECS:
        raise faults.unsupported(f"Operation {operation} is not supported for {entity}.")
    if not isinstance(body, dict):
        raise faults.invalid_property("Request body is not a valid JSON object")
    if operation == "delete":
        return delete(ctx, entity, body, events)
    if operation == "void" or (operation == "update" and "void" in ctx.options):
        return void(ctx, entity, body, events)
    if operation in ("create", "update") or operation == "":
        if str(body.get("Id", "")).strip() and operation != "create":
            return update(ctx, entity, body, events)
        if operation == "update":
            raise faults.required("Id")
        return create(ctx, entity, body, events)
    raise faults.unsupported(f"Operation {operation} is not supported.")

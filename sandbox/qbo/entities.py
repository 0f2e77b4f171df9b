"""Per-entity rules for name lists (Vendor, Customer, Employee, Item, Account, Class, Term) and shared helpers.

Each `prepare_<entity>(ctx, data, existing)` turns a cleaned request body into the stored record: QBO's defaults
filled in, references checked and named, uniqueness enforced. Transactions live in `transactions.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from . import faults
from .store import Realm, Store

USD = {"value": "USD", "name": "United States Dollar"}
NAME_ENTITIES = ("Vendor", "Customer", "Employee")  # DisplayName is unique across these three, like QBO
DELETED_SUFFIX = " (deleted)"  # QBO renames a name-list record made inactive, which frees its name


@dataclass
class Ctx:
    store: Store
    realm: Realm
    now: datetime
    options: set[str] = field(default_factory=set)  # `include=` flags, e.g. allowduplicatedocnum, void
    create: bool = True


def clean(value):
    """Drop empty strings and nulls (QBO treats them as absent) and refs without a value."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = clean(item)
            if item is None or item == "" or (key.endswith("Ref") and isinstance(item, dict) and not item.get("value")):
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [clean(v) for v in value if v is not None]
    return value


def text(data: dict, key: str) -> str:
    value = data.get(key)
    return str(value).strip() if value is not None else ""


def check_length(data: dict, key: str, maximum: int) -> None:
    value = data.get(key)
    if isinstance(value, str) and len(value) > maximum:
        raise faults.string_length(key, maximum, len(value))


def ref_name(entity: str, obj: dict) -> str:
    if entity in ("Vendor", "Employee"):
        return obj.get("DisplayName", "")
    if entity in ("Customer", "Account", "Class", "Item"):
        return obj.get("FullyQualifiedName") or obj.get("Name") or obj.get("DisplayName", "")
    return obj.get("Name") or obj.get("DocNumber") or ""


def resolve(ctx: Ctx, ref: dict | None, entity: str, element: str, required: bool = False) -> dict | None:
    """Check a `*Ref` points at a live record of `entity`; return it as QBO echoes it (value + name)."""
    if not ref:
        if required:
            raise faults.required(element)
        return None
    value = str(ref.get("value", "")).strip()
    target = ctx.store.peek(ctx.realm, entity, value)
    if target is None:
        raise faults.invalid_ref(entity, value, element)
    if ctx.create and target.get("Active") is False:
        raise faults.inactive(element)
    out = {"value": value, "name": ref_name(entity, target)}
    if ref.get("type"):
        out["type"] = ref["type"]
    return out


def resolve_into(ctx: Ctx, data: dict, refs: dict[str, str], required: tuple[str, ...] = ()) -> None:
    for key, entity in refs.items():
        ref = resolve(ctx, data.get(key), entity, key, key in required)
        if ref is not None:
            data[key] = ref


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


@cache
def _folded(key: str) -> Callable[[dict], tuple[str]]:
    """The index key function for `key`'s folded value (the same function each time: one index per key)."""
    return lambda obj: (_fold(str(obj.get(key, ""))),)


def ensure_unique(ctx: Ctx, entities: tuple[str, ...], key: str, name: str, self_id: str | None) -> None:
    for entity in entities:
        for obj in ctx.store.find(ctx.realm, entity, _folded(key), _fold(name)):
            if obj["Id"] != self_id:
                raise faults.duplicate_name(obj["Id"])


def _active_transition(data: dict, existing: dict | None, key: str) -> None:
    """Apply QBO's rename on deactivation/reactivation to `data[key]`."""
    active = data.get("Active", True) is not False
    data["Active"] = active
    name = str(data.get(key, ""))
    was_active = existing is None or existing.get("Active", True) is not False
    if not active and was_active and not name.endswith(DELETED_SUFFIX):
        data[key] = name + DELETED_SUFFIX
    elif active and name.endswith(DELETED_SUFFIX):
        data[key] = name[: -len(DELETED_SUFFIX)]


def _display_name(data: dict) -> str:
    name = text(data, "DisplayName")
    if name:
        return name
    parts = [text(data, k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
    return " ".join(p for p in parts if p)


def _person(ctx: Ctx, data: dict, existing: dict | None, entity: str) -> dict:
    name = _display_name(data)
    if not name:
        raise faults.required("DisplayName")
    for key, maximum in (("DisplayName", 500), ("GivenName", 100), ("FamilyName", 100), ("MiddleName", 100),
                         ("CompanyName", 100), ("PrintOnCheckName", 110), ("Title", 16), ("Suffix", 16)):
        check_length(data, key, maximum)
    if ":" in name or "\t" in name or "\n" in name:
        raise faults.invalid_property("Property Name:DisplayName specified is unsupported or invalid")
    data["DisplayName"] = name
    _active_transition(data, existing, "DisplayName")
    ensure_unique(ctx, NAME_ENTITIES, "DisplayName", data["DisplayName"], existing and existing["Id"])
    data.setdefault("PrintOnCheckName", text(data, "CompanyName") or name)
    data.setdefault("CurrencyRef", dict(USD))
    data["Balance"] = existing.get("Balance", 0) if existing else 0
    return data


def prepare_vendor(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _person(ctx, data, existing, "Vendor")
    data.setdefault("Vendor1099", False)
    resolve_into(ctx, data, {"TermRef": "Term", "APAccountRef": "Account"})
    return data


def prepare_employee(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _person(ctx, data, existing, "Employee")
    data.pop("Balance", None)
    data.pop("CurrencyRef", None)
    data.setdefault("BillableTime", False)
    return data


def prepare_customer(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _person(ctx, data, existing, "Customer")
    resolve_into(ctx, data, {"SalesTermRef": "Term", "ARAccountRef": "Account"})
    if data.get("Job") and not data.get("ParentRef"):
        raise faults.required("ParentRef")  # Intuit: ParentRef is required to create a Job or sub-customer
    parent = None
    if data.get("ParentRef"):
        data["ParentRef"] = resolve(ctx, data["ParentRef"], "Customer", "ParentRef")
        if existing and data["ParentRef"]["value"] == existing["Id"]:
            raise faults.business("A customer cannot be its own parent.")
        parent = ctx.store.peek(ctx.realm, "Customer", data["ParentRef"]["value"])
    data["Job"] = parent is not None
    # IsProject is QuickBooks' own (projects are made in its UI): the API ignores it on create and update
    data["IsProject"] = bool(existing and existing.get("IsProject")) and parent is not None
    data.setdefault("BillWithParent", False)
    if parent is not None:
        data["Level"] = int(parent.get("Level", 0)) + 1
        data["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{data['DisplayName']}"
    else:
        data.pop("Level", None)
        data["FullyQualifiedName"] = data["DisplayName"]
    data["BalanceWithJobs"] = existing.get("BalanceWithJobs", 0) if existing else 0
    data.setdefault("Taxable", False)
    data.setdefault("PreferredDeliveryMethod", "Print")
    return data


def prepare_item(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    if not text(data, "Name"):
        raise faults.required("Name")
    check_length(data, "Name", 100)
    data["Name"] = text(data, "Name")
    data.setdefault("Type", "Service")
    if data["Type"] not in ("Service", "NonInventory", "Inventory", "Category", "Group"):
        raise faults.invalid_property(f"Property Name:Type specified is unsupported or invalid: {data['Type']}")
    required = ("IncomeAccountRef",) if data["Type"] in ("Service", "Inventory") else ()
    resolve_into(ctx, data, {"IncomeAccountRef": "Account", "ExpenseAccountRef": "Account",
                             "AssetAccountRef": "Account"}, required)
    _active_transition(data, existing, "Name")
    parent = None
    if data.get("ParentRef"):
        data["ParentRef"] = resolve(ctx, data["ParentRef"], "Item", "ParentRef")
        parent = ctx.store.peek(ctx.realm, "Item", data["ParentRef"]["value"])
    data["SubItem"] = parent is not None
    data["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{data['Name']}" if parent else data["Name"]
    if parent:
        data["Level"] = int(parent.get("Level", 0)) + 1
    ensure_unique(ctx, ("Item",), "FullyQualifiedName", data["FullyQualifiedName"], existing and existing["Id"])
    for key, default in (("Taxable", False), ("UnitPrice", 0), ("PurchaseCost", 0), ("TrackQtyOnHand", False)):
        data.setdefault(key, default)
    return data


ACCOUNT_TYPES = {  # AccountType -> (Classification, default AccountSubType)
    "Bank": ("Asset", "Checking"), "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"), "Fixed Asset": ("Asset", "MachineryAndEquipment"),
    "Other Asset": ("Asset", "OtherLongTermAssets"), "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"), "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Long Term Liability": ("Liability", "NotesPayable"), "Equity": ("Equity", "OpeningBalanceEquity"),
    "Income": ("Revenue", "ServiceFeeIncome"), "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"), "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
}


def prepare_account(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    if not text(data, "Name"):
        raise faults.required("Name")
    check_length(data, "Name", 100)
    data["Name"] = text(data, "Name")
    if not data.get("AccountType") and not data.get("AccountSubType"):
        raise faults.QboFault("6010", "Invalid Account.AccountType && Account.SubType",
                              "Either an Account.AccountType or an Account.AccountSubType must be specified")
    if data.get("AccountType") and data["AccountType"] not in ACCOUNT_TYPES:
        raise faults.invalid_property(f"Property Name:AccountType specified is unsupported or invalid: "
                                      f"{data['AccountType']}")
    data.setdefault("AccountType", "Expense")
    classification, subtype = ACCOUNT_TYPES[data["AccountType"]]
    data["Classification"] = classification
    data.setdefault("AccountSubType", subtype)
    _active_transition(data, existing, "Name")
    parent = None
    if data.get("ParentRef"):
        data["ParentRef"] = resolve(ctx, data["ParentRef"], "Account", "ParentRef")
        parent = ctx.store.peek(ctx.realm, "Account", data["ParentRef"]["value"])
    data["SubAccount"] = parent is not None
    data["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{data['Name']}" if parent else data["Name"]
    ensure_unique(ctx, ("Account",), "FullyQualifiedName", data["FullyQualifiedName"], existing and existing["Id"])
    data["CurrentBalance"] = existing.get("CurrentBalance", 0) if existing else 0
    data["CurrentBalanceWithSubAccounts"] = data["CurrentBalance"]
    data.setdefault("CurrencyRef", dict(USD))
    return data


def prepare_class(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    if not text(data, "Name"):
        raise faults.required("Name")
    check_length(data, "Name", 100)
    data["Name"] = text(data, "Name")
    data["Active"] = data.get("Active", True) is not False
    parent = None
    if data.get("ParentRef"):
        data["ParentRef"] = resolve(ctx, data["ParentRef"], "Class", "ParentRef")
        parent = ctx.store.peek(ctx.realm, "Class", data["ParentRef"]["value"])
    data["SubClass"] = parent is not None
    data["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{data['Name']}" if parent else data["Name"]
    ensure_unique(ctx, ("Class",), "FullyQualifiedName", data["FullyQualifiedName"], existing and existing["Id"])
    return data


def prepare_term(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    if not text(data, "Name"):
        raise faults.required("Name")
    data["Active"] = data.get("Active", True) is not False
    data.setdefault("Type", "STANDARD")
    data.setdefault("DueDays", 0)
    ensure_unique(ctx, ("Term",), "Name", data["Name"], existing and existing["Id"])
    return data

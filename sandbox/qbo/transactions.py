"""Rules for transactions: Bill, BillPayment, Invoice, Payment, Purchase, VendorCredit (and Attachable).

Totals are computed (any TotalAmt sent for a Bill/Invoice is overwritten, as QBO does); balances follow payments:
`refresh_balances` recomputes Bill/Invoice/VendorCredit balances, their LinkedTxn, and Vendor/Customer balances
that a write can move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import cache

from . import faults
from .entities import USD, Ctx, check_length, resolve, resolve_into, text
from .store import id_key

EXPENSE_DETAILS = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")
LINE_REFS = {
    "AccountBasedExpenseLineDetail": {"AccountRef": "Account", "CustomerRef": "Customer", "ClassRef": "Class"},
    "ItemBasedExpenseLineDetail": {"ItemRef": "Item", "CustomerRef": "Customer", "ClassRef": "Class"},
    "SalesItemLineDetail": {"ItemRef": "Item", "ClassRef": "Class", "ItemAccountRef": "Account"},
}
LINE_REQUIRED = {"AccountBasedExpenseLineDetail": ("AccountRef",), "ItemBasedExpenseLineDetail": ("ItemRef",)}
AP_ACCOUNT, UNDEPOSITED_FUNDS, SERVICES_ITEM = "33", "4", "1"


def money(value, element: str = "Amount") -> float:
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        raise faults.invalid_property(f"Property Name:{element} specified is unsupported or invalid") from None


def _date(value, element: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise faults.invalid_property(f"Property Name:{element} specified is unsupported or invalid") from None


def _common(ctx: Ctx, data: dict, required: tuple[str, ...]) -> None:
    for key in required:
        if not data.get(key):
            raise faults.required(key)
    check_length(data, "DocNumber", 21)
    check_length(data, "PrivateNote", 4000)
    data["TxnDate"] = _date(data.get("TxnDate") or ctx.now.date().isoformat(), "TxnDate").isoformat()
    data.setdefault("CurrencyRef", dict(USD))


def _default_ref(ctx: Ctx, data: dict, key: str, entity: str, oid: str) -> None:
    if not data.get(key) and ctx.store.peek(ctx.realm, entity, oid) is not None:
        data[key] = resolve(ctx, {"value": oid}, entity, key)


def _lines(ctx: Ctx, data: dict, existing: dict | None, details: tuple[str, ...]) -> float:
    lines = data.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required("Line")
    taken = [int(x["Id"]) for x in lines if str(x.get("Id", "")).isdigit()]
    next_id = max(taken + [int(x["Id"]) for x in (existing or {}).get("Line", []) if str(x.get("Id", "")).isdigit()]
                  + [0]) + 1
    out, total = [], 0.0
    for raw in lines:
        line = dict(raw)
        kind = line.get("DetailType")
        if kind == "SubTotalLineDetail":
            continue  # recomputed
        if not kind:
            raise faults.required("DetailType")
        if kind not in details and kind != "DescriptionOnly":
            raise faults.invalid_property(f"Property Name:DetailType specified is unsupported or invalid: {kind}")
        detail = dict(line.get(kind) or {})
        if kind == "SalesItemLineDetail" and not detail.get("ItemRef"):
            detail["ItemRef"] = {"value": SERVICES_ITEM}  # QBO's default "Services" item
        if kind in LINE_REFS:
            resolve_into(ctx, detail, LINE_REFS[kind], LINE_REQUIRED.get(kind, ()))
            if kind == "SalesItemLineDetail" and "ItemAccountRef" not in detail:
                item = ctx.store.peek(ctx.realm, "Item", detail["ItemRef"]["value"]) or {}
                if item.get("IncomeAccountRef"):
                    detail["ItemAccountRef"] = dict(item["IncomeAccountRef"])
            if kind in EXPENSE_DETAILS:
                detail.setdefault("BillableStatus", "NotBillable")
            detail.setdefault("TaxCodeRef", {"value": "NON"})
        if line.get("Amount") is None:
            if detail.get("Qty") is not None and detail.get("UnitPrice") is not None:
                line["Amount"] = float(detail["Qty"]) * float(detail["UnitPrice"])
            elif kind == "DescriptionOnly":
                line["Amount"] = 0
            else:
                raise faults.required("Amount")
        line["Amount"] = money(line["Amount"])
        if kind != "DescriptionOnly" or kind in line:
            line[kind] = detail
        if not str(line.get("Id", "")).isdigit():
            line["Id"] = str(next_id)
            next_id += 1
        line["LineNum"] = len(out) + 1
        line.setdefault("LinkedTxn", [])  # recordings show an empty list on every detail line
        out.append(line)
        total += line["Amount"]
    data["Line"] = out
    return round(total, 2)


def _term_days(ctx: Ctx, term_ref: dict | None) -> int | None:
    term = ctx.store.peek(ctx.realm, "Term", term_ref["value"]) if term_ref else None
    return int(term.get("DueDays", 0)) if term else None


def _due_date(ctx: Ctx, data: dict, term_ref: dict | None, default_days: int) -> None:
    if data.get("DueDate"):
        data["DueDate"] = _date(data["DueDate"], "DueDate").isoformat()
        return
    days = _term_days(ctx, term_ref)
    data["DueDate"] = (date.fromisoformat(data["TxnDate"]) + timedelta(days=default_days if days is None else days)
                       ).isoformat()


def _doc_number(obj: dict) -> tuple[str]:
    return (text(obj, "DocNumber").casefold(),)


def _check_doc_number(ctx: Ctx, data: dict, existing: dict | None, entity: str, scope: str | None) -> None:
    """Duplicate DocNumber ⇒ 6140, as a company with "warn if duplicate number is used" on (Intuit's default for
    bills, per vendor; for invoices with custom transaction numbers, company-wide). `include=allowduplicatedocnum`
    (documented override) or realm preference `duplicate_doc_number_check: false` turns the check off."""
    doc = text(data, "DocNumber")
    prefs = ctx.realm.info.get("preferences", {})
    if not doc or "allowduplicatedocnum" in ctx.options or prefs.get("duplicate_doc_number_check", True) is False:
        return
    if existing is not None and text(existing, "DocNumber") == doc:
        return
    for other in ctx.store.find(ctx.realm, entity, _doc_number, doc.casefold()):
        if other["Id"] == (existing or {}).get("Id"):
            continue
        if scope is None or (other.get(scope) or {}).get("value") == (data.get(scope) or {}).get("value"):
            raise faults.duplicate_doc_number(doc, entity, other["Id"])


def prepare_bill(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _common(ctx, data, ("VendorRef", "Line"))
    resolve_into(ctx, data, {"VendorRef": "Vendor", "APAccountRef": "Account", "SalesTermRef": "Term"})
    _default_ref(ctx, data, "APAccountRef", "Account", AP_ACCOUNT)
    data["TotalAmt"] = _lines(ctx, data, existing, EXPENSE_DETAILS)
    vendor = ctx.store.peek(ctx.realm, "Vendor", data["VendorRef"]["value"]) or {}
    _due_date(ctx, data, data.get("SalesTermRef") or vendor.get("TermRef"), 0)
    _check_doc_number(ctx, data, existing, "Bill", "VendorRef")
    data["Balance"] = data["TotalAmt"]
    return data


def prepare_vendorcredit(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _common(ctx, data, ("VendorRef", "Line"))
    resolve_into(ctx, data, {"VendorRef": "Vendor", "APAccountRef": "Account"})
    _default_ref(ctx, data, "APAccountRef", "Account", AP_ACCOUNT)
    data["TotalAmt"] = _lines(ctx, data, existing, EXPENSE_DETAILS)
    data["Balance"] = data["TotalAmt"]
    return data


def prepare_purchase(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _common(ctx, data, ("PaymentType", "AccountRef", "Line"))
    if data["PaymentType"] not in ("Cash", "Check", "CreditCard"):
        raise faults.invalid_property(f"Property Name:PaymentType specified is unsupported or invalid: "
                                      f"{data['PaymentType']}")
    resolve_into(ctx, data, {"AccountRef": "Account"})
    entity_ref = data.get("EntityRef")
    if entity_ref:
        kind = entity_ref.get("type") or "Vendor"
        if kind not in ("Vendor", "Customer", "Employee"):
            raise faults.invalid_ref(kind, entity_ref.get("value", ""), "EntityRef")
        data["EntityRef"] = resolve(ctx, {**entity_ref, "type": kind}, kind, "EntityRef")
    data["TotalAmt"] = _lines(ctx, data, existing, EXPENSE_DETAILS)
    if data["PaymentType"] == "CreditCard":
        data.setdefault("Credit", False)
    return data


def prepare_invoice(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _common(ctx, data, ("CustomerRef", "Line"))
    resolve_into(ctx, data, {"CustomerRef": "Customer", "SalesTermRef": "Term", "ClassRef": "Class",
                             "DepositToAccountRef": "Account"})
    customer = ctx.store.peek(ctx.realm, "Customer", data["CustomerRef"]["value"]) or {}
    if not data.get("SalesTermRef"):
        term = customer.get("SalesTermRef") or ctx.realm.info.get("preferences", {}).get("default_term")
        if term:
            data["SalesTermRef"] = resolve(ctx, {"value": term["value"] if isinstance(term, dict) else term},
                                           "Term", "SalesTermRef")
    total = _lines(ctx, data, existing, ("SalesItemLineDetail", "DiscountLineDetail"))
    data["Line"].append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    data["TotalAmt"] = total
    _due_date(ctx, data, data.get("SalesTermRef"), 30)
    if not text(data, "DocNumber") and existing is None:
        numbers = [int(x["DocNumber"]) for x in ctx.store.all(ctx.realm, "Invoice")
                   if str(x.get("DocNumber")).isdigit()]
        data["DocNumber"] = str(max(numbers + [1000]) + 1)
    _check_doc_number(ctx, data, existing, "Invoice", None)
    for key, default in (("TxnTaxDetail", {"TotalTax": 0}), ("ApplyTaxAfterDiscount", False),
                         ("PrintStatus", "NotSet"), ("EmailStatus", "NotSet"), ("Deposit", 0)):
        data.setdefault(key, default)
    data["Balance"] = data["TotalAmt"]
    return data


def _linked_lines(ctx: Ctx, data: dict, targets: dict[str, str], party: str) -> float:
    applied = 0.0
    for line in data.get("Line") or []:
        line["Amount"] = money(line.get("Amount", 0))
        for link in line.get("LinkedTxn") or []:
            kind, tid = link.get("TxnType"), str(link.get("TxnId", ""))
            if kind not in targets:
                raise faults.invalid_property(f"Property Name:TxnType specified is unsupported or invalid: {kind}")
            target = ctx.store.peek(ctx.realm, kind, tid)
            if target is None:
                raise faults.invalid_ref(kind, tid, "LinkedTxn")
            if (target.get(targets[kind]) or {}).get("value") != data[party]["value"]:
                raise faults.business(f"The {kind} {tid} does not belong to the {party[:-3]} on this transaction.")
        applied += line["Amount"]
    return round(applied, 2)


def prepare_billpayment(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _common(ctx, data, ("VendorRef", "PayType", "Line"))
    if data.get("TotalAmt") is None:
        raise faults.required("TotalAmt")
    resolve_into(ctx, data, {"VendorRef": "Vendor", "APAccountRef": "Account"})
    _default_ref(ctx, data, "APAccountRef", "Account", AP_ACCOUNT)
    pay_type = data["PayType"]
    if pay_type == "Check":
        detail = dict(data.get("CheckPayment") or {})
        resolve_into(ctx, detail, {"BankAccountRef": "Account"}, ("BankAccountRef",))
        detail.setdefault("PrintStatus", "NeedToPrint")
        data["CheckPayment"] = detail
    elif pay_type == "CreditCard":
        detail = dict(data.get("CreditCardPayment") or {})
        resolve_into(ctx, detail, {"CCAccountRef": "Account"}, ("CCAccountRef",))
        data["CreditCardPayment"] = detail
    else:
        raise faults.invalid_property(f"Property Name:PayType specified is unsupported or invalid: {pay_type}")
    data["TotalAmt"] = money(data["TotalAmt"], "TotalAmt")
    _linked_lines(ctx, data, {"Bill": "VendorRef", "VendorCredit": "VendorRef"}, "VendorRef")
    return data


def prepare_payment(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    _common(ctx, data, ("CustomerRef",))
    if data.get("TotalAmt") is None:
        raise faults.required("TotalAmt")
    resolve_into(ctx, data, {"CustomerRef": "Customer", "DepositToAccountRef": "Account", "ARAccountRef": "Account"})
    _default_ref(ctx, data, "DepositToAccountRef", "Account", UNDEPOSITED_FUNDS)
    data["TotalAmt"] = money(data["TotalAmt"], "TotalAmt")
    applied = _linked_lines(ctx, data, {"Invoice": "CustomerRef"}, "CustomerRef")
    data["UnappliedAmt"] = round(data["TotalAmt"] - applied, 2)
    data.setdefault("ProcessPayment", False)
    return data


def prepare_attachable(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    refs = []
    for ref in data.get("AttachableRef") or []:
        ref = dict(ref)
        entity_ref = ref.get("EntityRef") or {}
        kind, value = entity_ref.get("type", ""), str(entity_ref.get("value", ""))
        if not kind or not value:
            raise faults.required("EntityRef")
        if ctx.store.peek(ctx.realm, kind, value) is None:
            raise faults.invalid_ref(kind, value, "EntityRef")
        ref["EntityRef"] = {"type": kind, "value": value}
        ref.setdefault("IncludeOnSend", False)
        refs.append(ref)
    if refs:
        data["AttachableRef"] = refs
    check_length(data, "Note", 2000)
    if existing:
        for key in ("FileName", "FileAccessUri", "TempDownloadUri", "Size", "ContentType"):
            if key in existing:
                data.setdefault(key, existing[key])
    return data


def void(entity: str, data: dict) -> dict:
    """QBO's void: the record stays, amounts become zero, "Voided" is prepended to the memo; a payment's lines are
    cleared (so what it paid is open again), an invoice keeps its lines at zero."""
    if entity in ("BillPayment", "Payment"):
        data["Line"] = []
    for line in data.get("Line", []):
        line["Amount"] = 0
        detail = line.get(line.get("DetailType", ""), {})
        if isinstance(detail, dict) and "Qty" in detail:
            detail["Qty"] = 0
    for key in ("TotalAmt", "Balance", "UnappliedAmt"):
        if key in data:
            data[key] = 0
    note = text(data, "PrivateNote")
    data["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    return data


PAYERS = (("BillPayment", None), ("Payment", "Payment"))  # with the LinkedTxn type they leave (None: by PayType)
PARTY = {"Bill": ("Vendor", "VendorRef", 1), "VendorCredit": ("Vendor", "VendorRef", -1),
         "Invoice": ("Customer", "CustomerRef", 1)}  # what payments pay off: whose balance it moves, and which way


def _paid_off(pay: dict) -> list[tuple[str, str]]:
    """A payment's index keys: the (TxnType, TxnId) of each transaction its lines link."""
    return [(link.get("TxnType"), str(link.get("TxnId")))
            for line in pay.get("Line", []) for link in line.get("LinkedTxn") or []]


@cache
def _ref_value(ref: str) -> Callable[[dict], tuple]:
    """The index key function for the value of a record's `ref` (the same function each time: one index)."""
    return lambda obj: ((obj.get(ref) or {}).get("value", ""),)


def refresh_balances(ctx: Ctx, written: Iterable[tuple[str, dict | None]] | None = None) -> list[tuple[str, dict]]:
    """Recompute open balances from payments; return (entity, record) pairs whose stored values changed.

    `written`: the old and new versions of the record one write changed; only the balances they can move are
    recomputed (all were right before the write), through the store's indexes, so a write costs the same in a
    company of 50,000 records as in a small one. None: everything (seeding a company)."""
    store, realm = ctx.store, ctx.realm
    if written is None:
        items = {(entity, obj["Id"]): None for entity in PARTY for obj in store.all(realm, entity)}
        parties = {(entity, obj["Id"]): None for entity in ("Vendor", "Customer") for obj in store.all(realm, entity)}
    else:
        items, parties = _touched(written)
    changed = []
    for entity, oid in items:
        obj = store.peek(realm, entity, oid)
        if obj is None:
            continue
        paid, linked = _payments(ctx, entity, oid)
        balance = round(float(obj.get("TotalAmt", 0)) - paid, 2)
        if obj.get("Balance") != balance or (entity != "VendorCredit" and obj.get("LinkedTxn", []) != linked):
            obj["Balance"] = balance
            if entity != "VendorCredit":
                obj["LinkedTxn"] = linked
            changed.append((entity, obj))
        party, ref, _sign = PARTY[entity]
        parties[(party, _ref_value(ref)(obj)[0])] = None
    return changed + _party_balances(ctx, parties)


def _touched(written: Iterable[tuple[str, dict | None]]) -> tuple[dict, dict]:
    """The open items (Bill, Invoice, VendorCredit) and parties whose balances a write can move."""
    items: dict[tuple[str, str], None] = {}
    parties: dict[tuple[str, str], None] = {}
    for entity, obj in written:
        if obj is None:
            continue
        if entity in dict(PAYERS):
            items.update((key, None) for key in _paid_off(obj) if key[0] in PARTY)
        elif entity in PARTY:
            items[(entity, obj["Id"])] = None
            party, ref, _sign = PARTY[entity]
            parties[(party, _ref_value(ref)(obj)[0])] = None
        elif entity == "Customer":  # a job moved: its old and new parents' BalanceWithJobs
            parties[("Customer", obj["Id"])] = None
            parties[("Customer", _ref_value("ParentRef")(obj)[0])] = None
    return items, parties


def _payments(ctx: Ctx, entity: str, oid: str) -> tuple[float, list[dict]]:
    """What payments applied to one open item, and its LinkedTxn (payments in Id order)."""
    key, paid, linked = (entity, oid), 0.0, []
    for payer, link_type in PAYERS:
        for pay in sorted(ctx.store.find(ctx.realm, payer, _paid_off, key), key=lambda p: id_key(p["Id"])):
            kind = link_type or ("BillPaymentCreditCard" if pay.get("PayType") == "CreditCard" else "BillPaymentCheck")
            for line in pay.get("Line", []):
                for link in line.get("LinkedTxn") or []:
                    if (link.get("TxnType"), str(link.get("TxnId"))) == key:
                        paid += float(line.get("Amount", 0))
                        entry = {"TxnId": pay["Id"], "TxnType": kind}
                        if entry not in linked:
                            linked.append(entry)
    return paid, linked


def _party_balances(ctx: Ctx, parties: dict[tuple[str, str], None]) -> list[tuple[str, dict]]:
    """Vendor balances (open bills less open credits), customer balances (open invoices) and BalanceWithJobs
    (with every job below) of `parties` and of the customers above them."""
    store, realm, changed = ctx.store, ctx.realm, []

    def owed(party: str, oid: str) -> float:
        total = 0.0
        for entity, (who, ref, sign) in PARTY.items():
            if who == party:
                for obj in store.find(realm, entity, _ref_value(ref), oid):
                    total += sign * float(obj.get("Balance", 0))
        return total

    def with_jobs(oid: str) -> float:
        jobs = store.find(realm, "Customer", _ref_value("ParentRef"), oid)
        return round(owed("Customer", oid) + sum(with_jobs(job["Id"]) for job in jobs), 2)

    customers: dict[str, None] = {}
    for party, oid in parties:
        while party == "Customer" and oid and oid not in customers:  # up to the top-level customer
            customers[oid] = None
            oid = _ref_value("ParentRef")(store.peek(realm, "Customer", oid) or {})[0]
    for entity, ids in (("Vendor", [oid for party, oid in parties if party == "Vendor"]), ("Customer", customers)):
        for oid in ids:
            obj = store.peek(realm, entity, oid)
            if obj is None:
                continue
            balance = round(owed(entity, oid), 2)
            jobs = with_jobs(oid) if entity == "Customer" else None
            if obj.get("Balance") != balance or (jobs is not None and obj.get("BalanceWithJobs") != jobs):
                obj["Balance"] = balance
                if jobs is not None:
                    obj["BalanceWithJobs"] = jobs
                changed.append((entity, obj))
    return changed


# -- purchase orders and estimates (non-posting) ----------------------------------------------------------------
PO_STATUSES = ("Open", "Closed")
ESTIMATE_STATUSES = ("Pending", "Accepted", "Closed", "Rejected", "Converted")
NO_EXPENSE_ACCOUNT = "You must select an account for this transaction."


def _next_doc_number(ctx: Ctx, entity: str) -> str:
    numbers = [int(x["DocNumber"]) for x in ctx.store.all(ctx.realm, entity) if str(x.get("DocNumber")).isdigit()]
    return str(max(numbers + [1000]) + 1)


def _enum(data: dict, key: str, allowed: tuple[str, ...], default: str) -> None:
    value = data.get(key) or default
    if value not in allowed:
        raise faults.invalid_property(f"Property Name:{key} specified is unsupported or invalid: {value}")
    data[key] = value


def prepare_purchaseorder(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    """A PurchaseOrder: VendorRef and Line required, APAccountRef implied, TotalAmt computed, POStatus Open|Closed.
    Item lines need an item that has an expense account (Intuit: "You must select an account for this
    transaction."). Non-posting: no balances move. https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/purchaseorder"""
    _common(ctx, data, ("VendorRef", "Line"))
    check_length(data, "Memo", 4000)
    resolve_into(ctx, data, {"VendorRef": "Vendor", "APAccountRef": "Account", "SalesTermRef": "Term",
                             "ClassRef": "Class", "ShipTo": "Customer"})
    _default_ref(ctx, data, "APAccountRef", "Account", AP_ACCOUNT)
    data["TotalAmt"] = _lines(ctx, data, existing, EXPENSE_DETAILS)
    for line in data["Line"]:
        detail = line.get("ItemBasedExpenseLineDetail")
        if line.get("DetailType") == "ItemBasedExpenseLineDetail" and detail:
            item = ctx.store.peek(ctx.realm, "Item", detail["ItemRef"]["value"]) or {}
            if not item.get("ExpenseAccountRef"):
                raise faults.business(NO_EXPENSE_ACCOUNT)
    _enum(data, "POStatus", PO_STATUSES, (existing or {}).get("POStatus", "Open"))
    if data.get("DueDate"):
        data["DueDate"] = _date(data["DueDate"], "DueDate").isoformat()
    if not text(data, "DocNumber") and existing is None:
        data["DocNumber"] = _next_doc_number(ctx, "PurchaseOrder")
    _check_doc_number(ctx, data, existing, "PurchaseOrder", None)
    data.setdefault("EmailStatus", "NotSet")
    data.setdefault("PrintStatus", "NotSet")
    data.setdefault("LinkedTxn", (existing or {}).get("LinkedTxn", []))
    return data


def prepare_estimate(ctx: Ctx, data: dict, existing: dict | None) -> dict:
    """An Estimate: CustomerRef and at least one line that describes an item; a SubTotal line is appended and
    TotalAmt computed as on an Invoice; TxnStatus Pending (default) | Accepted | Closed | Rejected | Converted.
    https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/estimate"""
    _common(ctx, data, ("CustomerRef", "Line"))
    resolve_into(ctx, data, {"CustomerRef": "Customer", "SalesTermRef": "Term", "ClassRef": "Class"})
    total = _lines(ctx, data, existing, ("SalesItemLineDetail", "DiscountLineDetail", "GroupLineDetail"))
    if not any(line.get("DetailType") in ("SalesItemLineDetail", "GroupLineDetail") for line in data["Line"]):
        raise faults.business("An estimate must have at least one line that describes an item.")
    data["Line"].append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    data["TotalAmt"] = total
    _enum(data, "TxnStatus", ESTIMATE_STATUSES, (existing or {}).get("TxnStatus", "Pending"))
    for key in ("ExpirationDate", "AcceptedDate", "DueDate", "ShipDate"):
        if data.get(key):
            data[key] = _date(data[key], key).isoformat()
    if not text(data, "DocNumber") and existing is None:
        data["DocNumber"] = _next_doc_number(ctx, "Estimate")
    _check_doc_number(ctx, data, existing, "Estimate", None)
    for key, default in (("TxnTaxDetail", {"TotalTax": 0}), ("ApplyTaxAfterDiscount", False),
                         ("PrintStatus", "NotSet"), ("EmailStatus", "NotSet")):
        data.setdefault(key, default)
    return data


# -- budgets (query-only through the API; people make them in QuickBooks) -----------------------------------------
BUDGET_TYPES = ("ProfitAndLoss", "BalanceSheet")
BUDGET_ENTRY_TYPES = ("Monthly", "Quarterly", "Yearly")


def prepare_budget(ctx: Ctx, data: dict) -> dict:
    """A Budget as the QuickBooks UI saves it (the API can only query budgets): Name, StartDate, EndDate,
    BudgetType, BudgetEntryType and BudgetDetail rows of {BudgetDate, Amount, AccountRef, CustomerRef?,
    ClassRef?}. https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/budget"""
    if not text(data, "Name"):
        raise faults.required("Name")
    for key in ("StartDate", "EndDate"):
        data[key] = _date(data.get(key) or ctx.now.date().isoformat(), key).isoformat()
    _enum(data, "BudgetType", BUDGET_TYPES, "ProfitAndLoss")
    _enum(data, "BudgetEntryType", BUDGET_ENTRY_TYPES, "Monthly")
    data["Active"] = data.get("Active", True) is not False
    rows = []
    for raw in data.get("BudgetDetail") or []:
        row = dict(raw)
        resolve_into(ctx, row, {"AccountRef": "Account", "CustomerRef": "Customer", "ClassRef": "Class"},
                     ("AccountRef",))
        row["BudgetDate"] = _date(row.get("BudgetDate") or data["StartDate"], "BudgetDate").isoformat()
        row["Amount"] = money(row.get("Amount", 0))
        rows.append(row)
    data["BudgetDetail"] = rows
    return data

"""A read-only QuickBooks Online web app over the sandbox's records, answering QBO's own deep links.

QBO's links carry no company: `/app/bill?txnId=…`, `/app/invoice?txnId=…`, `/app/vendordetail?nameId=…`,
`/app/customerdetail?nameId=…` open the record in the company you are signed in to. Here the company is the one
picked with `?realmId=` (remembered in a cookie), else the newest realm (the one `ledgerlink run` made). Lists:
`/app/bills`, `/app/invoices`, `/app/vendors`, `/app/customers`, `/app/items`, `/app/payments`; `/app/homepage`
is the company overview with every realm to switch to.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, request

from ..webview import Brand, Table, cell, money, render
from .state import sandbox
from .store import Realm, id_key

bp = Blueprint("qbo_web_view", __name__)
BRAND = Brand("QuickBooks", "#2ca01c", "#0077c5", "QuickBooks Online sandbox — a read-only view of its records.")
COOKIE = "qbo_realm"
MENU = [("Dashboard", "/app/homepage"), ("Bills", "/app/bills"), ("Invoices", "/app/invoices"),
        ("Vendors", "/app/vendors"), ("Customers", "/app/customers"), ("Items", "/app/items"),
        ("Payments", "/app/payments")]

#: the deep-link page of each transaction entity (as QBO names them) and back
TXN_PAGES = {"Bill": "bill", "Invoice": "invoice", "PurchaseOrder": "purchaseorder", "Estimate": "estimate",
             "BillPayment": "billpayment", "Payment": "recvpayment", "Purchase": "expense",
             "VendorCredit": "vendorcredit"}
PAGE_ENTITIES = {page: entity for entity, page in TXN_PAGES.items()}
LABELS = {"Bill": "Bill", "Invoice": "Invoice", "PurchaseOrder": "Purchase order", "Estimate": "Estimate",
          "BillPayment": "Bill payment", "Payment": "Payment", "Purchase": "Expense", "VendorCredit": "Vendor credit"}


def _realm() -> Realm | None:
    store = sandbox().store
    wanted = request.args.get("realmId") or request.cookies.get(COOKIE)
    if wanted and store.realm(wanted) is not None:
        return store.realm(wanted)
    return max(store.realms.values(), key=lambda r: id_key(r.realm_id), default=None)


def _page(realm: Realm, title: str, crumbs: list[tuple[str, str | None]] | None = None, **kw: Any) -> Response:
    response = render(BRAND, title, menu=MENU, crumbs=[("Dashboard", "/app/homepage"), *(crumbs or [])],
                      who=f"{realm.info.get('company_name', '')} · realm {realm.realm_id}", **kw)
    if request.args.get("realmId"):
        response.set_cookie(COOKIE, realm.realm_id, samesite="Lax")
    return response


def _missing(what: str) -> Response:
    return render(BRAND, f"{what} not found", menu=MENU, status=404,
                  crumbs=[("Dashboard", "/app/homepage")])


def _rows(realm: Realm, entity: str) -> list[dict]:
    return sorted(sandbox().store.all(realm, entity), key=lambda r: id_key(str(r.get("Id", "0"))), reverse=True)


def txn_href(entity: str, oid: Any) -> str | None:
    page = TXN_PAGES.get(entity)
    return f"/app/{page}?txnId={oid}" if page else None


def _ref(ref: Any, page: str | None = None, key: str = "nameId") -> Any:
    if not isinstance(ref, dict) or not ref.get("value"):
        return ""
    text = ref.get("name") or ref["value"]
    return cell(text, f"/app/{page}?{key}={ref['value']}" if page else None)


def _name_page(realm: Realm, ref: Any) -> str | None:
    """vendordetail or customerdetail, by which list the referenced name is on."""
    oid = ref.get("value") if isinstance(ref, dict) else None
    store = sandbox().store
    if oid and store.peek(realm, "Vendor", oid) is not None and ref.get("type", "Vendor") == "Vendor":
        return "vendordetail"
    if oid and store.peek(realm, "Customer", oid) is not None:
        return "customerdetail"
    return None


@bp.get("/app")
@bp.get("/app/homepage")
def homepage():
    realm = _realm()
    if realm is None:
        return render(BRAND, "No company yet", menu=MENU)
    store = sandbox().store
    counts = Table("Your company", ["Records", "Count"])
    for label, href, entity in (("Bills", "/app/bills", "Bill"), ("Invoices", "/app/invoices", "Invoice"),
                                ("Vendors", "/app/vendors", "Vendor"), ("Customers and projects", "/app/customers",
                                                                       "Customer"),
                                ("Products and services", "/app/items", "Item"),
                                ("Payments", "/app/payments", "BillPayment")):
        n = len(store.all(realm, entity)) + (len(store.all(realm, "Payment")) if entity == "BillPayment" else 0)
        counts.add(cell(label, href), n)
    companies = Table("Companies in this sandbox", ["Company", "Realm"])
    for r in sorted(store.realms.values(), key=lambda x: id_key(x.realm_id)):
        companies.add(cell(r.info.get("company_name", r.realm_id), f"/app/homepage?realmId={r.realm_id}"),
                      r.realm_id)
    return _page(realm, realm.info.get("company_name") or "Company", facts=[("Realm ID", realm.realm_id)],
                 tables=[counts, companies], crumbs=[])


def _txn_list(entity: str, title: str, party: str, party_page: str) -> Response:
    realm = _realm()
    if realm is None:
        return _missing("Company")
    table = Table(title, ["Date", "No.", party.removesuffix("Ref"), "Due", "Total", "Open balance"])
    for r in _rows(realm, entity):
        table.add(r.get("TxnDate"), cell(r.get("DocNumber") or f"#{r['Id']}", txn_href(entity, r["Id"])),
                  _ref(r.get(party), party_page), r.get("DueDate"), money(r.get("TotalAmt")), money(r.get("Balance")))
    return _page(realm, title, [(title, None)], tables=[table])


@bp.get("/app/bills")
def bills():
    return _txn_list("Bill", "Bills", "VendorRef", "vendordetail")


@bp.get("/app/invoices")
def invoices():
    return _txn_list("Invoice", "Invoices", "CustomerRef", "customerdetail")


@bp.get("/app/payments")
def payments():
    realm = _realm()
    if realm is None:
        return _missing("Company")
    paid = Table("Bill payments", ["Date", "No.", "Vendor", "Type", "Total"])
    for r in _rows(realm, "BillPayment"):
        paid.add(r.get("TxnDate"), cell(r.get("DocNumber") or f"#{r['Id']}", txn_href("BillPayment", r["Id"])),
                 _ref(r.get("VendorRef"), "vendordetail"), r.get("PayType"), money(r.get("TotalAmt")))
    received = Table("Received payments", ["Date", "No.", "Customer", "Total"])
    for r in _rows(realm, "Payment"):
        received.add(r.get("TxnDate"), cell(r.get("PaymentRefNum") or f"#{r['Id']}", txn_href("Payment", r["Id"])),
                     _ref(r.get("CustomerRef"), "customerdetail"), money(r.get("TotalAmt")))
    return _page(realm, "Payments", [("Payments", None)], tables=[paid, received])


def _name_list(entity: str, title: str, page: str) -> Response:
    realm = _realm()
    if realm is None:
        return _missing("Company")
    table = Table(title, ["Name", "Company", "Phone", "Email", "Open balance", "Status"])
    for r in sorted(sandbox().store.all(realm, entity), key=lambda x: str(x.get("DisplayName", "")).casefold()):
        table.add(cell(r.get("FullyQualifiedName") or r.get("DisplayName"), f"/app/{page}?nameId={r['Id']}"),
                  r.get("CompanyName"), (r.get("PrimaryPhone") or {}).get("FreeFormNumber"),
                  (r.get("PrimaryEmailAddr") or {}).get("Address"), money(r.get("Balance")),
                  "Active" if r.get("Active", True) is not False else "Inactive")
    return _page(realm, title, [(title, None)], tables=[table])


@bp.get("/app/vendors")
def vendors():
    return _name_list("Vendor", "Vendors", "vendordetail")


@bp.get("/app/customers")
def customers():
    return _name_list("Customer", "Customers", "customerdetail")


@bp.get("/app/items")
def items():
    realm = _realm()
    if realm is None:
        return _missing("Company")
    table = Table("Products and services", ["Name", "Type", "Description", "Price", "Income account",
                                             "Expense account", "Status"])
    for r in sorted(sandbox().store.all(realm, "Item"), key=lambda x: str(x.get("Name", "")).casefold()):
        table.add(cell(r.get("FullyQualifiedName") or r.get("Name"), f"/app/item?itemId={r['Id']}"), r.get("Type"),
                  r.get("Description"), money(r.get("UnitPrice")), _ref(r.get("IncomeAccountRef")),
                  _ref(r.get("ExpenseAccountRef")), "Active" if r.get("Active", True) is not False else "Inactive")
    return _page(realm, "Products and services", [("Products and services", None)], tables=[table])


@bp.get("/app/item")
def item():
    realm = _realm()
    r = sandbox().store.peek(realm, "Item", request.args.get("itemId", "")) if realm else None
    if r is None:
        return _missing("Item")
    facts = [("Name", r.get("FullyQualifiedName") or r.get("Name")), ("Type", r.get("Type")),
             ("Description", r.get("Description")), ("Purchase description", r.get("PurchaseDesc")),
             ("Sales price", money(r.get("UnitPrice"))), ("Income account", _text(r.get("IncomeAccountRef"))),
             ("Expense account", _text(r.get("ExpenseAccountRef"))),
             ("Status", "Active" if r.get("Active", True) is not False else "Inactive")]
    return _page(realm, r.get("Name", "Item"), [("Products and services", "/app/items")], facts=facts,
                 tables=[_using(realm, "ItemRef", r["Id"])])


def _text(ref: Any) -> str:
    return (ref.get("name") or ref.get("value") or "") if isinstance(ref, dict) else ""


def _using(realm: Realm, key: str, oid: str) -> Table:
    """Transactions that reference `oid` as their party or on a line (`key`: VendorRef, CustomerRef, ItemRef)."""
    table = Table("Transactions", ["Date", "Type", "No.", "Total", "Open balance"])
    store = sandbox().store
    found = []
    for entity in TXN_PAGES:
        for r in store.all(realm, entity):
            if _mentions(r, key, oid):
                found.append((str(r.get("TxnDate", "")), entity, r))
    for _date, entity, r in sorted(found, key=lambda x: (x[0], id_key(str(x[2]["Id"]))), reverse=True):
        number = cell(r.get("DocNumber") or f"#{r['Id']}", txn_href(entity, r["Id"]))
        table.add(r.get("TxnDate"), LABELS[entity], number, money(r.get("TotalAmt")), money(r.get("Balance")))
    return table


def _mentions(value: Any, key: str, oid: str) -> bool:
    if isinstance(value, dict):
        ref = value.get(key)
        if isinstance(ref, dict) and str(ref.get("value")) == oid:
            return True
        payee = value.get("EntityRef")
        if key == "VendorRef" and isinstance(payee, dict) and str(payee.get("value")) == oid:
            return True
        return any(_mentions(v, key, oid) for k, v in value.items() if k in ("Line",) or k.endswith("Detail"))
    if isinstance(value, list):
        return any(_mentions(v, key, oid) for v in value)
    return False


def _name_detail(entity: str, key: str, crumbs: tuple[str, str]) -> Response:
    realm = _realm()
    r = sandbox().store.peek(realm, entity, request.args.get("nameId", "")) if realm else None
    if r is None:
        return _missing(entity)
    addr = r.get("BillAddr") or {}
    facts = [("Display name", r.get("DisplayName")), ("Company", r.get("CompanyName")),
             ("Parent", _ref(r.get("ParentRef"), "customerdetail")),
             ("Project", "Yes" if r.get("IsProject") else None),
             ("Phone", (r.get("PrimaryPhone") or {}).get("FreeFormNumber")),
             ("Email", (r.get("PrimaryEmailAddr") or {}).get("Address")),
             ("Address", ", ".join(str(addr[k]) for k in ("Line1", "City", "CountrySubDivisionCode", "PostalCode")
                                   if addr.get(k))),
             ("Tax ID", r.get("TaxIdentifier")), ("Terms", _text(r.get("TermRef") or r.get("SalesTermRef"))),
             ("Open balance", money(r.get("Balance"))),
             ("Status", "Active" if r.get("Active", True) is not False else "Inactive")]
    facts = [(label, value.text if hasattr(value, "text") else value, getattr(value, "href", None))
             for label, value in facts]
    return _page(realm, r.get("DisplayName", entity), [crumbs], facts=facts, tables=[_using(realm, key, r["Id"])])


@bp.get("/app/vendordetail")
def vendor_detail():
    return _name_detail("Vendor", "VendorRef", ("Vendors", "/app/vendors"))


@bp.get("/app/customerdetail")
def customer_detail():
    return _name_detail("Customer", "CustomerRef", ("Customers", "/app/customers"))


def _line_rows(lines: list[dict]) -> Table:
    table = Table("Lines", ["#", "Product/service or account", "Description", "Customer/project", "Qty", "Rate",
                            "Amount"])
    for n, line in enumerate(x for x in lines if x.get("DetailType") != "SubTotalLineDetail"):
        detail = line.get(line.get("DetailType", ""), {}) or {}
        what = detail.get("ItemRef") or detail.get("AccountRef")
        page = ("item", "itemId") if detail.get("ItemRef") else (None, "")
        table.add(n + 1, _ref(what, page[0], page[1]) if page[0] else _text(what), line.get("Description"),
                  _ref(detail.get("CustomerRef"), "customerdetail"), detail.get("Qty"),
                  money(detail.get("UnitPrice")) if detail.get("UnitPrice") is not None else "",
                  money(line.get("Amount")))
    return table


def _attachments(realm: Realm, entity: str, oid: str) -> Table:
    table = Table("Attachments", ["File", "Type", "Size", "Note"])
    for r in sandbox().store.all(realm, "Attachable"):
        refs = r.get("AttachableRef") or []
        if any((x.get("EntityRef") or {}).get("type") == entity and str((x.get("EntityRef") or {}).get("value"))
               == oid for x in refs):
            href = f"/app/attachment?id={r['Id']}" if r.get("FileName") else None
            table.add(cell(r.get("FileName") or "(note)", href), r.get("ContentType"),
                      f"{r['Size']:,} bytes" if isinstance(r.get("Size"), int) else "", r.get("Note"))
    return table


def _linked(realm: Realm, r: dict) -> Table:
    table = Table("Linked transactions", ["Type", "No.", "Amount"])
    links = [(x, line.get("Amount")) for line in r.get("Line") or [] for x in line.get("LinkedTxn") or []]
    for link, amount in links + [(x, None) for x in r.get("LinkedTxn") or []]:
        entity, oid = link.get("TxnType"), str(link.get("TxnId"))
        other = sandbox().store.peek(realm, entity, oid) if entity in TXN_PAGES else None
        number = (other or {}).get("DocNumber") or f"#{oid}"
        table.add(LABELS.get(entity, entity), cell(number, txn_href(entity, oid)), money(amount))
    return table


@bp.get("/app/<page>")
def transaction(page: str):
    entity = PAGE_ENTITIES.get(page)
    realm = _realm()
    if entity is None:
        return _missing("Page")
    r = sandbox().store.peek(realm, entity, request.args.get("txnId", "")) if realm else None
    if r is None:
        return _missing(LABELS[entity])
    party = r.get("VendorRef") or r.get("CustomerRef") or r.get("EntityRef")
    label = LABELS[entity]
    facts = [("Vendor" if r.get("VendorRef") else "Customer" if r.get("CustomerRef") else "Payee",
              _text(party), f"/app/{_name_page(realm, party)}?nameId={party['value']}"
              if party and _name_page(realm, party) else None),
             (f"{label} no.", r.get("DocNumber")), (f"{label} date", r.get("TxnDate")),
             ("Due date", r.get("DueDate")), ("Terms", _text(r.get("SalesTermRef") or r.get("TermRef"))),
             ("A/P account", _text(r.get("APAccountRef"))), ("Payment type", r.get("PayType") or r.get("PaymentType")),
             ("Total", money(r.get("TotalAmt"))), ("Open balance", money(r.get("Balance"))
                                                   if "Balance" in r else None),
             ("Memo", r.get("PrivateNote") or r.get("Memo")), ("Status", r.get("POStatus") or r.get("TxnStatus")),
             ("Created", (r.get("MetaData") or {}).get("CreateTime")), ("QuickBooks Id", r["Id"])]
    tables = [_line_rows(r.get("Line") or []), _linked(realm, r), _attachments(realm, entity, r["Id"])]
    crumbs = [(f"{label}s", {"Bill": "/app/bills", "Invoice": "/app/invoices"}.get(entity, "/app/payments"
                                                                                   if "Payment" in entity else None))]
    return _page(realm, f"{label} {r.get('DocNumber') or '#' + r['Id']}", crumbs, facts=facts, tables=tables)


@bp.get("/app/attachment")
def attachment():
    realm = _realm()
    r = sandbox().store.peek(realm, "Attachable", request.args.get("id", "")) if realm else None
    stored = sandbox().store.kv_get("file", f"{realm.realm_id}:{r['Id']}") if r else None
    if stored is None:
        return _missing("Attachment")
    return Response(base64.b64decode(stored["data"]), content_type=stored["content_type"],
                    headers={"Content-Disposition": f'inline; filename="{r.get("FileName", "file")}"'})



def wants_page() -> bool:
    """A browser (HTML preferred over JSON) rather than an API client."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"

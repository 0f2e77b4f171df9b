"""Sample data for a new company, modelled on Intuit's US sandbox company (Craig's Design and Landscaping):
its chart of accounts with the well-known low Ids (A/P 33, A/R 84, Checking 35, Services 1...), customers with
sub-customers and projects, vendors, service items, classes, terms and a few bills, payments, purchases,
credits and invoices. Deterministic: same Ids and amounts every time; dates are relative to the sandbox clock,
and records are stamped 45 days back so they never show up in a CDC window by surprise.
"""

from __future__ import annotations

from datetime import timedelta

from . import sample_company as craigs
from .clock import fmt
from .entities import USD, Ctx
from .service import SEQUENCES, SPECS
from .service import stamp as stamp_record
from .transactions import refresh_balances

ACCOUNTS = [  # Id, Name, AccountType, AccountSubType, parent Id
    ("1", "Services", "Income", "ServiceFeeIncome", None),
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", None),
    ("7", "Advertising", "Expense", "AdvertisingPromotional", None),
    ("8", "Bank Charges", "Expense", "BankCharges", None),
    ("13", "Meals and Entertainment", "Expense", "EntertainmentMeals", None),
    ("15", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", None),
    ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None),
    ("35", "Checking", "Bank", "Checking", None),
    ("36", "Savings", "Bank", "Savings", None),
    ("41", "Mastercard", "Credit Card", "CreditCard", None),
    ("45", "Landscaping Services", "Income", "ServiceFeeIncome", None),
    ("58", "Job Expenses", "Expense", "OtherMiscellaneousServiceCost", None),
    ("63", "Job Materials", "Expense", "SuppliesMaterials", "58"),
    ("64", "Decks and Patios", "Expense", "SuppliesMaterials", "63"),
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome", None),
    ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", None),
    ("90", "Subcontractors", "Cost of Goods Sold", "CostOfLabourCos", None),
    ("91", "Retainage Payable", "Other Current Liability", "OtherCurrentLiabilities", None),
    ("92", "Retainage Receivable", "Other Current Asset", "OtherCurrentAssets", None),
    ("93", "Construction Income", "Income", "ServiceFeeIncome", None),
]
TERMS = [("1", "Due on receipt", 0), ("2", "Net 10", 10), ("3", "Net 15", 15), ("4", "Net 30", 30),
         ("5", "Net 60", 60)]
CUSTOMERS = [  # Id, DisplayName, extra
    ("1", "Amy's Bird Sanctuary", {"GivenName": "Amy", "FamilyName": "Lauterbach"}),
    ("2", "Bill's Windsurf Shop", {"CompanyName": "Bill's Windsurf Shop"}),
    ("3", "Cool Cars", {"CompanyName": "Cool Cars", "SalesTermRef": {"value": "4"}}),
    ("4", "Diego Rodriguez", {"GivenName": "Diego", "FamilyName": "Rodriguez"}),
    ("5", "Dukes Basketball Camp", {"CompanyName": "Dukes Basketball Camp"}),
    ("7", "Freeman Sporting Goods", {"CompanyName": "Freeman Sporting Goods"}),
    ("8", "0969 Ocean View Road", {"ParentRef": {"value": "7"}, "BillWithParent": True}),
    ("9", "55 Twin Lane", {"ParentRef": {"value": "7"}, "BillWithParent": True}),
    ("17", "Paulsen Medical Supplies", {"CompanyName": "Paulsen Medical Supplies"}),
    ("20", "Red Rock Diner", {"CompanyName": "Red Rock Diner"}),
    ("24", "Sonnenschein Family Store", {"CompanyName": "Sonnenschein Family Store"}),
    ("26", "Travis Waldron", {"GivenName": "Travis", "FamilyName": "Waldron"}),
    ("29", "Weiskopf Consulting", {"CompanyName": "Weiskopf Consulting"}),
    ("58", "Showroom Remodel", {"ParentRef": {"value": "3"}, "IsProject": True}),
    ("59", "Medical Office Fit-Out", {"ParentRef": {"value": "17"}, "IsProject": True}),
]
VENDORS = [
    ("31", "Books by Bessie", {"CompanyName": "Books by Bessie"}),
    ("32", "Brosnahan Insurance Agency", {"CompanyName": "Brosnahan Insurance Agency"}),
    ("33", "Cal Telephone", {"CompanyName": "Cal Telephone"}),
    ("36", "Computers by Jenni", {"CompanyName": "Computers by Jenni"}),
    ("39", "Ellis Equipment Rental", {"CompanyName": "Ellis Equipment Rental", "TermRef": {"value": "4"}}),
    ("40", "Fidelity", {"CompanyName": "Fidelity", "Active": False}),
    ("41", "Hall Properties", {"CompanyName": "Hall Properties"}),
    ("42", "Hicks Hardware", {"CompanyName": "Hicks Hardware", "TermRef": {"value": "4"}}),
    ("43", "Lee Advertising", {"CompanyName": "Lee Advertising"}),
    ("46", "Norton Lumber and Building Materials", {"CompanyName": "Norton Lumber and Building Materials",
                                                    "TermRef": {"value": "4"}}),
    ("47", "PG&E", {"CompanyName": "PG&E"}),
    ("48", "Robertson & Associates", {"CompanyName": "Robertson & Associates", "Vendor1099": True}),
    ("50", "Tania's Nursery", {"CompanyName": "Tania's Nursery"}),
    ("51", "Tim Philip Masonry", {"CompanyName": "Tim Philip Masonry", "Vendor1099": True, "TermRef": {"value": "4"}}),
    ("56", "Bob's Burger Joint", {"CompanyName": "Bob's Burger Joint"}),
]
EMPLOYEES = [("54", {"GivenName": "Emily", "FamilyName": "Platt"}),
             ("55", {"GivenName": "John", "FamilyName": "Johnson"})]
ITEMS = [  # Id, Name, UnitPrice, income account, expense account
    ("1", "Services", 0, "1", None), ("2", "Hours", 0, "1", None), ("3", "Concrete", 0, "45", "80"),
    ("4", "Design", 75, "1", None), ("5", "Gardening", 60, "45", None), ("6", "Installation", 50, "45", None),
    ("7", "Maintenance & Repair", 0, "45", None), ("8", "Pest Control", 35, "45", None),
    ("11", "Pump", 15, "79", "80"), ("12", "Rock Fountain", 275, "79", "80"),
    ("13", "Subcontracted Work", 0, "93", "90"), ("14", "Retainage", 0, "93", "91"),
]
CLASSES = [("1000000001", "Commercial"), ("1000000002", "Residential"), ("1000000003", "Landscaping")]


def _acct(line_amount: float, account: str, **detail) -> dict:
    return {"DetailType": "AccountBasedExpenseLineDetail", "Amount": line_amount,
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}, **detail}}


def _item(amount: float, item: str, qty: float, price: float, **detail) -> dict:
    return {"DetailType": "ItemBasedExpenseLineDetail", "Amount": amount,
            "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item}, "Qty": qty, "UnitPrice": price, **detail}}


def _sale(amount: float, item: str, qty: float, price: float) -> dict:
    return {"DetailType": "SalesItemLineDetail", "Amount": amount,
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": qty, "UnitPrice": price}}


def transactions(today) -> list[tuple[str, str, dict]]:
    def day(n: int) -> str:
        return (today - timedelta(days=n)).isoformat()

    return [
        ("101", "Bill", {"VendorRef": {"value": "46"}, "DocNumber": "NL-1001", "TxnDate": day(40),
                         "Line": [_acct(103.55, "64", CustomerRef={"value": "26"}, BillableStatus="Billable",
                                        Description="Lumber")]}),
        ("102", "Bill", {"VendorRef": {"value": "51"}, "DocNumber": "TPM-2240", "TxnDate": day(20),
                         "Line": [_item(1250.0, "13", 10, 125, CustomerRef={"value": "58"})]}),
        ("103", "Bill", {"VendorRef": {"value": "42"}, "DocNumber": "HH-5531", "TxnDate": day(12),
                         "Line": [_acct(250.0, "63"), _acct(38.2, "15")]}),
        ("104", "BillPayment", {"VendorRef": {"value": "46"}, "PayType": "Check", "TotalAmt": 103.55,
                                "TxnDate": day(30),
                                "CheckPayment": {"BankAccountRef": {"value": "35"}}, "DocNumber": "6001",
                                "Line": [{"Amount": 103.55, "LinkedTxn": [{"TxnId": "101", "TxnType": "Bill"}]}]}),
        ("105", "BillPayment", {"VendorRef": {"value": "42"}, "PayType": "CreditCard", "TotalAmt": 100.0,
                                "TxnDate": day(5), "CreditCardPayment": {"CCAccountRef": {"value": "41"}},
                                "Line": [{"Amount": 100.0, "LinkedTxn": [{"TxnId": "103", "TxnType": "Bill"}]}]}),
        ("106", "Purchase", {"PaymentType": "Check", "AccountRef": {"value": "35"}, "TxnDate": day(15),
                             "DocNumber": "6002",
                             "EntityRef": {"value": "56", "type": "Vendor"}, "Line": [_acct(18.97, "13")]}),
        ("107", "Purchase", {"PaymentType": "CreditCard", "AccountRef": {"value": "41"}, "TxnDate": day(9),
                             "EntityRef": {"value": "43", "type": "Vendor"}, "Line": [_acct(74.86, "7")]}),
        ("108", "VendorCredit", {"VendorRef": {"value": "42"}, "TxnDate": day(8), "DocNumber": "HH-CR-12",
                                 "Line": [_acct(40.0, "63")]}),
        ("109", "Invoice", {"CustomerRef": {"value": "58"}, "DocNumber": "1001", "TxnDate": day(18),
                            "Line": [_sale(5000.0, "13", 1, 5000)]}),
        ("110", "Invoice", {"CustomerRef": {"value": "1"}, "DocNumber": "1002", "TxnDate": day(25),
                            "Line": [_sale(120.0, "5", 2, 60), _sale(35.0, "8", 1, 35)]}),
        ("111", "Payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 155.0, "TxnDate": day(10),
                            "Line": [{"Amount": 155.0, "LinkedTxn": [{"TxnId": "110", "TxnType": "Invoice"}]}]}),
        ("112", "Invoice", {"CustomerRef": {"value": "8"}, "DocNumber": "1003", "TxnDate": day(6),
                            "Line": [_sale(400.0, "6", 8, 50)]}),
    ]


def seed_realm(sb, realm) -> None:
    now = sb.clock.now()
    stamp = now - timedelta(days=45)
    ctx = Ctx(sb.store, realm, stamp)
    realm.info.setdefault("preferences", {})["default_term"] = "4"

    def add(entity: str, oid: str, body: dict) -> None:
        obj = SPECS[entity].prepare(ctx, body, None)
        obj.update({"Id": oid, "SyncToken": "0"})
        stamp_record(ctx, obj, None, entity)
        sb.store.put(realm, entity, obj)
        counters = realm.info.setdefault("counters", {})
        seq = SEQUENCES.get(entity, entity)
        counters[seq] = max(counters.get(seq, 0), int(oid))

    for oid, name, days in TERMS:
        add("Term", oid, {"Name": name, "DueDays": days})
    for oid, name, kind, subtype, parent in ACCOUNTS + craigs.ACCOUNTS:
        body = {"Name": name, "AccountType": kind, "AccountSubType": subtype}
        if parent:
            body["ParentRef"] = {"value": parent}
        add("Account", oid, body)
    for oid, name in CLASSES:
        add("Class", oid, {"Name": name})
    for oid, name, extra in VENDORS + craigs.VENDORS:
        add("Vendor", oid, {"DisplayName": name, **{k: v for k, v in extra.items() if k != "Active"}})
        if extra.get("Active", True) is False:
            vendor = sb.store.peek(realm, "Vendor", oid)
            vendor.update({"Active": False, "DisplayName": f"{name} (deleted)", "SyncToken": "1"})
            sb.store.put(realm, "Vendor", vendor)
    for oid, extra in EMPLOYEES:
        add("Employee", oid, dict(extra))
    for oid, name, extra in CUSTOMERS + craigs.CUSTOMERS:
        add("Customer", oid, {"DisplayName": name, **extra})
        if extra.get("IsProject"):  # made as a project in QuickBooks' UI (the API can't set the flag)
            sb.store.put(realm, "Customer", {**sb.store.peek(realm, "Customer", oid), "IsProject": True})
    for oid, name, price, income, expense in ITEMS:
        body = {"Name": name, "Type": "Service", "UnitPrice": price, "IncomeAccountRef": {"value": income}}
        if expense:
            body["ExpenseAccountRef"] = {"value": expense}
        add("Item", oid, body)
    for oid, name, kind, price, income, expense, description in craigs.ITEMS:
        body = {"Name": name, "Type": kind, "UnitPrice": price, "IncomeAccountRef": {"value": income},
                "Description": description}
        if expense:
            body["ExpenseAccountRef"] = {"value": expense}
        add("Item", oid, body)
    for oid, entity, body in transactions(now.date()):
        add(entity, oid, body)
    for entity, obj in refresh_balances(ctx):
        sb.store.put(realm, entity, obj)
    meta = {"CreateTime": fmt(stamp), "LastUpdatedTime": fmt(stamp)}
    for entity, record in craigs.tax_records(meta):
        sb.store.put(realm, entity, record)
    sb.store.put(realm, "CompanyInfo", {
        "CompanyName": realm.info.get("company_name"), "LegalName": realm.info.get("company_name"),
        "CompanyAddr": {"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo", "CountrySubDivisionCode": "CA",
                        "PostalCode": "87999"},
        "Country": "US", "Email": {"Address": "noreply@quickbooks.com"}, "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en", "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": meta})
    sb.store.put(realm, "Preferences", {
        "AccountingInfoPrefs": {"TrackDepartments": False, "ClassTrackingPerTxn": False,
                                "ClassTrackingPerTxnLine": True, "CustomerTerminology": "Customers"},
        "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": USD["value"]}},
        "SalesFormsPrefs": {"CustomTxnNumbers": True, "DefaultTerms": {"value": "4"}},
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True, "DefaultTerms": {"value": "4"}},
        "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": meta})
    sb.store.save_realm(realm)

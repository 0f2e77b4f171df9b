"""The rest of Intuit's US sample company ("Craig's Design and Landscaping Services") that seed.py's core lists
leave out: the chart of accounts with an account of every type at Intuit's own Ids, more customers and vendors,
products and services, and sales tax — agencies, rates and codes, as clients' tests read them (agencies
"Arizona Dept. of Revenue" 1 and "Board of Equalization" 2; rates "AZ State tax" 7.1 %, "Tucson City" 2 %,
"California" 8 %; codes "California" 2 and "Tucson" 3 (AZ State + Tucson City), plus US QBO's TAX and NON).

Where Intuit's Ids collide with the construction accounts this sandbox adds (90-93: Subcontractors, Retainage
Payable and Receivable, Construction Income — which the rest of the suite names by Id), Intuit's record moves to
a free Id and keeps its name: Board of Equalization Payable is 100 here (90 at Intuit); Intuit's Buildings
family (91-93) is left out.
"""

from __future__ import annotations

# Id, Name, AccountType, AccountSubType, parent Id — parents listed before their sub-accounts
ACCOUNTS = [
    ("2", "Retained Earnings", "Equity", "RetainedEarnings", None),
    ("3", "Prepaid Expenses", "Other Current Asset", "PrepaidExpenses", None),
    ("5", "Fees Billed", "Income", "ServiceFeeIncome", None),
    ("6", "Refunds-Allowances", "Income", "DiscountsRefundsGiven", None),
    ("9", "Commissions & fees", "Expense", "OtherMiscellaneousServiceCost", None),
    ("10", "Dues & Subscriptions", "Expense", "DuesSubscriptions", None),
    ("11", "Insurance", "Expense", "Insurance", None),
    ("57", "Workers Compensation", "Expense", "Insurance", "11"),
    ("12", "Legal & Professional Fees", "Expense", "LegalProfessionalFees", None),
    ("69", "Accounting", "Expense", "LegalProfessionalFees", "12"),
    ("70", "Bookkeeper", "Expense", "LegalProfessionalFees", "12"),
    ("71", "Lawyer", "Expense", "LegalProfessionalFees", "12"),
    ("14", "Miscellaneous", "Other Expense", "OtherMiscellaneousExpense", None),
    ("16", "Promotional", "Expense", "AdvertisingPromotional", None),
    ("17", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", None),
    ("19", "Stationery & Printing", "Expense", "OfficeGeneralAdministrativeExpenses", None),
    ("20", "Supplies", "Expense", "SuppliesMaterials", None),
    ("21", "Taxes & Licenses", "Expense", "TaxesPaid", None),
    ("22", "Travel", "Expense", "Travel", None),
    ("23", "Travel Meals", "Expense", "TravelMeals", None),
    ("24", "Utilities", "Expense", "Utilities", None),
    ("76", "Gas and Electric", "Expense", "Utilities", "24"),
    ("77", "Telephone", "Expense", "Utilities", "24"),
    ("25", "Interest Earned", "Other Income", "InterestEarned", None),
    ("26", "Other Portfolio Income", "Other Income", "OtherMiscellaneousIncome", None),
    ("27", "Penalties & Settlements", "Other Expense", "PenaltiesSettlements", None),
    ("28", "Disposal Fees", "Expense", "OtherMiscellaneousServiceCost", None),
    ("29", "Equipment Rental", "Expense", "EquipmentRental", None),
    ("30", "Uncategorized Income", "Income", "ServiceFeeIncome", None),
    ("31", "Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost", None),
    ("32", "Uncategorized Asset", "Other Current Asset", "OtherCurrentAssets", None),
    ("34", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", None),
    ("37", "Truck", "Fixed Asset", "Vehicles", None),
    ("38", "Original Cost", "Fixed Asset", "Vehicles", "37"),
    ("39", "Depreciation", "Fixed Asset", "AccumulatedDepreciation", "37"),
    ("40", "Depreciation", "Other Expense", "Depreciation", None),
    ("42", "Visa", "Credit Card", "CreditCard", None),
    ("43", "Loan Payable", "Other Current Liability", "OtherCurrentLiabilities", None),
    ("44", "Notes Payable", "Long Term Liability", "OtherLongTermLiabilities", None),
    ("46", "Job Materials", "Income", "OtherPrimaryIncome", "45"),
    ("47", "Decks and Patios", "Income", "OtherPrimaryIncome", "46"),
    ("48", "Fountains and Garden Lighting", "Income", "OtherPrimaryIncome", "46"),
    ("49", "Plants and Soil", "Income", "OtherPrimaryIncome", "46"),
    ("50", "Sprinklers and Drip Systems", "Income", "OtherPrimaryIncome", "46"),
    ("51", "Labor", "Income", "OtherPrimaryIncome", "45"),
    ("52", "Installation", "Income", "OtherPrimaryIncome", "51"),
    ("53", "Maintenance and Repair", "Income", "OtherPrimaryIncome", "51"),
    ("54", "Pest Control Services", "Income", "OtherPrimaryIncome", None),
    ("55", "Automobile", "Expense", "Auto", None),
    ("56", "Fuel", "Expense", "Auto", "55"),
    ("59", "Cost of Labor", "Expense", "OtherMiscellaneousServiceCost", "58"),
    ("60", "Installation", "Expense", "OtherMiscellaneousServiceCost", "58"),
    ("61", "Maintenance and Repairs", "Expense", "OtherMiscellaneousServiceCost", "58"),
    ("62", "Equipment Rental", "Expense", "EquipmentRental", "58"),
    ("65", "Fountain and Garden Lighting", "Expense", "SuppliesMaterials", "63"),
    ("66", "Plants and Soil", "Expense", "SuppliesMaterials", "63"),
    ("67", "Sprinklers and Drip Systems", "Expense", "SuppliesMaterials", "63"),
    ("68", "Permits", "Expense", "OtherMiscellaneousServiceCost", "58"),
    ("72", "Maintenance and Repair", "Expense", "RepairMaintenance", None),
    ("73", "Building Repairs", "Expense", "RepairMaintenance", "72"),
    ("74", "Computer Repairs", "Expense", "RepairMaintenance", "72"),
    ("75", "Equipment Repairs", "Expense", "RepairMaintenance", "72"),
    ("78", "Purchases", "Expense", "SuppliesMaterials", None),
    ("81", "Inventory Asset", "Other Current Asset", "Inventory", None),
    ("82", "Design income", "Income", "OtherPrimaryIncome", None),
    ("83", "Other Income", "Income", "OtherPrimaryIncome", None),
    ("85", "Billable Expense Income", "Income", "ServiceFeeIncome", None),
    ("86", "Discounts given", "Income", "DiscountsRefundsGiven", None),
    ("87", "Unapplied Cash Payment Income", "Income", "UnappliedCashPaymentIncome", None),
    ("88", "Unapplied Cash Bill Payment Expense", "Expense", "UnappliedCashBillPaymentExpense", None),
    ("89", "Arizona Dept. of Revenue Payable", "Other Current Liability", "GlobalTaxPayable", None),
    ("94", "Land", "Fixed Asset", "Land", None),
    ("95", "Original cost", "Fixed Asset", "Land", "94"),
    ("96", "Depreciation", "Fixed Asset", "AccumulatedDepreciation", "94"),
    ("100", "Board of Equalization Payable", "Other Current Liability", "GlobalTaxPayable", None),
]
# Id, DisplayName, extra — people and shops of the sample company not in seed.CUSTOMERS (no sub-customers: the
# projects job reads those as jobs)
CUSTOMERS = [
    ("6", "Dylan Sollfrank", {"GivenName": "Dylan", "FamilyName": "Sollfrank"}),
    ("10", "Geeta Kalapatapu", {"GivenName": "Geeta", "FamilyName": "Kalapatapu"}),
    ("11", "Gevelber Photography", {"CompanyName": "Gevelber Photography"}),
    ("12", "Jeff's Jalopies", {"CompanyName": "Jeff's Jalopies"}),
    ("13", "John Melton", {"GivenName": "John", "FamilyName": "Melton"}),
    ("14", "Kate Whelan", {"GivenName": "Kate", "FamilyName": "Whelan"}),
    ("16", "Kookies by Kathy", {"CompanyName": "Kookies by Kathy"}),
    ("18", "Mark Cho", {"GivenName": "Mark", "FamilyName": "Cho"}),
    ("19", "Rago Travel Agency", {"CompanyName": "Rago Travel Agency"}),
    ("21", "Rondonuwu Fruit and Vegi", {"CompanyName": "Rondonuwu Fruit and Vegi"}),
    ("22", "Shara Barnett", {"GivenName": "Shara", "FamilyName": "Barnett"}),
    ("25", "Sushi by Katsuyuki", {"CompanyName": "Sushi by Katsuyuki"}),
    ("27", "Video Games by Dan", {"CompanyName": "Video Games by Dan"}),
    ("28", "Wedding Planning by Whitney", {"CompanyName": "Wedding Planning by Whitney"}),
]
VENDORS = [
    ("34", "Chin's Gas and Oil", {"CompanyName": "Chin's Gas and Oil"}),
    ("35", "Cigna Health Care", {"CompanyName": "Cigna Health Care"}),
    ("37", "Diego's Road Warrior Bodyshop", {"CompanyName": "Diego's Road Warrior Bodyshop"}),
    ("38", "EDD", {"CompanyName": "EDD"}),
    ("44", "Mahoney Mugs", {"CompanyName": "Mahoney Mugs"}),
    ("45", "Met Life Dental", {"CompanyName": "Met Life Dental"}),
    ("49", "National Eye Care", {"CompanyName": "National Eye Care"}),
    ("52", "Pam Seitz", {"GivenName": "Pam", "FamilyName": "Seitz"}),
    ("53", "Squeaky Kleen Car Wash", {"CompanyName": "Squeaky Kleen Car Wash"}),
    ("57", "Tony Rondonuwu", {"GivenName": "Tony", "FamilyName": "Rondonuwu"}),
    ("30", "United States Treasury", {"CompanyName": "United States Treasury"}),  # below 59: new names keep Ids from 60
]
ITEMS = [  # Id, Name, Type, UnitPrice, income account, expense account, description
    ("15", "Lighting", "Service", 0, "48", None, "Garden Lighting"),
    ("16", "Rocks", "Service", 0, "48", None, "Garden Rocks"),
    ("17", "Sod", "Service", 0, "49", None, "Sod"),
    ("18", "Soil", "Service", 10, "49", None, "2 cubic ft. bag"),
    ("19", "Sprinkler Heads", "Service", 2, "50", None, "Sprinkler Heads"),
    ("20", "Sprinkler Pipes", "Service", 4, "50", None, "Sprinkler Pipes"),
    ("21", "Trimming", "Service", 35, "45", None, "Tree and Shrub Trimming"),
    ("22", "Refunds & Allowances", "Service", 0, "6", None, "Income due to refunds or allowances"),
]
TAX_AGENCIES = [("1", "Arizona Dept. of Revenue"), ("2", "Board of Equalization")]
TAX_RATES = [  # Id, Name, RateValue, agency Id
    ("1", "AZ State tax", 7.1, "1"), ("2", "Tucson City", 2, "1"), ("3", "California", 8, "2")]
TAX_CODES = [  # Id, Name, Description, rate Ids (a group when more than one)
    ("TAX", "TAX", "TAX", ()), ("NON", "NON", "NON", ()),
    ("2", "California", "California", ("3",)), ("3", "Tucson", "Tucson", ("1", "2")),
]


def tax_records(meta: dict) -> list[tuple[str, dict]]:
    """(entity, record) for the agencies, rates and codes, as QBO returns them (read-only in the API)."""
    common = {"SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": dict(meta)}
    rates = {oid: name for oid, name, _value, _agency in TAX_RATES}
    out: list[tuple[str, dict]] = []
    for oid, name in TAX_AGENCIES:
        out.append(("TaxAgency", {"Id": oid, "DisplayName": name, "TaxTrackedOnSales": True,
                                  "TaxTrackedOnPurchases": False, **common}))
    for oid, name, value, agency in TAX_RATES:
        out.append(("TaxRate", {"Id": oid, "Name": name, "Description": "Sales Tax", "RateValue": value,
                                "AgencyRef": {"value": agency}, "SpecialTaxType": "NONE",
                                "DisplayType": "ReadOnly", "Active": True, **common}))
    for oid, name, description, rate_ids in TAX_CODES:
        details = [{"TaxRateRef": {"value": r, "name": rates[r]}, "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": 0} for r in rate_ids]
        out.append(("TaxCode", {"Id": oid, "Name": name, "Description": description, "Active": True,
                                "Taxable": oid != "NON", "TaxGroup": len(rate_ids) > 0,
                                "SalesTaxRateList": {"TaxRateDetail": details},
                                "PurchaseTaxRateList": {"TaxRateDetail": []}, **common}))
    return out

"""The sample realm follows Intuit's US sample company (Craig's Design and Landscaping Services): an account of
every type at Intuit's Ids, its customers, vendors, products and services, and sales tax read and queried."""

from __future__ import annotations

from tests.sandbox.qbo.conftest import fault_of


def test_chart_of_accounts_has_every_kind_at_intuits_ids(qbo):
    accounts = {a["Id"]: a for a in qbo.rows("select * from Account maxresults 1000", "Account")}
    kinds = {a["AccountType"] for a in accounts.values()}
    assert kinds >= {"Bank", "Accounts Receivable", "Other Current Asset", "Fixed Asset", "Accounts Payable",
                     "Credit Card", "Other Current Liability", "Long Term Liability", "Equity", "Income",
                     "Other Income", "Cost of Goods Sold", "Expense", "Other Expense"}
    assert (accounts["33"]["Name"], accounts["84"]["Name"], accounts["35"]["Name"]) == (
        "Accounts Payable (A/P)", "Accounts Receivable (A/R)", "Checking")
    assert accounts["89"]["Name"] == "Arizona Dept. of Revenue Payable"
    assert accounts["64"]["FullyQualifiedName"] == "Job Expenses:Job Materials:Decks and Patios"
    assert accounts["47"]["FullyQualifiedName"] == "Landscaping Services:Job Materials:Decks and Patios"
    assert accounts["90"]["Name"] == "Subcontractors"  # the construction additions keep their Ids


def test_names_and_items_of_the_sample_company(qbo):
    names = {c["DisplayName"] for c in qbo.rows("select * from Customer maxresults 1000", "Customer")}
    assert {"Amy's Bird Sanctuary", "Kookies by Kathy", "Jeff's Jalopies", "0969 Ocean View Road"} <= names
    vendors = {v["DisplayName"] for v in qbo.rows("select * from Vendor maxresults 1000", "Vendor")}
    assert {"Books by Bessie", "Chin's Gas and Oil", "Norton Lumber and Building Materials", "EDD"} <= vendors
    items = {i["Name"]: i for i in qbo.rows("select * from Item maxresults 1000", "Item")}
    assert items["Sprinkler Heads"]["IncomeAccountRef"]["name"].endswith(":Sprinklers and Drip Systems")
    assert {"Rock Fountain", "Pump", "Trimming", "Soil"} <= set(items)


def test_tax_agencies_rates_and_codes_are_read_and_queried(qbo):
    codes = {c["Id"]: c for c in qbo.rows("select * from TaxCode", "TaxCode")}
    assert set(codes) == {"TAX", "NON", "2", "3"}
    tucson = codes["3"]
    assert tucson["TaxGroup"] is True
    assert [d["TaxRateRef"]["name"] for d in tucson["SalesTaxRateList"]["TaxRateDetail"]] == ["AZ State tax",
                                                                                              "Tucson City"]
    rates = qbo.rows("select * from TaxRate where RateValue > '5' orderby Name", "TaxRate")
    assert [(r["Name"], r["RateValue"]) for r in rates] == [("AZ State tax", 7.1), ("California", 8)]
    agency = qbo.get("/taxagency/2").json()["TaxAgency"]
    assert agency["DisplayName"] == "Board of Equalization"
    [arizona] = qbo.rows("select * from TaxAgency where DisplayName = 'Arizona Dept. of Revenue'", "TaxAgency")
    assert arizona["Id"] == "1"
    assert qbo.query("select count(*) from TaxCode").json()["QueryResponse"]["totalCount"] == 4
    refused = qbo.post("/taxcode", {"Name": "Mine"})
    assert refused.status_code == 400 and "not supported" in fault_of(refused)["Detail"]

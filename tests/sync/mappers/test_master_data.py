"""Master-data mappers, table-driven: long names, unicode, quotes, colons, missing fields."""

import pytest

from sync.mappers.cost_items import cost_item_body, cost_item_name
from sync.mappers.names import clean_name, truncate, unique_name
from sync.mappers.projects import is_qbo_project, project_import_state, qbo_project_to_procore_project
from sync.mappers.vendors import procore_vendor_to_qbo_vendor, qbo_vendor_to_procore_vendor
from sync.procore.records import Vendor


@pytest.mark.parametrize(("raw", "clean"), [
    ("ACME  Concrete", "ACME Concrete"),
    ("Smith: Sub", "Smith- Sub"),
    ("O'Brien \"Steel\"", "O'Brien \"Steel\""),
    ("Line\nbreak\tTab", "Line break Tab"),
    ("Cafe\u0301 Béton", "Café Béton"),  # NFC
    (None, ""),
])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize(("value", "limit", "out"), [
    ("short", 10, "short"),
    ("Northwest Electrical Contractors", 20, "Northwest Electrical"),
    ("Supercalifragilisticexpialidocious", 10, "Supercalif"),
])
def test_truncate(value, limit, out):
    assert truncate(value, limit) == out


def test_unique_name_is_case_insensitive_and_keeps_the_limit():
    assert unique_name("1001-03-300.M", {"1001-03-300.m"}, 100) == "1001-03-300.M (2)"
    taken = {"x" * 10, "x" * 6 + " (2)"}
    assert unique_name("x" * 10, taken, 10) == "x" * 6 + " (3)"


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"id": 1, "name": "ACME Concrete"}, {"DisplayName": "ACME Concrete", "CompanyName": "ACME Concrete"}),
    ({"id": 2, "name": "Smith: Sons", "email_address": " ap@smith.com ", "business_phone": "555-0100"},
     {"DisplayName": "Smith- Sons", "CompanyName": "Smith- Sons", "PrimaryEmailAddr": {"Address": "ap@smith.com"},
      "PrimaryPhone": {"FreeFormNumber": "555-0100"}}),
    ({"id": 3, "name": "Béton Québec", "address": "1 Rue", "city": "Montréal", "state_code": "QC", "zip": "H1A"},
     {"DisplayName": "Béton Québec", "CompanyName": "Béton Québec",
      "BillAddr": {"Line1": "1 Rue", "City": "Montréal", "CountrySubDivisionCode": "QC", "PostalCode": "H1A"}}),
])
def test_procore_vendor_to_qbo_vendor(kwargs, expected):
    assert procore_vendor_to_qbo_vendor(Vendor(**kwargs)) == expected


def test_long_vendor_names_fit_qbo():
    body = procore_vendor_to_qbo_vendor(Vendor(id=1, name="Very Long Company Name " * 30))
    assert len(body["DisplayName"]) <= 500 and len(body["CompanyName"]) <= 100


def test_nameless_vendor_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="has no name"):
        procore_vendor_to_qbo_vendor(Vendor(id=9, name="  "))


@pytest.mark.parametrize(("qbo", "expected"), [
    ({"Id": "56", "DisplayName": "Apex Drywall", "Active": True},
     {"name": "Apex Drywall", "is_active": True, "origin_id": "56"}),
    ({"Id": "57", "DisplayName": "Old Co", "Active": False, "AcctNum": "V-9",
      "PrimaryEmailAddr": {"Address": "a@b.c"}, "BillAddr": {"City": "Reno"}},
     {"name": "Old Co", "is_active": False, "origin_id": "57", "origin_code": "V-9", "email_address": "a@b.c",
      "city": "Reno"}),
])
def test_qbo_vendor_to_procore_vendor(qbo, expected):
    assert qbo_vendor_to_procore_vendor(qbo) == expected


@pytest.mark.parametrize(("customer", "is_project"), [
    ({"Id": "1", "IsProject": True}, True),
    ({"Id": "2", "Job": True, "ParentRef": {"value": "1"}}, True),
    ({"Id": "3", "Job": False}, False),
    ({"Id": "4"}, False),
])
def test_is_qbo_project(customer, is_project):
    assert is_qbo_project(customer) is is_project


def test_qbo_project_to_procore_project():
    body = qbo_project_to_procore_project(
        {"Id": "58", "DisplayName": "Riverside Clinic", "FullyQualifiedName": "Mercy Health:Riverside Clinic",
         "ShipAddr": {"Line1": "5 River Rd", "City": "Austin"}}, project_number="2024-117")
    assert body == {"name": "Riverside Clinic", "origin_id": "58", "active": True, "project_number": "2024-117",
                    "address": "5 River Rd", "city": "Austin"}


@pytest.mark.parametrize(("qbo_updated", "synced", "linked", "state"), [
    (None, None, False, "ready_to_import"),
    ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", True, "ready_to_update"),
    ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", True, "synced"),
])
def test_project_import_state(qbo_updated, synced, linked, state):
    assert project_import_state(qbo_updated, synced, linked) == state


@pytest.mark.parametrize(("args", "name"), [
    (("2024-117", "03-300", "M"), "2024-117-03-300.M"),
    (("P:1", "01-100", "Labor"), "P-1-01-100.Labor"),
    (("X" * 90, "03-300", "Subcontract"), None),  # long: truncated to 100
])
def test_cost_item_name(args, name):
    out = cost_item_name(*args)
    assert len(out) <= 100
    if name:
        assert out == name


def test_cost_item_name_collision_and_missing_parts():
    assert cost_item_name("2024-117", "03-300", "M", taken={"2024-117-03-300.M"}) == "2024-117-03-300.M (2)"
    with pytest.raises(ValueError, match="cost type"):
        cost_item_name("2024-117", "03-300", "")


def test_cost_item_body_is_a_service_item():
    body = cost_item_body("2024-117-03-300.M", description="Cast-in-place concrete · Material",
                          income_account_id="1", expense_account_id="80")
    assert body["Type"] == "Service" and body["ExpenseAccountRef"] == {"value": "80"}

"""Deterministic demo data: "Summit Builders" (4278) with a full financial picture, and a second company.

`seed_demo(store)` builds both companies; `seed_company(store, ...)` builds one company with profile
"demo" (everything in `seed_data`), "basic" (people, cost types, cost codes, one project) or "none" (just
the company and its default cost types, which every Procore company has). Nothing here fires webhooks.
"""

from __future__ import annotations

import re
from typing import Any

from . import seed_data as data
from .store import Record, Store

DEMO_COMPANY_ID = 4278
OTHER_COMPANY_ID = 5012


def _domain(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower().split(",")[0]) + ".com"


class Builder:
    def __init__(self, store: Store, company: Record) -> None:
        self.store = store
        self.company = company
        self.types: dict[str, Record] = {}
        self.standard: dict[str, Record] = {}
        self.vendors: dict[str, Record] = {}
        self.users: list[Record] = []

    def add(self, table: str, record: dict[str, Any]) -> Record:
        return self.store.insert(table, dict(record, company_id=self.company["id"]), emit=False)

    def people(self, users: list[tuple[str, str, str, str]]) -> None:
        domain = _domain(self.company["name"])
        for first, last, local, title in users:
            self.users.append(self.store.insert("users", {
                "first_name": first, "last_name": last, "email_address": f"{local}@{domain}", "job_title": title,
                "is_active": True, "is_employee": True, "company_ids": [self.company["id"]],
                "business_phone": "(208) 555-0100", "country_code": "US", "state_code": "ID",
            }, emit=False))

    def cost_types(self) -> None:
        for name, code, base in data.COST_TYPES:
            self.types[code] = self.add("line_item_types", {"name": name, "code": code, "base_type": base})

    def standard_codes(self, divisions=data.COST_CODES) -> None:
        lst = self.add("standard_cost_code_lists", {"name": f"{self.company['name']} Standard (CSI MasterFormat)",
                                                    "available_to_use_on_new_projects": True, "is_erp_list": False})
        self.list_id = lst["id"]
        for div_code, div_name, codes in divisions:
            parent = self.add("standard_cost_codes", {"standard_cost_code_list_id": lst["id"], "parent_id": None,
                                                      "code": div_code, "name": div_name})
            self.standard[div_code] = parent
            for code, name in codes:
                self.standard[f"{div_code}-{code}"] = self.add("standard_cost_codes", {
                    "standard_cost_code_list_id": lst["id"], "parent_id": parent["id"], "code": code, "name": name})

    def project(self, name: str, number: str, address: str, city: str, zip_code: str, start: str, end: str,
                value: float, stage: int) -> tuple[Record, dict[str, Record]]:
        project = self.add("projects", {
            "name": name, "project_number": number, "address": address, "city": city, "state_code": "ID",
            "country_code": "US", "zip": zip_code, "start_date": start, "completion_date": end, "total_value": value,
            "project_stage_id": stage, "active": True, "time_zone": "Mountain Time (US & Canada)",
            "standard_cost_code_list_id": self.list_id, "phone": "(208) 555-0190"})
        codes: dict[str, Record] = {}
        type_ids = [t["id"] for t in self.types.values()]
        for full, standard in self.standard.items():
            parent = codes.get(full.split("-")[0]) if "-" in full else None
            codes[full] = self.store.insert("cost_codes", {
                "company_id": self.company["id"], "project_id": project["id"], "code": standard["code"],
                "name": standard["name"], "parent_id": parent["id"] if parent else None,
                "standard_cost_code_id": standard["id"], "position": len(codes) + 1,
                "line_item_type_ids": type_ids if parent else []}, emit=False)
        return project, codes

    def vendor(self, name: str, phone: str, tax_id: str | None, city: str, origin_id: str | None) -> Record:
        slug = re.sub(r"[^a-z0-9]+", "", name.lower())[:18]
        self.vendors[name] = self.add("vendors", {
            "name": name, "business_phone": phone, "business_id": tax_id, "city": city, "state_code": "ID",
            "country_code": "US", "zip": "83702", "address": f"{100 + len(self.vendors) * 37} Industrial Way",
            "email_address": f"ap@{slug}.com", "is_active": True, "origin_id": origin_id,
            "origin_data": None, "origin_code": None, "abbreviated_name": name.split()[0][:10]})
        return self.vendors[name]


def seed_company(store: Store, name: str, company_id: int | None = None, profile: str = "demo",
                 app_connected: bool = True) -> Record:
    with store.batch():
        return _seed_company(store, name, company_id, profile, app_connected)


def _seed_company(store: Store, name: str, company_id: int | None, profile: str, app_connected: bool) -> Record:
    company = store.insert("companies", {"id": company_id, "name": name, "is_active": True,
                                         "app_connected": app_connected}, emit=False)
    builder = Builder(store, company)
    builder.cost_types()
    if profile == "none":
        return company
    builder.people(data.USERS)
    builder.standard_codes()
    if profile == "basic":
        builder.project(*data.PROJECTS[0])
        return company
    _demo(builder)
    return company


def _demo(b: Builder) -> None:
    store = b.store
    projects = [b.project(*p) for p in data.PROJECTS]
    for name, _trade, phone, tax_id, city, origin_id in data.VENDORS:
        b.vendor(name, phone, tax_id, city, origin_id)
    for project, codes in projects:
        for code, type_code, amount in data.BUDGETS:
            b.add("budget_line_items", {"project_id": project["id"], "cost_code_id": codes[code]["id"],
                                        "line_item_type_id": b.types[type_code]["id"],
                                        "original_budget_amount": amount, "calculation_strategy": "manual"})
    contracts = []
    for n, (pi, table, vendor, title, status, retainage, lines) in enumerate(data.COMMITMENTS, start=1):
        project, codes = projects[pi]
        prefix = "SC" if table == "work_order_contracts" else "PO"
        terms = {} if table == "work_order_contracts" else {  # a purchase order's delivery and billing terms
            "assignee_id": b.users[1]["id"], "payment_terms": "Net 30", "ship_via": "Supplier delivery",
            "delivery_date": project["start_date"], "bill_to_address": f"{b.company['name']}, Accounts Payable",
            "ship_to_address": f"{project['address']}, {project['city']}, {project['state_code']}"}
        contracts.append((table, b.add(table, {**terms,
            "project_id": project["id"], "vendor_id": b.vendors[vendor]["id"], "title": title, "status": status,
            "number": f"{prefix}-{project['project_number']}-{n:02d}", "retainage_percent": retainage,
            "executed": status == "Approved", "accounting_method": "amount", "contract_date": project["start_date"],
            "created_by_id": b.users[1]["id"],
            "line_items": [{"id": store.new_id(), "cost_code_id": codes[c]["id"], "line_item_type_id": b.types[t]["id"],
                            "description": d, "amount": a, "position": i}
                           for i, (c, t, d, a) in enumerate(lines, start=1)]})))
    reqs = []
    for ci, status, start, end, progress, released in data.REQUISITIONS:
        _, contract = contracts[ci]
        number = sum(1 for r in reqs if r["commitment_id"] == contract["id"]) + 1
        items = [{"id": store.new_id(), "line_item_id": li["id"], "cost_code_id": li["cost_code_id"],
                  "description_of_work": li["description"], "work_completed_this_period": work,
                  "materials_presently_stored": stored,
                  "work_completed_retainage_released_this_period": released if i == 0 else "0.00"}
                 for i, (li, (work, stored)) in enumerate(zip(contract["line_items"], progress, strict=True))]
        reqs.append(b.add("requisitions", {
            "project_id": contract["project_id"], "commitment_id": contract["id"], "number": number, "status": status,
            "period_id": None, "requisition_start": start, "requisition_end": end, "billing_date": end,
            "invoice_number": f"{contract['number']}-{number:03d}", "items": items, "final": False,
            "submitted_at": end if status != "draft" else None, "created_by_id": b.users[2]["id"],
            "origin_id": None, "origin_data": None, "payment_date": None}))
    for ri, paid_on, amount, check in data.PAYMENTS:
        req = reqs[ri]
        b.add("contract_payments", {"project_id": req["project_id"], "contract_id": req["commitment_id"],
                                    "requisition_id": req["id"], "draw_request_number": req["number"],
                                    "date": paid_on, "amount": amount, "check_number": check, "payment_number": 1,
                                    "invoice_number": req["invoice_number"], "notes": None, "status": None})
    primes = []
    for pi, owner, title, retainage, lines in data.PRIME_CONTRACTS:
        project, codes = projects[pi]
        primes.append(b.add("prime_contracts", {
            "project_id": project["id"], "owner_name": owner, "title": title, "number": "1", "status": "Approved",
            "retainage_percent": retainage,
            "line_items": [{"id": store.new_id(), "cost_code_id": codes[c]["id"], "description": d, "amount": a}
                           for c, d, a in lines]}))
    for n, (ci, status, start, end, work) in enumerate(data.PAYMENT_APPLICATIONS):
        prime = primes[ci]
        number = sum(1 for x in data.PAYMENT_APPLICATIONS[:n] if x[0] == ci) + 1
        b.add("payment_applications", {
            "project_id": prime["project_id"], "prime_contract_id": prime["id"], "number": number, "status": status,
            "billing_date": end, "period_start": start, "period_end": end, "period_id": None,
            "invoice_number": f"{number:04d}", "total_amount_paid": "0.00", "origin_id": None, "origin_data": None,
            "line_items": [{"id": store.new_id(), "line_item_id": li["id"], "cost_code_id": li["cost_code_id"],
                            "description_of_work": li["description"], "work_completed_this_period": w,
                            "materials_presently_stored": "0.00"}
                           for li, w in zip(prime["line_items"], work, strict=True)]})
    for pi, kind, vendor, when, invoice, status, lines in data.DIRECT_COSTS:
        project, codes = projects[pi]
        b.add("direct_costs", {
            "project_id": project["id"], "direct_cost_type": kind, "vendor_id": b.vendors[vendor]["id"],
            "direct_cost_date": when, "invoice_number": invoice, "status": status, "description": None,
            "origin_id": None, "origin_data": None,
            "line_items": [{"id": store.new_id(), "cost_code_id": codes[c]["id"], "line_item_type_id": b.types[t]["id"],
                            "description": d, "amount": a, "position": i}
                           for i, (c, t, d, a) in enumerate(lines, start=1)]})


def seed_other(store: Store) -> Record:
    """A second, smaller company: for cross-company 403/404 checks and multi-company tokens."""
    company = store.insert("companies", {"id": OTHER_COMPANY_ID, "name": "Harbor Point Constructors",
                                         "is_active": True, "app_connected": True}, emit=False)
    b = Builder(store, company)
    b.cost_types()
    b.people([("Alex", "Moreno", "alex", "Controller"), ("Riley", "Chen", "riley", "Project Manager")])
    b.standard_codes(data.COST_CODES[:3])
    project, codes = b.project("Harbor Point Marina Expansion", "HP-301", "1 Harbor Point Rd", "Coeur d'Alene",
                               "83814", "2024-05-01", "2025-09-30", 3_200_000.0, 3)
    vendor = b.vendor("Lakeshore Marine Construction", "(208) 555-0211", "86-1234567", "Coeur d'Alene", None)
    b.vendor("Panhandle Concrete", "(208) 555-0222", "86-2345678", "Sandpoint", None)
    b.add("budget_line_items", {"project_id": project["id"], "cost_code_id": codes["03-300"]["id"],
                                "line_item_type_id": b.types["S"]["id"], "original_budget_amount": 450000})
    line = {"id": store.new_id(), "cost_code_id": codes["03-300"]["id"], "line_item_type_id": b.types["S"]["id"],
            "description": "Marina piers", "amount": "380000.00", "position": 1}
    contract = b.add("work_order_contracts", {
        "project_id": project["id"], "vendor_id": vendor["id"], "title": "Marine concrete", "status": "Approved",
        "number": "HP-SC-01", "retainage_percent": "10.0", "executed": True, "line_items": [line]})
    b.add("requisitions", {
        "project_id": project["id"], "commitment_id": contract["id"], "number": 1, "status": "approved",
        "requisition_start": "2024-06-01", "requisition_end": "2024-06-30", "billing_date": "2024-06-30",
        "invoice_number": "HP-SC-01-001", "created_by_id": b.users[0]["id"],
        "items": [{"id": store.new_id(), "line_item_id": line["id"], "cost_code_id": line["cost_code_id"],
                   "description_of_work": "Marina piers", "work_completed_this_period": "95000.00",
                   "materials_presently_stored": "0.00"}]})
    return company


def seed_demo(store: Store) -> None:
    with store.batch():
        seed_company(store, "Summit Builders", DEMO_COMPANY_ID, "demo")
        seed_other(store)

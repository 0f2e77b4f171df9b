"""A read-only Procore web app over the sandbox's records, answering Procore's own page routes.

The paths are those Procore's tools use (and Ledgerlink's "View in Procore" links build):
  /{company_id}/company/home, /{company_id}/company/directory, /{company_id}/company/directory/vendors/{id}
  /{project_id}/project/home, …/project/commitments, …/commitments/{work_order|purchase_order}_contracts/{id}
  …/commitments/…/{id}/requisitions/{invoice_id}, …/change_orders/commitment_contract_change_orders/{id}
  …/project/prime_contracts, …/prime_contracts/{id}/payment_applications/{id},
  …/prime_contracts/{id}/change_orders/change_order_packages/{id}, …/project/budgets/budget_details,
  …/project/direct_costs, …/project/directory
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, request

from ..webview import Brand, Table, cell, money, render
from .errors import json_response
from .state import current

bp = Blueprint("procore_web_view", __name__)
BRAND = Brand("Procore", "#ff5200", "#1d5cc7", "Procore sandbox — a read-only view of its records.")
CONTRACT_KINDS = {"work_order_contracts": "Subcontract", "purchase_order_contracts": "Purchase order"}


def _store():
    return current().store


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


def _menu(project: dict | None, company_id: int | None) -> list[tuple[str, str]]:
    menu = [("Company home", f"/{company_id}/company/home"), ("Directory", f"/{company_id}/company/directory")] \
        if company_id else []
    if project:
        p = f"/{project['id']}/project"
        menu += [("Project home", f"{p}/home"), ("Commitments", f"{p}/commitments"),
                 ("Prime contracts", f"{p}/prime_contracts"), ("Budget", f"{p}/budgets/budget_details"),
                 ("Direct costs", f"{p}/direct_costs"), ("Project directory", f"{p}/directory")]
    return menu


def _page(title: str, *, project: dict | None = None, company_id: int | None = None,
          crumbs: list[tuple[str, str | None]] | None = None, **kw: Any) -> Response:
    company_id = company_id or (project or {}).get("company_id")
    company = _store().get("companies", company_id) if company_id else None
    trail: list[tuple[str, str | None]] = []
    if company:
        trail.append((company["name"], f"/{company['id']}/company/home"))
    if project:
        trail.append((_project_name(project), f"/{project['id']}/project/home"))
    return render(BRAND, title, menu=_menu(project, company_id), crumbs=trail + (crumbs or []),
                  who=company["name"] if company else "", **kw)


def _missing(what: str) -> Response:
    return render(BRAND, f"{what} not found", status=404)


def _project_name(project: dict) -> str:
    number = project.get("project_number")
    return f"{number} {project['name']}" if number else project["name"]


def _project(project_id: int) -> dict | None:
    return _store().get("projects", project_id)


def _vendor(vendor_id: Any, company_id: Any) -> Any:
    vendor = _store().get("vendors", vendor_id) if vendor_id else None
    return cell(vendor["name"], f"/{company_id}/company/directory/vendors/{vendor['id']}") if vendor else ""


def _codes(project_id: int) -> dict[int, str]:
    codes = {c["id"]: c for c in _store().find("cost_codes", project_id=project_id)}

    def full(c: dict, depth: int = 0) -> str:
        parent = codes.get(c.get("parent_id"))
        own = str(c.get("code", ""))
        return f"{full(parent, depth + 1)}-{own}" if parent and depth < 10 else own

    return {cid: f"{full(c)} {c.get('name', '')}".strip() for cid, c in codes.items()}


def _types() -> dict[int, str]:
    return {t["id"]: t.get("name", "") for t in _store().all("line_item_types")}


def _contracts(project_id: int) -> list[tuple[str, dict]]:
    out = [(kind, c) for kind in CONTRACT_KINDS for c in _store().find(kind, project_id=project_id)]
    return sorted(out, key=lambda kc: str(kc[1].get("number", "")))


def _contract_href(project_id: int, kind: str, contract_id: Any) -> str:
    return f"/{project_id}/project/commitments/{kind}/{contract_id}"


def _req_total(req: dict) -> Decimal:
    return sum((_dec(i.get("work_completed_this_period")) + _dec(i.get("materials_presently_stored"))
                for i in req.get("items") or []), Decimal(0))


def _lines_total(record: dict) -> Decimal:
    return sum((_dec(li.get("amount")) for li in record.get("line_items") or []), Decimal(0))


# --- company ---------------------------------------------------------------------------------------------------
@bp.get("/<int:company_id>/company/home")
def company_home(company_id: int):
    company = _store().get("companies", company_id)
    if company is None:
        return _missing("Company")
    table = Table("Projects", ["Number", "Name", "City", "Stage", "Start", "Completion", "Value"])
    for p in sorted(_store().find("projects", company_id=company_id), key=lambda x: str(x.get("project_number"))):
        table.add(p.get("project_number"), cell(p["name"], f"/{p['id']}/project/home"), p.get("city"),
                  p.get("project_stage_id"), p.get("start_date"), p.get("completion_date"), money(p.get("total_value")))
    return _page(company["name"], company_id=company_id, tables=[table])


@bp.get("/<int:company_id>/company/directory")
def company_directory(company_id: int):
    if _store().get("companies", company_id) is None:
        return _missing("Company")
    vendors = Table("Companies", ["Name", "Phone", "Email", "City", "Tax id", "Status"])
    for v in sorted(_store().find("vendors", company_id=company_id), key=lambda x: x["name"].casefold()):
        vendors.add(_vendor(v["id"], company_id), v.get("business_phone"), v.get("email_address"), v.get("city"),
                    v.get("business_id"), "Active" if v.get("is_active", True) else "Inactive")
    people = Table("People", ["Name", "Title", "Email"])
    for u in _store().find("users", company_id=company_id) or [
            u for u in _store().all("users") if company_id in (u.get("company_ids") or [])]:
        people.add(f"{u.get('first_name', '')} {u.get('last_name', '')}".strip(), u.get("job_title"),
                   u.get("email_address"))
    return _page("Directory", company_id=company_id, crumbs=[("Directory", None)], tables=[vendors, people])


@bp.get("/<int:company_id>/company/directory/vendors/<int:vendor_id>")
def vendor_page(company_id: int, vendor_id: int):
    v = _store().get("vendors", vendor_id)
    if v is None or v.get("company_id") != company_id:
        return _missing("Company")
    facts = [("Name", v["name"]), ("Phone", v.get("business_phone")), ("Email", v.get("email_address")),
             ("Address", ", ".join(str(v[k]) for k in ("address", "city", "state_code", "zip") if v.get(k))),
             ("Tax id", v.get("business_id")), ("ERP id (origin)", v.get("origin_id")),
             ("Status", "Active" if v.get("is_active", True) else "Inactive"), ("Procore id", v["id"])]
    table = Table("Commitments", ["Project", "Number", "Title", "Status", "Value"])
    for kind in CONTRACT_KINDS:
        for c in _store().find(kind, vendor_id=vendor_id):
            project = _project(c["project_id"]) or {"name": "?", "id": c["project_id"]}
            table.add(cell(_project_name(project), f"/{project['id']}/project/home"),
                      cell(c.get("number"), _contract_href(c["project_id"], kind, c["id"])), c.get("title"),
                      c.get("status"), money(_lines_total(c)))
    return _page(v["name"], company_id=company_id, crumbs=[("Directory", f"/{company_id}/company/directory")],
                 facts=facts, tables=[table])


# --- project ---------------------------------------------------------------------------------------------------
def _commitments_table(project: dict) -> Table:
    table = Table("Commitments", ["Number", "Type", "Company", "Title", "Status", "Retainage", "Value"])
    for kind, c in _contracts(project["id"]):
        table.add(cell(c.get("number"), _contract_href(project["id"], kind, c["id"])), CONTRACT_KINDS[kind],
                  _vendor(c.get("vendor_id"), project.get("company_id")), c.get("title"), c.get("status"),
                  f"{c['retainage_percent']}%" if c.get("retainage_percent") else "", money(_lines_total(c)))
    return table


def _invoices_table(project: dict, contract_id: int | None = None) -> Table:
    table = Table("Subcontractor invoices", ["Invoice #", "Commitment", "Company", "Period", "Status", "This period"])
    contracts = {c["id"]: (kind, c) for kind, c in _contracts(project["id"])}
    rows = sorted(_store().find("requisitions", project_id=project["id"]), key=lambda x: str(x.get("invoice_number")))
    for r in rows:
        if contract_id is not None and r.get("commitment_id") != contract_id:
            continue
        kind, c = contracts.get(r.get("commitment_id"), ("work_order_contracts", {}))
        href = f"{_contract_href(project['id'], kind, r.get('commitment_id'))}/requisitions/{r['id']}"
        table.add(cell(r.get("invoice_number") or f"#{r.get('number')}", href),
                  cell(c.get("number"), _contract_href(project["id"], kind, c.get("id"))) if c else "",
                  _vendor(c.get("vendor_id"), project.get("company_id")),
                  f"{r.get('requisition_start', '')} – {r.get('requisition_end', '')}", r.get("status"),
                  money(_req_total(r)))
    return table


def _direct_costs_table(project: dict) -> Table:
    table = Table("Direct costs", ["Date", "Type", "Company", "Invoice #", "Status", "Amount"])
    for d in sorted(_store().find("direct_costs", project_id=project["id"]),
                    key=lambda x: str(x.get("direct_cost_date"))):
        table.add(d.get("direct_cost_date"), d.get("direct_cost_type"),
                  _vendor(d.get("vendor_id"), project.get("company_id")),
                  cell(d.get("invoice_number") or f"#{d['id']}", f"/{project['id']}/project/direct_costs/{d['id']}"),
                  d.get("status"), money(_lines_total(d)))
    return table


def _prime_table(project: dict) -> Table:
    table = Table("Prime contracts", ["Number", "Owner", "Title", "Status", "Value"])
    for p in _store().find("prime_contracts", project_id=project["id"]):
        table.add(cell(p.get("number"), f"/{project['id']}/project/prime_contracts/{p['id']}"), p.get("owner_name"),
                  p.get("title"), p.get("status"), money(_lines_total(p)))
    return table


def _project_facts(project: dict) -> list[tuple[str, Any]]:
    return [("Project number", project.get("project_number")), ("Name", project.get("name")),
            ("Address", ", ".join(str(project[k]) for k in ("address", "city", "state_code", "zip")
                                  if project.get(k))),
            ("Start", project.get("start_date")), ("Completion", project.get("completion_date")),
            ("Value", money(project.get("total_value"))), ("ERP id (origin)", project.get("origin_id")),
            ("Procore id", project["id"])]


@bp.get("/<int:project_id>/project/home")
def project_home(project_id: int):
    project = _project(project_id)
    if project is None:
        return _missing("Project")
    return _page(_project_name(project), project=project, facts=_project_facts(project),
                 tables=[_commitments_table(project), _invoices_table(project), _direct_costs_table(project),
                         _prime_table(project)])


@bp.get("/<int:project_id>/project/commitments")
def commitments(project_id: int):
    project = _project(project_id)
    if project is None:
        return _missing("Project")
    return _page("Commitments", project=project, crumbs=[("Commitments", None)],
                 tables=[_commitments_table(project), _invoices_table(project)])


def _schedule(record: dict, project_id: int, title: str = "Schedule of values") -> Table:
    codes, types = _codes(project_id), _types()
    table = Table(title, ["#", "Cost code", "Cost type", "Description", "Amount"])
    for n, li in enumerate(record.get("line_items") or [], start=1):
        table.add(n, codes.get(li.get("cost_code_id"), li.get("cost_code_id")), types.get(li.get("line_item_type_id"),
                  ""), li.get("description"), money(li.get("amount")))
    return table


@bp.get("/<int:project_id>/project/budgets/budget_details")
def budget(project_id: int):
    project = _project(project_id)
    if project is None:
        return _missing("Project")
    codes, types = _codes(project_id), _types()
    table = Table("Budget", ["Cost code", "Cost type", "Budget"])
    for b in _store().find("budget_line_items", project_id=project_id):
        table.add(codes.get(b.get("cost_code_id"), ""), types.get(b.get("line_item_type_id"), ""),
                  money(b.get("original_budget_amount")))
    return _page("Budget", project=project, crumbs=[("Budget", None)], tables=[table])


@bp.get("/<int:project_id>/project/direct_costs")
def direct_costs(project_id: int):
    project = _project(project_id)
    if project is None:
        return _missing("Project")
    return _page("Direct costs", project=project, crumbs=[("Direct costs", None)],
                 tables=[_direct_costs_table(project)])


@bp.get("/<int:project_id>/project/direct_costs/<int:cost_id>")
def direct_cost(project_id: int, cost_id: int):
    project, d = _project(project_id), _store().get("direct_costs", cost_id)
    if project is None or d is None or d.get("project_id") != project_id:
        return _missing("Direct cost")
    facts = [("Type", d.get("direct_cost_type")), ("Date", d.get("direct_cost_date")),
             ("Company", _vendor(d.get("vendor_id"), project.get("company_id")).text),
             ("Invoice #", d.get("invoice_number")), ("Status", d.get("status")),
             ("Amount", money(_lines_total(d))), ("Procore id", d["id"])]
    return _page(f"Direct cost {d.get('invoice_number') or cost_id}", project=project, facts=facts,
                 crumbs=[("Direct costs", f"/{project_id}/project/direct_costs")],
                 tables=[_schedule(d, project_id, "Lines")])


@bp.get("/<int:project_id>/project/directory")
def project_directory(project_id: int):
    project = _project(project_id)
    if project is None:
        return _missing("Project")
    seen: dict[int, dict] = {}
    for _kind, c in _contracts(project_id):
        v = _store().get("vendors", c.get("vendor_id"))
        if v:
            seen[v["id"]] = v
    table = Table("Companies on this project", ["Name", "Phone", "Email"])
    for v in sorted(seen.values(), key=lambda x: x["name"].casefold()):
        table.add(_vendor(v["id"], project.get("company_id")), v.get("business_phone"), v.get("email_address"))
    return _page("Project directory", project=project, crumbs=[("Directory", None)], tables=[table])


@bp.get("/")
def index():
    """The sandbox's address in a browser: its companies."""
    table = Table("Companies", ["Name", "Procore id"])
    for c in sorted(_store().all("companies"), key=lambda x: x["name"]):
        table.add(cell(c["name"], f"/{c['id']}/company/home"), c["id"])
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html":
        return json_response({"errors": "Not Found"}, 404)  # as before: API clients have nothing here
    return render(BRAND, "Companies", tables=[table])

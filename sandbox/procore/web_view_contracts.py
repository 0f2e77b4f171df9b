"""The read-only Procore pages of one commitment or prime contract: schedule of values, invoices
(requisitions), payment applications and change orders. Their routes hang on web_view's blueprint."""

from __future__ import annotations

from ..webview import Table, cell, money
from .web_view import (
    CONTRACT_KINDS,
    _codes,
    _contract_href,
    _invoices_table,
    _lines_total,
    _missing,
    _page,
    _prime_table,
    _project,
    _req_total,
    _schedule,
    _store,
    _vendor,
    bp,
)


def _contract(project_id: int, kind: str, contract_id: int) -> tuple[dict, dict] | None:
    project, c = _project(project_id), _store().get(kind, contract_id) if kind in CONTRACT_KINDS else None
    if project is None or c is None or c.get("project_id") != project_id:
        return None
    return project, c


@bp.get("/<int:project_id>/project/commitments/<kind>/<int:contract_id>")
def commitment(project_id: int, kind: str, contract_id: int):
    found = _contract(project_id, kind, contract_id)
    if found is None:
        return _missing("Commitment")
    project, c = found
    facts = [("Type", CONTRACT_KINDS[kind]), ("Number", c.get("number")), ("Title", c.get("title")),
             ("Contract company", _vendor(c.get("vendor_id"), project.get("company_id")).text),
             ("Status", c.get("status")), ("Executed", "Yes" if c.get("executed") else "No"),
             ("Retainage", f"{c['retainage_percent']}%" if c.get("retainage_percent") else None),
             ("Contract date", c.get("contract_date")), ("Original value", money(_lines_total(c))),
             ("ERP id (origin)", c.get("origin_id")), ("Procore id", c["id"])]
    changes = Table("Change orders", ["Number", "Title", "Status", "Amount"])
    for co in _store().find("commitment_change_orders", contract_id=contract_id):
        href = (f"{_contract_href(project_id, kind, contract_id)}/change_orders/commitment_contract_change_orders/"
                f"{co['id']}")
        changes.add(cell(co.get("number") or f"#{co['id']}", href), co.get("title"), co.get("status"),
                    money(_lines_total(co)))
    return _page(f"{CONTRACT_KINDS[kind]} {c.get('number')}: {c.get('title', '')}", project=project,
                 crumbs=[("Commitments", f"/{project_id}/project/commitments")], facts=facts,
                 tables=[_schedule(c, project_id), _invoices_table(project, contract_id), changes])


@bp.get("/<int:project_id>/project/commitments/<kind>/<int:contract_id>/requisitions/<int:req_id>")
def requisition(project_id: int, kind: str, contract_id: int, req_id: int):
    found = _contract(project_id, kind, contract_id)
    r = _store().get("requisitions", req_id)
    if found is None or r is None or r.get("commitment_id") != contract_id:
        return _missing("Invoice")
    project, c = found
    codes = _codes(project_id)
    lines = {li["id"]: li for li in c.get("line_items") or []}
    table = Table("Line items", ["#", "Cost code", "Description", "Scheduled value", "This period",
                                 "Materials stored"])
    for n, item in enumerate(r.get("items") or [], start=1):
        line = lines.get(item.get("line_item_id"), {})
        table.add(n, codes.get(item.get("cost_code_id"), ""), item.get("description_of_work"),
                  money(line.get("amount")), money(item.get("work_completed_this_period")),
                  money(item.get("materials_presently_stored")))
    table.numeric = table.numeric | {"Scheduled value", "Materials stored"}
    payments = Table("Payments", ["Date", "Check #", "Amount"])
    for p in _store().find("contract_payments", requisition_id=req_id):
        payments.add(p.get("date"), p.get("check_number"), money(p.get("amount")))
    facts = [("Invoice #", r.get("invoice_number")), ("Commitment", c.get("number"),
                                                      _contract_href(project_id, kind, contract_id)),
             ("Contract company", _vendor(c.get("vendor_id"), project.get("company_id")).text),
             ("Billing period", f"{r.get('requisition_start', '')} – {r.get('requisition_end', '')}"),
             ("Billing date", r.get("billing_date")), ("Status", r.get("status")),
             ("This period", money(_req_total(r))), ("Retainage", f"{c['retainage_percent']}%"
                                                     if c.get("retainage_percent") else None),
             ("ERP id (origin)", r.get("origin_id")), ("Procore id", r["id"])]
    return _page(f"Invoice {r.get('invoice_number') or r.get('number')}", project=project,
                 crumbs=[("Commitments", f"/{project_id}/project/commitments"),
                         (c.get("number", "Commitment"), _contract_href(project_id, kind, contract_id))],
                 facts=facts, tables=[table, payments])


@bp.get("/<int:project_id>/project/commitments/<kind>/<int:contract_id>/change_orders/"
        "commitment_contract_change_orders/<int:co_id>")
def commitment_change_order(project_id: int, kind: str, contract_id: int, co_id: int):
    found = _contract(project_id, kind, contract_id)
    co = _store().get("commitment_change_orders", co_id)
    if found is None or co is None:
        return _missing("Change order")
    project, c = found
    facts = [("Number", co.get("number")), ("Title", co.get("title")), ("Status", co.get("status")),
             ("Commitment", c.get("number"), _contract_href(project_id, kind, contract_id)),
             ("Amount", money(_lines_total(co))), ("Procore id", co["id"])]
    return _page(f"Change order {co.get('number') or co_id}", project=project, facts=facts,
                 crumbs=[("Commitments", f"/{project_id}/project/commitments")], tables=[_schedule(co, project_id,
                                                                                                   "Lines")])


@bp.get("/<int:project_id>/project/prime_contracts")
def prime_contracts(project_id: int):
    project = _project(project_id)
    if project is None:
        return _missing("Project")
    return _page("Prime contracts", project=project, crumbs=[("Prime contracts", None)],
                 tables=[_prime_table(project)])


def _prime(project_id: int, prime_id: int) -> tuple[dict, dict] | None:
    project, p = _project(project_id), _store().get("prime_contracts", prime_id)
    return (project, p) if project and p and p.get("project_id") == project_id else None


@bp.get("/<int:project_id>/project/prime_contracts/<int:prime_id>")
def prime_contract(project_id: int, prime_id: int):
    found = _prime(project_id, prime_id)
    if found is None:
        return _missing("Prime contract")
    project, p = found
    apps = Table("Owner invoices", ["Invoice #", "Period", "Status"])
    for a in _store().find("payment_applications", prime_contract_id=prime_id):
        apps.add(cell(a.get("invoice_number"), f"/{project_id}/project/prime_contracts/{prime_id}/"
                                               f"payment_applications/{a['id']}"),
                 f"{a.get('period_start', '')} – {a.get('period_end', '')}", a.get("status"))
    facts = [("Number", p.get("number")), ("Owner", p.get("owner_name")), ("Title", p.get("title")),
             ("Status", p.get("status")), ("Value", money(_lines_total(p))), ("Procore id", p["id"])]
    return _page(f"Prime contract {p.get('number')}: {p.get('title', '')}", project=project, facts=facts,
                 crumbs=[("Prime contracts", f"/{project_id}/project/prime_contracts")],
                 tables=[_schedule(p, project_id), apps])


@bp.get("/<int:project_id>/project/prime_contracts/<int:prime_id>/payment_applications/<int:app_id>")
def payment_application(project_id: int, prime_id: int, app_id: int):
    found = _prime(project_id, prime_id)
    a = _store().get("payment_applications", app_id)
    if found is None or a is None or a.get("prime_contract_id") != prime_id:
        return _missing("Owner invoice")
    project, p = found
    codes = _codes(project_id)
    table = Table("Line items", ["#", "Cost code", "Description", "This period", "Materials stored"])
    for n, li in enumerate(a.get("line_items") or [], start=1):
        table.add(n, codes.get(li.get("cost_code_id"), ""), li.get("description_of_work"),
                  money(li.get("work_completed_this_period")), money(li.get("materials_presently_stored")))
    table.numeric = table.numeric | {"Materials stored"}
    facts = [("Invoice #", a.get("invoice_number")), ("Prime contract", p.get("title"),
                                                      f"/{project_id}/project/prime_contracts/{prime_id}"),
             ("Owner", p.get("owner_name")), ("Period", f"{a.get('period_start', '')} – {a.get('period_end', '')}"),
             ("Status", a.get("status")), ("Procore id", a["id"])]
    return _page(f"Owner invoice {a.get('invoice_number')}", project=project, facts=facts,
                 crumbs=[("Prime contracts", f"/{project_id}/project/prime_contracts")], tables=[table])


@bp.get("/<int:project_id>/project/prime_contracts/<int:prime_id>/change_orders/change_order_packages/<int:co_id>")
def prime_change_order(project_id: int, prime_id: int, co_id: int):
    found = _prime(project_id, prime_id)
    co = _store().get("prime_change_orders", co_id)
    if found is None or co is None:
        return _missing("Change order")
    project, _p = found
    facts = [("Number", co.get("number")), ("Title", co.get("title")), ("Status", co.get("status")),
             ("Amount", money(_lines_total(co))), ("Procore id", co["id"])]
    return _page(f"Change order {co.get('number') or co_id}", project=project, facts=facts,
                 crumbs=[("Prime contracts", f"/{project_id}/project/prime_contracts")],
                 tables=[_schedule(co, project_id, "Lines")])

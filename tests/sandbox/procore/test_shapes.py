"""Every JSON answer the Procore sandbox serves, held against a fixture written from Procore's REST API reference.

Each fixture under `fixtures/` names its operation and the response model of Procore's OpenAPI reference it was
written from, and lists every key with its JSON type (nested objects and list items too). The sandbox's answer must
carry exactly those keys, with values of those types (or null). Reads are called on the demo seed; writes with a
valid body each. A route without a fixture (or a write without a body) fails a coverage test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.procore import create_app
from tests.sandbox.procore.conftest import COMPANY
from tests.sandbox.shapes import load, mismatches

FIXTURES = load(Path(__file__).parent / "fixtures")
READS = sorted(op for op in FIXTURES if op.startswith("GET "))

# Keys the sandbox adds on purpose, beyond the reference. Procore serves change-order lines from its v2.0 WBS
# line-item resource, which the sandbox does not model; Ledgerlink's client reads them from the v1.0 show.
EXTRA = {f"{method} /rest/v1.0/projects/{{project_id}}/{kind}_change_orders{path}": {"line_items"}
         for kind in ("commitment", "prime") for method, path in (("GET", "/{id}"), ("POST", ""), ("PATCH", "/{id}"))}


@pytest.fixture(scope="module")
def api():
    app = create_app()
    client = app.test_client()
    token = client.post("/_sandbox/tokens", json={"company_ids": [COMPANY]}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Procore-Company-Id": str(COMPANY)}
    records = {}

    def first(table: str, **match) -> int:
        if table not in records:
            records[table] = client.get(f"/_sandbox/records/{table}").json
        return next(r["id"] for r in records[table] if all(r.get(k) == v for k, v in match.items()))

    project = first("projects", company_id=COMPANY)
    contract = first("work_order_contracts", project_id=project)
    for table in ("commitment_change_orders", "prime_change_orders"):
        holder = contract if table == "commitment_change_orders" else first("prime_contracts", project_id=project)
        client.post(f"/_sandbox/records/{table}?emit=0", json={"project_id": project, "contract_id": holder,
                                                                "status": "approved", "line_items": []})
    inactive = first("vendors", company_id=COMPANY)
    client.patch(f"/_sandbox/records/vendors/{inactive}?emit=0", json={"is_active": False})
    # a hook on a closed local port: one failed attempt, so the deliveries list has a row
    client.post("/_sandbox/config", json={"webhooks": {"max_attempts": 1}})
    hook = client.post("/rest/v1.0/webhooks/hooks", headers=headers, json={
        "company_id": COMPANY, "hook": {"api_version": "v2", "namespace": "ledgerlink",
                                        "destination_url": "http://127.0.0.1:9/hooks"}}).json["id"]
    client.post(f"/rest/v1.0/webhooks/hooks/{hook}/triggers", headers=headers, json={
        "company_id": COMPANY, "api_version": "v2", "trigger": {"resource_name": "Projects", "event_type": "update"}})
    client.patch(f"/_sandbox/records/projects/{project}", json={"public_notes": "delivered"})
    client.get("/_sandbox/webhook-deliveries", query_string={"wait": 10})
    code, cost_type = first("cost_codes", project_id=project), first("line_item_types", company_id=COMPANY)
    line = {"cost_code_id": code, "line_item_type_id": cost_type, "description": "Shape check", "amount": "100.00"}
    drafts = {table: client.post(f"/_sandbox/records/{table}?emit=0", json={
        "project_id": project, "company_id": COMPANY, "status": "Draft", "title": "Draft for writes",
        "number": f"D-{table[:2]}", "retainage_percent": "10.0",
        "line_items": [dict(line, id=9_000_000 + n, position=1)]}).json["id"]
        for n, table in enumerate(("work_order_contracts", "purchase_order_contracts", "prime_contracts"))}
    ids = {
        "company_id": COMPANY, "drafts": drafts, "line": line, "project_id": project, "projects": project,
        "hook_id": hook, "hooks": hook,
        "users": first("users"), "vendors": next(v["id"] for v in records["vendors"] if v["id"] != inactive),
        "standard_cost_code_lists": first("standard_cost_code_lists", company_id=COMPANY),
        "standard_cost_codes": first("standard_cost_codes", company_id=COMPANY),
        "cost_codes": first("cost_codes", project_id=project),
        "line_item_types": first("line_item_types", company_id=COMPANY),
        "sub_jobs": client.post("/rest/v1.0/sub_jobs", headers=headers, json={
            "project_id": project, "sub_job": {"code": "01", "name": "Phase 1"}}).json["id"],
        "budget_line_items": first("budget_line_items", project_id=project),
        "work_order_contracts": contract, "purchase_order_contracts": first("purchase_order_contracts",
                                                                            project_id=project),
        "prime_contracts": first("prime_contracts", project_id=project),
        "requisitions": first("requisitions", project_id=project),
        "payment_applications": first("payment_applications", project_id=project),
        "contract_payments": first("contract_payments", project_id=project),
        "direct_costs": first("direct_costs", project_id=project),
        "commitment_change_orders": first("commitment_change_orders", project_id=project),
        "prime_change_orders": first("prime_change_orders", project_id=project),
        "contract_id": first("contract_payments", project_id=project),
    }

    def call(operation: str, body: dict | None = None, **overrides) -> tuple[int, object]:
        method, path = operation.split()
        url = _fill(path, dict(ids, **overrides))
        query = {"company_id": COMPANY, "project_id": project,
                 "standard_cost_code_list_id": ids["standard_cost_code_lists"]}
        if operation == "GET /rest/v1.1/requisitions":  # items and item packages come with the extended view
            query["views"] = "extended"
        if "/webhooks/" in path:  # hooks are scoped by company_id or project_id, never both
            del query["project_id"]
        if "contract_payments" in path:
            query["contract_id"] = _payment_contract(client, ids["contract_payments"])
        response = client.open(url, method=method, query_string=query, headers=headers, json=body)
        return response.status_code, response.get_json()

    client.post("/_sandbox/records/workflow_instances?emit=0", json={
        "company_id": COMPANY, "project_id": project, "workflowed_object_type": "Requisition",
        "workflowed_object_id": ids["requisitions"], "completed_at": "2024-06-01T12:00:00Z",
        "current_state": {"name": "Approved", "terminal": True}})
    requisition = client.get(f"/_sandbox/records/requisitions/{ids['requisitions']}").json
    ids["contract_item"] = requisition["items"][0]["id"]
    call.ids = ids
    return call


def _payment_contract(client, payment_id: int) -> int:
    return client.get(f"/_sandbox/records/contract_payments/{payment_id}").json["contract_id"]


def _fill(path: str, ids: dict) -> str:
    """The reference's path with real ids: `{id}` is the record of the collection just before it."""
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name != "id":
            key = {"work_order_contract_id": "work_order_contracts",
                   "purchase_order_contract_id": "purchase_order_contracts",
                   "prime_contract_id": "prime_contracts", "requisition_id": "requisitions",
                   "direct_cost_id": "direct_costs"}.get(name, name)
            return str(ids[key])
        collection = path[:match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(ids[collection])
    return re.sub(r"\{(\w+)\}", one, path)


def _spelled(rule: str) -> str:
    return re.sub(r"<int:\w+>", "{}", rule)


def _sandbox_reads() -> set[str]:
    """Every GET the sandbox routes under /rest, in the reference's spelling ({id} for the record)."""
    app = create_app(seed="none")
    reads = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.rule.startswith("/rest/"):
            reads.add(re.sub(r"<int:\w+>", "{}", rule.rule))
    return reads


def test_every_read_the_sandbox_serves_has_a_fixture():
    documented = {re.sub(r"\{\w+\}", "{}", op.split()[1]) for op in READS}
    # Procore's reference has no show action for prime contracts at v1.0 (the sandbox keeps one for its UI).
    # Payments received on a prime contract (issue 20) have no reference fixture yet: add one from Procore's
    # reference and drop it from this set.
    assert _sandbox_reads() - documented == {"/rest/v1.0/prime_contracts/{}", "/rest/v1.0/prime_contracts/{}/payments"}


@pytest.mark.parametrize("operation", READS)
def test_the_answer_has_exactly_the_documented_keys_and_types(api, operation):
    status, body = api(operation)
    assert status == 200, body
    fixture = FIXTURES[operation]["shape"]
    assert body not in (None, [], {}), "nothing to compare"
    if operation in EXTRA:
        assert EXTRA[operation] <= set(body)
        body = {k: v for k, v in body.items() if k not in EXTRA[operation]}
    assert mismatches(body, fixture) == []


def test_a_missing_or_retyped_field_fails_the_comparison(api):
    status, body = api("GET /rest/v1.0/purchase_order_contracts")
    shape = FIXTURES["GET /rest/v1.0/purchase_order_contracts"]["shape"]
    del body[0]["ship_via"]
    body[0]["grand_total"] = 12.5
    body[0]["inclusions"] = "subcontract scope"
    assert mismatches(body, shape) == ["$[0]: missing ['ship_via']", "$[0]: not in the reference ['inclusions']",
                                       "$[0].grand_total: number, expected string"]




def _writes(ids: dict) -> dict[str, tuple[dict, dict]]:
    """A valid body (and the record to address, when not the seeded one) for every write the sandbox answers."""
    line, drafts = ids["line"], ids["drafts"]
    contract = {"title": "Shape check", "description": "Written by the shape test"}
    wo, po, prime = (drafts[t] for t in ("work_order_contracts", "purchase_order_contracts", "prime_contracts"))
    cost = {"direct_cost_type": "invoice", "direct_cost_date": "2024-06-01", "status": "draft",
            "invoice_number": "SHAPE-1", "vendor_id": ids["vendors"], "line_items": [line]}
    v10, v11 = "/rest/v1.0", "/rest/v1.1"
    return {
        f"POST {v10}/projects": ({"project": {"name": "Shape Tower"}}, {}),
        f"PATCH {v10}/projects/{{id}}": ({"project": {"public_notes": "checked"}}, {}),
        f"PATCH {v10}/projects/sync": ({"updates": [{"origin_id": "shape-p", "name": "Shape Annex"}]}, {}),
        f"POST {v10}/vendors": ({"vendor": {"name": "Shape Supply"}}, {}),
        f"PATCH {v10}/vendors/{{id}}": ({"vendor": {"notes": "checked"}}, {}),
        f"PATCH {v10}/vendors/sync": ({"updates": [{"origin_id": "shape-v", "name": "Shape Rentals"}]}, {}),
        f"POST {v10}/cost_codes": ({"cost_code": {"code": "99-900", "name": "Shape code"}}, {}),
        f"PATCH {v10}/cost_codes/{{id}}": ({"cost_code": {"name": "Shape code, renamed"}}, {}),
        f"PATCH {v10}/cost_codes/sync": ({"updates": [{"origin_id": "shape-c", "code": "99-901", "name": "S"}]}, {}),
        f"POST {v10}/line_item_types": ({"line_item_type": {"name": "Shape", "code": "SH", "base_type": "other"}},
                                        {}),
        f"POST {v10}/sub_jobs": ({"sub_job": {"code": "02", "name": "Phase 2"}}, {}),
        f"PATCH {v10}/sub_jobs/{{id}}": ({"sub_job": {"name": "Phase 1, renamed"}}, {}),
        f"PATCH {v10}/sub_jobs/sync": ({"updates": [{"origin_id": "shape-s", "code": "03", "name": "Phase 3"}]}, {}),
        f"POST {v10}/budget_line_items": ({"budget_line_item": {
            "cost_code_id": line["cost_code_id"], "line_item_type_id": line["line_item_type_id"],
            "amount": "500.00"}}, {}),
        f"PATCH {v10}/budget_line_items/{{id}}": ({"budget_line_item": {"amount": "600.00"}}, {}),
        f"POST {v10}/work_order_contracts": ({"work_order_contract": dict(contract, vendor_id=ids["vendors"],
                                                                           inclusions="Forms")}, {}),
        f"PATCH {v10}/work_order_contracts/{{id}}": ({"work_order_contract": {"exclusions": "Rebar"}}, {}),
        f"POST {v10}/work_order_contracts/{{work_order_contract_id}}/line_items": (
            {"line_item": line}, {"work_order_contracts": wo}),
        f"POST {v10}/purchase_order_contracts": ({"purchase_order_contract": dict(
            contract, vendor_id=ids["vendors"], ship_via="Truck", payment_terms="Net 30")}, {}),
        f"PATCH {v10}/purchase_order_contracts/{{id}}": ({"purchase_order_contract": {"ship_via": "Rail"}}, {}),
        f"POST {v10}/purchase_order_contracts/{{purchase_order_contract_id}}/line_items": (
            {"line_item": line}, {"purchase_order_contracts": po}),
        f"POST {v10}/prime_contracts/{{prime_contract_id}}/line_items": ({"line_item": line},
                                                                        {"prime_contracts": prime}),
        f"POST {v10}/projects/{{project_id}}/commitment_change_orders": (
            {"change_order": {"contract_id": ids["work_order_contracts"], "title": "Shape CO"}}, {}),
        f"PATCH {v10}/projects/{{project_id}}/commitment_change_orders/{{id}}": (
            {"change_order": {"description": "checked"}}, {}),
        f"POST {v10}/projects/{{project_id}}/prime_change_orders": (
            {"change_order": {"contract_id": ids["prime_contracts"], "title": "Shape PCO"}}, {}),
        f"PATCH {v10}/projects/{{project_id}}/prime_change_orders/{{id}}": (
            {"change_order": {"description": "checked"}}, {}),
        f"POST {v10}/requisitions": ({"commitment_id": po, "requisition": {"invoice_number": "SHAPE-R1"}}, {}),
        f"PATCH {v10}/requisitions/{{id}}": ({"requisition": {"comment": "checked"}}, {}),
        f"POST {v11}/requisitions": ({"commitment_id": wo, "requisition": {"invoice_number": "SHAPE-R2"}}, {}),
        f"PATCH {v11}/requisitions/{{id}}": ({"requisition": {"comment": "checked again"}}, {}),
        f"PATCH {v10}/requisitions/{{requisition_id}}/contract_items/{{id}}": (
            {"requisition_contract_item": {"comment": "checked"}}, {"contract_items": ids["contract_item"]}),
        f"POST {v10}/contract_payments": ({"contract_payment": {
            "amount": "10.00", "date": "2024-06-01", "draw_request_number": 1}}, {}),
        f"PATCH {v10}/contract_payments/{{id}}": ({"contract_payment": {"notes": "checked"}}, {}),
        f"POST {v10}/projects/{{project_id}}/direct_costs": ({"direct_cost": cost}, {}),
        f"PATCH {v10}/projects/{{project_id}}/direct_costs/{{id}}": ({"direct_cost": {"terms": "Net 15"}}, {}),
        f"POST {v11}/projects/{{project_id}}/direct_costs": ({"item": dict(cost, invoice_number="SHAPE-2")}, {}),
        f"PATCH {v11}/projects/{{project_id}}/direct_costs/{{id}}": ({"item": {"terms": "Net 10"}}, {}),
        f"POST {v10}/projects/{{project_id}}/direct_costs/{{direct_cost_id}}/line_items": ({"line_item": line}, {}),
        f"PATCH {v10}/projects/{{project_id}}/direct_costs/sync": (
            {"updates": [dict(cost, origin_id="shape-d", invoice_number="SHAPE-3")]}, {}),
        f"POST {v10}/webhooks/hooks": ({"hook": {"destination_url": "https://example.com/other"}}, {}),
        f"PATCH {v10}/webhooks/hooks/{{id}}": ({"hook": {"namespace": "shape"}}, {}),
        f"POST {v10}/webhooks/hooks/{{hook_id}}/triggers": (
            {"api_version": "v2", "trigger": {"resource_name": "Company Vendors", "event_type": "create"}}, {}),
    }


WRITES = sorted(op for op in FIXTURES if not op.startswith("GET "))


@pytest.mark.parametrize("operation", WRITES)
def test_a_write_answers_exactly_the_documented_keys_and_types(api, operation):
    body, overrides = _writes(api.ids)[operation]
    status, answer = api(operation, body, **overrides)
    assert status in (200, 201), answer
    shape = FIXTURES[operation]["shape"]
    if isinstance(answer, dict) and set(answer) == {"entities", "errors"}:  # a sync action reports per record
        assert answer["errors"] == [] and answer["entities"], answer
    if operation in EXTRA:
        assert EXTRA[operation] <= set(answer)
        answer = {k: v for k, v in answer.items() if k not in EXTRA[operation]}
    assert mismatches(answer, shape) == []


def test_every_write_the_sandbox_serves_has_a_fixture_and_a_body(api):
    app = create_app(seed="none")
    served = {f"{method} {_spelled(rule.rule)}" for rule in app.url_map.iter_rules()
              for method in rule.methods & {"POST", "PATCH"} if rule.rule.startswith("/rest/")}
    fixtures = {re.sub(r"\{\w+\}", "{}", op) for op in WRITES}
    bodies = {re.sub(r"\{\w+\}", "{}", op) for op in _writes(api.ids)}
    # Procore's reference has no v1.0 create or update for prime contracts (the sandbox keeps them for its tests).
    # Payments received on a prime contract (issue 20): no reference fixture yet (see the reads test above).
    assert served - fixtures == {"POST /rest/v1.0/prime_contracts", "PATCH /rest/v1.0/prime_contracts/{}",
                                 "POST /rest/v1.0/prime_contracts/{}/payments"}
    assert fixtures == bodies

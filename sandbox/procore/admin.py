"""`/_sandbox/...`: test and demo controls. JSON in and out; no auth, limits or faults apply here.

- `POST /_sandbox/companies` `{"name", "id"?, "seed": "demo"|"basic"|"none", "app_connected"?}` -> the company
- `POST /_sandbox/tokens` `{"company_ids": [...]?, "user_id"?|"login"?, "expires_in"?, "refresh"?}`
  -> `{"access_token", "refresh_token", "expires_in", "token_type", "created_at"}` without the OAuth dance
- `GET|POST /_sandbox/config` -> the live config (POST deep-merges a partial document; see config.py)
- `GET /_sandbox/requests` -> `{"total", "counts": {"GET /rest/v1.0/vendors": n}, "by_path": {...}}`;
  `POST /_sandbox/requests/reset`
- `GET|POST /_sandbox/records/<table>` and `GET|PATCH|DELETE /_sandbox/records/<table>/<id>`: raw records.
  POST takes one record, a list, or `{"records": [...]}` (fast bulk insert); PATCH changes a record as a
  Procore user would (`?user_id=` names the user) and, like POST and DELETE, fires webhooks (`?emit=0` not).
- `GET|POST /_sandbox/clock` `{"advance": seconds}` | `{"offset": seconds}` -> `{"now", "iso", "offset"}`
- `GET /_sandbox/webhook-deliveries?wait=5&hook_id=&status=` (waits until no delivery is pending);
  `DELETE /_sandbox/webhook-deliveries`
- `POST /_sandbox/reset` `{"seed": "demo"|"none"}`: wipe everything and seed again
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from . import errors, seed
from .errors import json_response
from .oauth import default_user, issue_token
from .state import Sandbox, current
from .store import Record
from .webhooks.events import RESOURCE_NAMES

bp = Blueprint("procore_admin", __name__, url_prefix="/_sandbox")

TABLES = set(RESOURCE_NAMES) | {"companies", "webhook_hooks", "webhook_triggers", "oauth_tokens", "oauth_codes",
                                "workflow_instances"}
COMPANY_SCOPED = {"vendors", "projects", "line_item_types", "standard_cost_code_lists", "standard_cost_codes"}
PROJECT_SCOPED = {"cost_codes", "budget_line_items", "work_order_contracts", "purchase_order_contracts",
                  "prime_contracts", "payment_applications", "contract_payments", "prime_contract_payments",
                  "direct_costs",
                  "commitment_change_orders", "prime_change_orders"}
NESTED = {"work_order_contracts": "line_items", "purchase_order_contracts": "line_items",
          "prime_contracts": "line_items", "direct_costs": "line_items", "requisitions": "items",
          "payment_applications": "line_items", "commitment_change_orders": "line_items",
          "prime_change_orders": "line_items"}


def _body() -> Any:
    if not request.data:
        return {}
    body = request.get_json(silent=True)
    if body is None:
        raise errors.bad_request("Request body must be JSON")
    return body


def _emit() -> bool:
    return request.args.get("emit", "1").lower() not in ("0", "false", "no")


def _table(name: str) -> str:
    if name not in TABLES:
        raise errors.ApiError(404, {"errors": f"unknown resource {name!r}; one of {', '.join(sorted(TABLES))}"})
    return name


def _normalize(table: str, record: dict[str, Any]) -> dict[str, Any]:
    """Fill what a raw insert leaves out: company from project, ids of nested lines, invoice numbering."""
    store = current().store
    record = dict(record)
    if record.get("company_id") is None and record.get("project_id") is not None:
        project = store.get("projects", record["project_id"])
        if project is None:
            raise errors.bad_request(f"project {record['project_id']} does not exist")
        record["company_id"] = project["company_id"]
    if table == "requisitions":
        contract = None
        for contract_table in ("work_order_contracts", "purchase_order_contracts"):
            contract = contract or store.get(contract_table, record.get("commitment_id"))
        if contract is None:
            raise errors.bad_request("a requisition needs the commitment_id of an existing commitment")
        record.setdefault("project_id", contract["project_id"])
        record.setdefault("company_id", contract["company_id"])
        record.setdefault("status", "draft")
        record.setdefault("number", len(store.find("requisitions", commitment_id=contract["id"])) + 1)
        if "items" not in record:
            record["items"] = [{"line_item_id": li["id"], "cost_code_id": li.get("cost_code_id"),
                                "description_of_work": li.get("description"), "work_completed_this_period": "0.00",
                                "materials_presently_stored": "0.00"} for li in contract.get("line_items") or []]
    if table in COMPANY_SCOPED and record.get("company_id") is None:
        raise errors.bad_request(f"a record in {table} needs a company_id")
    if table in PROJECT_SCOPED and record.get("project_id") is None:
        raise errors.bad_request(f"a record in {table} needs a project_id")
    if table in NESTED:
        record[NESTED[table]] = [dict(line, id=line.get("id") or store.new_id())
                                 for line in record.get(NESTED[table]) or []]
    if record.get("origin_id") is not None:
        record["origin_id"] = str(record["origin_id"])
    return record


def _default_actor(record: Record) -> int | None:
    users = [u for u in current().store.all("users") if record.get("company_id") in (u.get("company_ids") or [])]
    return users[0]["id"] if users else None


def _actor(record: Record) -> int | None:
    raw = request.args.get("user_id")
    return int(raw) if raw else _default_actor(record)


@bp.get("")
@bp.get("/")
def index():
    return json_response({"sandbox": "procore", "help": __doc__})


@bp.get("/companies")
def list_companies():
    return json_response(current().store.all("companies"))


@bp.post("/companies")
def create_company():
    body = _body()
    if not body.get("name"):
        raise errors.invalid({"name": ["can't be blank"]})
    if body.get("id") is not None and current().store.get("companies", body["id"]):
        raise errors.conflict("id", "is already a company")
    company = seed.seed_company(current().store, body["name"], body.get("id"), body.get("seed") or "none",
                                bool(body.get("app_connected", True)))
    return json_response(company, 201)


@bp.post("/tokens")
def create_token():
    body = _body()
    store = current().store
    user = None
    if body.get("user_id") is not None:
        user = store.get("users", body["user_id"])
    elif body.get("login"):
        user = store.first("users", email_address=body["login"])
    company_ids = body.get("company_ids")
    if user is None and company_ids:
        user = next((u for u in store.all("users") if int(company_ids[0]) in (u.get("company_ids") or [])), None)
    user = user or default_user()
    scope = [int(c) for c in company_ids] if company_ids is not None else None
    _, token = issue_token(user["id"] if user else None, scope,
                           body.get("client_id", "sandbox-admin"), "sandbox", with_refresh=body.get("refresh", True),
                           expires_in=body.get("expires_in"))
    return json_response(dict(token, user_id=user["id"] if user else None))


@bp.get("/config")
def get_config():
    return json_response(current().config.snapshot())


@bp.post("/config")
def set_config():
    sandbox = current()
    try:
        snapshot = sandbox.config.update(_body())
    except ValueError as exc:
        raise errors.bad_request(str(exc)) from None
    if "random_seed" in (_body() or {}):
        sandbox.faults.rng.seed(snapshot["random_seed"])
    return json_response(snapshot)


@bp.get("/requests")
def requests_made():
    return json_response(current().requests.snapshot())


@bp.post("/requests/reset")
def reset_requests():
    current().requests.reset()
    current().limiter.reset()
    return json_response({"total": 0, "counts": {}, "by_path": {}, "faults": {}})


@bp.get("/records/<name>")
def list_records(name: str):
    return json_response(current().store.all(_table(name)))


@bp.post("/records/<name>")
def insert_records(name: str):
    table = _table(name)
    body = _body()
    many = isinstance(body, list) or (isinstance(body, dict) and isinstance(body.get("records"), list))
    raws = body if isinstance(body, list) else body.get("records") if many else [body]
    records = [_normalize(table, r) for r in raws if isinstance(r, dict)]
    store = current().store
    actor = _actor(records[0]) if records else None
    inserted = store.insert_many(table, records, actor=actor, emit=_emit())
    return json_response(inserted if many else inserted[0], 201)


@bp.get("/records/<name>/<int:rid>")
def show_record(name: str, rid: int):
    record = current().store.get(_table(name), rid)
    if record is None:
        raise errors.not_found(name)
    return json_response(record)


@bp.patch("/records/<name>/<int:rid>")
def patch_record(name: str, rid: int):
    table = _table(name)
    store = current().store
    record = store.get(table, rid)
    if record is None:
        raise errors.not_found(name)
    changes = _body()
    if not isinstance(changes, dict):
        raise errors.bad_request("PATCH takes an object of field changes")
    if table in NESTED and NESTED[table] in changes:
        changes = {**changes, NESTED[table]: _normalize(table, {**record, **changes})[NESTED[table]]}
    return json_response(store.update(table, rid, changes, actor=_actor(record), emit=_emit()))


@bp.delete("/records/<name>/<int:rid>")
def delete_record(name: str, rid: int):
    table = _table(name)
    record = current().store.get(table, rid)
    if record is None:
        raise errors.not_found(name)
    current().store.delete(table, rid, actor=_actor(record), emit=_emit())
    return json_response(record)


def _clock_state(sandbox: Sandbox) -> dict[str, Any]:
    return {"now": sandbox.clock.now(), "iso": sandbox.clock.iso(), "offset": sandbox.clock.offset}


@bp.get("/clock")
def get_clock():
    return json_response(_clock_state(current()))


@bp.post("/clock")
def move_clock():
    sandbox = current()
    body = _body()
    if "offset" in body:
        sandbox.clock.offset = float(body["offset"])
    if "now" in body:
        sandbox.clock.offset = float(body["now"]) - (sandbox.clock.now() - sandbox.clock.offset)
    for key in ("advance", "advance_seconds", "seconds", "delta"):
        sandbox.clock.offset += float(body.get(key) or 0)
    return json_response(_clock_state(sandbox))


@bp.get("/webhook-deliveries")
def deliveries():
    dispatcher = current().webhooks
    if request.args.get("wait"):
        dispatcher.wait_idle(float(request.args["wait"]))
    rows = dispatcher.list()
    if request.args.get("hook_id"):
        rows = [r for r in rows if str(r["hook_id"]) == request.args["hook_id"]]
    if request.args.get("status"):
        rows = [r for r in rows if r["status"] == request.args["status"]]
    return json_response(rows)


@bp.delete("/webhook-deliveries")
def clear_deliveries():
    current().webhooks.clear()
    return json_response([])


@bp.post("/reset")
def reset():
    sandbox = current()
    body = _body()
    sandbox.webhooks.clear()
    sandbox.store.clear()
    sandbox.requests.reset()
    sandbox.limiter.reset()
    sandbox.clock.offset = 0.0
    if (body.get("seed") or "demo") == "demo":
        seed.seed_demo(sandbox.store)
    return json_response({"companies": sandbox.store.all("companies")})

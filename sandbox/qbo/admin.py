"""/_sandbox/...: JSON admin endpoints for tests, benchmarks and the demo (no auth; never throttled or faulted).

- `POST /_sandbox/realms` `{"realm_id"?, "company_name"?, "seed"?: true}` -> `{"realm_id"}`; `GET` lists them
- `POST /_sandbox/tokens` `{"realm_id"?, "client_id"?, "scope"?}` -> `{"access_token", "refresh_token",
  "expires_in", "x_refresh_token_expires_in", "token_type", "realm_id"}` (an unknown realm is created first)
- `POST /_sandbox/realms/<realm>/expire-access-tokens` -> `{"expired": n}`
- `GET|POST /_sandbox/config` `{"limits", "batch_item_metering", "time_scale", "per_minute", "concurrent",
  "batch_per_minute", "fault_rates": {"429"|"500"|"503"|"slow"|"drop_after_commit": share}, "fault_rate",
  "slow_seconds", "fault_seed", "reset_windows", "webhook_url", "webhook_verifier", "refresh_grace_seconds",
  "oauth": {"access_ttl", "refresh_ttl", "rotate_after", "grace", "code_ttl"}, "duplicate_doc_number_check",
  "upload_max_bytes"}`
- `GET /_sandbox/limits?realm_id=` -> `{"throttled", "peak_in_flight"}` (overrun refusals, most requests at once)
- `GET /_sandbox/requests?realm_id=` -> `{"total", "by_path", "by_entity", "by_operation", "by_status",
  "by_fault"}` (`by_fault`: faults injected, by kind);
  `POST /_sandbox/requests/reset` `{"realm_id"?}`
- `GET|POST /_sandbox/clock` `{"advance_seconds"|"advance"|"advance_days"|"offset_seconds"|"offset"|"now"}`
  -> `{"now", "offset_seconds"}`
- `POST /_sandbox/realms/<realm>/budgets` `{"Name", "StartDate", "EndDate", "BudgetDetail": [{"BudgetDate",
  "Amount", "AccountRef", "CustomerRef"?}]}` -> `{"Budget"}`: a budget as a person saves it in QuickBooks (the API
  can only query budgets)
- `POST /_sandbox/realms/<realm>/bulk` `{"entity", "items": [body, …]}` -> `{"<entity>": [created, …]}`: plants
  many records in one call (benchmarks) through the same create as `POST /v3/company/<realm>/<entity>`, without
  the per-request costs (HTTP, limits, request log); the first fault stops it: 400 `{"Fault", "created": n}`
- `GET /_sandbox/webhooks` -> recent delivery attempts; `GET /_sandbox/files/<realm>/<id>?token=` -> upload bytes
"""

from __future__ import annotations

import copy

from flask import Blueprint, request

from . import faults, service
from .attachments import configure as configure_uploads
from .attachments import serve_file
from .clock import fmt_ms, parse_ts
from .entities import Ctx, clean
from .limits import apply_config
from .oauth import mint
from .service import Events, new_id, stamp
from .state import json_response, sandbox
from .transactions import prepare_budget

bp = Blueprint("qbo_admin", __name__, url_prefix="/_sandbox")


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.post("/realms")
def create_realm():
    body = _body()
    realm = sandbox().new_realm(body.get("realm_id"), body.get("company_name"), seed=body.get("seed", True))
    return json_response({"realm_id": realm.realm_id})


@bp.get("/realms")
def list_realms():
    store = sandbox().store
    with store.lock:
        return json_response({"realms": [{"realm_id": r.realm_id, "company_name": r.info.get("company_name")}
                                         for r in store.realms.values()]})


@bp.post("/realms/<realm_id>/budgets")
def create_budget(realm_id: str):
    """Plant a Budget the way a person saves one in QuickBooks; the v3 API only queries budgets."""
    sb = sandbox()
    with sb.store.lock:
        realm = sb.store.realm(realm_id)
        if realm is None:
            return json_response({"error": f"no realm {realm_id}"}, 404)
        ctx = Ctx(sb.store, realm, sb.clock.now())
        try:
            budget = prepare_budget(ctx, clean(copy.deepcopy(_body())))
        except faults.QboFault as fault:
            return json_response({"Fault": fault.fault()}, 400)
        budget["Id"] = new_id(ctx, "Budget")
        budget["SyncToken"] = "0"
        stamp(ctx, budget, None, "Budget")
        sb.store.put(realm, "Budget", budget)
    return json_response({"Budget": budget})


@bp.post("/realms/<realm_id>/bulk")
def bulk_create(realm_id: str):
    """Many creates of one entity under one lock (planting 150,000 records 30 a /batch was most of a benchmark)."""
    sb, body = sandbox(), _body()
    entity = service.entity_name(str(body.get("entity") or ""))
    items = body.get("items")
    if entity not in service.SPECS or not isinstance(items, list):
        return json_response({"error": "give a writable QBO entity and a list of items"}, 400)
    events, created = Events(), []
    with sb.store.lock:
        realm = sb.store.realm(realm_id)
        if realm is None:
            return json_response({"error": f"no realm {realm_id}"}, 404)
        ctx = Ctx(sb.store, realm, sb.clock.now())
        for item in items:
            try:
                created.append(service.create(ctx, entity, item if isinstance(item, dict) else {}, events))
            except faults.QboFault as fault:
                return json_response({"Fault": fault.fault(), "created": len(created)}, 400)
    sb.webhooks.publish(realm_id, events.items)
    return json_response({entity: created})


@bp.post("/tokens")
def tokens():
    """Mint tokens for a realm without the browser dance: {"realm_id", "client_id"?, "scope"?}.
    An unknown realm_id is created (with sample data) first; no realm_id creates a new company."""
    sb, body = sandbox(), _body()
    with sb.store.lock:
        realm_id = sb.new_realm(str(body["realm_id"]) if body.get("realm_id") else None).realm_id
        client_id = body.get("client_id")
        if client_id:
            sb.store.kv_put("client", client_id, {"realm_id": realm_id})
        result = mint(sb, realm_id, client_id, body.get("scope", "com.intuit.quickbooks.accounting"))
    return json_response({**result, "realm_id": realm_id})


@bp.post("/realms/<realm_id>/expire-access-tokens")
def expire_access_tokens(realm_id: str):
    sb = sandbox()
    now, count = sb.clock.time(), 0
    with sb.store.lock:
        for token, record in sb.store.kv_items("access"):
            if record["realm_id"] == realm_id and record["expires_at"] > now:
                sb.store.kv_put("access", token, {**record, "expires_at": now})
                count += 1
    return json_response({"expired": count})


@bp.route("/config", methods=["GET", "POST"])
def config():
    """Limits on/off, batch metering, time scale, fault rates (429/500/503/slow/drop_after_commit), webhook
    target, OAuth timings (grace, rotate_after, access_ttl, refresh_ttl), duplicate DocNumber check."""
    sb, body = sandbox(), _body()
    if request.method == "POST":
        apply_config(sb.limits, sb.limiter, body)
        configure_uploads(sb, body)
        hook = body.get("webhook") if isinstance(body.get("webhook"), dict) else {}
        if hook or "webhook_url" in body or "webhook_verifier" in body:
            sb.webhooks.configure(body.get("webhook_url", hook.get("url", sb.webhooks.url)),
                                  body.get("webhook_verifier", hook.get("verifier", sb.webhooks.verifier)))
        oauth = body.get("oauth") or {}
        for key in ("access_ttl", "refresh_ttl", "rotate_after", "grace", "code_ttl", "max_lifetime"):
            if key in oauth:
                setattr(sb.oauth, key, int(oauth[key]))
        if "refresh_grace_seconds" in body:
            sb.oauth.grace = int(body["refresh_grace_seconds"])
        if "duplicate_doc_number_check" in body:
            with sb.store.lock:
                for realm in sb.store.realms.values():
                    realm.info.setdefault("preferences", {})["duplicate_doc_number_check"] = bool(
                        body["duplicate_doc_number_check"])
                    sb.store.save_realm(realm)
    return json_response({**sb.limits.as_dict(), "webhook_url": sb.webhooks.url,
                          "webhook_verifier": sb.webhooks.verifier, "oauth": sb.oauth.as_dict()})


@bp.get("/requests")
def requests_seen():
    return json_response(sandbox().stats.snapshot(request.args.get("realm_id")))


@bp.get("/limits")
def limits_seen():
    """Per realm: requests refused for overrunning a limit (`throttled`) and the peak of concurrent requests."""
    return json_response(sandbox().limiter.counted(request.args.get("realm_id", "")))


@bp.post("/requests/reset")
def requests_reset():
    sandbox().stats.reset(_body().get("realm_id") or request.args.get("realm_id"))
    return json_response({"ok": True})


@bp.route("/clock", methods=["GET", "POST"])
def clock():
    """{"advance_seconds": N} moves the sandbox clock on, {"offset_seconds": N} sets the offset, {"now": ISO} jumps."""
    sb, body = sandbox(), _body()
    if "advance_seconds" in body or "advance" in body:
        sb.clock.shift(float(body.get("advance_seconds", body.get("advance"))))
    if "advance_days" in body:
        sb.clock.shift(float(body["advance_days"]) * 86400)
    if "offset_seconds" in body or "offset" in body:
        sb.clock.set_offset(float(body.get("offset_seconds", body.get("offset"))))
    if "now" in body:
        target = parse_ts(str(body["now"]))
        if target is None:
            return json_response({"error": "now: not an ISO-8601 time"}, 400)
        sb.clock.set_offset(target.timestamp() - (sb.clock.time() - sb.clock.offset))
    return json_response({"now": fmt_ms(sb.clock.now()), "epoch": sb.clock.time(), "offset_seconds": sb.clock.offset})


@bp.get("/webhooks")
def webhook_deliveries():
    return json_response({"deliveries": list(sandbox().webhooks.deliveries)})


@bp.get("/files/<realm_id>/<oid>")
def files(realm_id: str, oid: str):
    return serve_file(sandbox().store, realm_id, oid, request.args.get("token", ""))

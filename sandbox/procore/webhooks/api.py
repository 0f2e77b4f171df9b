"""`/rest/v1.0/webhooks/...`: hooks, triggers and deliveries, scoped to a company or a project.

Shapes follow Procore's Webhooks API (https://developers.procore.com/documentation/webhooks-api): a hook is
created with `{"company_id"|"project_id", "hook": {"api_version", "namespace", "destination_url",
"destination_headers"}}`, a trigger with `{"company_id"|"project_id", "api_version", "trigger":
{"resource_name", "event_type"}}`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint

from .. import errors
from ..context import actor, company_param, json_body, param, project_param
from ..errors import json_response
from ..state import current
from ..store import Record
from .events import COMPANY_LEVEL, EVENT_TYPES, RESOURCE_NAMES

bp = Blueprint("procore_webhooks", __name__)
BASE = "/rest/v1.0/webhooks"
NAMESPACE = re.compile(r"^[a-z0-9-]+$")


def _scope(body: dict[str, Any] | None = None) -> tuple[int | None, int | None]:
    """(company_id, project_id) of the hook scope named by the request; exactly one is set."""
    if param("project_id", body) not in (None, ""):
        return None, project_param(body)["id"]
    if param("company_id", body) in (None, ""):
        raise errors.bad_request("company_id or project_id is missing")
    return company_param(body)["id"], None


def _hook(hook_id: int, body: dict[str, Any] | None = None) -> Record:
    company_id, project_id = _scope(body)
    hook = current().store.get("webhook_hooks", hook_id)
    if (hook is None or hook.get("owned_by_company_id") != company_id
            or hook.get("owned_by_project_id") != project_id):
        raise errors.not_found("Hook")
    return hook


def serialize_hook(hook: Record) -> dict[str, Any]:
    return {key: hook.get(key) for key in ("id", "api_version", "destination_headers", "destination_url",
                                           "owned_by_company_id", "owned_by_project_id", "owned_by_user_id",
                                           "namespace")}


def serialize_trigger(trigger: Record) -> dict[str, Any]:
    return {key: trigger.get(key) for key in ("id", "webhook_hook_id", "resource_name", "resource_id",
                                              "event_type", "company_id", "project_id", "user_id")}


def _hook_fields(raw: Any, creating: bool) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise errors.missing_param("hook")
    fields = {k: raw[k] for k in ("api_version", "namespace", "destination_url", "destination_headers") if k in raw}
    problems: dict[str, list[str]] = {}
    url = fields.get("destination_url")
    if (creating or "destination_url" in fields) and not (isinstance(url, str) and re.match(r"^https?://", url)):
        problems["destination_url"] = ["can't be blank" if not url else "is invalid"]
    namespace = fields.get("namespace")
    if namespace is not None and not NAMESPACE.match(str(namespace)):
        problems["namespace"] = ["may only contain lowercase letters, digits and dashes"]
    headers = fields.get("destination_headers")
    if headers is not None and not isinstance(headers, dict):
        problems["destination_headers"] = ["must be an object"]
    if problems:
        raise errors.invalid(problems)
    if creating:
        fields.setdefault("api_version", "v2")
        fields.setdefault("namespace", None)
        fields.setdefault("destination_headers", {})
    return fields


@bp.get(f"{BASE}/hooks")
def list_hooks():
    company_id, project_id = _scope()
    namespace = param("namespace")
    hooks = current().store.find("webhook_hooks", owned_by_company_id=company_id, owned_by_project_id=project_id)
    if namespace not in (None, "", "*"):
        hooks = [h for h in hooks if h.get("namespace") == namespace]
    return json_response([serialize_hook(h) for h in hooks])


@bp.post(f"{BASE}/hooks")
def create_hook():
    body = json_body()
    company_id, project_id = _scope(body)
    fields = _hook_fields(body.get("hook"), creating=True)
    hook = current().store.insert("webhook_hooks", dict(fields, owned_by_company_id=company_id,
                                                          owned_by_project_id=project_id, owned_by_user_id=actor()))
    return json_response(serialize_hook(hook), 201)


@bp.get(f"{BASE}/hooks/<int:hook_id>")
def show_hook(hook_id: int):
    return json_response(serialize_hook(_hook(hook_id)))


@bp.patch(f"{BASE}/hooks/<int:hook_id>")
def update_hook(hook_id: int):
    body = json_body()
    hook = _hook(hook_id, body)
    hook = current().store.update("webhook_hooks", hook["id"], _hook_fields(body.get("hook"), creating=False))
    return json_response(serialize_hook(hook))


@bp.delete(f"{BASE}/hooks/<int:hook_id>")
def delete_hook(hook_id: int):
    hook = _hook(hook_id, json_body())
    store = current().store
    for trigger in store.find("webhook_triggers", webhook_hook_id=hook["id"]):
        store.delete("webhook_triggers", trigger["id"])
    store.delete("webhook_hooks", hook["id"])
    return json_response({})


@bp.get(f"{BASE}/hooks/<int:hook_id>/triggers")
def list_triggers(hook_id: int):
    hook = _hook(hook_id)
    return json_response([serialize_trigger(t) for t in
                          current().store.find("webhook_triggers", webhook_hook_id=hook["id"])])


@bp.post(f"{BASE}/hooks/<int:hook_id>/triggers")
def create_trigger(hook_id: int):
    body = json_body()
    hook = _hook(hook_id, body)
    raw = body.get("trigger")
    if not isinstance(raw, dict):
        raise errors.missing_param("trigger")
    problems: dict[str, list[str]] = {}
    name, event_type = raw.get("resource_name"), raw.get("event_type")
    if not name:
        problems["resource_name"] = ["can't be blank"]
    if event_type not in EVENT_TYPES:
        problems["event_type"] = ["is not included in the list"]
    store = current().store
    duplicate = [t for t in store.find("webhook_triggers", webhook_hook_id=hook["id"], resource_name=name,
                                       event_type=event_type) if t.get("resource_id") == raw.get("resource_id")]
    if not problems and duplicate:
        problems["resource_name"] = ["has already been taken"]
    if problems:
        raise errors.invalid(problems)
    trigger = store.insert("webhook_triggers", {
        "webhook_hook_id": hook["id"], "resource_name": name, "resource_id": raw.get("resource_id"),
        "event_type": event_type, "company_id": hook.get("owned_by_company_id"),
        "project_id": hook.get("owned_by_project_id"), "user_id": actor()})
    return json_response(serialize_trigger(trigger), 201)


@bp.delete(f"{BASE}/hooks/<int:hook_id>/triggers/<int:trigger_id>")
def delete_trigger(hook_id: int, trigger_id: int):
    hook = _hook(hook_id, json_body())
    store = current().store
    trigger = store.get("webhook_triggers", trigger_id)
    if trigger is None or trigger["webhook_hook_id"] != hook["id"]:
        raise errors.not_found("Trigger")
    store.delete("webhook_triggers", trigger_id)
    return json_response({})


@bp.get(f"{BASE}/hooks/<int:hook_id>/deliveries")
def list_deliveries(hook_id: int):
    hook = _hook(hook_id)
    wanted = param("filters[status]") or "any"
    rows = current().webhooks.attempts_for(hook["id"])
    keep = {"successful": {"ok"}, "failing": {"retried"}, "discarded": {"discarded"}}.get(wanted)
    if keep is not None:
        rows = [r for r in rows if r["outcome"] in keep]
    keys = ("event_id", "event", "outcome", "response_body", "response_error", "started_at", "completed_at",
            "response_status", "response_headers")
    return json_response([{k: r.get(k) for k in keys} for r in reversed(rows)])


@bp.get(f"{BASE}/resources")
def list_resources():
    _, project_id = _scope()
    names = sorted(set(RESOURCE_NAMES.values()))
    if project_id is not None:
        names = [n for n in names if n not in COMPANY_LEVEL]
    # Procore's resource entry: the tool's name, its product area, and the event name of each event type.
    return json_response([{"api_version": "v2", "tools": n,
                           "product_category": "Core" if n in COMPANY_LEVEL else "Construction Financials",
                           "except": [], **{event: event for event in EVENT_TYPES}} for n in names])

"""views.open, views.push, views.update, views.publish: modals (a stack of up to 3 per user) and Home tabs.

A trigger_id works once, for 3 seconds (`expired_trigger_id`, `exchanged_trigger_id`, `invalid_trigger_id`);
an invalid view is `invalid_arguments` with Slack's pointers in `response_metadata.messages`.
https://docs.slack.dev/surfaces/modals  https://docs.slack.dev/reference/methods/views.open
"""

from __future__ import annotations

import time

from sandbox.slack import ids, slack_files
from sandbox.slack.api import ApiError, Args, method
from sandbox.slack.blockkit import normalize_blocks, normalize_text, validate_view

MAX_STACK = 3


def view_object(sandbox, spec: dict, *, view_id: str | None = None, root_id: str | None = None,
                previous_id: str | None = None) -> dict:
    """A view as Slack returns it (views.open `view`, payload `view`)."""
    view_id = view_id or ids.object_id("V")
    texts = {}
    for key in ("title", "submit", "close"):
        obj = dict(spec[key]) if isinstance(spec.get(key), dict) else None
        normalize_text(obj)
        texts[key] = obj
    return {"id": view_id, "team_id": sandbox.ws.team_id, "type": spec["type"],
            "blocks": normalize_blocks(spec.get("blocks")), "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""), "state": {"values": {}},
            "hash": f"{int(time.time())}.{ids.short_id(8)}",
            "title": texts["title"] or {"type": "plain_text", "text": "View Title", "emoji": True},
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": texts["close"], "submit": texts["submit"], "previous_view_id": previous_id,
            "root_view_id": root_id or view_id, "app_id": sandbox.ws.app_id,
            "external_id": spec.get("external_id", ""), "app_installed_team_id": sandbox.ws.team_id,
            "bot_id": sandbox.ws.bot_id}


def checked_view(args: Args | dict, *, kind: str | None = None) -> dict:
    spec = args.json("view") if isinstance(args, Args) else args
    if spec is None:
        raise ApiError("invalid_arguments", response_metadata={"messages": [
            "[ERROR] missing required field: view"]})
    problems = validate_view(spec)
    if not problems and kind and spec.get("type") != kind:
        problems = [f"must be a {kind} view [json-pointer:/view/type]"]
    if problems:
        raise ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
    return spec


def exchange_trigger(sandbox, trigger_id: str | None) -> str:
    """The user a trigger_id belongs to; it is used up."""
    if not trigger_id:
        raise ApiError("invalid_arguments", response_metadata={"messages": [
            "[ERROR] missing required field: trigger_id"]})
    trigger = sandbox.store.trigger(trigger_id)
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger["used"]:
        raise ApiError("exchanged_trigger_id")
    if time.time() - trigger["created"] > sandbox.trigger_ttl:
        raise ApiError("expired_trigger_id")
    sandbox.store.use_trigger(trigger_id)
    return trigger["user"]


def _check_external_id(sandbox, spec: dict, own_id: str | None = None) -> None:
    external = spec.get("external_id")
    if external:
        row = sandbox.store.view_row(external_id=external)
        if row is not None and row["id"] != own_id and row["open"]:
            raise ApiError("duplicate_external_id")


def open_modal(sandbox, user: str, spec: dict) -> dict:
    """Replace the user's modal stack with a new root view."""
    sandbox.store.close_views(user)
    view = view_object(sandbox, spec)
    sandbox.store.put_view(view, user=user, kind="modal", open_=True, root=view["id"], position=0)
    return view


def push_modal(sandbox, user: str, spec: dict) -> dict:
    stack = sandbox.store.modal_stack(user)
    if not stack:
        return open_modal(sandbox, user, spec)
    if len(stack) >= MAX_STACK:
        raise ApiError("push_limit_reached")
    top = stack[-1]
    view = view_object(sandbox, spec, root_id=top["root"], previous_id=top["id"])
    sandbox.store.put_view(view, user=user, kind="modal", open_=True, root=top["root"], position=len(stack))
    return view


def replace_view(sandbox, row: dict, spec: dict) -> dict:
    """views.update / response_action=update: same id, root and previous; new content and hash."""
    old = row["view"]
    view = view_object(sandbox, spec, view_id=old["id"], root_id=old["root_view_id"],
                       previous_id=old["previous_view_id"])
    sandbox.store.put_view(view, user=row["user"], kind=row["kind"], open_=row["open"], root=row["root"],
                           position=row["position"])
    return view


@method("views.open")
def views_open(sandbox, args: Args) -> dict:
    spec = checked_view(args, kind="modal")
    _check_external_id(sandbox, spec)
    user = exchange_trigger(sandbox, args.str("trigger_id") or args.str("interactivity_pointer"))
    return {"view": open_modal(sandbox, user, spec)}


@method("views.push")
def views_push(sandbox, args: Args) -> dict:
    spec = checked_view(args, kind="modal")
    _check_external_id(sandbox, spec)
    trigger = sandbox.store.trigger(args.str("trigger_id") or "")
    if trigger is not None and len(sandbox.store.modal_stack(trigger["user"])) >= MAX_STACK:
        raise ApiError("push_limit_reached")
    user = exchange_trigger(sandbox, args.str("trigger_id") or args.str("interactivity_pointer"))
    return {"view": push_modal(sandbox, user, spec)}


@method("views.update")
def views_update(sandbox, args: Args) -> dict:
    view_id, external_id = args.str("view_id"), args.str("external_id")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments", response_metadata={"messages": [
            "[ERROR] either view_id or external_id is required"]})
    spec = checked_view(args)
    row = sandbox.store.view_row(view_id, external_id=external_id)
    if row is None or not row["open"]:
        raise ApiError("not_found")
    if row["view"]["type"] != spec["type"]:
        raise ApiError("invalid_arguments", response_metadata={"messages": [
            "[ERROR] the view type cannot change [json-pointer:/view/type]"]})
    if args.str("hash") and args.str("hash") != row["view"]["hash"]:
        raise ApiError("hash_conflict")
    _check_external_id(sandbox, spec, own_id=row["id"])
    return {"view": replace_view(sandbox, row, spec)}


@method("views.publish")
def views_publish(sandbox, args: Args) -> dict:
    user = args.str("user_id")
    if not user or sandbox.store.user(user) is None:
        raise ApiError("user_not_found")
    spec = checked_view(args, kind="home")
    refused = slack_files.problems(sandbox, spec.get("blocks"), "/view/blocks")
    if refused:
        raise ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in refused]})
    row = sandbox.store.home_view(user)
    if row is not None and args.str("hash") and args.str("hash") != row["view"]["hash"]:
        raise ApiError("hash_conflict")
    view = view_object(sandbox, spec, view_id=row["id"] if row else None)
    sandbox.store.put_view(view, user=user, kind="home", open_=True, root=view["id"], position=0)
    return {"view": view}

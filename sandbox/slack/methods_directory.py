"""auth.test, team.info, users.* and conversations.* methods.
https://docs.slack.dev/reference/methods/auth.test, .../users.info, .../conversations.open (and siblings)"""

from __future__ import annotations

import base64
import time

from sandbox.slack.api import ApiError, Args, method


@method("auth.test")
def auth_test(sandbox, args: Args) -> dict:
    ws = sandbox.ws
    return {"url": ws.url, "team": ws.team_name, "user": ws.app_name.lower(), "team_id": ws.team_id,
            "user_id": ws.bot_user_id, "bot_id": ws.bot_id, "is_enterprise_install": False}


@method("team.info")
def team_info(sandbox, args: Args) -> dict:
    ws = sandbox.ws
    return {"team": {"id": ws.team_id, "name": ws.team_name, "url": ws.url, "domain": ws.team_domain,
                     "email_domain": "summitbuilders.example", "icon": {"image_default": True},
                     "avatar_base_url": "https://ca.slack-edge.com/", "is_verified": False}}


@method("users.info")
def users_info(sandbox, args: Args) -> dict:
    user = sandbox.store.user(args.str("user") or "")
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user}


@method("users.lookupByEmail")
def users_lookup_by_email(sandbox, args: Args) -> dict:
    email = args.str("email")
    if not email:
        raise ApiError("invalid_arguments")
    user = sandbox.store.user_by_email(email)
    if user is None or user.get("deleted"):
        raise ApiError("users_not_found")
    return {"user": user}


def _page(items: list, args: Args, default: int = 100) -> tuple[list, str]:
    """Cursor pagination: (this page, next_cursor or "")."""
    limit = max(1, min(args.int("limit", default), 1000))
    start = 0
    cursor = args.str("cursor")
    if cursor:
        try:
            start = int(base64.b64decode(cursor).decode().split(":", 1)[1])
        except (ValueError, IndexError):
            raise ApiError("invalid_cursor") from None
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""


@method("users.list")
def users_list(sandbox, args: Args) -> dict:
    members, cursor = _page(sandbox.store.users(), args, default=1000)
    out = {"members": members, "cache_ts": int(time.time())}
    if cursor:  # Slack still sends the legacy offset (the page's last user id) while more pages exist
        out["offset"] = members[-1]["id"]
    out["response_metadata"] = {"next_cursor": cursor}
    return out


def _visible(sandbox, ref: str | None) -> dict:
    conv = sandbox.store.conversation(ref or "")
    if conv is None or not sandbox.bot_can_see(conv):
        raise ApiError("channel_not_found")
    return conv


def conversation_object(sandbox, conv: dict, *, num_members: bool = False) -> dict:
    """conversations.info's `channel`, seen by the bot."""
    out = dict(conv)
    if conv.get("is_im"):
        out.update({"last_read": "0000000000.000000", "latest": None, "unread_count": 0,
                    "unread_count_display": 0, "is_open": bool(conv.get("is_open"))})
    else:
        out["is_member"] = sandbox.bot_is_member(conv)
        out["last_read"] = "0000000000.000000"
        if num_members:
            out["num_members"] = len(sandbox.store.members(conv["id"]))
    return out


@method("conversations.info")
def conversations_info(sandbox, args: Args) -> dict:
    conv = _visible(sandbox, args.str("channel"))
    return {"channel": conversation_object(sandbox, conv, num_members=args.bool("include_num_members"))}


@method("conversations.open")
def conversations_open(sandbox, args: Args) -> dict:
    if args.str("channel"):
        conv = _visible(sandbox, args.str("channel"))
        return {"no_op": True, "already_open": True, "channel": {"id": conv["id"]}}
    users = [u.strip() for u in (args.str("users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:
        raise ApiError("not_implemented", detail="the sandbox opens 1:1 DMs only")
    if sandbox.store.user(users[0]) is None:
        raise ApiError("user_not_found")
    conv, was_open = sandbox.open_im(users[0])
    channel = conversation_object(sandbox, conv) if args.bool("return_im") else {"id": conv["id"]}
    return {"no_op": True, "already_open": True, "channel": channel} if was_open else {"channel": channel}


def _ts_arg(args: Args, name: str) -> float | None:
    value = args.str(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise ApiError(f"invalid_ts_{name}") from None


def _history(args: Args, messages: list[dict]) -> list[dict]:
    """Messages between `oldest` and `latest` (exclusive unless `inclusive`), without sandbox fields."""
    latest, oldest = _ts_arg(args, "latest"), _ts_arg(args, "oldest")
    inclusive = args.bool("inclusive")
    kept = []
    for msg in messages:
        ts = float(msg["ts"])
        if latest is not None and (ts > latest or (ts == latest and not inclusive)):
            continue
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            continue
        msg.pop("_sandbox", None)
        kept.append(msg)
    return kept


@method("conversations.history")
def conversations_history(sandbox, args: Args) -> dict:
    conv = _visible(sandbox, args.str("channel"))
    if not conv.get("is_im") and not sandbox.bot_is_member(conv):
        raise ApiError("not_in_channel")
    msgs = [m for m in sandbox.store.messages(conv["id"], include_ephemeral=False)
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"]
    msgs = _history(args, list(reversed(msgs)))
    page, cursor = _page(msgs, args)
    return {"messages": page, "has_more": bool(cursor), "pin_count": 0, "channel_actions_ts": None,
            "channel_actions_count": 0, "response_metadata": {"next_cursor": cursor}}


@method("conversations.replies")
def conversations_replies(sandbox, args: Args) -> dict:
    conv = _visible(sandbox, args.str("channel"))
    ts = args.str("ts")
    if not ts or sandbox.store.message(conv["id"], ts) is None:
        raise ApiError("thread_not_found")
    msgs = [m for m in sandbox.store.messages(conv["id"], include_ephemeral=False)
            if m["ts"] == ts or m.get("thread_ts") == ts]
    page, cursor = _page(_history(args, msgs), args)
    return {"messages": page, "has_more": bool(cursor), "response_metadata": {"next_cursor": cursor}}


@method("conversations.list")
def conversations_list(sandbox, args: Args) -> dict:
    types = set((args.str("types") or "public_channel").split(","))
    convs = []
    for conv in sandbox.store.conversations():
        kind = "im" if conv.get("is_im") else "private_channel" if conv.get("is_private") else "public_channel"
        if kind in types and sandbox.bot_can_see(conv):
            if args.bool("exclude_archived") and conv.get("is_archived"):
                continue
            convs.append(conversation_object(sandbox, conv))
    page, cursor = _page(convs, args)
    return {"channels": page, "response_metadata": {"next_cursor": cursor}}


@method("conversations.members")
def conversations_members(sandbox, args: Args) -> dict:
    conv = _visible(sandbox, args.str("channel"))
    page, cursor = _page(sandbox.store.members(conv["id"]), args)
    return {"members": page, "response_metadata": {"next_cursor": cursor}}

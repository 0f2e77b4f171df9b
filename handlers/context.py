"""What every listener needs from a Slack payload: who acted, which item, and how to answer them privately."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.text import escape
from bot.identity import Identity, resolve
from bot.services.runtime import Services
from core.domain.parsing import strict_id

logger = logging.getLogger(__name__)

SERVICES = "ledgerlink_services"  # the context key handlers/middleware.py puts the app's Services under


def services(context: BoltContext) -> Services:
    """The app's `Services`, as the middleware handed them to this request."""
    return context[SERVICES]


def team_id(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return team["id"]
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return user["team_id"]
    return body.get("team_id") or (body.get("view") or {}).get("team_id")


def user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return user["id"]
    return body.get("user_id") or body["event"]["user"]


def who(svc: Services, client: WebClient, body: dict[str, Any]) -> Identity:
    """The acting person (NotSetUp, a DomainError, when Ledgerlink doesn't know them)."""
    return resolve(svc.engine, client, team_id=team_id(body), slack_user_id=user_id(body),
                   claim_single=svc.claim_single_tenant)


def item_id_of(action: dict[str, Any]) -> int | None:
    return strict_id(str(action.get("value", "")).strip())


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Answer only the person who acted: ephemeral where they clicked, else (App Home, modals) a DM."""
    uid = user_id(body)
    text = escape(text, keep_mentions=True)  # our sentence, with names from Procore, QuickBooks or a person in it
    channel = ((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
               or body.get("channel_id"))
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=uid, text=text)
            return
    except SlackApiError as exc:  # e.g. the bot left the channel: fall back to a DM
        logger.info("ephemeral answer failed (%s); sending a DM", exc.response.get("error"))
    dm = client.conversations_open(users=uid)["channel"]["id"]
    client.chat_postMessage(channel=dm, text=text)

"""Events: opening the App Home tab publishes the person's Home."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.services import home
from handlers.context import services


def handle_home_opened(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    if event.get("tab", "home") != "home":
        return  # the Messages tab: nothing to publish
    home.publish(svc, client, team_id=body.get("team_id"), user_id=event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)

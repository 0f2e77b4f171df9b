"""Events: opening the App Home tab publishes the person's Home."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import home
from bot.services.runtime import of


def register(app: App) -> None:
    svc = of(app)

    @app.event("app_home_opened")
    def home_opened(event: dict, body: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        home.publish(svc, client, team_id=body.get("team_id"), user_id=event["user"])

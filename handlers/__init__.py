"""Slack listeners by surface: each module's named listener functions, registered by its `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from handlers import actions, commands, errors, events, pickers, seed_buttons, views


def register_all(app: App) -> None:
    for surface in (actions, commands, errors, events, pickers, seed_buttons, views):
        surface.register(app)

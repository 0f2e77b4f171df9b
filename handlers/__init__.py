"""Slack listeners by surface. Each module exposes `register(app)`; `register_all` wires those present."""

from __future__ import annotations

import importlib
import pkgutil

from slack_bolt import App


def register_all(app: App) -> None:
    for module in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{module.name}")
        register = getattr(mod, "register", None)
        if callable(register):
            register(app)

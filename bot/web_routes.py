"""Blueprints that later parts add to the web role (OAuth connect/callback, webhooks).

Each entry is "module:function"; the function takes (flask_app, settings) and registers its routes.
Keeping the list here means `bot/web.py` never changes when a provider gains routes.
"""

from __future__ import annotations

import importlib

from flask import Flask

from core.config import Settings

ROUTE_MODULES: list[str] = ["bot.routes.qbo:register", "bot.routes.procore:register",
                             "bot.slack_install:register", "bot.observability:register"]


def register_routes(app: Flask, settings: Settings) -> None:
    for ref in ROUTE_MODULES:
        module_name, func_name = ref.split(":")
        getattr(importlib.import_module(module_name), func_name)(app, settings)

"""Multi-workspace install: Bolt's OAuthSettings over slack_sdk's SQLAlchemy installation and state stores, on
the project's database. Their tables are declared in core/models.py and created by the migrations; the tokens in them
are Fernet-encrypted like the OAuth tokens (`EncryptedInstallationStore`).

Used when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. `register(flask_app, settings)` (listed in
bot/web_routes.py) serves GET /slack/install and /slack/oauth_redirect through the same Bolt handler as
/slack/events. Bolt's `OAuthSettings` over these stores is built in bot/app.py: the worker reads the installation
store (bot/slack_clients.py) and needs neither Bolt nor Flask.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from core.config import Settings
from core.crypto import SecretBox

if TYPE_CHECKING:
    from flask import Flask

logger = logging.getLogger(__name__)

#: the token columns of slack_sdk's installation and bot rows (what is encrypted at rest)
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
_FERNET_PREFIX = "gAAAAA"  # every Fernet token starts so; Slack's tokens start with xox…


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store with the tokens encrypted before they are written and decrypted after they are read.

    Sealing and opening are idempotent (a value already sealed stays as it is), because the base class's `save`
    calls `save_bot` and `find_installation` calls `find_bot` with objects that went through here once already.
    """

    def __init__(self, box: SecretBox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.box = box

    def _map(self, obj: Any, fn: Any) -> Any:
        if obj is None:
            return None
        obj = copy.copy(obj)
        for name in TOKEN_FIELDS:
            if getattr(obj, name, None) is not None:
                setattr(obj, name, fn(getattr(obj, name)))
        return obj

    def _seal(self, value: str) -> str:
        return value if value.startswith(_FERNET_PREFIX) else self.box.encrypt(value)  # type: ignore[return-value]

    def _open(self, value: str) -> str:
        return self.box.decrypt(value) if value.startswith(_FERNET_PREFIX) else value  # type: ignore[return-value]

    def save(self, installation: Installation) -> None:
        super().save(self._map(installation, self._seal))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._map(bot, self._seal))

    def find_bot(self, **kwargs: Any) -> Bot | None:
        return self._map(super().find_bot(**kwargs), self._open)

    def find_installation(self, **kwargs: Any) -> Installation | None:
        return self._map(super().find_installation(**kwargs), self._open)

BOT_SCOPES = ("chat:write", "chat:write.public", "commands", "im:write", "users:read", "users:read.email",
              "files:write")
INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"


def multi_workspace(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


def installation_store(settings: Settings, engine: Engine) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(SecretBox(settings.require_secret_key()),
                                      client_id=settings.slack_client_id or "", engine=engine)


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    return SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)


def register(app: Flask, settings: Settings) -> None:
    """GET install/redirect → the Bolt handler mounted at /slack/events (Bolt routes by path and method)."""
    if not multi_workspace(settings):
        return

    def bolt_get():  # type: ignore[no-untyped-def]
        return app.view_functions["slack_events"]()

    app.add_url_rule(INSTALL_PATH, "slack_install", bolt_get, methods=["GET"])
    app.add_url_rule(REDIRECT_PATH, "slack_oauth_redirect", bolt_get, methods=["GET"])

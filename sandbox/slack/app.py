"""The Slack sandbox's core object and its Flask factory.

`Sandbox` holds the workspace (store, ids, tokens, config) and the operations every surface shares: posting
messages, resolving channels, minting trigger ids and response URLs. The blueprints are thin: `webapi` (the
Web API at /api/<method>), `hooks` (response URLs, file uploads), `admin` (/_sandbox/* JSON) and `page` (/).
"""

from __future__ import annotations

import secrets
import time

from flask import Flask, Response, has_request_context, request

from sandbox.slack import admin, hooks, ids, page, webapi
from sandbox.slack.limits import Limiter
from sandbox.slack.seed import Workspace, load_or_create_workspace, make_im, seed_demo
from sandbox.slack.store import Store

DEFAULT_APP_URL = "http://127.0.0.1:3000/slack/events"
TRIGGER_TTL = 3.0  # seconds a trigger_id can open a view
# What Ledgerlink's manifest grants its bot token; answered in `X-OAuth-Scopes` (pass `scopes=` to change).
BOT_SCOPES = ("chat:write", "chat:write.public", "commands", "im:write", "users:read", "users:read.email",
              "files:write")


class Sandbox:
    def __init__(self, *, bot_token: str | None = None, signing_secret: str | None = None,
                 app_url: str = DEFAULT_APP_URL, db: str | None = None, users: str = "demo",
                 team_name: str = "Summit Builders", app_name: str = "Ledgerlink",
                 commands: list[str] | None = None, ack_timeout: float = 3.0, public_url: str | None = None,
                 verification_token: str | None = None, scopes: tuple[str, ...] | list[str] = BOT_SCOPES) -> None:
        self.store = Store(db)
        self.ws: Workspace = load_or_create_workspace(self.store, team_name=team_name, app_name=app_name)
        seed_demo(self.store, self.ws, users)
        self.bot_token = bot_token or self._remembered("bot_token", ids.bot_token)
        self.signing_secret = signing_secret or self._remembered("signing_secret", ids.signing_secret)
        self.verification_token = verification_token or self._remembered("verification_token",
                                                                          ids.verification_token)
        self.app_url = app_url
        self.scopes = tuple(scopes)
        self.commands = list(commands or ["/ledgerlink"])
        self.ack_timeout = ack_timeout
        self.trigger_ttl = TRIGGER_TTL
        self.public_url = public_url.rstrip("/") if public_url else None
        self._last_base = public_url or "http://127.0.0.1:8083"
        self.limiter = Limiter()
        last = self.store.meta("last_ts")
        self.clock = ids.TsClock(last)

    def _remembered(self, key: str, make) -> str:
        value = self.store.meta(key)
        if not value:
            value = make()
            self.store.set_meta(key, value)
        return value

    # urls ---------------------------------------------------------------------------------------------------
    def base_url(self) -> str:
        """Where the sandbox is reachable (response URLs and upload URLs point back here)."""
        if self.public_url:
            return self.public_url
        if has_request_context():
            self._last_base = request.host_url.rstrip("/")
        return self._last_base

    # config -------------------------------------------------------------------------------------------------
    def config(self) -> dict:
        return {"app_url": self.app_url, "ack_timeout": self.ack_timeout, "commands": self.commands,
                "public_url": self.public_url, **self.limiter.snapshot()}

    def configure(self, changes: dict) -> dict:
        unknown = set(changes) - {"app_url", "ack_timeout", "commands", "public_url", "rate_limits", "faults"}
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        self.limiter.configure(rate_limits=changes.get("rate_limits"), faults=changes.get("faults"))
        if "app_url" in changes:
            self.app_url = str(changes["app_url"])
        if "ack_timeout" in changes:
            self.ack_timeout = float(changes["ack_timeout"])
        if "commands" in changes:
            self.commands = [str(c) for c in changes["commands"]]
        if "public_url" in changes:
            self.public_url = (changes["public_url"] or "").rstrip("/") or None
        return self.config()

    # conversations ------------------------------------------------------------------------------------------
    def resolve_channel(self, ref: str | None, *, names: bool = False, users: bool = False) -> dict | None:
        """A conversation by id; by `#name`/`name` when `names`; a user id means the bot's DM when `users`."""
        if not ref:
            return None
        conv = self.store.conversation(ref)
        if conv is not None:
            return conv
        if users and ref.startswith(("U", "W")) and self.store.user(ref):
            return self.open_im(ref)[0]
        if names:
            return self.store.conversation_by_name(ref.lstrip("#"))
        return None

    def open_im(self, user_id: str, *, mark_open: bool = True) -> tuple[dict, bool]:
        """The bot's DM with `user_id`, created on first use; (conversation, was it already open)."""
        conv = self.store.im_with(user_id)
        if conv is not None:
            was_open = bool(conv.get("is_open"))
            if not was_open and mark_open:
                conv["is_open"] = True
                self.store.put_conversation(conv)
            return conv, was_open
        conv = make_im(self.ws, user_id)
        conv["is_open"] = mark_open
        self.store.put_conversation(conv)
        self.store.add_member(conv["id"], user_id)
        self.store.add_member(conv["id"], self.ws.bot_user_id)
        return conv, False

    def bot_can_see(self, conv: dict) -> bool:
        return not conv.get("is_private") or self.store.is_member(conv["id"], self.ws.bot_user_id)

    def bot_is_member(self, conv: dict) -> bool:
        return self.store.is_member(conv["id"], self.ws.bot_user_id)

    # messages -----------------------------------------------------------------------------------------------
    def next_ts(self) -> str:
        ts = self.clock.next()
        self.store.set_meta("last_ts", ts)
        return ts

    def bot_profile(self) -> dict:
        return {"id": self.ws.bot_id, "deleted": False, "name": self.ws.app_name, "updated": int(time.time()),
                "app_id": self.ws.app_id, "icons": {"image_36": "", "image_48": "", "image_72": ""},
                "team_id": self.ws.team_id}

    def bot_message(self, *, text: str = "", blocks: list | None = None, ts: str | None = None,
                    **extra) -> dict:
        """A message as Slack returns one the app's bot posted (chat.postMessage `message`)."""
        msg = {"user": self.ws.bot_user_id, "type": "message", "ts": ts or self.next_ts(), "bot_id": self.ws.bot_id,
               "app_id": self.ws.app_id, "text": text, "team": self.ws.team_id, "bot_profile": self.bot_profile()}
        if blocks:
            msg["blocks"] = blocks
        msg.update({k: v for k, v in extra.items() if v is not None})
        return msg

    def user_message(self, user_id: str, text: str, ts: str | None = None) -> dict:
        return {"client_msg_id": ids.short_id(8).lower(), "type": "message", "text": text, "user": user_id,
                "ts": ts or self.next_ts(), "team": self.ws.team_id}

    # triggers and response URLs -----------------------------------------------------------------------------
    def new_trigger(self, user_id: str) -> str:
        trigger = ids.trigger_id()
        self.store.add_trigger(trigger, user_id)
        return trigger

    def new_hook(self, kind: str, *, user: str, channel: str, message_ts: str | None = None,
                 ephemeral: bool = False) -> str:
        """A response_url like https://hooks.slack.com/actions/T…/123…/secret, served by this sandbox."""
        hook_id = f"{ids.trigger_id().split('.')[0]}/{ids.hook_secret()}"
        self.store.add_hook(hook_id, kind=kind, user=user, channel=channel, message_ts=message_ts,
                            ephemeral=ephemeral)
        return f"{self.base_url()}/{kind}/{self.ws.team_id}/{hook_id}"


def create_app(**options) -> Flask:
    """The sandbox as a WSGI app; `app.config["SLACK_SANDBOX"]` is its `Sandbox`."""
    sandbox = Sandbox(**options)
    app = Flask(__name__)
    app.config["SLACK_SANDBOX"] = sandbox
    app.json.sort_keys = False
    app.register_blueprint(webapi.bp)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(page.bp)
    app.after_request(_request_id)
    return app


def _request_id(response: Response) -> Response:
    """Slack stamps every answer with a request id (clients log it; Slack support asks for it)."""
    response.headers["X-Slack-Req-Id"] = secrets.token_hex(16)
    return response

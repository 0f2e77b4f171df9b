"""The real Ledgerlink Slack app served over HTTP, driven by the Slack sandbox over HTTP.

`slack` (fixture) gives a `SlackWorld`: a tenant with people (tests/support/factories.World) who are also the
sandbox's users (same ids and e-mails), the Bolt app from bot.app.create_app behind bot.web's Flask app on a
real port, and helpers that click, type commands, submit modals and read what Slack shows. Export hooks and
outbox operations are test doubles unless a test passes real ones.

Import the fixtures into a test module: `from tests.handlers.slack_harness import slack, slack_pg  # noqa: F401`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from bot.app import create_app
from bot.slack_clients import make_web_client
from bot.web import create_web_app
from core.config import load_settings
from core.db import make_engine
from core.models import Item, Tenant, TenantSettings
from sandbox.slack import create_app as create_sandbox
from sandbox.slack.seed import make_user
from sync.outbox import PermanentError, RemoteResult, enqueue
from tests.support.factories import PEOPLE, World
from tests.support.servers import running_wsgi

BOT_TOKEN = "xoxb-223456789012-2234567890123-ledgerlinktestsabcdefgh"
SIGNING_SECRET = "fedcba9876543210fedcba9876543210"
OPERATION = "test.create_record"


class Switch:
    """One server per session whose WSGI app each test replaces."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _slack_servers():
    sandbox_switch, app_switch = Switch(), Switch()
    with running_wsgi(sandbox_switch) as sandbox_url, running_wsgi(app_switch) as app_url:
        yield sandbox_switch, sandbox_url, app_switch, app_url


class FakeQbo:
    """An outbox operation standing in for QuickBooks: creates 'Bill <n>' or refuses with a sentence."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.fail_with: str | None = None
        self.lock = threading.Lock()

    def execute(self, entry):  # type: ignore[no-untyped-def]
        with self.lock:
            self.calls.append(entry.id)
        if self.fail_with:
            raise PermanentError(self.fail_with)
        return RemoteResult(remote_id=f"{100 + entry.item_id}", summary=f"Bill 2024-{entry.item_id:03d}")

    def reconcile(self, entry):  # type: ignore[no-untyped-def]
        return None

    def on_done(self, session, entry, result):  # type: ignore[no-untyped-def]
        session.execute(Item.__table__.update().where(Item.id == entry.item_id).values(remote_id=result.remote_id))


def fake_hook(session: Session, item: Item) -> None:
    enqueue(session, tenant_id=item.tenant_id, operation=OPERATION, target="qbo", record=f"item:{item.id}",
            version=f"{item.round}.{item.version}", payload={}, item_id=item.id)


class SlackWorld:
    def __init__(self, engine, servers, *, world: World | None = None, **services: Any) -> None:
        sandbox_switch, self.sandbox_url, app_switch, self.app_url = servers
        self.engine = engine
        sb_app = create_sandbox(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, users="none")
        sandbox_switch.app = sb_app
        self.sandbox = sb_app.config["SLACK_SANDBOX"]
        self.world = world or World(engine, name="Summit Builders")
        with Session(engine) as s:
            tenant = s.get(Tenant, self.world.tenant.id)
            tenant.slack_team_id = self.sandbox.ws.team_id
            s.add(tenant)
            s.commit()
        self.ids: dict[str, str] = {}
        for who in PEOPLE:
            user = self.world.users[who]
            self.ids[who] = user.slack_user_id
            self.add_slack_user(who, user.email, user_id=user.slack_user_id)
        self.qbo = FakeQbo()
        services.setdefault("hooks", {t: fake_hook for t in ("company", "cost_code", "project", "sub_job", "budget",
                                                             "commitment", "cco", "pcco", "sub_invoice",
                                                             "owner_invoice")})
        services.setdefault("operations", lambda: {OPERATION: self.qbo})
        services.setdefault("context_for", None)
        self.settings = load_settings(_env_file=None, DATABASE_URL="sqlite://", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                                      SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=f"{self.sandbox_url}/api/",
                                      LEDGERLINK_PUBLIC_URL="https://ledgerlink.example")
        client = make_web_client(self.settings)  # the production client: retry handlers and all
        self.app = create_app(self.settings, engine=engine, client=client, **services)
        from bot.services.runtime import of

        self.svc = of(self.app)
        app_switch.app = create_web_app(self.settings, engine=engine, bolt_app=self.app)
        self.http = httpx.Client(base_url=self.sandbox_url, timeout=30)
        self.post("config", app_url=f"{self.app_url}/slack/events")

    # --- setup -------------------------------------------------------------------------------------------------
    def add_slack_user(self, name: str, email: str | None, *, user_id: str | None = None) -> str:
        user = make_user(self.sandbox.ws, name=name, real_name=name.title() + " Example", email=email,
                         user_id=user_id)
        self.sandbox.store.put_user(user)
        for channel in ("general", "accounting"):
            conv = self.sandbox.store.conversation_by_name(channel)
            self.sandbox.store.add_member(conv["id"], user["id"])
        return user["id"]

    def settings_row(self, **values: Any) -> None:
        with Session(self.engine) as s:
            row = s.get(TenantSettings, self.world.tenant.id)
            for k, v in values.items():
                setattr(row, k, v)
            s.add(row)
            s.commit()

    def item(self, title: str = "INV-104", *, type: str = "sub_invoice", amount: str = "48250.00",
             state: str = "ready_to_export", detail: dict | None = None, procore_id: str | None = None,
             project_id: int | None = 1001) -> Item:
        with Session(self.engine, expire_on_commit=False) as s:
            item = Item(tenant_id=self.world.tenant.id, type=type, procore_id=procore_id or f"{title}",
                        title=title, amount=Decimal(amount), state=state, procore_project_id=project_id,
                        detail=detail if detail is not None else {
                            "vendor": "ACME Concrete", "project": "Riverside Clinic",
                            "summary": f"Creates Bill {title} for ACME Concrete, ${Decimal(amount):,.2f} across 3 "
                                       "cost codes",
                            "lines": [{"label": "03-100.Material", "amount": "20000.00"},
                                      {"label": "03-100.Labor", "amount": "20000.00"},
                                      {"label": "03-200.Subcontract", "amount": "8250.00"}],
                            "commitment_id": 77, "contract_type": "work_order_contract"})
            s.add(item)
            s.commit()
            return item

    def sent_item(self, title: str = "INV-104", *, sender: str = "sam", **kw: Any) -> Item:
        """An item sent by `sender` through the slash command, so its card is posted like in real life."""
        item = self.item(title, **kw)
        out = self.command(sender, f"send {item.type.replace('_', '-')} {item.procore_id}")
        assert out["ok"], out
        self.idle()
        return self.get(item.id)

    def stale_copy(self, item_or_message: Item | dict) -> tuple[str, str]:
        """Post a copy of a card (or any message) as it is now, buttons and all: later, a stale one to click."""
        msg = self.card(item_or_message) if isinstance(item_or_message, Item) else item_or_message
        client = WebClient(token=BOT_TOKEN, base_url=f"{self.sandbox_url}/api/")
        resp = client.chat_postMessage(channel=msg["_sandbox"]["channel"], text=msg["text"], blocks=msg["blocks"])
        return resp["channel"], resp["ts"]

    def get(self, item_id: int) -> Item:
        with Session(self.engine, expire_on_commit=False) as s:
            return s.get(Item, item_id)

    # --- driving Slack -------------------------------------------------------------------------------------------
    def post(self, path: str, **body: Any) -> dict:
        r = self.http.post(f"/_sandbox/{path}", json=body)
        assert r.status_code < 500, r.text
        return r.json()

    def click(self, who: str, item: Item | None = None, action_id: str = "item_accept", *,
              channel: str | None = None, ts: str | None = None, view_id: str | None = None,
              value: Any = None, block_id: str | None = None, values: dict | None = None) -> dict:
        if item is not None and channel is None and view_id is None:
            fresh = self.get(item.id)
            channel, ts = fresh.card_channel, fresh.card_ts
        body: dict[str, Any] = {"user": self.ids.get(who, who), "action_id": action_id}
        if view_id:
            body["view_id"] = view_id
        else:
            body.update(channel=channel, ts=ts)
        if value is not None:
            body["value"] = value
        if block_id is not None:
            body["block_id"] = block_id
        if values is not None:  # what the person ticked or typed elsewhere in the view: {block_id: {action_id: v}}
            body["values"] = values
        return self.post("actions/click", **body)

    def command(self, who: str, text: str, channel: str = "#accounting") -> dict:
        return self.post("commands", user=self.ids.get(who, who), text=f"/ledgerlink {text}".strip(),
                         channel=channel)

    def submit(self, who: str, values: dict, view_id: str | None = None) -> dict:
        body: dict[str, Any] = {"user": self.ids.get(who, who), "values": values}
        if view_id:
            body["view_id"] = view_id
        return self.post("views/submit", **body)

    def home(self, who: str) -> dict:
        return self.post("events/app_home_opened", user=self.ids.get(who, who))

    # --- reading Slack -----------------------------------------------------------------------------------------
    def messages(self, channel: str | None = None) -> list[dict]:
        params = {"channel": channel} if channel else {}
        return self.http.get("/_sandbox/messages", params=params).json()["messages"]

    def card(self, item: Item) -> dict:
        fresh = self.get(item.id)
        found = [m for m in self.messages(fresh.card_channel) if m["ts"] == fresh.card_ts
                 and not m["_sandbox"]["ephemeral_to"]]
        assert found, f"no card for item {item.id}"
        return found[0]

    def ephemerals(self, who: str) -> list[str]:
        uid = self.ids.get(who, who)
        return [m["text"] for m in self.messages() if m["_sandbox"]["ephemeral_to"] == uid]

    def dms(self, who: str) -> list[dict]:
        uid = self.ids.get(who, who)
        return [m for m in self.messages() if m["_sandbox"]["channel"].startswith("D")
                and not m["_sandbox"]["ephemeral_to"] and self._im_user(m["_sandbox"]["channel"]) == uid]

    def _im_user(self, channel_id: str) -> str | None:
        conv = self.sandbox.store.conversation(channel_id)
        return conv.get("user") if conv else None

    def views(self, who: str) -> dict:
        return self.http.get("/_sandbox/views", params={"user": self.ids.get(who, who)}).json()

    def calls(self, method: str | None = None) -> list[dict]:
        params = {"method": method} if method else {}
        return self.http.get("/_sandbox/calls", params=params).json()["calls"]

    def idle(self, timeout: float = 15.0) -> None:
        """Wait for the app's background work (exports, reports) and the sandbox's deliveries to settle. No pause
        first: the sandbox delivers synchronously, and Bolt hands a listener to the tracked executor before its ack
        is answered, so all the work a request started is tracked by the time the request returns."""
        assert self.svc.idle(timeout), "background work did not finish"

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.03)

    text = staticmethod(lambda message: card_text(message))
    buttons = staticmethod(lambda message: buttons(message))

    def close(self) -> None:
        self.svc.idle(10)
        self.http.close()


def card_text(message: dict) -> str:
    """Every text in a message's blocks, joined (to assert on what people see)."""
    out: list[str] = [message.get("text", "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for v in node.values():
                if isinstance(v, dict | list):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(message.get("blocks", []))
    return "\n".join(out)


def buttons(message: dict) -> list[str]:
    return [el["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for el in b["elements"]]


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()


@pytest.fixture
def sqlite_engine(_migrated_sqlite):
    """SQLite only: most Slack scenarios are about Slack, not the database (the `engine` fixture runs both)."""
    eng = make_engine(_migrated_sqlite)
    yield eng
    eng.dispose()
    _truncate_all(_migrated_sqlite)


@pytest.fixture
def slack(sqlite_engine, _slack_servers):
    world = SlackWorld(sqlite_engine, _slack_servers)
    yield world
    world.close()


@pytest.fixture
def slack_pg(engine, _slack_servers):
    """The same world on SQLite and PostgreSQL (for races)."""
    world = SlackWorld(engine, _slack_servers)
    yield world
    world.close()


@pytest.fixture
def slack_for(_slack_servers):
    """`slack_for(world, **services)`: the Slack app for an existing World (e.g. `remote_world`)."""
    made: list[SlackWorld] = []

    def make(world: World, **services: Any) -> SlackWorld:
        made.append(SlackWorld(world.engine, _slack_servers, world=world, **services))
        return made[-1]

    yield make
    for world in made:
        world.close()

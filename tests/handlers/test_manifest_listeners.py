"""manifest.yml ⇄ what the app registers: every command and event the app listens for is declared in the
manifest and every declared one has a listener; interactivity is on because actions and views are registered;
every action/callback id the blocks can emit has a listener (blocks/ids.py is the one list)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import yaml
from slack_bolt import App

from blocks import ids
from handlers import register_all

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """Stands in for the Bolt App: records what each handlers/<surface>.register(app) asks for."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {"command": [], "action": [], "view": [], "event": [], "options": [],
                                           "shortcut": []}
        self.error_handlers = 0

    def _kind(self, kind: str):  # type: ignore[no-untyped-def]
        def register(constraint, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.seen[kind].append(constraint if isinstance(constraint, str) else str(constraint))
            return lambda fn: fn
        return register

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        if name in self.seen:
            return self._kind(name)
        raise AttributeError(name)

    def error(self, fn):  # type: ignore[no-untyped-def]
        self.error_handlers += 1
        return fn


def _recorded(monkeypatch) -> Recorder:
    rec = Recorder()
    import handlers
    from bot.services import runtime

    # import every surface before patching `of`: a module first imported while it is patched would keep the
    # stand-in after the test, and a later test's real app would get `object()` for its services
    surfaces = [importlib.import_module(f"handlers.{m.name}") for m in pkgutil.iter_modules(handlers.__path__)]
    monkeypatch.setattr(runtime, "of", lambda app: object())
    for mod in surfaces:
        if hasattr(mod, "of"):
            monkeypatch.setattr(mod, "of", lambda app: object())
    register_all(rec)  # type: ignore[arg-type]
    return rec


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_commands_and_events_match_the_manifest(monkeypatch):
    rec = _recorded(monkeypatch)
    m = _manifest()
    assert sorted(rec.seen["command"]) == sorted(c["command"] for c in m["features"]["slash_commands"])
    assert sorted(rec.seen["event"]) == sorted(m["settings"]["event_subscriptions"]["bot_events"])
    assert sorted(rec.seen["event"]) == sorted(ids.EVENTS)
    shortcuts = [s["callback_id"] for s in m["features"].get("shortcuts", [])]
    assert sorted(rec.seen["shortcut"]) == sorted(shortcuts)
    assert rec.error_handlers == 1


def test_interactivity_matches_actions_views_and_options(monkeypatch):
    rec = _recorded(monkeypatch)
    m = _manifest()
    assert sorted(rec.seen["action"]) == sorted(ids.ACTIONS)
    assert sorted(rec.seen["view"]) == sorted(ids.VIEWS)
    assert sorted(rec.seen["options"]) == sorted(ids.OPTIONS)
    assert m["settings"]["interactivity"]["is_enabled"] is (bool(rec.seen["action"] or rec.seen["view"]))
    # an options listener (external_select) needs an options load URL in HTTP mode or Socket Mode
    if rec.seen["options"]:
        interactivity = m["settings"]["interactivity"]
        assert m["settings"].get("socket_mode_enabled") or interactivity.get("message_menu_options_url")


def test_the_real_app_registers_the_same_listeners(monkeypatch):
    """The recorder sees what a real Bolt App gets: same count of listeners."""
    rec = _recorded(monkeypatch)
    app = App(signing_secret="x", token="xoxb-test", token_verification_enabled=False)
    from bot.services import runtime

    runtime.bind(app, object())  # type: ignore[arg-type]
    register_all(app)
    expected = sum(len(v) for v in rec.seen.values())
    assert len(app._listeners) == expected


def test_scopes_cover_the_web_api_methods_the_app_calls():
    from bot.slack_install import BOT_SCOPES

    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert set(BOT_SCOPES) == scopes
    # chat.postMessage/update/postEphemeral, conversations.open (DMs), users.info + lookupByEmail, files upload
    assert {"chat:write", "im:write", "users:read", "users:read.email", "files:write", "commands"} <= scopes

"""The workspace's state in SQLite (a file with `--db PATH`, else in memory): users, conversations, messages,
views, triggers, response URLs, files and the logs of API calls and outgoing interactions.

Rows keep Slack's JSON objects in a `data` column; the other columns are what the sandbox looks things up by.
One connection guarded by a lock: the server is threaded and the app calls back while a click is in flight.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT, email TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, name TEXT, kind TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS members (conversation TEXT, user TEXT, PRIMARY KEY (conversation, user));
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT, ts TEXT, ephemeral_to TEXT,
    deleted INTEGER NOT NULL DEFAULT 0, data TEXT, revisions TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS messages_channel_ts ON messages (channel, ts);
CREATE TABLE IF NOT EXISTS views (
    id TEXT PRIMARY KEY, user TEXT, kind TEXT, open INTEGER, root TEXT, position INTEGER,
    external_id TEXT, data TEXT, errors TEXT, opened REAL);
CREATE TABLE IF NOT EXISTS triggers (id TEXT PRIMARY KEY, user TEXT, created REAL, used INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS hooks (
    id TEXT PRIMARY KEY, kind TEXT, user TEXT, channel TEXT, message_ts TEXT, ephemeral INTEGER,
    created REAL, uses INTEGER DEFAULT 0, last_ts TEXT);
CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, data TEXT, content BLOB, uploaded INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL, method TEXT, args TEXT, ok INTEGER, error TEXT,
    status INTEGER, notes TEXT);
CREATE TABLE IF NOT EXISTS interactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL, kind TEXT, user TEXT, request TEXT, status INTEGER,
    body TEXT, error TEXT, elapsed_ms INTEGER);
"""


def _load(text: str | None) -> Any:
    return json.loads(text) if text else None


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class Store:
    """Typed access to the tables; every method is atomic under one lock."""

    def __init__(self, path: str | None = None) -> None:
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self.version = 0  # bumped on every visible change; the page polls it
        with self._lock:
            if path and path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def _exec(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def _changed(self) -> None:
        self.version += 1

    # meta -------------------------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._exec("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # users ------------------------------------------------------------------------------------------------
    def put_user(self, user: dict) -> None:
        email = (user.get("profile") or {}).get("email")
        self._exec("INSERT OR REPLACE INTO users (id, name, email, data) VALUES (?, ?, ?, ?)",
                   (user["id"], user["name"], email and email.lower(), _dump(user)))
        self._changed()

    def user(self, user_id: str) -> dict | None:
        row = self._exec("SELECT data FROM users WHERE id = ?", (user_id,)).fetchone()
        return _load(row["data"]) if row else None

    def user_by_email(self, email: str) -> dict | None:
        row = self._exec("SELECT data FROM users WHERE email = ?", (email.lower(),)).fetchone()
        return _load(row["data"]) if row else None

    def users(self) -> list[dict]:
        return [_load(r["data"]) for r in self._exec("SELECT data FROM users ORDER BY rowid")]

    # conversations ----------------------------------------------------------------------------------------
    def put_conversation(self, conv: dict) -> None:
        kind = "im" if conv.get("is_im") else "channel"
        self._exec("INSERT OR REPLACE INTO conversations (id, name, kind, data) VALUES (?, ?, ?, ?)",
                   (conv["id"], conv.get("name"), kind, _dump(conv)))
        self._changed()

    def conversation(self, conv_id: str) -> dict | None:
        row = self._exec("SELECT data FROM conversations WHERE id = ?", (conv_id,)).fetchone()
        return _load(row["data"]) if row else None

    def conversation_by_name(self, name: str) -> dict | None:
        row = self._exec("SELECT data FROM conversations WHERE kind = 'channel' AND name = ?",
                         (name.lower(),)).fetchone()
        return _load(row["data"]) if row else None

    def conversations(self, kind: str | None = None) -> list[dict]:
        sql, params = "SELECT data FROM conversations", ()
        if kind:
            sql, params = sql + " WHERE kind = ?", (kind,)
        return [_load(r["data"]) for r in self._exec(sql + " ORDER BY rowid", params)]

    def im_with(self, user_id: str) -> dict | None:
        for conv in self.conversations("im"):
            if conv.get("user") == user_id:
                return conv
        return None

    def add_member(self, conv_id: str, user_id: str) -> None:
        self._exec("INSERT OR IGNORE INTO members (conversation, user) VALUES (?, ?)", (conv_id, user_id))
        self._changed()

    def is_member(self, conv_id: str, user_id: str) -> bool:
        return self._exec("SELECT 1 FROM members WHERE conversation = ? AND user = ?",
                          (conv_id, user_id)).fetchone() is not None

    def members(self, conv_id: str) -> list[str]:
        return [r["user"] for r in self._exec(
            "SELECT user FROM members WHERE conversation = ? ORDER BY rowid", (conv_id,))]

    # messages ---------------------------------------------------------------------------------------------
    def add_message(self, channel: str, message: dict, ephemeral_to: str | None = None) -> None:
        self._exec("INSERT INTO messages (channel, ts, ephemeral_to, data) VALUES (?, ?, ?, ?)",
                   (channel, message["ts"], ephemeral_to, _dump(message)))
        self._changed()

    def message(self, channel: str, ts: str, *, ephemeral_to: str | None = None,
                include_deleted: bool = False) -> dict | None:
        sql = "SELECT data FROM messages WHERE channel = ? AND ts = ?"
        params: tuple = (channel, ts)
        sql += " AND ephemeral_to = ?" if ephemeral_to else " AND ephemeral_to IS NULL"
        if ephemeral_to:
            params += (ephemeral_to,)
        if not include_deleted:
            sql += " AND deleted = 0"
        row = self._exec(sql, params).fetchone()
        return _load(row["data"]) if row else None

    def replace_message(self, channel: str, ts: str, message: dict, *, ephemeral_to: str | None = None) -> None:
        """Store the new version; the previous one goes to `revisions` (the test log shows every update)."""
        with self._lock:
            cond = "ephemeral_to = ?" if ephemeral_to else "ephemeral_to IS NULL"
            params = (channel, ts, ephemeral_to) if ephemeral_to else (channel, ts)
            row = self._exec(f"SELECT seq, data, revisions FROM messages WHERE channel = ? AND ts = ? AND {cond}",
                             params).fetchone()
            if row is None:
                return
            revisions = _load(row["revisions"]) + [_load(row["data"])]
            self._exec("UPDATE messages SET data = ?, revisions = ? WHERE seq = ?",
                       (_dump(message), _dump(revisions), row["seq"]))
        self._changed()

    def delete_message(self, channel: str, ts: str, *, ephemeral_to: str | None = None) -> None:
        cond = "ephemeral_to = ?" if ephemeral_to else "ephemeral_to IS NULL"
        params = (channel, ts, ephemeral_to) if ephemeral_to else (channel, ts)
        self._exec(f"UPDATE messages SET deleted = 1 WHERE channel = ? AND ts = ? AND {cond}", params)
        self._changed()

    def messages(self, channel: str | None = None, *, viewer: str | None = None,
                 include_ephemeral: bool = True, include_deleted: bool = False) -> list[dict]:
        """Messages oldest first, each with `channel`, `ephemeral_to`, `deleted` and `revisions` added.

        `viewer` keeps only the ephemeral messages addressed to that user (what their client shows)."""
        sql, params = "SELECT * FROM messages WHERE 1 = 1", []
        if channel:
            sql += " AND channel = ?"
            params.append(channel)
        if not include_deleted:
            sql += " AND deleted = 0"
        if not include_ephemeral:
            sql += " AND ephemeral_to IS NULL"
        elif viewer:
            sql += " AND (ephemeral_to IS NULL OR ephemeral_to = ?)"
            params.append(viewer)
        out = []
        for row in self._exec(sql + " ORDER BY ts, seq", tuple(params)):
            msg = _load(row["data"])
            msg["_sandbox"] = {"channel": row["channel"], "ephemeral_to": row["ephemeral_to"],
                               "deleted": bool(row["deleted"]), "revisions": _load(row["revisions"])}
            out.append(msg)
        return out

    # views ------------------------------------------------------------------------------------------------
    def put_view(self, view: dict, *, user: str, kind: str, open_: bool, root: str, position: int,
                 errors: dict | None = None) -> None:
        self._exec("INSERT OR REPLACE INTO views (id, user, kind, open, root, position, external_id, data, errors,"
                   " opened) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (view["id"], user, kind, int(open_), root, position, view.get("external_id") or None,
                    _dump(view), _dump(errors or {}), time.time()))
        self._changed()

    def view_row(self, view_id: str | None = None, *, external_id: str | None = None) -> dict | None:
        if view_id:
            row = self._exec("SELECT * FROM views WHERE id = ?", (view_id,)).fetchone()
        else:
            row = self._exec("SELECT * FROM views WHERE external_id = ? ORDER BY opened DESC",
                             (external_id,)).fetchone()
        return _view_row(row) if row else None

    def set_view_errors(self, view_id: str, errors: dict) -> None:
        self._exec("UPDATE views SET errors = ? WHERE id = ?", (_dump(errors), view_id))
        self._changed()

    def close_views(self, user: str, *, from_position: int = 0) -> None:
        self._exec("UPDATE views SET open = 0 WHERE user = ? AND kind = 'modal' AND open = 1 AND position >= ?",
                   (user, from_position))
        self._changed()

    def modal_stack(self, user: str) -> list[dict]:
        rows = self._exec("SELECT * FROM views WHERE user = ? AND kind = 'modal' AND open = 1 ORDER BY position",
                          (user,))
        return [_view_row(r) for r in rows]

    def home_view(self, user: str) -> dict | None:
        row = self._exec("SELECT * FROM views WHERE user = ? AND kind = 'home'", (user,)).fetchone()
        return _view_row(row) if row else None

    def views(self, user: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM views", ()
        if user:
            sql, params = sql + " WHERE user = ?", (user,)
        return [_view_row(r) for r in self._exec(sql + " ORDER BY opened", params)]

    # triggers and response URLs ---------------------------------------------------------------------------
    def add_trigger(self, trigger_id: str, user: str) -> None:
        self._exec("INSERT INTO triggers (id, user, created) VALUES (?, ?, ?)", (trigger_id, user, time.time()))

    def trigger(self, trigger_id: str) -> dict | None:
        row = self._exec("SELECT * FROM triggers WHERE id = ?", (trigger_id,)).fetchone()
        return dict(row) if row else None

    def use_trigger(self, trigger_id: str) -> None:
        self._exec("UPDATE triggers SET used = 1 WHERE id = ?", (trigger_id,))

    def add_hook(self, hook_id: str, *, kind: str, user: str, channel: str, message_ts: str | None,
                 ephemeral: bool) -> None:
        self._exec("INSERT INTO hooks (id, kind, user, channel, message_ts, ephemeral, created)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (hook_id, kind, user, channel, message_ts, int(ephemeral), time.time()))

    def hook(self, hook_id: str) -> dict | None:
        row = self._exec("SELECT * FROM hooks WHERE id = ?", (hook_id,)).fetchone()
        return dict(row) if row else None

    def use_hook(self, hook_id: str, *, last_ts: str | None) -> None:
        self._exec("UPDATE hooks SET uses = uses + 1, last_ts = COALESCE(?, last_ts) WHERE id = ?",
                   (last_ts, hook_id))

    # files ------------------------------------------------------------------------------------------------
    def put_file(self, file: dict, content: bytes | None = None) -> None:
        with self._lock:
            old = self._exec("SELECT content, uploaded FROM files WHERE id = ?", (file["id"],)).fetchone()
            if content is None and old is not None:
                content = old["content"]
            uploaded = int(content is not None)
            self._exec("INSERT OR REPLACE INTO files (id, data, content, uploaded) VALUES (?, ?, ?, ?)",
                       (file["id"], _dump(file), content, uploaded))
        self._changed()

    def file(self, file_id: str) -> tuple[dict, bytes | None] | None:
        row = self._exec("SELECT data, content FROM files WHERE id = ?", (file_id,)).fetchone()
        return (_load(row["data"]), row["content"]) if row else None

    # logs -------------------------------------------------------------------------------------------------
    def log_call(self, method: str, args: dict, *, ok: bool, error: str | None, status: int,
                 notes: list[str] | None = None) -> None:
        self._exec("INSERT INTO calls (at, method, args, ok, error, status, notes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (time.time(), method, _dump(args), int(ok), error, status, _dump(notes or [])))

    def calls(self, method: str | None = None, since: int = 0) -> list[dict]:
        sql, params = "SELECT * FROM calls WHERE seq > ?", [since]
        if method:
            sql += " AND method = ?"
            params.append(method)
        return [{"seq": r["seq"], "at": r["at"], "method": r["method"], "args": _load(r["args"]),
                 "ok": bool(r["ok"]), "error": r["error"], "status": r["status"], "notes": _load(r["notes"]) or []}
                for r in self._exec(sql + " ORDER BY seq", tuple(params))]

    def log_interaction(self, *, kind: str, user: str | None, request: dict, status: int | None,
                        body: str | None, error: str | None, elapsed_ms: int) -> int:
        cur = self._exec("INSERT INTO interactions (at, kind, user, request, status, body, error, elapsed_ms)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (time.time(), kind, user, _dump(request), status, body, error, elapsed_ms))
        return int(cur.lastrowid)

    def interactions(self, since: int = 0) -> list[dict]:
        rows = self._exec("SELECT * FROM interactions WHERE seq > ? ORDER BY seq", (since,))
        return [{**dict(r), "request": _load(r["request"])} for r in rows]

    def clear_activity(self) -> None:
        """Forget messages, views, files and logs; keep users and conversations (POST /_sandbox/reset)."""
        with self._lock:
            for table in ("messages", "views", "triggers", "hooks", "files", "calls", "interactions"):
                self._exec(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self._changed()


def _view_row(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "user": row["user"], "kind": row["kind"], "open": bool(row["open"]),
            "root": row["root"], "position": row["position"], "view": _load(row["data"]),
            "errors": _load(row["errors"]) or {}}

"""State of the sandbox: companies (realms) and their records, kept in memory, optionally written through to SQLite.

One re-entrant lock guards everything; callers hold `store.lock` around a read-modify-write.
Secondary indexes (`Store.find`) keep uniqueness checks and balance refreshes O(1) per write on big companies.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

SCHEMA = """
CREATE TABLE IF NOT EXISTS realms (realm_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (realm TEXT, entity TEXT, id TEXT, body TEXT NOT NULL,
                                    PRIMARY KEY (realm, entity, id));
CREATE TABLE IF NOT EXISTS tombstones (realm TEXT, entity TEXT, id TEXT, deleted_at TEXT NOT NULL,
                                       PRIMARY KEY (realm, entity, id));
CREATE TABLE IF NOT EXISTS idem (realm TEXT, requestid TEXT, status INTEGER, body BLOB, ctype TEXT,
                                 PRIMARY KEY (realm, requestid));
CREATE TABLE IF NOT EXISTS kv (kind TEXT, key TEXT, value TEXT NOT NULL, PRIMARY KEY (kind, key));
"""


Keys = Callable[[dict], Iterable[Hashable]]


class Index:
    """One entity's records grouped by `keys(record)` (any number of keys each); kept current by put/remove.
    A record keeps its place in a group while it stays in it, so groups list records in the order they joined."""

    def __init__(self, keys: Keys, table: dict[str, dict]) -> None:
        self.keys = keys
        self.groups: dict[Hashable, dict[str, None]] = {}
        self.keys_of: dict[str, tuple] = {}
        for oid, obj in table.items():
            self.add(oid, obj)

    def add(self, oid: str, obj: dict) -> None:
        new = tuple(dict.fromkeys(self.keys(obj)))
        old = self.keys_of.get(oid, ())
        if new == old:
            return
        self._leave(oid, [k for k in old if k not in new])
        for key in new:
            self.groups.setdefault(key, {})[oid] = None
        self.keys_of[oid] = new

    def discard(self, oid: str) -> None:
        self._leave(oid, self.keys_of.pop(oid, ()))

    def _leave(self, oid: str, keys: Iterable[Hashable]) -> None:
        for key in keys:
            group = self.groups.get(key, {})
            group.pop(oid, None)
            if not group:
                self.groups.pop(key, None)


@dataclass
class Realm:
    realm_id: str
    info: dict = field(default_factory=dict)  # company name, id counters, preferences
    objects: dict[str, dict[str, dict]] = field(default_factory=dict)
    tombstones: dict[str, dict[str, str]] = field(default_factory=dict)  # entity -> id -> deleted time
    idem: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    indexes: dict[str, dict[Callable, Index]] = field(default_factory=dict)  # entity -> key function -> index

    def table(self, entity: str) -> dict[str, dict]:
        return self.objects.setdefault(entity, {})


class Store:
    """All realms plus a small key-value area (OAuth grants) with optional SQLite persistence."""

    def __init__(self, path: str | None = None) -> None:
        self.lock = threading.RLock()
        self.realms: dict[str, Realm] = {}
        self._kv: dict[str, dict[str, dict]] = {}
        self._db = None
        if path:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            self._load()

    # -- persistence -------------------------------------------------------------------------------------------
    def _exec(self, sql: str, args: tuple) -> None:
        if self._db is not None:
            self._db.execute(sql, args)

    def _load(self) -> None:
        db = self._db
        for realm_id, data in db.execute("SELECT realm_id, data FROM realms"):
            self.realms[realm_id] = Realm(realm_id, json.loads(data))
        for realm, entity, oid, body in db.execute("SELECT realm, entity, id, body FROM objects"):
            if realm in self.realms:
                self.realms[realm].table(entity)[oid] = json.loads(body)
        for realm, entity, oid, when in db.execute("SELECT realm, entity, id, deleted_at FROM tombstones"):
            if realm in self.realms:
                self.realms[realm].tombstones.setdefault(entity, {})[oid] = when
        for realm, rid, status, body, ctype in db.execute("SELECT realm, requestid, status, body, ctype FROM idem"):
            if realm in self.realms:
                self.realms[realm].idem[rid] = (status, bytes(body), ctype)
        for kind, key, value in db.execute("SELECT kind, key, value FROM kv"):
            self._kv.setdefault(kind, {})[key] = json.loads(value)
        for realm in self.realms.values():  # keep insertion order = Id order after a reload
            for entity, table in realm.objects.items():
                realm.objects[entity] = dict(sorted(table.items(), key=lambda kv: id_key(kv[0])))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- realms ------------------------------------------------------------------------------------------------
    def add_realm(self, realm_id: str, info: dict) -> Realm:
        with self.lock:
            realm = Realm(realm_id, dict(info))
            self.realms[realm_id] = realm
            self.save_realm(realm)
            return realm

    def realm(self, realm_id: str) -> Realm | None:
        return self.realms.get(str(realm_id))

    def save_realm(self, realm: Realm) -> None:
        self._exec("INSERT OR REPLACE INTO realms VALUES (?, ?)", (realm.realm_id, json.dumps(realm.info)))

    def next_id(self, realm: Realm, entity: str, floor: int = 0) -> str:
        counters = realm.info.setdefault("counters", {})
        value = max(counters.get(entity, 0), floor) + 1
        counters[entity] = value
        self.save_realm(realm)
        return str(value)

    # -- records -----------------------------------------------------------------------------------------------
    def get(self, realm: Realm, entity: str, oid: str) -> dict | None:
        obj = realm.objects.get(entity, {}).get(str(oid))
        return copy.deepcopy(obj) if obj is not None else None

    def peek(self, realm: Realm, entity: str, oid: str) -> dict | None:
        """The stored record itself (no copy): read-only use under the lock."""
        return realm.objects.get(entity, {}).get(str(oid))

    def all(self, realm: Realm, entity: str) -> list[dict]:
        """Stored records (no copies) in Id order; callers copy what they hand out."""
        return list(realm.objects.get(entity, {}).values())

    def find(self, realm: Realm, entity: str, keys: Keys, key: Hashable) -> list[dict]:
        """Stored records (no copies) of `entity` with `key` among `keys(record)`, in the order they joined that
        group (Id order for records created in order). The index on `keys` is built on first use."""
        indexes = realm.indexes.setdefault(entity, {})
        index = indexes.get(keys)
        if index is None:
            index = indexes[keys] = Index(keys, realm.table(entity))
        table = realm.table(entity)
        return [table[oid] for oid in index.groups.get(key, ())]

    def put(self, realm: Realm, entity: str, obj: dict) -> None:
        realm.table(entity)[obj["Id"]] = obj
        for index in realm.indexes.get(entity, {}).values():
            index.add(obj["Id"], obj)
        self._exec("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)",
                   (realm.realm_id, entity, obj["Id"], json.dumps(obj)))

    def remove(self, realm: Realm, entity: str, oid: str, deleted_at: str) -> None:
        realm.objects.get(entity, {}).pop(oid, None)
        for index in realm.indexes.get(entity, {}).values():
            index.discard(oid)
        realm.tombstones.setdefault(entity, {})[oid] = deleted_at
        self._exec("DELETE FROM objects WHERE realm = ? AND entity = ? AND id = ?", (realm.realm_id, entity, oid))
        self._exec("INSERT OR REPLACE INTO tombstones VALUES (?, ?, ?, ?)", (realm.realm_id, entity, oid, deleted_at))

    # -- idempotency (requestid) -------------------------------------------------------------------------------
    def recall(self, realm: Realm, requestid: str) -> tuple[int, bytes, str] | None:
        return realm.idem.get(requestid)

    def remember(self, realm: Realm, requestid: str, status: int, body: bytes, ctype: str) -> None:
        realm.idem[requestid] = (status, body, ctype)
        self._exec("INSERT OR REPLACE INTO idem VALUES (?, ?, ?, ?, ?)",
                   (realm.realm_id, requestid, status, body, ctype))

    # -- key-value (OAuth clients, codes, grants) ----------------------------------------------------------------
    def kv_get(self, kind: str, key: str) -> dict | None:
        return self._kv.get(kind, {}).get(key)

    def kv_put(self, kind: str, key: str, value: dict) -> None:
        self._kv.setdefault(kind, {})[key] = value
        self._exec("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (kind, key, json.dumps(value)))

    def kv_items(self, kind: str) -> list[tuple[str, dict]]:
        return list(self._kv.get(kind, {}).items())


def id_key(oid: str) -> tuple[int, str]:
    """Sort key for Ids: numeric ones in number order, others after them."""
    return (int(oid), oid) if oid.isdigit() else (1 << 62, oid)

"""The sandbox's state: named tables of JSON-able records, in memory or written through to SQLite.

Records are plain dicts keyed by integer id. Ids come from one counter shared by every table and start
above 2**32, like the ids of Procore's newer regions (clients must store them as 64-bit integers).
Mutations go through `insert`/`update`/`delete`, which stamp `created_at`/`updated_at` from the
sandbox clock and, when given an `actor`, tell the listeners (the webhook dispatcher) what changed.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

FIRST_ID = 562_949_953_421_312  # 2**49: every id needs 64 bits, as in Procore's newer regions

Record = dict[str, Any]
Listener = Callable[[str, Record, str, "int | None"], None]


class Clock:
    """Wall-clock time plus an offset that `/_sandbox/clock` can move forward or back."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def iso(self, epoch: float | None = None) -> str:
        """UTC timestamp as Procore writes them: `2024-05-01T12:00:00Z`."""
        moment = datetime.fromtimestamp(self.now() if epoch is None else epoch, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def today(self) -> str:
        return datetime.fromtimestamp(self.now(), UTC).date().isoformat()


class Store:
    """Thread-safe tables of records. `db_path=None` keeps everything in memory."""

    def __init__(self, db_path: str | None = None, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.tables: dict[str, dict[int, Record]] = {}
        self.next_id = FIRST_ID
        self.listeners: list[Listener] = []
        self._db = None
        self._batching = 0
        self._dirty: dict[tuple[str, int], Record | None] = {}
        if db_path:
            self._db = sqlite3.connect(db_path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS records (tbl TEXT, id INTEGER, data TEXT, "
                             "PRIMARY KEY (tbl, id))")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._load()

    # -- persistence -------------------------------------------------------------------------------------
    def _load(self) -> None:
        for tbl, rid, data in self._db.execute("SELECT tbl, id, data FROM records"):
            self.tables.setdefault(tbl, {})[rid] = json.loads(data)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'next_id'").fetchone()
        if row:
            self.next_id = int(row[0])

    def _persist(self, table: str, records: Iterable[Record], deleted: Iterable[int] = ()) -> None:
        if self._db is None:
            return
        for record in records:
            self._dirty[(table, record["id"])] = record
        for rid in deleted:
            self._dirty[(table, rid)] = None
        if not self._batching:
            self._flush()

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, {}
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO records (tbl, id, data) VALUES (?, ?, ?)",
                                 [(t, i, json.dumps(r)) for (t, i), r in dirty.items() if r is not None])
            self._db.executemany("DELETE FROM records WHERE tbl = ? AND id = ?",
                                 [(t, i) for (t, i), r in dirty.items() if r is None])
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_id', ?)", (str(self.next_id),))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Write many changes to SQLite in one transaction (seeding, bulk inserts)."""
        with self.lock:
            self._batching += 1
            try:
                yield
            finally:
                self._batching -= 1
                if not self._batching and self._db is not None:
                    self._flush()

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self._flush()
                self._db.close()
                self._db = None

    def is_empty(self) -> bool:
        return not any(self.tables.values())

    def clear(self) -> None:
        with self.lock:
            self.tables.clear()
            self._dirty.clear()
            self.next_id = FIRST_ID
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM records")
                    self._db.execute("DELETE FROM meta")

    # -- ids ---------------------------------------------------------------------------------------------
    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, table: str, rid: Any) -> Record | None:
        try:
            rid = int(rid)
        except (TypeError, ValueError):
            return None
        with self.lock:
            return self.tables.get(table, {}).get(rid)

    def all(self, table: str) -> list[Record]:
        with self.lock:
            return sorted(self.tables.get(table, {}).values(), key=lambda r: r["id"])

    def find(self, table: str, **where: Any) -> list[Record]:
        # filtered first, one key at a time, then sorted: a session's sandbox holds every test's companies (12,000
        # cost codes), and sorting all of them for each lookup was most of a listing's time
        with self.lock:
            found = list(self.tables.get(table, {}).values())
        for key, value in where.items():
            found = [r for r in found if r.get(key) == value]
        return sorted(found, key=itemgetter("id"))

    def first(self, table: str, **where: Any) -> Record | None:
        found = self.find(table, **where)
        return found[0] if found else None

    # -- writes ------------------------------------------------------------------------------------------
    def insert(self, table: str, record: Record, actor: int | None = None, emit: bool = True) -> Record:
        return self.insert_many(table, [record], actor=actor, emit=emit)[0]

    def insert_many(self, table: str, records: list[Record], actor: int | None = None,
                    emit: bool = True) -> list[Record]:
        stamp = self.clock.iso()
        out = []
        with self.lock:
            rows = self.tables.setdefault(table, {})
            for record in records:
                record = copy.deepcopy(record)
                rid = record.get("id")
                if rid is None or int(rid) in rows:
                    record["id"] = self.new_id()
                else:
                    record["id"] = int(rid)
                    self.next_id = max(self.next_id, record["id"])
                record.setdefault("created_at", stamp)
                record.setdefault("updated_at", stamp)
                rows[record["id"]] = record
                out.append(record)
            self._persist(table, out)
        if emit:
            for record in out:
                self._notify(table, record, "create", actor)
        return out

    def update(self, table: str, rid: int, changes: Record, actor: int | None = None,
               emit: bool = True) -> Record:
        with self.lock:
            record = self.tables[table][int(rid)]
            record.update(copy.deepcopy({k: v for k, v in changes.items() if k != "id"}))
            record["updated_at"] = self.clock.iso()
            self._persist(table, [record])
        if emit:
            self._notify(table, record, "update", actor)
        return record

    def delete(self, table: str, rid: int, actor: int | None = None, emit: bool = True) -> Record | None:
        with self.lock:
            record = self.tables.get(table, {}).pop(int(rid), None)
            if record is not None:
                self._persist(table, [], deleted=[record["id"]])
        if record is not None and emit:
            self._notify(table, record, "delete", actor)
        return record

    def _notify(self, table: str, record: Record, event_type: str, actor: int | None) -> None:
        snapshot = copy.deepcopy(record)
        for listener in self.listeners:
            listener(table, snapshot, event_type, actor)

"""Outbox outcomes the database could not take because it was unreachable, kept in memory until it answers.

Why: a worker whose QuickBooks create succeeded but whose commit of the result failed (the database stopped) used
to leave the row claimed; only the claim timeout (5 minutes) let a worker take it back and reconcile. The worker
knows at once what happened, so it keeps the outcome here and records it as soon as the database answers — within
the back-off's cap (2 s) of its return. Rows whose run failed *before* an outcome existed are released the same way
(back to pending; the next attempt reconciles by the record's natural key before it creates anything).

Exactly once still holds: recording is the outbox's compare-and-set on the claim (`Outbox._still_ours`), so an
outcome held past the claim timeout finds the row taken over and records nothing; and a process that dies with
outcomes held leaves claims that time out as before.

One `HELD` per process, whichever outbox instance (the worker's loop, a Slack click's drain) held the outcome; a
daemon thread retries until the list is empty.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.db_outage import OUTAGE, Backoff, is_outage

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Held:
    entry_ids: tuple[int, ...]
    item_ids: tuple[int, ...]
    record: Callable[[], Any]  # records the outcome (a compare-and-set on the claim: at most once)
    recorded: Callable[[list[int]], None] | None = None  # told the item ids once it is recorded (card redraws)
    release: bool = False  # no outcome: the rows only go back to pending


class HeldOutcomes:
    def __init__(self, base: float = 0.25, cap: float = 2.0) -> None:
        self.base, self.cap = base, cap
        self._lock = threading.Lock()
        self._settling = threading.Lock()
        self._held: list[Held] = []
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def wake(self) -> None:
        """The database is back: try at once rather than at the end of the current back-off."""
        self._wake.set()

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)

    def hold(self, held: Held) -> None:
        with self._lock:
            first = not self._held
            self._held.append(held)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._retry, name="ledgerlink-outbox-held", daemon=True)
                self._thread.start()
        if first:
            what = "claim(s) to release" if held.release else "export result(s)"
            logger.warning("outbox: the database is unreachable; holding %d %s in memory (rows %s) until it answers",
                           len(held.entry_ids), what, _ids(held.entry_ids))

    def settle(self) -> int:
        """Record what is held, oldest first, until the database refuses again; returns how many rows were."""
        with self._settling:
            with self._lock:
                pending = list(self._held)
            rows: list[int] = []
            for held in pending:
                try:
                    held.record()
                except Exception as exc:  # noqa: BLE001 - an outage keeps it; anything else is logged below
                    if is_outage(exc):
                        break
                    logger.exception("outbox: recording the held outcome of rows %s failed; they are taken back "
                                     "when their claim times out", _ids(held.entry_ids))
                with self._lock:
                    self._held.remove(held)
                    if not self._held:
                        self._wake.set()  # the retry thread ends now rather than after its back-off
                rows.extend(held.entry_ids)
                if held.recorded is not None and held.item_ids:
                    try:
                        held.recorded(list(held.item_ids))
                    except Exception:  # noqa: BLE001 - the card redraw is best effort (the stale-card sweep follows)
                        logger.exception("outbox: redrawing the cards of items %s failed", _ids(held.item_ids))
            if rows:
                logger.info("outbox: recorded the %d outcome(s) held while the database was unreachable (rows %s)",
                            len(rows), _ids(rows))
            return len(rows)

    def _retry(self) -> None:
        backoff = Backoff(self.base, self.cap)
        while True:
            with self._lock:
                if not self._held:
                    self._thread = None
                    return
            self._wake.wait(backoff.failed())
            self._wake.clear()
            if self.settle():
                backoff.reset()


def _ids(ids: Any) -> str:
    ids = list(ids)
    return ", ".join(map(str, ids[:10])) + (f" … ({len(ids)})" if len(ids) > 10 else "")


HELD = HeldOutcomes()
OUTAGE.on_back(HELD.wake)

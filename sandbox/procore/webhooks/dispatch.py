"""Deliver webhook events from a background thread, retrying failures with backoff.

Like Procore, a delivery is an HTTPS-style `POST` of the event JSON to the hook's `destination_url` with the
hook's `destination_headers` (the shared secret travels in `Authorization`). A non-2xx answer, a timeout or
a refused connection is retried on the configured schedule (Procore: exponential backoff from 1 s to 1 h
for up to 12 h, then the event is discarded); every redelivery carries the same `id` and `ulid`. The
`duplicate` switch delivers each event twice (or N times), as Procore sometimes does, to exercise receivers' dedupe.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from flask import g, has_request_context

from ..config import Config
from ..store import Record, Store
from . import events


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _copies(duplicate: Any) -> int:
    """`duplicate`: false = each event once, true = twice, a number N = N times (all with the same ulid)."""
    if isinstance(duplicate, bool) or duplicate is None:
        return 2 if duplicate else 1
    return max(1, int(duplicate))


class Dispatcher:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.cond = threading.Condition()
        self.queue: list[tuple[float, int, int]] = []  # (due, seq, delivery id)
        self.deliveries: dict[int, dict[str, Any]] = {}
        self.attempts: list[dict[str, Any]] = []  # one row per POST, as Procore's deliveries endpoint lists
        self.in_flight = 0
        self.seq = itertools.count(1)
        self.event_ids = itertools.count(1)
        self.delivery_ids = itertools.count(1)
        self.thread: threading.Thread | None = None
        self.stopping = False

    # -- producing ---------------------------------------------------------------------------------------
    def on_change(self, table: str, record: Record, event_type: str, actor: int | None) -> None:
        resource_name = events.RESOURCE_NAMES.get(table)
        if resource_name is None or not self.config["webhooks"]["enabled"]:
            return
        company_id, project_id = events.event_scope(self.store, record)
        if resource_name in events.COMPANY_LEVEL:
            project_id = None
        hooks = events.matching_hooks(self.store, resource_name, event_type, record["id"], company_id, project_id)
        if not hooks:
            return
        application_id = None
        if has_request_context() and getattr(g, "token", None):
            application_id = g.token.get("client_id")
        epoch = self.store.clock.now()
        event = events.build_event(next(self.event_ids), events.new_ulid(epoch), epoch, resource_name,
                                   record["id"], event_type, company_id, project_id, actor, application_id)
        copies = _copies(self.config["webhooks"]["duplicate"])
        for hook in hooks:
            for n in range(copies):
                self._enqueue(hook, event, duplicate=n > 0)

    def _enqueue(self, hook: Record, event: dict[str, Any], duplicate: bool) -> None:
        delivery = {
            "id": next(self.delivery_ids), "hook_id": hook["id"], "event_id": event["id"], "ulid": event["ulid"],
            "resource_name": event["resource_name"], "resource_id": event["resource_id"],
            "event_type": event["event_type"], "destination_url": hook["destination_url"],
            "headers": dict(hook.get("destination_headers") or {}), "payload": events.payload_for(hook, event),
            "event": event, "status": "pending", "attempts": 0, "duplicate": duplicate,
            "response_status": None, "response_error": None, "history": [], "created_at": _iso(time.time()),
        }
        with self.cond:
            self.deliveries[delivery["id"]] = delivery
            heapq.heappush(self.queue, (time.monotonic(), next(self.seq), delivery["id"]))
            self._ensure_thread()
            self.cond.notify_all()

    def _ensure_thread(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            self.stopping = False
            self.thread = threading.Thread(target=self._run, name="procore-webhooks", daemon=True)
            self.thread.start()

    # -- consuming ---------------------------------------------------------------------------------------
    def _run(self) -> None:
        with httpx.Client(follow_redirects=False) as client:
            while True:
                with self.cond:
                    while not self.stopping and (not self.queue or self.queue[0][0] > time.monotonic()):
                        timeout = (self.queue[0][0] - time.monotonic()) if self.queue else None
                        self.cond.wait(timeout)
                    if self.stopping:
                        return
                    _, _, delivery_id = heapq.heappop(self.queue)
                    delivery = self.deliveries[delivery_id]
                    self.in_flight += 1
                try:
                    self._attempt(client, delivery)
                finally:
                    with self.cond:
                        self.in_flight -= 1
                        self.cond.notify_all()

    def _attempt(self, client: httpx.Client, delivery: dict[str, Any]) -> None:
        settings = self.config["webhooks"]
        started = time.time()
        status, error, body, headers = None, None, None, {}
        if self.store.get("webhook_hooks", delivery["hook_id"]) is None:  # hook deleted meanwhile
            with self.cond:
                delivery.update(status="discarded", response_error="hook deleted")
            return
        try:
            response = client.post(delivery["destination_url"], json=delivery["payload"],
                                   headers={"User-Agent": "Procore-Webhooks-Sandbox", **delivery["headers"]},
                                   timeout=float(settings["timeout"]))
            status, body, headers = response.status_code, response.text[:2000], dict(response.headers)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        with self.cond:
            delivery["attempts"] += 1
            n = delivery["attempts"]
            give_up = not ok and n >= int(settings["max_attempts"])
            outcome = "ok" if ok else ("discarded" if give_up else "retried")
            delivery.update(response_status=status, response_error=error,
                            status="delivered" if ok else ("discarded" if give_up else "pending"))
            row = {"attempt": n, "started_at": _iso(started), "completed_at": _iso(time.time()),
                   "response_status": status, "response_error": error, "outcome": outcome}
            delivery["history"].append(row)
            self.attempts.append(dict(row, hook_id=delivery["hook_id"], event_id=delivery["event_id"],
                                      event=delivery["event"], response_body=body, response_headers=headers))
            if outcome == "retried":
                delays = settings["retry_delays"] or [1.0]
                delay = float(delays[min(n - 1, len(delays) - 1)])
                heapq.heappush(self.queue, (time.monotonic() + delay, next(self.seq), delivery["id"]))

    # -- inspection --------------------------------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        with self.cond:
            return [copy.deepcopy({k: v for k, v in d.items() if k != "event"}) for d in self.deliveries.values()]

    def attempts_for(self, hook_id: int) -> list[dict[str, Any]]:
        with self.cond:
            return [copy.deepcopy(a) for a in self.attempts if a["hook_id"] == hook_id]

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or in flight (retries included), or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.queue or self.in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(remaining)
            return True

    def clear(self) -> None:
        with self.cond:
            self.queue.clear()
            self.deliveries.clear()
            self.attempts.clear()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.thread is not None:
            self.thread.join(timeout=5)

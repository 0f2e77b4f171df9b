"""Signed change notifications (Intuit's legacy `eventNotifications` format) POSTed from a background thread.

Signature: header `intuit-signature` = base64(HMAC-SHA256(verifier token, raw body)). Deliveries are retried on
connection errors and on 408/500/502/503/504 (Intuit's retry list), a few times with a short back-off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from datetime import UTC, datetime

import httpx

log = logging.getLogger(__name__)
RETRY_STATUSES = {408, 500, 502, 503, 504}


def sign(verifier_token: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()


def utc_stamp(local_iso: str) -> str:
    """MetaData time → `2024-05-01T17:02:03.000Z` (notifications carry UTC)."""
    when = datetime.fromisoformat(local_iso).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class Webhooks:
    def __init__(self, url: str | None = None, verifier: str | None = None, attempts: int = 4,
                 backoff: float = 0.2) -> None:
        self.url, self.verifier = url, verifier
        self.attempts, self.backoff = attempts, backoff
        self.deliveries: list[dict] = []  # last 200 attempts, for tests and the demo
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def configure(self, url: str | None, verifier: str | None) -> None:
        self.url, self.verifier = url or None, verifier or None

    def enabled(self) -> bool:
        return bool(self.url and self.verifier)

    def publish(self, realm_id: str, entities: list[dict]) -> None:
        if not entities or not self.enabled():
            return
        items = [{**e, "lastUpdated": utc_stamp(e["lastUpdated"])} for e in entities]
        self._queue.put((self.url, self.verifier, realm_id, items))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="qbo-sandbox-webhooks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while True:
                try:
                    url, verifier, realm_id, items = self._queue.get(timeout=30)
                except queue.Empty:
                    return
                time.sleep(0.05)  # gather what else this burst changed, one notification per realm
                batch = {realm_id: list(items)}
                while True:
                    try:
                        _, _, other_realm, more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    batch.setdefault(other_realm, []).extend(more)
                for realm, entities in batch.items():
                    self._deliver(client, url, verifier, realm, entities)

    def _deliver(self, client: httpx.Client, url: str, verifier: str, realm_id: str, entities: list[dict]) -> None:
        body = json.dumps({"eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": entities}}]},
                          separators=(",", ":")).encode()
        headers = {"content-type": "application/json; charset=utf-8", "intuit-signature": sign(verifier, body),
                   "intuit-t-id": str(uuid.uuid4()), "intuit-notification-schema-version": "0.1",
                   "intuit-created-time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "user-agent": "intuit_notification_server/0.1", "accept": "application/json"}
        for attempt in range(1, self.attempts + 1):
            try:
                status = client.post(url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                status, error = None, str(exc)
            else:
                error = None
            self._record({"realm_id": realm_id, "attempt": attempt, "status": status, "error": error,
                          "entities": entities})
            if status is not None and status not in RETRY_STATUSES:
                return
            time.sleep(self.backoff * attempt)
        log.warning("webhook to %s dropped after %d attempts", url, self.attempts)

    def _record(self, entry: dict) -> None:
        with self._lock:
            self.deliveries.append(entry)
            del self.deliveries[:-200]

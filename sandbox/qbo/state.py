"""The sandbox's shared state object and small response helpers used by every blueprint."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field

from flask import Response, current_app

from .clock import Clock, fmt_ms
from .keys import SigningKey
from .limits import LimitConfig, Limiter
from .seed import seed_realm
from .store import Realm, Store
from .webhooks import Webhooks

FIRST_REALM_ID = 9341450000000001  # 16 digits, like Intuit's sandbox company ids


@dataclass
class OAuthConfig:
    access_ttl: int = 3600
    refresh_ttl: int = 8726400  # Intuit's x_refresh_token_expires_in (101 days)
    rotate_after: int = 86400  # a refresh within 24 h of the refresh token's issue returns the same value
    grace: int = 120  # the superseded refresh token still works this long after rotation
    code_ttl: int = 600
    max_lifetime: int = 5 * 365 * 86400  # 2025 policy: at most 5 years from the first authorisation

    def as_dict(self) -> dict:
        return dict(self.__dict__)


KINDS = ("path", "entity", "operation", "status", "fault")


@dataclass
class Stats:
    """Request counts per realm, for tests and benchmarks to assert how many API calls a sync made (and how many
    faults were injected into them, by kind)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    per_realm: dict[str, dict[str, Counter]] = field(default_factory=dict)

    def add(self, realm: str, path: str, entity: str, operation: str) -> None:
        with self.lock:
            bucket = self.per_realm.setdefault(realm, {k: Counter() for k in KINDS})
            bucket["path"][path] += 1
            bucket["entity"][entity] += 1
            bucket["operation"][operation] += 1

    def status(self, realm: str, status: int) -> None:
        with self.lock:
            if realm in self.per_realm:
                self.per_realm[realm]["status"][str(status)] += 1

    def fault(self, realm: str, kind: str) -> None:
        with self.lock:
            if realm in self.per_realm:
                self.per_realm[realm]["fault"][kind] += 1

    def snapshot(self, realm: str | None) -> dict:
        with self.lock:
            realms = [realm] if realm else list(self.per_realm)
            total: dict[str, Counter] = {k: Counter() for k in KINDS}
            for name in realms:
                for key, counter in self.per_realm.get(name, {}).items():
                    total[key].update(counter)
            return {"realm_id": realm, "total": sum(total["path"].values()),
                    "by_path": dict(total["path"]), "by_entity": dict(total["entity"]),
                    "by_operation": dict(total["operation"]), "by_status": dict(total["status"]),
                    "by_fault": dict(total["fault"])}

    def reset(self, realm: str | None) -> None:
        with self.lock:
            if realm:
                self.per_realm.pop(realm, None)
            else:
                self.per_realm.clear()


class Sandbox:
    def __init__(self, db: str | None = None, limits: LimitConfig | None = None, webhook_url: str | None = None,
                 webhook_verifier: str | None = None) -> None:
        self.store = Store(db)
        self.clock = Clock()
        self.limits = limits or LimitConfig()
        self.limiter = Limiter(self.limits)
        self.webhooks = Webhooks(webhook_url, webhook_verifier)
        self.oauth = OAuthConfig()
        self.stats = Stats()
        self.key = SigningKey()
        self.upload_max_bytes = 100 * 1024 * 1024  # QuickBooks' limit per attachment; /_sandbox/config lowers it

    def new_realm(self, realm_id: str | None = None, company_name: str | None = None, seed: bool = True) -> Realm:
        with self.store.lock:
            if realm_id is None:
                numbers = [int(r) for r in self.store.realms if r.isdigit()]
                realm_id = str(max(numbers + [FIRST_REALM_ID - 1]) + 1)
            if self.store.realm(realm_id) is not None:
                return self.store.realm(realm_id)
            realm = self.store.add_realm(realm_id, {"company_name": company_name or "Sandbox Company_US_1",
                                                    "preferences": {"duplicate_doc_number_check": True}})
            if seed:
                seed_realm(self, realm)
            return realm


def sandbox() -> Sandbox:
    return current_app.extensions["qbo_sandbox"]


def time_ms_text() -> str:
    return fmt_ms(sandbox().clock.now())


def json_response(payload: dict, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    response = Response(body, status=status, content_type="application/json;charset=UTF-8")
    response.headers["intuit_tid"] = str(uuid.uuid4())
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def envelope(payload: dict, status: int = 200) -> Response:
    """A data-service response: the payload plus the local `time` stamp."""
    return json_response({**payload, "time": time_ms_text()}, status)


def fault_response(fault, status: int | None = None) -> Response:
    return envelope({"Fault": fault.fault()}, status or fault.status)

"""TokenStore on SQLite and PostgreSQL: one refresh at a time per connection across threads and processes,
rotation never loses a token, invalid_grant => needs_reauth, tokens encrypted at rest, never logged."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from flask import Flask, jsonify, request
from sqlalchemy import text
from sqlmodel import Session

from core.crypto import SecretBox
from core.models import Connection, Tenant
from sync.tokens import (
    NEEDS_REAUTH,
    InvalidGrant,
    ReauthorizationRequired,
    TokenSet,
    TokenStore,
)
from tests.support.servers import running_wsgi

KEY = os.environ["LEDGERLINK_SECRET_KEY"]
HOUR = timedelta(hours=1)


def now() -> datetime:
    return datetime.now(UTC)


class FakeIdP:
    """A provider with single-use rotating refresh tokens: spending a rotated one is invalid_grant."""

    def __init__(self, latency: float = 0.005) -> None:
        self.lock = threading.Lock()
        self.current = "R0"
        self.n = 0
        self.calls = 0
        self.stale_uses = 0
        self.latency = latency

    def refresh(self, refresh_token: str) -> TokenSet:
        time.sleep(self.latency)  # widen the race window
        with self.lock:
            self.calls += 1
            if refresh_token != self.current:
                self.stale_uses += 1
                raise InvalidGrant("refresh token already used")
            self.n += 1
            self.current = f"R{self.n}"
            return TokenSet(access_token=f"A{self.n}", refresh_token=self.current, access_expires_at=now() + HOUR,
                            refresh_expires_at=now() + timedelta(days=100))


def new_connection(engine, store: TokenStore, *, expired: bool = True, provider: str = "qbo") -> int:
    with Session(engine) as s:
        tenant = Tenant(name="Acme")
        s.add(tenant)
        s.commit()
        tenant_id = tenant.id
    expires = now() - timedelta(seconds=1) if expired else now() + HOUR
    return store.save(tenant_id=tenant_id, provider=provider, external_id="9130",
                      tokens=TokenSet(access_token="A0", refresh_token="R0", access_expires_at=expires))


def run_threads(n: int, target) -> list:
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def wrap(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            results[i] = exc

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


def stored(engine, box: SecretBox, cid: int) -> tuple[str | None, str | None, int, str]:
    with Session(engine) as s:
        row = s.get(Connection, cid)
        return box.decrypt(row.access_token_enc), box.decrypt(row.refresh_token_enc), row.version, row.status


def test_1000_concurrent_refreshes_make_exactly_one_rotation(engine):
    idp, box = FakeIdP(), SecretBox(KEY)
    store = TokenStore(engine, box, {"qbo": idp.refresh})
    cid = new_connection(engine, store)
    started = time.monotonic()
    results = run_threads(1000, lambda i: store.access_token(cid))
    elapsed = time.monotonic() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert set(results) == {"A1"}
    assert (idp.calls, idp.stale_uses, store.refresh_count) == (1, 0, 1)
    assert stored(engine, box, cid) == ("A1", "R1", 2, "active")
    assert elapsed < 20, f"1000 threads took {elapsed:.1f}s"


def test_401_storm_rotation_chain_never_spends_a_stale_token(engine):
    """40 threads x 8 rounds, each rejecting the token it last got (as after a 401): rotations happen one after
    the other, each from the newest refresh token, and the newest is what the DB holds at the end."""
    idp, box = FakeIdP(latency=0.001), SecretBox(KEY)
    store = TokenStore(engine, box, {"qbo": idp.refresh})
    cid = new_connection(engine, store, expired=False)

    def rounds(_: int) -> list[str]:
        got, last = [], None
        for _ in range(8):
            last = store.access_token(cid, rejected=last)
            got.append(last)
        return got

    results = run_threads(40, rounds)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert idp.stale_uses == 0
    assert 1 <= idp.calls == store.refresh_count <= 40 * 8
    access, refresh, version, status = stored(engine, box, cid)
    assert (refresh, access, status) == (idp.current, f"A{idp.n}", "active")
    assert version == 1 + idp.n
    for got in results:  # every thread saw tokens move forward only
        nums = [int(t[1:]) for t in got]
        assert nums == sorted(nums) and len(set(nums)) == len(nums)


# -- across processes ------------------------------------------------------------------------------------
def idp_app(state: dict) -> Flask:
    app = Flask("fake-idp")
    lock = threading.Lock()

    @app.post("/token")
    def token():
        rt = request.form["refresh_token"]
        time.sleep(0.003)
        with lock:
            state["calls"] += 1
            if rt != state["current"]:
                state["stale"] += 1
                return jsonify(error="invalid_grant"), 400
            state["n"] += 1
            state["current"] = f"R{state['n']}"
            return jsonify(access_token=f"A{state['n']}", refresh_token=state["current"], expires_in=3600)

    return app


def _process_worker(db_url: str, cid: int, idp_url: str, threads: int, rounds: int, out) -> None:
    from core.db import make_engine

    engine = make_engine(db_url)

    def refresher(refresh_token: str) -> TokenSet:
        r = httpx.post(idp_url, data={"refresh_token": refresh_token}, timeout=10)
        if r.status_code == 400:
            raise InvalidGrant(r.json()["error"])
        body = r.json()
        return TokenSet.from_expires_in(access_token=body["access_token"], refresh_token=body["refresh_token"],
                                        expires_in=body["expires_in"])

    store = TokenStore(engine, SecretBox(KEY), {"qbo": refresher})
    errors: list[str] = []

    def work() -> None:
        last = None
        try:
            for _ in range(rounds):
                last = store.access_token(cid, rejected=last)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            errors.append(repr(exc))

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    out.put({"refreshes": store.refresh_count, "errors": errors})
    engine.dispose()


def test_refreshes_across_processes_are_serialised_by_the_database(engine):
    state = {"current": "R0", "n": 0, "calls": 0, "stale": 0}
    box = SecretBox(KEY)
    store = TokenStore(engine, box)
    cid = new_connection(engine, store)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    with running_wsgi(idp_app(state)) as base:
        procs = [ctx.Process(target=_process_worker, args=(engine.url.render_as_string(hide_password=False), cid,
                                                           f"{base}/token", 10, 4, out)) for _ in range(3)]
        for p in procs:
            p.start()
        reports = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
    assert [r["errors"] for r in reports] == [[]] * 3
    assert state["stale"] == 0
    assert sum(r["refreshes"] for r in reports) == state["calls"] == state["n"] >= 1
    access, refresh, version, status = stored(engine, box, cid)
    assert (refresh, access, status, version) == (state["current"], f"A{state['n']}", "active", 1 + state["n"])


# -- the rest --------------------------------------------------------------------------------------------
def test_fresh_token_is_not_refreshed_and_near_expiry_is(engine):
    idp, box = FakeIdP(latency=0), SecretBox(KEY)
    store = TokenStore(engine, box, {"qbo": idp.refresh})
    cid = new_connection(engine, store, expired=False)
    assert store.access_token(cid) == "A0" and idp.calls == 0
    with Session(engine) as s:
        row = s.get(Connection, cid)
        row.access_expires_at = now() + timedelta(minutes=2)  # inside the 5-minute margin
        s.add(row)
        s.commit()
    assert store.access_token(cid) == "A1" and idp.calls == 1
    assert store.access_token(cid, rejected="A0") == "A1" and idp.calls == 1  # someone else's stale 401


def test_invalid_grant_marks_needs_reauth_once(engine):
    idp, box = FakeIdP(), SecretBox(KEY)
    idp.current = "R-someone-else"  # our R0 was revoked / rotated elsewhere
    store = TokenStore(engine, box, {"qbo": idp.refresh})
    cid = new_connection(engine, store)
    results = run_threads(50, lambda i: store.access_token(cid))
    assert all(isinstance(r, ReauthorizationRequired) for r in results)
    assert idp.calls == 1
    info = store.info(cid)
    assert info.status == NEEDS_REAUTH
    assert "invalid_grant" in info.status_detail and "reconnect QuickBooks" in info.status_detail
    assert results[0].connection_id == cid and results[0].provider == "qbo"
    with pytest.raises(ReauthorizationRequired):
        store.access_token(cid)
    assert idp.calls == 1
    # a new grant (OAuth callback) brings it back
    store.save(tenant_id=info.tenant_id, provider="qbo", external_id="9130",
               tokens=TokenSet(access_token="N", refresh_token="NR", access_expires_at=now() + HOUR))
    assert store.info(cid).status == "active" and store.access_token(cid) == "N"


def test_tokens_are_encrypted_at_rest_and_the_wrong_key_cannot_read_them(engine):
    box = SecretBox(KEY)
    store = TokenStore(engine, box)
    access, refresh = "plain-access-token-abc123", "plain-refresh-token-xyz789"
    with Session(engine) as s:
        tenant = Tenant(name="T")
        s.add(tenant)
        s.commit()
        tid = tenant.id
    cid = store.save(tenant_id=tid, provider="procore", external_id="42",
                     tokens=TokenSet(access_token=access, refresh_token=refresh, access_expires_at=now() + HOUR))
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT * FROM connections WHERE id = :id"), {"id": cid}).mappings().one()
    dump = " ".join(str(v) for v in raw.values())
    assert access not in dump and refresh not in dump
    assert box.decrypt(raw["access_token_enc"]) == access
    other = TokenStore(engine, SecretBox(Fernet.generate_key().decode()))
    with pytest.raises(Exception, match="cannot be decrypted"):
        other.access_token(cid)


def test_tokens_never_reach_the_logs(engine, caplog):
    caplog.set_level(logging.DEBUG)
    idp, box = FakeIdP(latency=0), SecretBox(KEY)
    store = TokenStore(engine, box, {"qbo": idp.refresh})
    cid = new_connection(engine, store)
    store.access_token(cid)
    idp.current = "gone"
    with Session(engine) as s:
        row = s.get(Connection, cid)
        row.access_expires_at = now() - HOUR
        s.add(row)
        s.commit()
    with pytest.raises(ReauthorizationRequired):
        store.access_token(cid)
    text_ = "\n".join(r.getMessage() for r in caplog.records)
    assert "refreshed qbo connection" in text_
    for secret in ("A0", "R0", "A1", "R1"):
        assert f"{secret}'" not in text_ and f" {secret} " not in text_ and not text_.endswith(secret)
    assert "R1" not in repr(TokenSet(access_token="A1", refresh_token="R1"))


def test_unknown_provider_and_missing_connection(engine):
    store = TokenStore(engine, SecretBox(KEY))
    cid = new_connection(engine, store, provider="other")
    with pytest.raises(Exception, match="no refresher"):
        store.access_token(cid)
    with pytest.raises(LookupError):
        store.access_token(999999)

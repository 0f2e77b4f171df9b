"""Rotation-safe OAuth token store, shared by every provider (QBO, Procore).

Tokens live Fernet-encrypted in ``connections`` (`core.models.Connection`). `TokenStore.access_token()` hands out
a valid access token and refreshes it when it is expired, about to expire, or was just refused with a 401.

Why the locking: both QBO and Procore **rotate** refresh tokens — after a refresh only the newest one works. Two
workers refreshing at once would each spend the same refresh token; the loser gets ``invalid_grant`` and, worse, one
of the two new refresh tokens is lost, breaking the connection until a person reconnects. So:

1. threads of one process queue on a per-connection `threading.Lock` (cheap, no DB round-trips);
2. across processes the refresh runs inside a DB transaction that owns the row — ``SELECT … FOR UPDATE`` on
   PostgreSQL, ``BEGIN IMMEDIATE`` (the database write lock) on SQLite — and the write is a compare-and-set on
   ``version`` as a last guard;
3. after taking the lock the row is **re-read**: if someone else already rotated (the stored access token is fresh
   and is not the one that got the 401), that token is used and no refresh is made;
4. the new refresh token is **committed before** the new access token is returned, so it can never be lost after
   it was used.

``invalid_grant`` marks the connection ``needs_reauth`` with a sentence for people (the Slack side tells admins)
and raises `ReauthorizationRequired`. Tokens are never logged; `TokenSet` masks them in its repr.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import metrics
from core.crypto import SecretBox
from core.models import Connection
from sync.outbox import CRASH_ENV, crash_point_from_env

logger = logging.getLogger(__name__)

ACTIVE = "active"
NEEDS_REAUTH = "needs_reauth"
REVOKED = "revoked"
PROVIDER_LABELS = {"qbo": "QuickBooks", "procore": "Procore"}
#: refresh this long before the access token's stated expiry (clock skew, a request already under way)
DEFAULT_REFRESH_MARGIN = timedelta(minutes=5)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint gave back. ``refresh_token`` None means "keep the current one"."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None

    @classmethod
    def from_expires_in(cls, *, access_token: str, refresh_token: str | None, expires_in: float | None,
                        refresh_expires_in: float | None = None, now: datetime | None = None) -> TokenSet:
        """Build from an OAuth response's relative lifetimes (``expires_in``, ``x_refresh_token_expires_in``)."""
        now = now or utcnow()
        return cls(access_token=access_token, refresh_token=refresh_token,
                   access_expires_at=now + timedelta(seconds=float(expires_in)) if expires_in else None,
                   refresh_expires_at=now + timedelta(seconds=float(refresh_expires_in)) if refresh_expires_in
                   else None)


#: Provider-specific refresh: given the current refresh token, return the new TokenSet. Raise `InvalidGrant` when
#: the provider answers ``invalid_grant``, `TokenRefreshFailed` for anything transient.
Refresher = Callable[[str], TokenSet]


class TokenError(Exception):
    """Base of the token store's errors."""


class InvalidGrant(TokenError):
    """Raised by a refresher: the provider refused the refresh token (revoked, expired, or already rotated)."""


class TokenRefreshFailed(TokenError):
    """Raised by a refresher: the refresh could not be done now (network, 5xx); nothing was changed."""


class ReauthorizationRequired(TokenError):
    """The connection needs a person to reconnect it; ``detail`` is the sentence to show them."""

    def __init__(self, connection_id: int, provider: str, detail: str) -> None:
        super().__init__(detail)
        self.connection_id = connection_id
        self.provider = provider
        self.detail = detail
        self.hint = detail


@dataclass(frozen=True)
class ConnectionInfo:
    """A connection row without its secrets."""

    id: int
    tenant_id: int
    provider: str
    external_id: str | None
    status: str
    status_detail: str | None
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    version: int

    @classmethod
    def of(cls, row: Connection) -> ConnectionInfo:
        return cls(id=row.id, tenant_id=row.tenant_id, provider=row.provider,  # type: ignore[arg-type]
                   external_id=row.external_id, status=row.status, status_detail=row.status_detail,
                   access_expires_at=row.access_expires_at, refresh_expires_at=row.refresh_expires_at,
                   version=row.version)


class TokenStore:
    """Encrypted tokens per connection, with one refresh at a time per connection across threads and processes."""

    def __init__(self, engine: Engine, secret_box: SecretBox, refreshers: Mapping[str, Refresher] | None = None,
                 *, refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.box = secret_box
        self.refreshers: dict[str, Refresher] = dict(refreshers or {})
        self.refresh_margin = refresh_margin
        self.clock = clock
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.refresh_count = 0  # refreshes made by this instance (tests, benchmarks)

    def register_refresher(self, provider: str, refresher: Refresher) -> None:
        self.refreshers[provider] = refresher

    def source(self, connection_id: int) -> ConnectionTokens:
        """A `sync.http.base.TokenSource` for one connection, to hand to a client."""
        return ConnectionTokens(self, connection_id)

    # -- writing a grant ---------------------------------------------------------------------------------
    def save(self, *, tenant_id: int, provider: str, external_id: str | None, tokens: TokenSet) -> int:
        """Store a fresh grant (OAuth callback): create or replace the tenant's connection; status active."""
        for _ in range(2):  # a concurrent first save may win the unique (tenant, provider); then update it
            try:
                with Session(self.engine, expire_on_commit=False) as s:
                    row = self.write_grant(s, tenant_id=tenant_id, provider=provider, external_id=external_id,
                                           tokens=tokens)
                    s.commit()
                    return int(row.id)  # type: ignore[arg-type]
            except IntegrityError:
                continue
        raise RuntimeError(f"could not save the {provider} connection of tenant {tenant_id}")

    def write_grant(self, s: Session, *, tenant_id: int, provider: str, external_id: str | None,
                    tokens: TokenSet) -> Connection:
        """`save` inside the caller's transaction (flushed, not committed): the connection row, status active."""
        now = self.clock()
        row = s.exec(select(Connection).where(Connection.tenant_id == tenant_id,
                                              Connection.provider == provider).with_for_update()).one_or_none()
        row = row or Connection(tenant_id=tenant_id, provider=provider, version=0)
        row.external_id = external_id
        row.access_token_enc = self.box.encrypt(tokens.access_token)
        row.refresh_token_enc = self.box.encrypt(tokens.refresh_token)
        row.access_expires_at = tokens.access_expires_at
        row.refresh_expires_at = tokens.refresh_expires_at
        row.refresh_token_issued_at = now
        row.status, row.status_detail = ACTIVE, None
        row.version = (row.version or 0) + 1
        row.updated_at = now
        s.add(row)
        s.flush()
        logger.info("saved %s connection %s for tenant %s (version %s)", provider, row.id, tenant_id, row.version)
        return row

    def mark_needs_reauth(self, connection_id: int, detail: str) -> None:
        with Session(self.engine) as s:
            s.execute(update(Connection).where(Connection.id == connection_id).values(
                status=NEEDS_REAUTH, status_detail=detail[:500], version=Connection.version + 1,
                updated_at=self.clock()))
            s.commit()

    def mark_revoked(self, connection_id: int, detail: str = "Disconnected by an admin") -> None:
        """After a revoke: forget the tokens, keep the row (history, realm id)."""
        with Session(self.engine) as s:
            s.execute(update(Connection).where(Connection.id == connection_id).values(
                status=REVOKED, status_detail=detail[:500], access_token_enc=None, refresh_token_enc=None,
                version=Connection.version + 1, updated_at=self.clock()))
            s.commit()

    # -- reading -----------------------------------------------------------------------------------------
    def info(self, connection_id: int) -> ConnectionInfo:
        with Session(self.engine) as s:
            row = s.get(Connection, connection_id)
            if row is None:
                raise LookupError(f"no connection {connection_id}")
            return ConnectionInfo.of(row)

    def find(self, *, tenant_id: int, provider: str) -> ConnectionInfo | None:
        with Session(self.engine) as s:
            row = s.exec(select(Connection).where(Connection.tenant_id == tenant_id,
                                                  Connection.provider == provider)).one_or_none()
            return ConnectionInfo.of(row) if row else None

    def current_tokens(self, connection_id: int) -> TokenSet:
        """The stored tokens, decrypted (for a revoke call). Does not refresh."""
        with Session(self.engine) as s:
            row = s.get(Connection, connection_id)
            if row is None:
                raise LookupError(f"no connection {connection_id}")
            return TokenSet(access_token=self.box.decrypt(row.access_token_enc) or "",
                            refresh_token=self.box.decrypt(row.refresh_token_enc),
                            access_expires_at=row.access_expires_at, refresh_expires_at=row.refresh_expires_at)

    # -- the access token --------------------------------------------------------------------------------
    def access_token(self, connection_id: int, *, rejected: str | None = None) -> str:
        """A valid access token. ``rejected``: the token a server just refused (401) — get a different one."""
        token = self._usable_token(connection_id, rejected)
        if token is not None:
            return token
        with self._lock_for(connection_id):
            token = self._usable_token(connection_id, rejected)  # another thread may have refreshed meanwhile
            if token is not None:
                return token
            return self._refresh_owning_row(connection_id, rejected)

    def _lock_for(self, connection_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(connection_id, threading.Lock())

    def _fresh(self, row: Connection) -> bool:
        return row.access_expires_at is None or row.access_expires_at - self.refresh_margin > self.clock()

    def _check_active(self, row: Connection) -> None:
        if row.status != ACTIVE:
            label = PROVIDER_LABELS.get(row.provider, row.provider)
            raise ReauthorizationRequired(row.id, row.provider,  # type: ignore[arg-type]
                                          row.status_detail or f"{label} is not connected — an admin must reconnect it")

    def _usable_token(self, connection_id: int, rejected: str | None) -> str | None:
        with Session(self.engine) as s:
            row = s.get(Connection, connection_id)
            if row is None:
                raise LookupError(f"no connection {connection_id}")
            self._check_active(row)
            token = self.box.decrypt(row.access_token_enc)
            return token if token and token != rejected and self._fresh(row) else None

    def _refresh_owning_row(self, connection_id: int, rejected: str | None) -> str:
        with Session(self.engine, expire_on_commit=False) as s:
            if self.engine.dialect.name == "sqlite":
                # take SQLite's write lock now, not at the first UPDATE: other processes wait here
                s.connection().exec_driver_sql("BEGIN IMMEDIATE")
            row = s.exec(select(Connection).where(Connection.id == connection_id).with_for_update()).one_or_none()
            if row is None:
                raise LookupError(f"no connection {connection_id}")
            self._check_active(row)
            current = self.box.decrypt(row.access_token_enc)
            if current and current != rejected and self._fresh(row):
                return current  # rotated by another worker while we waited for the lock
            refresh_token = self.box.decrypt(row.refresh_token_enc)
            label = PROVIDER_LABELS.get(row.provider, row.provider)
            refresher = self.refreshers.get(row.provider)
            if refresher is None:
                raise TokenError(f"no refresher registered for provider {row.provider!r}")
            if not refresh_token:
                return self._give_up(s, row, f"{label} has no refresh token stored — an admin must reconnect it")
            try:
                new = self._counted(row.provider, refresher, refresh_token)
            except InvalidGrant as exc:
                metrics.TOKEN_REFRESHES.labels(row.provider, "invalid_grant").inc()
                when = self.clock().strftime("%Y-%m-%d %H:%M UTC")
                return self._give_up(s, row, f"{label} refused Ledgerlink's saved sign-in on {when} "
                                             f"(invalid_grant{': ' + str(exc) if str(exc) else ''}) — an admin must "
                                             f"reconnect {label}")
            _crash_point("token_refreshed")  # the provider has rotated; nothing is saved yet
            now = self.clock()
            new_refresh = new.refresh_token or refresh_token
            values = {
                "access_token_enc": self.box.encrypt(new.access_token),
                "refresh_token_enc": self.box.encrypt(new_refresh),
                "access_expires_at": new.access_expires_at,
                "refresh_expires_at": new.refresh_expires_at or row.refresh_expires_at,
                "refresh_token_issued_at": now if new_refresh != refresh_token else row.refresh_token_issued_at,
                "version": row.version + 1,
                "updated_at": now,
            }
            result = s.execute(update(Connection).where(Connection.id == connection_id,
                                                        Connection.version == row.version).values(**values))
            if result.rowcount != 1:  # cannot happen while we hold the row; never hand out an unsaved token
                s.rollback()
                raise TokenError(f"connection {connection_id} changed under the refresh lock; token not used")
            s.commit()  # the new refresh token is durable before anyone uses the new access token
            _crash_point("token_saved")
            self.refresh_count += 1
            metrics.TOKEN_REFRESHES.labels(row.provider, "ok").inc()
            logger.info("refreshed %s connection %s (version %s -> %s%s)", row.provider, connection_id, row.version,
                        row.version + 1, ", refresh token rotated" if new_refresh != refresh_token else "")
            return new.access_token

    @staticmethod
    def _counted(provider: str, refresher: Refresher, refresh_token: str) -> TokenSet:
        """Call the refresher; count a failure other than invalid_grant (network, 5xx) as an error."""
        try:
            return refresher(refresh_token)
        except InvalidGrant:
            raise
        except Exception:
            metrics.TOKEN_REFRESHES.labels(provider, "error").inc()
            raise

    def _give_up(self, s: Session, row: Connection, detail: str) -> str:
        s.execute(update(Connection).where(Connection.id == row.id).values(
            status=NEEDS_REAUTH, status_detail=detail[:500], version=row.version + 1, updated_at=self.clock()))
        s.commit()
        logger.warning("%s connection %s needs re-authorisation: %s", row.provider, row.id, detail)
        raise ReauthorizationRequired(row.id, row.provider, detail)  # type: ignore[arg-type]


def _crash_point(point: str) -> None:
    """Test only (tests/reliability/test_security_refresh.py): LEDGERLINK_CRASH_AT=<point> SIGKILLs the process
    here, as sync/outbox.py's kill points do. Inert unless set."""
    if os.environ.get(CRASH_ENV) == point:
        crash = crash_point_from_env()
        if crash is not None:
            crash(point)


class ConnectionTokens:
    """`TokenSource` bound to one connection (what a client holds)."""

    def __init__(self, store: TokenStore, connection_id: int) -> None:
        self.store = store
        self.connection_id = connection_id

    def access_token(self, *, rejected: str | None = None) -> str:
        return self.store.access_token(self.connection_id, rejected=rejected)

    def info(self) -> ConnectionInfo:
        return self.store.info(self.connection_id)

    def __repr__(self) -> str:
        return f"ConnectionTokens(connection_id={self.connection_id})"

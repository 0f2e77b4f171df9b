"""`ledgerlink status` and the admins' Operations section of App Home: is it healthy, how far behind, what needs
a person. Each check answers ok, warn (worth knowing) or fail (a person must act: the CLI exits 1).

Local checks read only the database; `remote=True` (the CLI) also asks Slack (`auth.test`) and Procore (the
webhook hooks registered for our URL). Nothing here prints a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.leader import LOCK_NAME, advisory_key
from bot.slack_clients import make_web_client
from bot.startup import where
from core.config import Settings
from core.db import db_status
from core.models import Connection, Item, OutboxEntry, SchedulerLease, SyncCursor, Tenant
from core.revisions import head_revision
from sync.context import NotConnected, TenantContext, token_store

logger = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warn", "fail"
STUCK_AFTER = timedelta(minutes=15)  # a pending export older than this: no worker is draining the outbox
REFRESH_SOON = timedelta(days=14)  # a refresh token expiring within this: reconnect before it lapses


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    detail: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def needs_person(self) -> bool:
        return any(c.state == FAIL for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": not self.needs_person, "checks": [asdict(c) for c in self.checks]}

    def table(self) -> list[str]:
        width = max(len(c.name) for c in self.checks)
        marks = {OK: "ok", WARN: "WARN", FAIL: "FAIL"}
        lines = [f"{c.name:<{width}}  {marks[c.state]:<4}  {c.detail}" for c in self.checks]
        lines.append("needs a person: " + ", ".join(c.name for c in self.checks if c.state == FAIL)
                     if self.needs_person else "all good")
        return lines


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _ago(now: datetime, moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int((now - _aware(moment)).total_seconds()))  # type: ignore[operator]
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def collect(settings: Settings, engine: Engine, *, remote: bool = False, tenant_id: int | None = None,
            now: datetime | None = None, slack_auth: Callable[[], dict[str, Any]] | None = None) -> Report:
    """Every check, in the order a person reads them. A database that cannot be read stops after that check."""
    now = now or datetime.now(UTC)
    checks = [configuration(settings)]
    db = database(engine)
    checks.append(db)
    if db.state == FAIL:
        return Report(tuple(checks))
    if remote:
        checks.append(slack(settings, slack_auth))
    with Session(engine) as s:
        query = select(Tenant).order_by(Tenant.id)
        tenants = list(s.execute(query if tenant_id is None else query.where(Tenant.id == tenant_id)).scalars())
        checks += connections(s, tenants, now)
        checks.append(leader(s, engine, now))
        checks += outbox(s, now, tenant_id)
        checks += jobs(s, tenants, now)
    if remote:
        checks += webhooks(settings, engine, tenants)
    return Report(tuple(checks))


def configuration(settings: Settings) -> Check:
    missing = []
    if settings.secret_key is None:
        missing.append("LEDGERLINK_SECRET_KEY")
    slack_missing = settings.missing_for_slack_http() if not settings.slack_app_token else []
    for name, value in (("QBO_CLIENT_ID", settings.qbo_client_id), ("PROCORE_CLIENT_ID", settings.procore_client_id)):
        if not value:
            missing.append(name)
    missing += slack_missing
    if "LEDGERLINK_SECRET_KEY" in missing:
        return Check("configuration", FAIL, "LEDGERLINK_SECRET_KEY is not set: tokens cannot be read",
                     {"missing": missing})
    return Check("configuration", WARN if missing else OK,
                 "not set: " + ", ".join(missing) if missing else "every setting present", {"missing": missing})


def database(engine: Engine) -> Check:
    status = db_status(engine)
    where_ = where(engine.url.render_as_string(hide_password=True))
    if not status["ok"]:
        return Check("database", FAIL, f"cannot reach {where_} ({status.get('error')})", {"url": where_})
    facts = {"url": where_, "dialect": status["dialect"], "revision": status["revision"], "head": head_revision()}
    if not status["migrated"]:
        return Check("database", FAIL, f"{where_} at revision {status['revision']}, not {facts['head']}: run "
                                       "`ledgerlink migrate`", facts)
    return Check("database", OK, f"{status['dialect']}, migrated ({status['revision']})", facts)


def slack(settings: Settings, auth: Callable[[], dict[str, Any]] | None = None) -> Check:
    if auth is None:
        if not settings.slack_bot_token:
            return Check("slack", WARN, "no SLACK_BOT_TOKEN: auth.test not run (multi-workspace or not set up)")
        client = make_web_client(settings)
        client.timeout = 10
        auth = client.auth_test
    try:
        answer = dict(auth())
    except Exception as exc:  # noqa: BLE001 - any failure is the fact to report
        error = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
        return Check("slack", FAIL, f"auth.test failed: {error}", {"error": str(error)})
    return Check("slack", OK, f"auth.test ok: {answer.get('team')} as {answer.get('user')}",
                 {"team": answer.get("team"), "team_id": answer.get("team_id"), "bot_user": answer.get("user")})


def connections(s: Session, tenants: list[Tenant], now: datetime) -> Iterator[Check]:
    labels = {"qbo": "QuickBooks", "procore": "Procore"}
    for tenant in tenants:
        rows = {c.provider: c for c in s.execute(select(Connection).where(Connection.tenant_id == tenant.id))
                .scalars()}
        for provider, label in labels.items():
            name = f"{provider} · {tenant.name}"
            row = rows.get(provider)
            if row is None:
                yield Check(name, WARN, f"{label} not connected: `/ledgerlink connect {provider}`",
                            {"tenant": tenant.id, "status": "absent"})
                continue
            facts = {"tenant": tenant.id, "status": row.status, "last_refresh": _iso(row.updated_at),
                     "access_expires_at": _iso(row.access_expires_at),
                     "refresh_expires_at": _iso(row.refresh_expires_at)}
            if row.status != "active":
                yield Check(name, FAIL, f"{label} {row.status.replace('_', ' ')}: {row.status_detail or ''} "
                                        f"— `/ledgerlink connect {provider}`".replace(":  —", " —"), facts)
                continue
            refresh_end = _aware(row.refresh_expires_at)
            if refresh_end is not None and refresh_end - now < REFRESH_SOON:
                yield Check(name, WARN, f"{label} sign-in expires {refresh_end:%Y-%m-%d}: reconnect before then",
                            facts)
                continue
            yield Check(name, OK, f"{label} connected, tokens refreshed {_ago(now, row.updated_at)}", facts)


def current_leader(s: Session, engine: Engine, now: datetime) -> str | None:
    """Who runs the scheduled jobs now: the advisory lock's holder (PostgreSQL) or an unexpired lease."""
    if engine.dialect.name == "postgresql":
        key = advisory_key(LOCK_NAME) & 0xFFFFFFFFFFFFFFFF
        name = s.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = :hi AND l.objid::bigint = :lo"),
            {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).scalar()
        if name:
            return str(name).removeprefix("ledgerlink-worker ")
    lease = s.execute(select(SchedulerLease)).scalars().first()
    if lease is not None and _aware(lease.expires_at) > now:  # type: ignore[operator]
        return lease.holder
    return None


def leader(s: Session, engine: Engine, now: datetime) -> Check:
    holder = current_leader(s, engine, now)
    if holder is None:
        return Check("leader", FAIL, "no worker leads: scheduled syncs are not running — start `ledgerlink worker`",
                     {"holder": None})
    return Check("leader", OK, f"worker {holder} runs the scheduled jobs", {"holder": holder})


def outbox(s: Session, now: datetime, tenant_id: int | None = None) -> Iterator[Check]:
    scoped = (lambda q: q) if tenant_id is None else (lambda q: q.where(OutboxEntry.tenant_id == tenant_id))
    counts = dict(s.execute(scoped(select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status))).all())
    oldest = s.execute(scoped(select(func.min(OutboxEntry.created_at))
                              .where(OutboxEntry.status.in_(("pending", "claimed"))))).scalar()  # type: ignore[attr-defined]
    backlog = counts.get("pending", 0) + counts.get("claimed", 0)
    facts = {"pending": counts.get("pending", 0), "claimed": counts.get("claimed", 0),
             "done": counts.get("done", 0), "failed": counts.get("failed", 0), "oldest_pending": _iso(oldest)}
    if oldest is not None and now - _aware(oldest) > STUCK_AFTER:  # type: ignore[operator]
        yield Check("outbox", FAIL, f"{backlog} waiting, the oldest queued {_ago(now, oldest)}: is a worker "
                                    "running?", facts)
    else:
        yield Check("outbox", OK, f"{backlog} waiting" + (f", oldest queued {_ago(now, oldest)}" if oldest else ""),
                    facts)
    # failures still waiting for someone: the item still shows the failure (a retry would have moved it on)
    waiting = scoped(select(OutboxEntry).join(Item, Item.id == OutboxEntry.item_id, isouter=True).where(
        OutboxEntry.status == "failed", (Item.id.is_(None)) | (Item.state == "failed_to_export"),  # type: ignore[union-attr]
        OutboxEntry.updated_at > now - timedelta(days=30)))
    failed = list(s.execute(waiting.order_by(OutboxEntry.updated_at)).scalars())
    if failed:
        first = failed[0]
        yield Check("failed exports", FAIL, f"{len(failed)} need Retry; oldest: outbox {first.id} (item "
                                            f"{first.item_id}, {first.operation}) {_ago(now, first.updated_at)}: "
                                            f"{(first.last_error or '')[:160]}",
                    {"count": len(failed), "oldest_id": first.id, "oldest_item": first.item_id,
                     "oldest_error": (first.last_error or "")[:500], "oldest_at": _iso(first.updated_at)})


def jobs(s: Session, tenants: list[Tenant], now: datetime) -> Iterator[Check]:
    names = {t.id: t.name for t in tenants}
    rows = s.execute(select(SyncCursor).where(SyncCursor.tenant_id.in_(names))  # type: ignore[attr-defined]
                     .order_by(SyncCursor.tenant_id, SyncCursor.job)).scalars()
    for row in rows:
        facts = {"tenant": row.tenant_id, "job": row.job, "last_run": _iso(row.last_run_at),
                 "last_status": row.last_status}
        name = f"job {row.job} · {names[row.tenant_id]}"
        if row.last_status == "failed":
            yield Check(name, FAIL, f"failed {_ago(now, row.last_run_at)}: {(row.last_error or '')[:160]}", facts)
        else:
            yield Check(name, OK, f"ok {_ago(now, row.last_run_at)}", facts)


def webhooks(settings: Settings, engine: Engine, tenants: list[Tenant]) -> Iterator[Check]:
    """Procore: a hook pointing at our /webhooks/procore exists. QBO's are set in Intuit's portal (not listable):
    say whether we can verify them."""
    yield Check("webhooks qbo", OK if settings.qbo_webhook_verifier_token else WARN,
                "verifier token set" if settings.qbo_webhook_verifier_token else
                "QBO_WEBHOOK_VERIFIER_TOKEN not set: QuickBooks webhooks are refused")
    target = settings.public_url.rstrip("/") + "/webhooks/procore"
    for tenant in tenants:
        name = f"webhooks procore · {tenant.name}"
        try:
            ctx = TenantContext(engine=engine, tenant_id=tenant.id, settings=settings,
                                tokens=token_store(engine, settings))
            hooks = list(ctx.procore().list_hooks())
        except NotConnected:
            continue  # the connection check already says so
        except Exception as exc:  # noqa: BLE001 - report, don't crash the report
            yield Check(name, WARN, f"could not list Procore hooks: {type(exc).__name__}")
            continue
        ours = [h for h in hooks if (h.destination_url or "").rstrip("/") == target]
        yield Check(name, OK if ours else WARN, f"{len(ours)} hook(s) deliver to {target}" if ours else
                    f"no Procore hook delivers to {target}: Procore changes arrive only with the scheduled syncs",
                    {"hooks": [h.id for h in ours]})


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat() if moment else None  # type: ignore[union-attr]


def safe_collect(settings: Settings, engine: Engine, **kw: Any) -> Report:
    """`collect`, but a database error mid-way becomes a failed check instead of an exception."""
    try:
        return collect(settings, engine, **kw)
    except SQLAlchemyError as exc:
        return Report((Check("database", FAIL, f"reading the status failed: {type(exc).__name__}"),))


def operations_rows(settings: Settings, engine: Engine, tenant_id: int) -> tuple[tuple[str, str, str], ...]:
    """The local checks of one tenant as (name, state, detail), for the admins' App Home (blocks/status.py)."""
    report = safe_collect(settings, engine, tenant_id=tenant_id)
    return tuple((c.name, c.state, c.detail) for c in report.checks)

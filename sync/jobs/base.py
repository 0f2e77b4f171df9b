"""What every sync job shares: a registry, a report of per-record changes, and its cursor.

A job is a small class with `name`, `description` and `run(ctx, dry_run=...) -> JobReport`. With
`dry_run=True` it reads everything it would read and reports what it would create/update/link, but writes
nothing — neither remotely nor to our database (the cursor does not move).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sqlmodel import Session, select

from core import logctx, metrics
from core.models import SyncCursor, utcnow
from sync.context import TenantContext
from sync.http.errors import RemoteError
from sync.mappers.errors import MappingError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """One thing a job did (or, in a dry run, would do) to one record."""

    action: str  # create | update | link | unlink | deactivate | skip | enqueue | ...
    entity: str  # e.g. "Procore vendor", "QBO Item"
    record: str  # how a person recognises it: "ACME Concrete (QBO 56)"
    detail: str = ""

    def line(self) -> str:
        return f"{self.action:<10} {self.entity}: {self.record}" + (f" — {self.detail}" if self.detail else "")


@dataclass
class JobReport:
    job: str
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def add(self, action: str, entity: str, record: str, detail: str = "") -> None:
        self.changes.append(Change(action, entity, record, detail))

    def counts(self) -> dict[str, int]:
        return dict(Counter(c.action for c in self.changes))

    def summary(self) -> str:
        counts = ", ".join(f"{n} {a}" for a, n in sorted(self.counts().items())) or "nothing to do"
        return f"{self.job}{' (dry run)' if self.dry_run else ''}: {counts}"

    def lines(self) -> list[str]:
        return [c.line() for c in self.changes]


class Job(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport: ...


JOBS: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: make a job available to `ledgerlink sync <name>` and the scheduler."""
    JOBS[cls.name] = cls
    return cls


def load_jobs() -> dict[str, type]:
    """Import every module of this folder so their @register runs; return the registry. (Jobs are found by
    folder, not listed: each job module imports this one, so a list here would be a loop.)"""
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name != "base":
            importlib.import_module(f"{__package__}.{module.name}")
    return JOBS


def run_job(ctx: TenantContext, name: str, *, dry_run: bool = False,
            factory: Callable[[type], Any] | None = None) -> JobReport:
    """Run one job for one tenant and record how it went on its cursor row (not on a dry run)."""
    jobs = load_jobs()
    if name not in jobs:
        raise KeyError(f"unknown job {name!r}; choose one of: {', '.join(sorted(jobs))}")
    job = (factory or (lambda cls: cls()))(jobs[name])
    started = time.monotonic()
    try:
        with logctx.scope(tenant=ctx.tenant_id):
            report = job.run(ctx, dry_run=dry_run)
    except Exception as exc:
        metrics.record_job(name, ctx.tenant_id, time.monotonic() - started, ok=False)
        if not dry_run:
            with ctx.session() as s:
                cur = cursor(s, ctx.tenant_id, name)
                cur.last_run_at, cur.last_status, cur.last_error = utcnow(), "failed", failure_text(exc)
                s.commit()
        raise
    metrics.record_job(name, ctx.tenant_id, time.monotonic() - started, ok=True)
    if not dry_run:
        with ctx.session() as s:
            cur = cursor(s, ctx.tenant_id, name)
            cur.last_run_at, cur.last_status, cur.last_error = utcnow(), "ok", None
            cur.last_stats = {**report.counts(), **report.stats}
            s.commit()
    logger.info("%s", report.summary())
    return report


def failure_text(exc: Exception) -> str:
    """What a failed run leaves on its cursor (App Home shows it): a remote error's own sentence; anything else
    keeps its class name for whoever reads the log. NUL characters (a remote's junk) can't be stored."""
    text = str(exc) if isinstance(exc, RemoteError | MappingError) else f"{type(exc).__name__}: {exc}"
    return text.replace("\x00", "")


def cursor(session: Session, tenant_id: int, job: str) -> SyncCursor:
    """The job's cursor row, created on first use (in the caller's transaction)."""
    row = session.exec(select(SyncCursor).where(SyncCursor.tenant_id == tenant_id, SyncCursor.job == job)).first()
    if row is None:
        row = SyncCursor(tenant_id=tenant_id, job=job)
        session.add(row)
        session.flush()
    return row

"""One loop for refreshing a QBO name list (Vendor, Customer…) into the local cache: full scan or CDC.

The first run (no cursor) pages through every record, active and inactive (QBO leaves inactive name-list records
out unless the query mentions Active), with STARTPOSITION/MAXRESULTS, streamed a page at a time. Later runs make
one CDC call for what changed since the cursor. CDC only reaches 30 days back and returns at most 1,000 records
per entity, so an older cursor, a capped answer or QBO refusing the date all fall back to a full scan — the only
way not to miss a change. Deleted (merged) records come from CDC as `{"Id", "status": "Deleted"}`; a full scan
finds them as cached records it did not see.

The cursor is *our* clock at the start of the run, minus a margin for clock skew: re-reading a change twice is
harmless (upserts are idempotent), missing one is not. A dry run reads the same and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from core.jsonbody import parse_time
from core.models import RemoteRecord, utcnow
from sync import cache
from sync.context import TenantContext
from sync.jobs.base import JobReport, cursor
from sync.qbo.errors import QboValidationError
from sync.qbo.query import MAX_RESULTS
from sync.qbo.query import select as qbo_select

logger = logging.getLogger(__name__)
T = TypeVar("T")

CDC_WINDOW = timedelta(days=30)  # qbo.md: CDC answers for the last 30 days only
CDC_MARGIN = timedelta(hours=1)  # fall back a little early rather than be refused
CDC_CAP = 1000  # at most 1,000 records per entity in one CDC answer
CURSOR_OVERLAP = timedelta(minutes=5)  # clock skew between us and QBO
CHUNK = 200  # records per database transaction
MAX_ID_LENGTH = 64  # RemoteRecord.remote_id
#: what one malformed record raises while it is cached (wrong types, values the database refuses)
RECORD_ERRORS = (TypeError, ValueError, AttributeError, KeyError, StatementError)


class QboListRefresh:
    """Subclass and implement `apply`, `apply_deleted` and `cached_ids`; call `refresh(ctx, report, dry_run)`."""

    entity: str  # the QBO entity, e.g. "Vendor"
    cursor_job: str  # the SyncCursor row's job name
    page_size: int = MAX_RESULTS

    def apply(self, session: Session, tenant_id: int, record: dict[str, Any], report: JobReport,
              dry_run: bool) -> None:
        """Cache one changed record (or, on a dry run, only report what would change)."""
        raise NotImplementedError

    def apply_deleted(self, session: Session, tenant_id: int, remote_id: str, report: JobReport,
                      dry_run: bool) -> None:
        """QBO no longer has this record (deleted or merged)."""
        raise NotImplementedError

    def cached_ids(self, session: Session, tenant_id: int) -> set[str]:
        """Ids in the cache that a full scan must see again, or they were deleted."""
        rows = session.exec(select(RemoteRecord.remote_id).where(
            RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == "qbo", RemoteRecord.entity == self.entity))
        return set(rows)

    # --- the loop ---------------------------------------------------------------------------------------
    def refresh(self, ctx: TenantContext, report: JobReport, *, dry_run: bool) -> str:
        """Returns the mode used: "cdc" or "full" (also in `report.stats`)."""
        started = utcnow()
        with ctx.session() as s:
            since = parse_time(cursor(s, ctx.tenant_id, self.cursor_job).cursor)
            s.rollback()  # a dry run must not even create the cursor row
        rows: Iterable[dict[str, Any]] | None = None
        mode, why = "full", "first run" if since is None else ""
        if since is not None:
            if started - since > CDC_WINDOW - CDC_MARGIN:
                why = f"last run {since:%Y-%m-%d} is beyond CDC's 30 days"
            else:
                changed = self._cdc(ctx, since)
                if changed is None:
                    why = "QuickBooks refused the CDC date"
                elif len(changed) >= CDC_CAP:
                    why = f"CDC returned its cap of {CDC_CAP} changes"
                else:
                    mode, rows = "cdc", changed
        if rows is None:
            query = qbo_select(self.entity).where_in("Active", [True, False])
            rows = ctx.qbo.query_all(select_=query, page_size=self.page_size)
        report.stats[f"{self.entity.lower()}_mode"] = mode
        if why:
            report.stats[f"{self.entity.lower()}_full_scan_because"] = why
        seen: set[str] = set()
        count = 0
        for chunk in chunked(rows, CHUNK):
            count += len(chunk)
            with ctx.session() as s:
                records = []
                for record in chunk:
                    rid = _record_id(record)
                    if rid is None:
                        self._skip(report, record, "it has no Id")
                        continue
                    seen.add(rid)
                    records.append((rid, record))
                # one query for the chunk's cached rows and one savepoint for all of it; only when a record can't
                # be stored is the chunk redone a record at a time, so that one record leaves nothing behind
                cache.prefetch(s, ctx.tenant_id, "qbo", self.entity, [rid for rid, _ in records])
                if not self._apply_chunk(s, ctx.tenant_id, records, report, dry_run):
                    cache.forget_prefetched(s)
                    for rid, record in records:
                        try:
                            self._apply_chunk(s, ctx.tenant_id, [(rid, record)], report, dry_run, reraise=True)
                        except RECORD_ERRORS as exc:
                            logger.warning("QBO %s %s: %s", self.entity, rid, exc)
                            self._skip(report, record, "a field holds a value Ledgerlink can't store")
                self._finish(s, dry_run)
        if mode == "full":
            with ctx.session() as s:
                for rid in sorted(self.cached_ids(s, ctx.tenant_id) - seen, key=_id_order):
                    self.apply_deleted(s, ctx.tenant_id, rid, report, dry_run)
                self._finish(s, dry_run)
        report.stats[f"{self.entity.lower()}_records_read"] = count
        if not dry_run:
            with ctx.session() as s:
                cursor(s, ctx.tenant_id, self.cursor_job).cursor = (started - CURSOR_OVERLAP).isoformat()
                s.commit()
        return mode

    def _apply_chunk(self, s: Session, tenant_id: int, records: list[tuple[str, dict[str, Any]]],
                     report: JobReport, dry_run: bool, *, reraise: bool = False) -> bool:
        """Apply `records` in one savepoint: all stored (True), or none and their report lines taken back (False)."""
        mark = len(report.changes)
        try:
            with s.begin_nested():
                for rid, record in records:
                    if record.get("status") == "Deleted":
                        self.apply_deleted(s, tenant_id, rid, report, dry_run)
                    else:
                        self.apply(s, tenant_id, record, report, dry_run)
                s.flush()
        except RECORD_ERRORS:
            del report.changes[mark:]
            if reraise:
                raise
            return False
        return True

    def _cdc(self, ctx: TenantContext, since: datetime) -> list[dict[str, Any]] | None:
        try:
            return ctx.qbo.cdc(entities=[self.entity], changed_since=since)[self.entity]
        except QboValidationError as exc:
            if exc.code != "6000":
                raise
            # 6000 "…changedSince date … older than fixed days is not supported": clocks disagree; scan instead
            logger.info("QBO refused CDC since %s (%s); doing a full scan", since, exc)
            return None

    def _skip(self, report: JobReport, record: Any, why: str) -> None:
        """A record QuickBooks sent that Ledgerlink can't read: reported and logged, the others go on."""
        name = record.get("DisplayName") or record.get("Name") if isinstance(record, dict) else None
        what = f"{name} (QBO {record.get('Id')})" if name else f"a record ({str(record)[:80]})"
        report.add("skip", f"QBO {self.entity.lower()}", str(what)[:200], f"{why[:300]}; it is left out")
        logger.warning("QBO %s refresh skipped %s: %s", self.entity, str(what)[:200], why[:300])

    @staticmethod
    def _finish(session: Session, dry_run: bool) -> None:
        if dry_run:
            session.rollback()
        else:
            session.commit()


def _record_id(record: Any) -> str | None:
    """The record's QBO Id as text, or None when the record isn't an object or its Id is missing or odd."""
    rid = record.get("Id") if isinstance(record, dict) else None
    if isinstance(rid, bool) or not isinstance(rid, str | int):
        return None
    text = str(rid).strip()
    return text if text and len(text) <= MAX_ID_LENGTH else None


def chunked(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """`rows` a list of `size` at a time (the last one shorter), read lazily: streaming stays streaming."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _id_order(remote_id: str) -> tuple[int, str]:
    return (int(remote_id), "") if remote_id.isdigit() else (1 << 62, remote_id)

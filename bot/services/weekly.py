"""The weekly digest: a chart of the week per project (blocks/chart.py) uploaded to the approvers' channel through
Slack's files API (`files_upload_v2`: files.getUploadURLExternal → upload → files.completeUploadExternal), with the
figures as the message's text for screen readers; App Home's "This week" section shows the latest such chart.

Callers: the scheduler's `weekly-digest` task (Mondays at the digest hour: the week that just ended) and
`/ledgerlink week` (the week so far, at once). The chart last shared is remembered in the tenant's
`weekly-digest` cursor row (file id, week, channel), so App Home can show it as a `slack_file` image block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from blocks.chart import Week, alt_text, figures_blocks, week_png
from bot.cardview import project_name
from bot.scheduler import settings_of
from core.domain.delegation import zone
from core.domain.states import ItemState
from core.models import AuditEvent, Item, SyncCursor, Tenant
from sync.jobs.base import cursor

logger = logging.getLogger(__name__)

JOB = "weekly-digest"  # the scheduler task and the cursor row that remembers the last chart
#: an audit move into these states during the week counts under that bar
MOVES = {ItemState.SYNCED.value: "exported", ItemState.PAID.value: "paid", ItemState.REJECTED.value: "rejected"}


@dataclass(frozen=True)
class SharedChart:
    """The chart last shared: what App Home shows."""

    file_id: str
    week_start: date
    channel: str
    shared_at: datetime


def week_start(now: datetime, tz: str | None, *, previous: bool = False) -> date:
    """The Monday that starts `now`'s week where the company is (or the week before it)."""
    local = now.astimezone(zone(tz)).date()
    monday = local - timedelta(days=local.weekday())
    return monday - timedelta(days=7) if previous else monday


def week_of(session: Session, tenant: Tenant, start: date, *, now: datetime) -> Week:
    """The week from Monday `start` (company time) to the following Monday or `now`, whichever is sooner:
    items that moved to synced / paid / rejected then (each once per bar), and what waits for acceptance now."""
    tz = ZoneInfo(str(zone(tenant.timezone)))
    begin = datetime.combine(start, time(0), tz).astimezone(UTC)
    end = min(datetime.combine(start + timedelta(days=7), time(0), tz).astimezone(UTC), now)
    week = Week(start=start, tenant_name=tenant.name)
    moved = session.exec(select(AuditEvent.item_id, AuditEvent.after_state).where(
        AuditEvent.tenant_id == tenant.id, AuditEvent.item_id.is_not(None),  # type: ignore[union-attr]
        AuditEvent.after_state.in_(list(MOVES)),  # type: ignore[union-attr]
        AuditEvent.created_at >= begin, AuditEvent.created_at < end)).all()
    counted = {(item_id, MOVES[state]) for item_id, state in moved}
    items = {i.id: i for i in session.exec(select(Item).where(
        Item.id.in_({item_id for item_id, _ in counted})))}  # type: ignore[union-attr]
    for item_id, kind in sorted(counted, key=lambda pair: (pair[0], pair[1])):
        item = items.get(item_id)
        if item is not None:
            week.add(project_name(item), kind, item.amount)
    for item in session.exec(select(Item).where(Item.tenant_id == tenant.id,
                                                Item.state == ItemState.AWAITING_ACCEPTANCE.value)):
        week.add(project_name(item), "waiting", item.amount)
    return week


def post(engine: Engine, client: WebClient, tenant_id: int, *, now: datetime, previous: bool,
         channel: str | None = None) -> SharedChart | None:
    """Draw the week's chart and share it (with its figures as text) in `channel` (default: the approvers'
    channel); remembered for App Home. None when the tenant does not exist."""
    with Session(engine, expire_on_commit=False) as s:
        tenant = s.get(Tenant, tenant_id)
        if tenant is None:
            return None
        channel = channel or settings_of(s, tenant_id).approvers_channel
        week = week_of(s, tenant, week_start(now, tenant.timezone, previous=previous), now=now)
    png = week_png(week)
    heading = f"{'Last week' if previous else 'This week so far'} at {tenant.name} ({week.label})"
    # the figures first, as a section (what a screen reader reads): its answer also gives the channel's id, which
    # files.completeUploadExternal needs (a "#name" is not enough there, and reading channels needs another scope)
    said = client.chat_postMessage(channel=channel, text=f"{heading}: {alt_text(week)}",
                                   blocks=figures_blocks(heading, week))
    channel = str(said["channel"])
    resp = client.files_upload_v2(channel=channel, content=png, filename=f"ledgerlink-week-{week.start}.png",
                                  title=f"Ledgerlink · week of {week.label}", alt_txt=alt_text(week),
                                  initial_comment=f"Chart: {heading} (its figures are in the message above).")
    file_id = _file_id(resp)
    shared = SharedChart(file_id=file_id, week_start=week.start, channel=channel, shared_at=now)
    with Session(engine) as s:
        row = cursor(s, tenant_id, JOB)
        row.cursor, row.last_run_at, row.last_status = file_id, now, "ok"
        row.last_stats = {"week": week.start.isoformat(), "channel": channel, "projects": len(week.projects)}
        s.add(row)
        s.commit()
    logger.info("weekly chart for tenant %s (week of %s, %d project(s)) shared in %s as %s", tenant_id, week.start,
                len(week.projects), channel, file_id)
    return shared


def _file_id(resp: Any) -> str:
    files = resp.get("files") or ([resp["file"]] if resp.get("file") else [])
    return str(files[0]["id"])


def last_shared(session: Session, tenant_id: int) -> SharedChart | None:
    """The chart App Home shows: the last one shared, if any (read only: no cursor row is created)."""
    row = session.exec(select(SyncCursor).where(SyncCursor.tenant_id == tenant_id, SyncCursor.job == JOB)).first()
    if row is None or not row.cursor or not row.last_stats or not row.last_run_at:
        return None
    return SharedChart(file_id=row.cursor, week_start=date.fromisoformat(row.last_stats["week"]),
                       channel=str(row.last_stats.get("channel") or ""), shared_at=row.last_run_at)

"""The daily channel post of items that became ready to export: what it lists, where it goes, and keeping it current.

At the tenant's `ready_post_time` (the scheduler's `ready-post` task) the items that became ready to export since
the last run — created ready, or back to ready after a retrieve or unlink — are posted to their project team's
channel (`ProjectSettings.team_channel`), else to the paid-notices channel, else the approvers' channel: one
message per channel and day (`ReadyPost`, unique per tenant, channel and day). Running again the same day adds to
that message instead of posting another. As the items move on (sent, exported, synced) the message is updated in
place (`refresh`, from the worker's event loop and right after a click on its buttons) — only when what it shows
changed, so there is never a flood; the next day starts a new message.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from blocks.cards import Message
from blocks.ready_post import ready_post
from bot.cardview import card_data, read_settings
from core.domain.settings import DirectExports
from core.domain.states import ItemState
from core.models import AuditEvent, Item, ProjectSettings, ReadyPost, Tenant, utcnow
from sync.jobs.base import cursor

logger = logging.getLogger(__name__)

JOB = "ready-post"  # its SyncCursor: when the post last looked for ready items
KEEP_CURRENT = timedelta(days=3)  # posts younger than this are kept up to date
READY = ItemState.READY_TO_EXPORT.value


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def newly_ready(session: Session, tenant_id: int, since: datetime) -> list[Item]:
    """Items ready to export now that became ready after `since` (created so, or moved back to ready)."""
    created = set(session.exec(select(Item.id).where(Item.tenant_id == tenant_id, Item.state == READY,
                                                     Item.created_at > since)))
    back = set(session.exec(select(AuditEvent.item_id).where(
        AuditEvent.tenant_id == tenant_id, AuditEvent.after_state == READY, AuditEvent.created_at > since,
        AuditEvent.item_id.is_not(None))))  # type: ignore[union-attr]
    ids = created | back
    if not ids:
        return []
    return list(session.exec(select(Item).where(Item.id.in_(ids), Item.state == READY)  # type: ignore[union-attr]
                             .order_by(Item.id)))


def channel_for(session: Session, tenant_id: int) -> Any:
    """item → the channel its post goes to (its project team's, else the tenant's notices channel)."""
    settings = read_settings(session, tenant_id)
    default = settings.notify_channel or settings.approvers_channel
    teams = {p.procore_project_id: p.team_channel for p in session.exec(select(ProjectSettings).where(
        ProjectSettings.tenant_id == tenant_id, ProjectSettings.team_channel.is_not(None)))}  # type: ignore[union-attr]
    return lambda item: teams.get(item.procore_project_id) or default


def post_daily(engine: Engine, notifier: Any, tenant_id: int, *, now: datetime | None = None) -> list[int]:
    """Post (or extend) today's message in each channel that has newly ready items; the posts' ids."""
    now = now or utcnow()
    touched: list[int] = []
    with Session(engine, expire_on_commit=False) as s:
        tenant = s.get(Tenant, tenant_id)
        if tenant is None:
            return []
        mark = cursor(s, tenant_id, JOB)
        since = mark.last_run_at or now - timedelta(days=1)
        if since.tzinfo is None:
            since = since.replace(tzinfo=now.tzinfo)
        period = now.astimezone(_zone(tenant.timezone)).date().isoformat()
        where = channel_for(s, tenant_id)
        groups: dict[str, list[int]] = defaultdict(list)
        for item in newly_ready(s, tenant_id, since):
            groups[where(item)].append(item.id)  # type: ignore[arg-type]
        for channel, ids in groups.items():
            post = s.exec(select(ReadyPost).where(ReadyPost.tenant_id == tenant_id, ReadyPost.channel == channel,
                                                  ReadyPost.period == period)).first()
            if post is None:
                post = ReadyPost(tenant_id=tenant_id, channel=channel, period=period, since=since, item_ids=ids)
                s.add(post)
                try:
                    s.flush()
                except IntegrityError:  # another run made today's post meanwhile: extend that one
                    s.rollback()
                    return post_daily(engine, notifier, tenant_id, now=now)
            else:
                post.item_ids = post.item_ids + [i for i in ids if i not in post.item_ids]
                s.add(post)
            touched.append(post.id)  # type: ignore[arg-type]
        mark.last_run_at, mark.last_status = now, "ok"
        mark.last_stats = {"posts": len(touched), "items": sum(len(v) for v in groups.values())}
        s.add(mark)
        s.commit()
    for post_id in touched:
        show(engine, notifier, post_id)
    if touched:
        logger.info("ready post for tenant %s: %d message(s) for %s", tenant_id, len(touched), period)
    return touched


def _direct(session: Session, tenant_id: int) -> bool:
    return read_settings(session, tenant_id).direct_exports != DirectExports.DISABLED.value


def signature(session: Session, post: ReadyPost) -> str:
    """What the post shows, in one query: its items' states and versions (any change bumps the version)."""
    rows = session.exec(select(Item.id, Item.state, Item.version).where(
        Item.id.in_(post.item_ids)).order_by(Item.id)).all()  # type: ignore[union-attr]
    return hashlib.sha256(repr(([tuple(r) for r in rows], _direct(session, post.tenant_id))).encode()).hexdigest()


def render(session: Session, post: ReadyPost, links: Any) -> Message:
    """The post's message as its items are now."""
    present = set(session.exec(select(Item.id).where(Item.id.in_(post.item_ids))))  # type: ignore[union-attr]
    cards = [card_data(session, i, links) for i in post.item_ids if i in present]
    day = datetime.fromisoformat(post.period).strftime("%A, %b %d").replace(" 0", " ")
    return ready_post(cards, day=day, direct_exports=_direct(session, post.tenant_id))


def show(engine: Engine, notifier: Any, post_id: int, *, force: bool = True) -> bool:
    """Post the message, or update it in place when it changed (always, with `force`); True when Slack was called."""
    with Session(engine, expire_on_commit=False) as s:
        post = s.get(ReadyPost, post_id)
        if post is None:
            return False
        now_shows = signature(s, post)
        if post.ts and not force and now_shows == post.signature:
            return False  # the common case of the event loop's check: one cheap query, no rendering
        message = render(s, post, notifier.links)
    client = notifier.client_for(post.tenant_id)
    if post.ts and post.slack_channel:
        client.chat_update(channel=post.slack_channel, ts=post.ts, **message.as_kwargs())
        where = (post.slack_channel, post.ts)
    else:
        resp = client.chat_postMessage(channel=post.channel, unfurl_links=False, **message.as_kwargs())
        where = (resp["channel"], resp["ts"])
    with Session(engine) as s:
        row = s.get(ReadyPost, post_id)
        row.slack_channel, row.ts, row.signature, row.updated_at = where[0], where[1], now_shows, utcnow()
        s.add(row)
        s.commit()
    return True


def refresh(engine: Engine, notifier: Any, tenant_id: int, *, now: datetime | None = None) -> int:
    """Update the tenant's recent posts whose items moved on since they were last drawn; how many were updated."""
    recent = (now or utcnow()) - KEEP_CURRENT
    with Session(engine) as s:
        ids = list(s.exec(select(ReadyPost.id).where(ReadyPost.tenant_id == tenant_id, ReadyPost.created_at > recent,
                                                     ReadyPost.ts.is_not(None))))  # type: ignore[union-attr]
    return sum(1 for post_id in ids if show(engine, notifier, post_id, force=False))  # type: ignore[arg-type]


def refresh_message(engine: Engine, notifier: Any, *, channel: str | None, ts: str | None) -> bool:
    """Update the post a button was clicked on (if that message is a ready post)."""
    if not channel or not ts:
        return False
    with Session(engine) as s:
        post_id = s.exec(select(ReadyPost.id).where(ReadyPost.slack_channel == channel, ReadyPost.ts == ts)).first()
    return post_id is not None and show(engine, notifier, post_id, force=False)

"""App Home and item details: read what a person should see, and publish it."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import exists
from sqlmodel import Session, select

from blocks.cards import CardData
from blocks.chart import Week, figures_text
from blocks.home import ConnectionRow, HomeData, RunRow, WeekChart, home_view, money_or_never
from blocks.modals import HistoryRow
from blocks.sync_stats import stats_summary
from bot import scheduler
from bot.actions import away
from bot.cardview import card_data, person, read_settings
from bot.identity import Identity, NotSetUp, resolve
from bot.services import admin, ready, weekly
from bot.services.runtime import Services
from bot.status import operations_rows
from core.domain import audit
from core.domain.errors import DomainError
from core.domain.permissions import Level, Perm, allowed
from core.domain.states import ItemState
from core.domain.workflow import PAST
from core.models import Connection, Decision, Item, SyncCursor, User, utcnow
from sync.jobs import base as jobs_base

logger = logging.getLogger(__name__)

SCHEDULE_LABELS = {"hourly": "hourly", "every_2h": "every 2 h", "every_4h": "every 4 h", "daily": "daily",
                   "never": "never (sync now only)"}


def home_data(svc: Services, me: Identity) -> HomeData:
    tenant_id, actor = me.tenant_id, me.actor
    with Session(svc.engine) as s:
        st = read_settings(s, tenant_id)
        awaiting: list[CardData] = []
        total = 0
        if actor.is_approver:
            decided = exists().where(Decision.item_id == Item.id, Decision.round == Item.round,
                                     Decision.user_id == actor.user_id)
            q = select(Item.id).where(Item.tenant_id == tenant_id, Item.state == "awaiting_acceptance",
                                      (Item.sender_id.is_(None)) | (Item.sender_id != actor.user_id), ~decided)
            ids = list(s.exec(q.order_by(Item.sent_at, Item.id)))
            total = len(ids)
            awaiting = [card_data(s, i, svc.links) for i in ids[:10]]
        sent_ids = list(s.exec(select(Item.id).where(Item.tenant_id == tenant_id, Item.sender_id == actor.user_id)
                               .order_by(Item.updated_at.desc()).limit(10)))
        sent = [card_data(s, i, svc.links) for i in sent_ids]
        conns = {c.provider: c for c in s.exec(select(Connection).where(Connection.tenant_id == tenant_id))}
        connections = tuple(_connection(label, conns.get(p)) for p, label in (("qbo", "QuickBooks"),
                                                                              ("procore", "Procore")))
        cursors = {c.job: c for c in s.exec(select(SyncCursor).where(SyncCursor.tenant_id == tenant_id))}
        schedule = _schedule(me.tenant, st)
        runs = tuple(_run(job, label, cursors.get(job)) for job, label in schedule.items())
        me_row = s.get(User, actor.user_id) if actor.user_id else None
        senders: dict[str, Any] = {}
        if ready.can_send(actor):
            ready_groups, ready_projects = ready.groups(svc, s, actor, tenant_id, ItemState.READY_TO_EXPORT)
            rejected, rejected_projects = ready.groups(svc, s, actor, tenant_id, ItemState.REJECTED)
            senders = {"can_send": True, "ready": ready_groups, "ready_projects": ready_projects,
                       "rejected": rejected, "rejected_projects": rejected_projects}
        settings = {"direct_exports": st.direct_exports.replace("_", " "),
                    "paid_sync_schedule": SCHEDULE_LABELS.get(st.paid_sync_schedule, st.paid_sync_schedule),
                    "approvers_channel": _channel(st.approvers_channel),
                    "notify_channel": _channel(st.notify_channel) if st.notify_channel else "the approvers' channel",
                    "confirm_above": money_or_never(st.confirm_above_amount),
                    "two_approver_threshold": money_or_never(st.two_approver_threshold)}
    is_admin = allowed(actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    now = utcnow()
    return HomeData(**(_week(svc, me, now) if is_admin or actor.is_approver else {}),
                    away=away.current(svc.engine, actor, now=now) if actor.user_id else None,
                    name=me.user.name, tenant_name=me.tenant.name, tz=me.tenant.timezone,
                    operations=operations_rows(svc.settings, svc.engine, tenant_id) if is_admin else (),
                    is_admin=is_admin, is_approver=actor.is_approver,
                    digest_opt_out=bool(me_row and me_row.digest_opt_out), awaiting_me=tuple(awaiting),
                    awaiting_total=total, sent_by_me=tuple(sent), connections=connections, runs=runs,
                    settings=settings, now=now, **senders)


def _week(svc: Services, me: Identity, now: Any) -> dict[str, Any]:
    """"This week": the figures so far (text) and the chart the last weekly digest shared (bot/services/weekly)."""
    with Session(svc.engine) as s:
        week = weekly.week_of(s, me.tenant, weekly.week_start(now, me.tenant.timezone), now=now)
        shared = weekly.last_shared(s, me.tenant_id)
    chart = None
    if shared is not None:
        label = Week(start=shared.week_start).label
        chart = WeekChart(file_id=shared.file_id, label=label,
                          alt_text=f"Bar chart of the week of {label} per project; its figures were posted with it.")
    return {"week_label": week.label, "week_text": figures_text(week), "chart": chart}


def _channel(ref: str | None) -> str:
    if ref and ref[:1] in ("C", "G") and ref.isupper() and ref.isalnum():
        return f"<#{ref}>"
    return ref or ""


def _schedule(tenant: Any, st: Any) -> dict[str, str]:
    """Each registered sync job and when it runs: the scheduler's own plan for the tenant (bot.scheduler)."""
    registered = sorted(jobs_base.load_jobs())
    plan: dict[str, str] = {}
    try:
        specs = scheduler.tenant_jobs(tenant, st, registered, scheduler.SchedulerConfig.from_env())
        plan = {spec.job: spec.when for spec in specs if spec.job in registered}
    except Exception:  # noqa: BLE001 - Home must still render
        logger.exception("reading the schedule of tenant %s failed", tenant.id)
    for job in registered:
        if job not in plan:
            plan[job] = SCHEDULE_LABELS["never"] if job in ("paid", "receipts") else "on demand"
    return plan


def _connection(label: str, c: Connection | None) -> ConnectionRow:
    if c is None:
        return ConnectionRow(provider=label, account=None, status="missing")
    return ConnectionRow(provider=label, account=c.external_id, status=c.status, detail=c.status_detail,
                         access_expires_at=c.access_expires_at, refresh_expires_at=c.refresh_expires_at)


def _run(job: str, schedule: str, c: SyncCursor | None) -> RunRow:
    if c is None:
        return RunRow(job=job, schedule=schedule)
    stats = stats_summary(c.last_stats)
    return RunRow(job=job, schedule=schedule, last_run_at=c.last_run_at, status=c.last_status, summary=stats,
                  error=c.last_error)


def publish(svc: Services, client: WebClient, *, team_id: str | None, user_id: str) -> None:
    """views.publish one person's Home tab."""
    try:
        me = resolve(svc.engine, client, team_id=team_id, slack_user_id=user_id,
                     claim_single=svc.claim_single_tenant)
    except NotSetUp as exc:
        data = HomeData(name="there", tenant_name="", known=False, not_known_sentence=exc.sentence)
    else:
        data = home_data(svc, me)
    try:
        client.views_publish(user_id=user_id, view=home_view(data))
    except SlackApiError as exc:
        said = " ".join((exc.response.get("response_metadata") or {}).get("messages") or [])
        if data.chart is None or "slack file" not in said:
            raise
        # the week's chart was deleted in Slack since it was shared: Home still shows, with the figures only
        logger.warning("weekly chart %s refused by Slack (%s); App Home shown without it", data.chart.file_id, said)
        client.views_publish(user_id=user_id, view=home_view(replace(data, chart=None)))


def details(svc: Services, item_id: int, me: Identity) -> tuple[CardData, list[HistoryRow]]:
    with Session(svc.engine) as s:
        item = s.get(Item, item_id)
        if item is None or item.tenant_id != me.tenant_id:
            raise DomainError(f"There is no item #{item_id} in this company's Ledgerlink.")
        card = card_data(s, item_id, svc.links)
        rows = []
        for ev in audit.history(s, item_id)[-30:]:
            who = person(s, ev.actor_id)
            detail = (ev.detail or {}).get("reason") or (ev.detail or {}).get("error") or \
                (ev.detail or {}).get("summary") or ""
            rows.append(HistoryRow(at=ev.created_at, who=who.name if who else ev.actor_label,
                                   action=PAST.get(ev.action, ev.action.replace("_", " ")), detail=str(detail)))
    return card, rows


def toggle_digest(svc: Services, me: Identity) -> bool:
    """Flip the person's daily-digest opt-out; returns the new opt-out value."""
    if not me.actor.is_approver or me.actor.level < Level.STANDARD:
        raise DomainError("The daily digest is for accounting approvers.")
    with Session(svc.engine) as s:
        user = s.get(User, me.user.id)
        value = not bool(user and user.digest_opt_out)
    admin.save_settings(svc.engine, me.actor, me.tenant_id, {"digest_opt_out": value})
    return value

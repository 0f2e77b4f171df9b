"""`/ledgerlink audit [item <type> <ref> | person @name | date <from>[..<to>]]`: the audit trail beyond an item's
last events, newest first, as a report with the CSV (the reports' CSV helper, formula guard included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from blocks.reports import Report
from bot.actions.report import Built
from bot.identity import Identity
from bot.services import lookup
from bot.services.runtime import Services
from core.domain.errors import InvalidInput
from core.domain.permissions import Perm, check
from core.models import AuditEvent, Item, User
from sync import reports

LIMIT = 5000  # a CSV beyond this is a database export, not a Slack file


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    action: str
    item: str
    before: str
    after: str
    detail: str


def parse_dates(text: str) -> tuple[date, date]:
    start, _, end = text.partition("..")
    try:
        first = date.fromisoformat(start)
        last = date.fromisoformat(end) if end else first
    except ValueError:
        raise InvalidInput(f"'{text}' isn't a date like 2026-12-07 or a range like 2026-12-01..2026-12-07.") from None
    if last < first:
        raise InvalidInput("The range ends before it starts.")
    return first, last


def trail(svc: Services, me: Identity, by: str | None, ref: str | None, *,
          slack_user_id: str | None = None) -> Built:
    """by: None (the latest), "item" (ref = "<type> <ref>"), "person" (slack_user_id), "date" (ref = range)."""
    check(me.actor, Perm.VIEW_ITEMS)
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == me.tenant_id)
    title = "Audit trail"
    with Session(svc.engine) as s:
        if by == "item":
            type_word, _, item_ref = (ref or "").partition(" ")
            item = lookup.find_item(svc.engine, me.tenant_id, type_word, item_ref)
            stmt, title = stmt.where(AuditEvent.item_id == item.id), f"Audit trail of {item.title}"
        elif by == "person":
            user = s.exec(select(User).where(User.tenant_id == me.tenant_id,
                                             User.slack_user_id == slack_user_id)).first()
            if user is None:
                raise InvalidInput("That person has never used Ledgerlink here, so the trail has nothing by them.")
            stmt, title = stmt.where(AuditEvent.actor_id == user.id), f"Audit trail by {user.name or ref}"
        elif by == "date":
            first, last = parse_dates(ref or "")
            stmt = stmt.where(AuditEvent.created_at >= datetime.combine(first, time.min, tzinfo=UTC),
                              AuditEvent.created_at < datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC))
            title = f"Audit trail {first}" + (f" to {last}" if last != first else "")
        events = list(s.exec(stmt.order_by(col(AuditEvent.id).desc()).limit(LIMIT)))
        titles = {i.id: i.title for i in s.exec(select(Item).where(
            col(Item.id).in_({e.item_id for e in events if e.item_id is not None})))}
    rows = [AuditRow(e.created_at, e.actor_label, e.action, titles.get(e.item_id, "") if e.item_id else "",
                     e.before_state or "", e.after_state or "",
                     ", ".join(f"{k}={v}" for k, v in (e.detail or {}).items())) for e in events]
    report = Report(title=title, columns=["When (UTC)", "Who", "What", "Item", "From", "To", "Detail"],
                    rows=[[f"{r.at:%Y-%m-%d %H:%M}", r.who, r.action, r.item, r.before, r.after, r.detail]
                          for r in rows], filename="audit-trail.csv")
    return Built(report, reports.to_csv(rows, AuditRow))

"""The accountant report: every item by type × state, how old it is, its amount, and who is holding it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, select

from core.domain.permissions import Actor, Level, Perm, check
from core.domain.states import STATE_LABELS, ItemState, ItemType
from core.models import Item, User, utcnow
from sync.reports.csvfile import own_tenant


@dataclass(frozen=True)
class AccountantRow:
    item_id: int
    type: str  # "subcontractor invoice", "company", …
    state: str  # "awaiting acceptance", …
    title: str
    amount: Decimal | None
    project_id: int | None
    age_days: int  # days in the current state (since sent, for items awaiting acceptance)
    since: datetime
    holding: str  # who has to act next
    sent_by: str
    note: str  # reject reason, last error, payment status


@dataclass(frozen=True)
class AccountantSummaryRow:
    type: str
    state: str
    count: int
    amount: Decimal
    oldest_days: int


def _aware(ts: datetime | None) -> datetime | None:
    return ts.replace(tzinfo=UTC) if ts is not None and ts.tzinfo is None else ts


def _holding(item: Item, sender: str, approvers: str) -> str:
    state = ItemState(item.state)
    if state is ItemState.READY_TO_EXPORT:
        return f"{sender} (send or export it)" if sender else "Senders (not sent yet)"
    if state is ItemState.AWAITING_ACCEPTANCE:
        return f"Accounting approvers: {approvers}" if approvers else "Accounting approvers (none granted yet)"
    if state is ItemState.REJECTED:
        return f"{sender or 'The sender'} (edit and resend)"
    if state is ItemState.EXPORTING:
        return "Ledgerlink (writing to QuickBooks)"
    if state is ItemState.FAILED_TO_EXPORT:
        return f"Accounting approvers (fix and retry): {approvers}" if approvers else "Accounting approvers (retry)"
    if state is ItemState.SYNCED and item.type == ItemType.SUB_INVOICE.value:
        return "Accounts payable in QuickBooks (not paid yet)"
    if state is ItemState.SYNCED and item.type == ItemType.OWNER_INVOICE.value:
        return "The owner (invoice sent from QuickBooks)"
    if state in (ItemState.READY_TO_IMPORT, ItemState.READY_TO_UPDATE):
        return "Admins (import from QuickBooks)"
    return "Nobody (done)"


def accountant_report(session: Session, actor: Actor, *, tenant_id: int, now: datetime | None = None,
                      types: Iterable[str] | None = None, states: Iterable[str] | None = None,
                      project_id: int | None = None) -> list[AccountantRow]:
    """View an Accountant Report for ERP (Read only and up). Oldest first within each type and state."""
    check(actor, Perm.VIEW_ACCOUNTANT_REPORT)
    own_tenant(actor, tenant_id)
    now = now or utcnow()
    people = {u.id: u for u in session.exec(select(User).where(User.tenant_id == tenant_id))}
    approver_names = [u.name or u.email or f"user {u.id}" for u in people.values()
                      if u.can_push_to_accounting and Level[u.permission.upper()] >= Level.STANDARD]
    stmt = select(Item).where(Item.tenant_id == tenant_id)
    if types:
        stmt = stmt.where(Item.type.in_([ItemType(t).value for t in types]))
    if states:
        stmt = stmt.where(Item.state.in_([ItemState(s).value for s in states]))
    if project_id is not None:
        stmt = stmt.where(Item.procore_project_id == project_id)
    rows = []
    for item in session.exec(stmt):
        sender_user = people.get(item.sender_id) if item.sender_id else None
        sender = (sender_user.name or sender_user.email or "") if sender_user else ""
        others = ", ".join(n for n in approver_names if not sender or n != sender)
        since = _aware(item.sent_at if item.state == ItemState.AWAITING_ACCEPTANCE and item.sent_at
                       else item.updated_at or item.created_at) or now
        detail = item.detail or {}
        note = item.reject_reason or item.last_error or detail.get("payment_status") or ""
        rows.append(AccountantRow(
            item_id=item.id or 0, type=ItemType(item.type).label, state=STATE_LABELS[ItemState(item.state)],
            title=item.title, amount=item.amount, project_id=item.procore_project_id,
            age_days=max(0, (now - since).days), since=since, holding=_holding(item, sender, others),
            sent_by=sender, note=str(note)))
    rows.sort(key=lambda r: (r.type, r.state, -r.age_days, r.item_id))
    return rows


def accountant_summary(rows: Iterable[AccountantRow]) -> list[AccountantSummaryRow]:
    """Counts, amounts and the oldest age per type × state."""
    groups: dict[tuple[str, str], list[AccountantRow]] = {}
    for row in rows:
        groups.setdefault((row.type, row.state), []).append(row)
    return [AccountantSummaryRow(type=t, state=s, count=len(g),
                                 amount=sum((r.amount or Decimal(0) for r in g), Decimal(0)),
                                 oldest_days=max(r.age_days for r in g))
            for (t, s), g in sorted(groups.items())]

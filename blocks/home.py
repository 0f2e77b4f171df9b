"""App Home: my queue, what is ready to send (blocks/ready.py), what I sent, connections, sync schedule and last
runs, settings — from `HomeData`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.cards import CardData, accept_confirm
from blocks.ready import FITS, ProjectGroup, ready_section, rejected_section
from blocks.status import operations_section
from blocks.text import age, bounded_lines, escape, link, truncate, when
from core.money import money

QUEUE_SHOWN = 10
SENT_SHOWN = 10
HOME_BLOCKS = 100


@dataclass(frozen=True)
class ConnectionRow:
    provider: str  # "QuickBooks" | "Procore"
    account: str | None  # realm id / company id
    status: str  # active | needs_reauth | revoked | missing
    detail: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None


@dataclass(frozen=True)
class RunRow:
    job: str
    schedule: str
    last_run_at: datetime | None = None
    status: str | None = None
    summary: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class HomeData:
    name: str
    tenant_name: str
    tz: str = "UTC"
    known: bool = True
    not_known_sentence: str = ""
    is_admin: bool = False
    is_approver: bool = False
    digest_opt_out: bool = False
    awaiting_me: tuple[CardData, ...] = ()
    awaiting_total: int = 0
    sent_by_me: tuple[CardData, ...] = ()
    connections: tuple[ConnectionRow, ...] = ()
    runs: tuple[RunRow, ...] = ()
    settings: dict[str, str] = field(default_factory=dict)
    now: datetime | None = None
    # the senders' side (blocks/ready.py): shown to people who may send (Standard and up)
    can_send: bool = False
    ready: tuple[ProjectGroup, ...] = ()
    ready_projects: int = 0
    rejected: tuple[ProjectGroup, ...] = ()
    rejected_projects: int = 0
    # admins: the checks of `ledgerlink status` as (name, state, detail) (blocks/status.py)
    operations: tuple[tuple[str, str, str], ...] = ()
    # "This week" (approvers and admins): the figures so far as text, and the chart last shared (weekly digest)
    week_label: str = ""
    week_text: str = ""
    chart: WeekChart | None = None
    # out of office: (delegate's Slack id, last day) while this person is away
    away: tuple[str, date] | None = None


@dataclass(frozen=True)
class WeekChart:
    """The weekly chart last shared in Slack: App Home shows it as a `slack_file` image block (Slack serves the
    file; an uploaded file has no public URL for `image_url`)."""

    file_id: str
    label: str  # "Nov 30 – Dec 6, 2026"
    alt_text: str = "Bar chart of the week per project"


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, 3000)))


def _ctx(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, 3000))])


def _queue(data: HomeData) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text="Waiting for you")]
    if not data.is_approver:
        return blocks + [_ctx("You're not an accounting approver, so nothing waits for you. Items you send are "
                              "listed below.")]
    if not data.awaiting_me:
        return blocks + [_md(":white_check_mark: Nothing is waiting for your acceptance.")]
    for card in data.awaiting_me[:QUEUE_SHOWN]:
        sender = f" · from {card.sender.mention}" if card.sender else ""
        progress = (f" · {len(card.approvals)} of {card.approvals_needed} approvals"
                    if card.approvals_needed > 1 else "")
        blocks.append(_md(f"*{link(card.procore_url, card.name)}* · {money(card.amount)}{sender} · waiting "
                          f"{age(card.sent_at, data.now)}{progress}\n{escape(card.creates)}"))
        value = str(card.item_id)
        blocks.append(ActionsBlock(block_id=f"queue-{card.item_id}", elements=[
            ButtonElement(text="Accept", action_id=ids.ACCEPT, value=value, style="primary",
                          confirm=accept_confirm(card)),
            ButtonElement(text="Reject", action_id=ids.REJECT, value=value, style="danger"),
            ButtonElement(text="Details", action_id=ids.DETAILS, value=value)]))
    if data.awaiting_total > QUEUE_SHOWN:
        blocks.append(_ctx(f"…and {data.awaiting_total - QUEUE_SHOWN} more waiting — the oldest are shown first. "
                           "`/ledgerlink report accountant` lists them all."))
    return blocks


def _sent(data: HomeData) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text="Sent by you")]
    if not data.sent_by_me:
        return blocks + [_ctx("You haven't sent anything yet: `/ledgerlink send invoice &lt;Procore id&gt;`.")]
    rows = [f"• *{link(c.procore_url, c.name)}* · {money(c.amount)} · {c.state.replace('_', ' ')}"
            + (f" — {escape(truncate(c.reject_reason or '', 120))}" if c.state == "rejected" else "")
            + (f" — {escape(truncate(c.last_error or '', 120))}" if c.state == "failed_to_export" else "")
            for c in data.sent_by_me[:SENT_SHOWN]]
    return blocks + [_md(bounded_lines(rows, limit=2900, noun="item"))]


_STATUS = {"active": ":large_green_circle: connected", "needs_reauth": ":warning: needs re-authorising",
           "revoked": ":red_circle: revoked", "missing": ":white_circle: not connected"}


def _connections(data: HomeData) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text="Connections")]
    for c in data.connections:
        parts = [f"*{c.provider}*", _STATUS.get(c.status, c.status)]
        if c.account:
            parts.append(f"{'realm' if c.provider == 'QuickBooks' else 'company'} {escape(c.account)}")
        if c.refresh_expires_at:
            parts.append(f"sign-in valid until {when(c.refresh_expires_at, data.tz)}")
        elif c.access_expires_at:
            parts.append(f"token renews {when(c.access_expires_at, data.tz)}")
        line = " · ".join(parts)
        if c.detail and c.status != "active":
            line += f"\n{escape(c.detail)}"
        if c.status != "active" and data.is_admin:
            line += f"\nRun `/ledgerlink connect {'qbo' if c.provider == 'QuickBooks' else 'procore'}` to fix it."
        blocks.append(_md(line))
    return blocks


def _runs(data: HomeData) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text="Sync schedule and last runs")]
    rows = []
    for r in data.runs:
        last = (f"last {when(r.last_run_at, data.tz)} "
                f"{':white_check_mark:' if r.status == 'ok' else ':x:' if r.status == 'failed' else ''}"
                if r.last_run_at else "not run yet")
        extra = f" — {escape(truncate(r.error, 150))}" if r.status == "failed" and r.error else (
            f" — {escape(truncate(r.summary, 150))}" if r.summary else "")
        rows.append(f"• *{escape(r.job)}* · {escape(r.schedule)} · {last}{extra}")
    blocks.append(_md(bounded_lines(rows, limit=2900, noun="job") or "No syncs yet."))
    return blocks


def _settings(data: HomeData) -> list[Block]:
    blocks: list[Block] = []
    if data.is_admin:
        s = data.settings
        blocks += [HeaderBlock(text="Settings"), _md(
            f"*Direct exports:* {escape(s.get('direct_exports', ''))}\n"
            f"*Paid-invoice sync:* {escape(s.get('paid_sync_schedule', ''))}\n"
            f"*Approvers' channel:* {s.get('approvers_channel', '')}\n"
            f"*Paid notices:* {s.get('notify_channel', '')}\n"
            f"*Confirm Accept above:* {s.get('confirm_above', 'never')} · "
            f"*Two approvers from:* {s.get('two_approver_threshold', 'never')}")]
    if data.is_admin or data.is_approver:
        buttons = [ButtonElement(text="Edit settings" if data.is_admin else "Digest settings",
                                 action_id=ids.HOME_SETTINGS, value="settings")]
        if data.is_approver:
            buttons.append(ButtonElement(text="Turn daily digest on" if data.digest_opt_out
                                         else "Turn daily digest off", action_id=ids.HOME_DIGEST, value="digest"))
        if not data.is_admin:
            blocks.append(HeaderBlock(text="Your settings"))
        blocks.append(_md(f"Daily digest of items waiting for you: *{'off' if data.digest_opt_out else 'on'}*"
                          if data.is_approver else "Company settings are changed here."))
        blocks.append(ActionsBlock(block_id="settings", elements=buttons))
    return blocks


def _this_week(data: HomeData) -> list[Block]:
    """The week so far in figures (what a screen reader reads) and the chart from the last weekly digest."""
    if not data.week_text:
        return []
    blocks: list[Block] = [HeaderBlock(text="This week"),
                           _md(f"*Week of {escape(data.week_label)}, so far*\n{data.week_text}")]
    if data.chart is not None:
        blocks.append(ImageBlock(slack_file={"id": data.chart.file_id}, alt_text=truncate(data.chart.alt_text, 2000),
                                 title=truncate(f"Week of {data.chart.label}", 2000), block_id="week-chart"))
    else:
        blocks.append(_ctx("The chart comes with the weekly digest on Mondays; `/ledgerlink week` shares this "
                           "week's now."))
    return blocks


def _away(data: HomeData) -> list[Block]:
    """Out of office: who decides in my place until when, or a button to name someone."""
    if not (data.is_approver or data.is_admin):
        return []
    if data.away is None:
        return [_md("*Out of office:* you're in."),
                ActionsBlock(block_id="away", elements=[ButtonElement(text="Set out of office",
                                                                      action_id=ids.HOME_AWAY, value="away")])]
    delegate, until = data.away
    return [_md(f":palm_tree: *You're away* until the end of {until:%b} {until.day}, {until.year}: <@{delegate}> "
                "gets your reminders and may decide in your place."),
            ActionsBlock(block_id="away", elements=[ButtonElement(text="I'm back", action_id=ids.HOME_BACK,
                                                                  value="back", style="primary")])]


def home_view(data: HomeData) -> View:
    blocks: list[Block] = [HeaderBlock(text=truncate(f"Ledgerlink · {data.tenant_name or 'not set up'}", 150))]
    if not data.known:
        blocks.append(_md(f":wave: Hi {escape(data.name)}. {escape(data.not_known_sentence)}"))
        blocks.append(_ctx("Ledgerlink moves Procore invoices, commitments and companies into QuickBooks once an "
                           "accounting approver accepts them here in Slack. `/ledgerlink help` lists what you can do."))
        return View(type="home", blocks=blocks)
    blocks += _queue(data)
    blocks.append(DividerBlock())
    rest: list[Block] = _this_week(data)
    if rest:
        rest.append(DividerBlock())
    rest += _sent(data)
    rest.append(DividerBlock())
    rest += _connections(data)
    rest += _runs(data)
    settings = _settings(data) + _away(data)
    if settings:
        rest.append(DividerBlock())
        rest += settings
    if data.is_admin and data.operations:
        rest += [DividerBlock(), *operations_section(data.operations)]
    rest.append(ActionsBlock(block_id="home", elements=[ButtonElement(text="Refresh", action_id=ids.HOME_REFRESH,
                                                                       value="refresh")]))
    rest.append(_ctx("`/ledgerlink help` lists every command."))
    blocks += _senders_side(data, room=HOME_BLOCKS - len(blocks) - len(rest))
    return View(type="home", blocks=(blocks + rest)[:HOME_BLOCKS])


def _senders_side(data: HomeData, *, room: int) -> list[Block]:
    """Ready to export and Rejected, with as many rows and projects as fit in `room` blocks."""
    if not data.can_send:
        return []
    side: list[Block] = []
    for rows, projects in FITS:
        side = ready_section(data.ready, projects_total=data.ready_projects, rows=rows, projects=projects)
        side += rejected_section(data.rejected, projects_total=data.rejected_projects, rows=rows,
                                 projects=projects)
        side.append(DividerBlock())
        if len(side) <= room:
            return side
    return side[:max(room, 0)]


def money_or_never(amount: Decimal | None) -> str:
    return money(amount) if amount is not None else "never"

"""Modals: the reject reason, an item's details, and the settings form (with the parser of what it returns)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.cards import CardData, approval_card
from blocks.text import bounded_lines, escape, link, truncate, when
from core.domain.autosend import CHOICES as AUTOSEND_CHOICES
from core.domain.errors import InvalidInput
from core.domain.parsing import loads_bounded, strict_id
from core.domain.settings import MAX_SYNC_MINUTES, MIN_SYNC_MINUTES
from core.domain.workflow import MAX_REJECT_REASON, MIN_REJECT_REASON
from core.money import money

MIN_REASON = MIN_REJECT_REASON  # the workflow refuses shorter reasons too
MAX_REASON = MAX_REJECT_REASON
MAX_AMOUNT = Decimal("999999999999.99")  # money columns are Numeric(14, 2)
VIEW_BLOCKS = 100

DIRECT_EXPORT_CHOICES = [("disabled", "Disabled — everything needs acceptance"),
                         ("enabled", "Enabled — senders may export directly"),
                         ("enabled_with_workflow", "Enabled after the Procore workflow")]
SCHEDULE_CHOICES = [("hourly", "Hourly"), ("every_2h", "Every 2 hours"), ("every_4h", "Every 4 hours"),
                    ("daily", "Daily"), ("never", "Never")]
READY_POST_OFF = "off"
READY_POST_CHOICES = [(READY_POST_OFF, "Off")] + [(f"{h:02d}:00", f"Every day at {h:02d}:00") for h in range(6, 19)]


def _meta(**values: Any) -> str:
    return json.dumps(values, separators=(",", ":"))


#: what Ledgerlink puts in a modal's private_metadata, by key; anything else there was not written by us
_META_TYPES: dict[str, tuple[type, ...]] = {"item_id": (int,), "channel": (str,), "kind": (str,), "procore": (str,),
                                            "procore_text": (str,), "likely": (list,), "types": (list,),
                                            "admin": (bool,), "approver": (bool,), "command": (str,)}
STALE_FORM = "This form is out of date or was changed on the way; close it and open it again from Slack."


def read_meta(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's private_metadata, checked against what Ledgerlink writes there; InvalidInput (a sentence, no
    trace) when it isn't — someone edited the payload, or it comes from an older version."""
    raw = view.get("private_metadata") or "{}"
    try:
        data = loads_bounded(raw) if isinstance(raw, str) and len(raw) <= 3000 else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(_meta_ok(k, v) for k, v in data.items()):
        raise InvalidInput(STALE_FORM)
    return data


def _meta_ok(key: str, value: Any) -> bool:
    if value is None:
        return True
    if key not in _META_TYPES or not isinstance(value, _META_TYPES[key]):
        return False
    if key == "item_id":
        return not isinstance(value, bool) and strict_id(value) is not None
    if key == "likely":
        return all(isinstance(x, list) and len(x) == 2 and all(isinstance(y, str) for y in x) for x in value)
    if key == "types":
        return all(isinstance(x, str) for x in value)
    return True


def reject_modal(card: CardData, *, channel: str | None = None) -> View:
    """Ask for the reason; the submission carries the item id in private_metadata."""
    return View(
        type="modal", callback_id=ids.REJECT_VIEW, title="Reject", submit="Reject", close="Cancel",
        private_metadata=_meta(item_id=card.item_id, channel=channel),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate(
                f"Reject *{escape(card.name)}*{' for ' + money(card.amount) if card.amount is not None else ''}"
                f"{' from ' + card.sender.mention if card.sender else ''}? The sender is told the reason and can "
                "fix it in Procore and resend.", 3000))),
            InputBlock(block_id=ids.REASON_BLOCK, label="Reason",
                       hint=f"At least {MIN_REASON} characters: say what to change.",
                       element=PlainTextInputElement(action_id=ids.REASON_INPUT, multiline=True,
                                                     min_length=MIN_REASON, max_length=MAX_REASON,
                                                     placeholder="e.g. Retainage should be 5%, not 10%")),
        ])


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    who: str
    action: str
    detail: str = ""


def details_modal(card: CardData, history: list[HistoryRow]) -> View:
    """Everything about one item: the card's content with every line, and its audit history."""
    blocks: list[Block] = [b for b in approval_card(card).blocks if b.type not in ("actions", "header")]
    blocks = [b for b in blocks if not (b.type == "section" and getattr(b, "text", None) is not None
                                        and b.text.text.startswith("*Lines*"))]  # type: ignore[union-attr]
    if card.lines:
        rows = [f"• {escape(x.label)}" + (f" — {money(x.amount)}" if x.amount is not None else "")
                for x in card.lines]
        for start in range(0, len(rows), 40):
            chunk = rows[start:start + 40]
            blocks.append(SectionBlock(text=MarkdownTextObject(text=bounded_lines(
                [truncate(r, 70) for r in chunk], limit=2990))))
            if len(blocks) >= VIEW_BLOCKS - 25:
                blocks.append(ContextBlock(elements=[MarkdownTextObject(
                    text=f"…and {len(rows) - start - len(chunk)} more lines — see them in Procore.")]))
                break
    if card.procore_url or card.qbo_url:
        links = " · ".join(x for x in (link(card.procore_url, "Open in Procore") if card.procore_url else "",
                                       link(card.qbo_url, "Open in QuickBooks") if card.qbo_url else "") if x)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=links)))
    blocks.append(DividerBlock())
    blocks.append(HeaderBlock(text="History"))
    events = [f"{when(h.at, card.tz)} — {escape(h.who)} {escape(h.action)}"
              + (f": {escape(h.detail)}" if h.detail else "") for h in history]
    blocks.append(SectionBlock(text=MarkdownTextObject(
        text=bounded_lines([truncate(e, 300) for e in events], limit=2990, noun="event") or "No history yet.")))
    return View(type="modal", callback_id=ids.DETAILS_VIEW, title=truncate(card.type_label, 24), close="Close",
                blocks=blocks[:VIEW_BLOCKS])


@dataclass(frozen=True)
class SettingsForm:
    tenant_name: str
    is_admin: bool
    is_approver: bool
    direct_exports: str = "disabled"
    paid_sync_schedule: str = "daily"
    approvers_channel: str = "#accounting"
    notify_channel: str | None = None
    confirm_above: Decimal | None = None
    two_approver_threshold: Decimal | None = None
    digest_opt_out: bool = False
    autosend: tuple[str, ...] = ()  # item types sent automatically (core/domain/autosend.py)
    ready_post_time: str | None = None  # "HH:MM", None = off
    reminder_after_hours: int = 24  # re-announce items awaiting acceptance every N hours (0 = off)
    escalate_after_hours: int = 48  # escalate once after M hours (0 = off)
    job_cost_choices: tuple[tuple[str, str], ...] = ()  # linked Procore projects: (id, name)
    job_cost_on: tuple[str, ...] = ()  # those with job-cost sync on
    sync_every: tuple[tuple[str, str, int], ...] = ()  # scheduled sync jobs: (job, what it syncs, minutes)


def _choices(pairs: list[tuple[str, str]]) -> list[Option]:
    return [Option(value=v, label=label) for v, label in pairs]


def _channel_label(ref: str | None) -> str:
    if not ref:
        return "not set"
    return f"<#{ref}>" if ref[:1] in ("C", "G") and ref[1:].isalnum() and ref.isupper() else escape(ref)


def settings_modal(form: SettingsForm) -> View:
    """Admins see the company's settings; approvers their own digest choice."""
    blocks: list[Block] = []
    if form.is_admin:
        direct = _choices(DIRECT_EXPORT_CHOICES)
        schedule = _choices(SCHEDULE_CHOICES)
        blocks += [
            SectionBlock(text=MarkdownTextObject(text=f"Settings for *{escape(form.tenant_name)}*. Changes are "
                                                      "audited and take effect at once.")),
            InputBlock(block_id=ids.S_DIRECT, label="Direct exports", element=StaticSelectElement(
                action_id=ids.S_INPUT, options=direct,
                initial_option=next((o for o in direct if o.value == form.direct_exports), direct[0]))),
            InputBlock(block_id=ids.S_SCHEDULE, label="Paid-invoice sync", element=StaticSelectElement(
                action_id=ids.S_INPUT, options=schedule,
                initial_option=next((o for o in schedule if o.value == form.paid_sync_schedule), schedule[3]))),
            InputBlock(block_id=ids.S_APPROVERS, label="Approvers' channel", optional=True,
                       hint=f"Now {_channel_label(form.approvers_channel)}. Leave empty to keep it."[:150],
                       element=ConversationSelectElement(action_id=ids.S_INPUT, placeholder="Pick a channel")),
            InputBlock(block_id=ids.S_NOTIFY, label="Paid notices channel", optional=True,
                       hint=f"Now {_channel_label(form.notify_channel)} (empty = the approvers' channel). "
                            "Leave empty to keep it."[:150],
                       element=ConversationSelectElement(action_id=ids.S_INPUT, placeholder="Pick a channel")),
            InputBlock(block_id=ids.S_CONFIRM, label="Ask to confirm Accept above ($)", optional=True,
                       hint="Empty = never ask.", element=PlainTextInputElement(
                           action_id=ids.S_INPUT, placeholder="e.g. 25000",
                           initial_value=_plain(form.confirm_above))),
            InputBlock(block_id=ids.S_TWO, label="Two approvers needed from ($)", optional=True,
                       hint="Empty = one approver is enough.", element=PlainTextInputElement(
                           action_id=ids.S_INPUT, placeholder="e.g. 100000",
                           initial_value=_plain(form.two_approver_threshold))),
            *_hours_inputs(form),
            *_interval_inputs(form),
            *_job_cost_input(form),
            *_autosend_inputs(form),
        ]
    if form.is_approver:
        digest = Option(value="on", label="Send me the daily digest of items waiting for acceptance")
        blocks.append(InputBlock(block_id=ids.S_DIGEST, label="Your daily digest", optional=True,
                                 element=CheckboxesElement(action_id=ids.S_INPUT, options=[digest],
                                                           initial_options=None if form.digest_opt_out
                                                           else [digest])))
    return View(type="modal", callback_id=ids.SETTINGS_VIEW, title="Ledgerlink settings", submit="Save",
                close="Cancel", private_metadata=_meta(admin=form.is_admin, approver=form.is_approver),
                blocks=blocks)


MAX_HOURS = 720  # 30 days


def _hours_inputs(form: SettingsForm) -> list[Block]:
    """Reminder and escalation hours of items awaiting acceptance (0 = off)."""
    return [InputBlock(block_id=block, label=label, hint="Hours; 0 = off.", element=PlainTextInputElement(
                action_id=ids.S_INPUT, initial_value=str(value)))
            for block, label, value in ((ids.S_REMIND, "Remind approvers after (hours)", form.reminder_after_hours),
                                        (ids.S_ESCALATE, "Escalate after (hours)", form.escalate_after_hours))]


def _interval_inputs(form: SettingsForm) -> list[Block]:
    """How often each scheduled sync runs, in minutes (the paid sync has its own schedule above)."""
    return [InputBlock(block_id=ids.S_EVERY + job, label=truncate(f"Sync every (min): {label}", 2000),
                       hint=f"Whole minutes, {MIN_SYNC_MINUTES} to {MAX_SYNC_MINUTES}.",
                       element=PlainTextInputElement(action_id=ids.S_INPUT, initial_value=str(minutes)))
            for job, label, minutes in form.sync_every]


def _intervals(values: dict[str, Any], errors: dict[str, str]) -> dict[str, int]:
    """The interval inputs of the form (job → minutes); an unreadable or out-of-range one is a field error."""
    out: dict[str, int] = {}
    for block in values:
        if not block.startswith(ids.S_EVERY):
            continue
        raw = ((_value(values, block) or {}).get("value") or "").strip()
        if not raw:
            continue  # emptied: unchanged
        if not raw.isdigit() or not MIN_SYNC_MINUTES <= int(raw) <= MAX_SYNC_MINUTES:
            errors[block] = (f"Enter whole minutes from {MIN_SYNC_MINUTES} to {MAX_SYNC_MINUTES} (a week), "
                             "like 15.")
            continue
        out[block[len(ids.S_EVERY):]] = int(raw)
    return out


def _job_cost_input(form: SettingsForm) -> list[Block]:
    """Job-cost sync per linked Procore project (absent when none is linked yet)."""
    options = _choices([(v, truncate(label, 75)) for v, label in form.job_cost_choices[:100]])
    if not options:
        return []
    chosen = [o for o in options if o.value in form.job_cost_on]
    return [InputBlock(block_id=ids.S_JOB_COSTS, label="Job-cost sync", optional=True,
                       hint="Linked projects whose QuickBooks job costs sync into Procore.",
                       element=StaticMultiSelectElement(action_id=ids.S_INPUT, options=options,
                                                        initial_options=chosen or None,
                                                        placeholder="No project"))]


def _hours(values: dict[str, Any], block: str, errors: dict[str, str]) -> int | None:
    raw = ((_value(values, block) or {}).get("value") or "").strip()
    if not raw:
        return None  # not in the form (or emptied): unchanged
    if not raw.isdigit() or int(raw) > MAX_HOURS:
        errors[block] = f"Enter whole hours from 0 (off) to {MAX_HOURS}."
        return None
    return int(raw)


def _autosend_inputs(form: SettingsForm) -> list[Block]:
    """Auto-send per item type, and the daily channel post of items ready to export."""
    types = [Option(value=kind.value, label=label, description=when) for kind, label, when in AUTOSEND_CHOICES]
    times = _choices(READY_POST_CHOICES)
    if form.ready_post_time and form.ready_post_time not in dict(READY_POST_CHOICES):
        times.append(Option(value=form.ready_post_time, label=f"Every day at {form.ready_post_time}"))
    chosen = form.ready_post_time or READY_POST_OFF
    return [
        InputBlock(block_id=ids.S_AUTOSEND, label="Send for acceptance automatically", optional=True,
                   hint="When Procore shows one of these changes, the item is sent by itself; the Procore user who "
                        "made the change is its sender.",
                   element=CheckboxesElement(action_id=ids.S_INPUT, options=types,
                                             initial_options=[o for o in types if o.value in form.autosend] or None)),
        InputBlock(block_id=ids.S_READY_POST, label="Daily post of items ready to export",
                   hint="One message to each project team's channel (else the paid notices channel), kept up to "
                        "date as items move on.",
                   element=StaticSelectElement(action_id=ids.S_INPUT, options=times,
                                               initial_option=next(o for o in times if o.value == chosen))),
    ]


def _plain(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:f}"


def _value(values: dict[str, Any], block: str) -> dict[str, Any] | None:
    return (values.get(block) or {}).get(ids.S_INPUT)


def _amount(values: dict[str, Any], block: str, errors: dict[str, str]) -> Decimal | None:
    raw = ((_value(values, block) or {}).get("value") or "").strip().replace(",", "").replace("$", "")
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():  # also "NaN" and "Infinity", which Decimal reads
        errors[block] = "Enter an amount in dollars, like 25000 or 25000.00."
        return None
    if amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        errors[block] = "Enter a positive amount with at most two decimals."
        return None
    if amount > MAX_AMOUNT:
        errors[block] = f"Enter an amount up to {money(MAX_AMOUNT)}."
        return None
    return amount


def read_settings(values: dict[str, Any], *, admin: bool, approver: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted form → (changes, field errors). Only fields the person could see are read."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if admin:
        for block in (ids.S_DIRECT, ids.S_SCHEDULE):
            opt = (_value(values, block) or {}).get("selected_option")
            if opt:
                changes[block] = opt["value"]
        for block in (ids.S_APPROVERS, ids.S_NOTIFY):
            channel = (_value(values, block) or {}).get("selected_conversation")
            if channel:
                changes[block] = channel
        changes[ids.S_CONFIRM] = _amount(values, ids.S_CONFIRM, errors)
        changes[ids.S_TWO] = _amount(values, ids.S_TWO, errors)
        if ids.S_AUTOSEND in values:
            chosen = (_value(values, ids.S_AUTOSEND) or {}).get("selected_options") or []
            changes[ids.S_AUTOSEND] = sorted(o["value"] for o in chosen)
        opt = (_value(values, ids.S_READY_POST) or {}).get("selected_option")
        if opt:
            changes[ids.S_READY_POST] = opt["value"]
        if ids.S_JOB_COSTS in values:
            chosen = (_value(values, ids.S_JOB_COSTS) or {}).get("selected_options") or []
            changes[ids.S_JOB_COSTS] = sorted(o["value"] for o in chosen)
        for block in (ids.S_REMIND, ids.S_ESCALATE):
            hours = _hours(values, block, errors)
            if hours is not None:
                changes[block] = hours
        intervals = _intervals(values, errors)
        if intervals:
            changes[ids.S_INTERVALS] = intervals
    if approver and ids.S_DIGEST in values:
        chosen = (_value(values, ids.S_DIGEST) or {}).get("selected_options") or []
        changes["digest_opt_out"] = not any(o.get("value") == "on" for o in chosen)
    return changes, errors


"""Messages to a tenant's admins about its QuickBooks / Procore connection: a change made, or one to confirm."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from blocks import ids
from blocks.cards import Message, _context, _section
from blocks.text import escape, when


def _was(old: str | None) -> str:
    return f"(was {escape(old)})" if old else "(first connection)"


def change_notice(change: Any) -> Message:
    """"Dana connected QuickBooks company 4620 (was 4619)" — posted to every admin after a change."""
    verb = {"connected": "connected", "confirmed": "confirmed the switch of", "cancelled": "cancelled the switch of"
            }.get(change.status, change.status)
    account = f"{change.label} company {escape(change.new)}"
    text = f"{escape(change.by)} {verb} {account} {_was(change.old)}"
    if change.status == "cancelled":
        text = (f"{escape(change.by)} cancelled switching {change.label} to company {escape(change.new)}; "
                f"{change.label} stays on {escape(change.old or '—')}")
    return Message(text=text, blocks=[_section(f":link: {text}."), _context(when(change.at))])


def confirm_request(change: Any) -> Message:
    """The held switch to another company, with Confirm / Cancel for any admin."""
    text = (f"{escape(change.by)} asked to switch {change.label} from company {escape(change.old or '—')} to "
            f"company {escape(change.new)}")
    return Message(text=f"Confirm: {text}", blocks=[
        _section(f":warning: *{text}.* Nothing changes until an admin confirms: exports and syncs keep using "
                 f"company {escape(change.old or '—')}. If nobody here asked for this, press Cancel."),
        ActionsBlock(block_id="connection_change", elements=[
            ButtonElement(text="Confirm switch", action_id=ids.CONNECTION_CONFIRM, value=str(change.link_id),
                          style="danger"),
            ButtonElement(text="Cancel", action_id=ids.CONNECTION_CANCEL, value=str(change.link_id))]),
        _context(when(change.at))])

"""App Home's out-of-office form: who decides in my place (a user picker) and my last day away (a date picker).
The rules (one delegate, at most 92 days, not oneself) are checked by core/domain/delegation on submit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    UserSelectElement,
)
from slack_sdk.models.views import View

from blocks import ids


def away_modal(today: date) -> View:
    return View(
        type="modal", callback_id=ids.AWAY_VIEW, title="Out of office", submit="Save", close="Cancel",
        blocks=[
            InputBlock(block_id=ids.AWAY_DELEGATE_BLOCK, label="Who decides in your place",
                       hint="They get your reminders and escalations and may accept or reject within their own "
                            "rights.",
                       element=UserSelectElement(action_id=ids.AWAY_DELEGATE_INPUT, placeholder="Pick a person")),
            InputBlock(block_id=ids.AWAY_UNTIL_BLOCK, label="Your last day away",
                       hint="Through the end of that day in your own time zone; then it ends by itself.",
                       element=DatePickerElement(action_id=ids.AWAY_UNTIL_INPUT,
                                                 initial_date=(today + timedelta(days=1)).isoformat())),
            ContextBlock(elements=[MarkdownTextObject(text="`/ledgerlink away @kim until 2026-12-24` does the same; "
                                                           "*I'm back* in App Home ends it early.")]),
        ])


def read_away(values: dict[str, Any]) -> tuple[str | None, date | None, dict[str, str]]:
    """(delegate's Slack id, last day, field errors) from the submitted form."""
    errors: dict[str, str] = {}
    picked = ((values.get(ids.AWAY_DELEGATE_BLOCK) or {}).get(ids.AWAY_DELEGATE_INPUT) or {}).get("selected_user")
    raw = ((values.get(ids.AWAY_UNTIL_BLOCK) or {}).get(ids.AWAY_UNTIL_INPUT) or {}).get("selected_date")
    if not picked:
        errors[ids.AWAY_DELEGATE_BLOCK] = "Pick who decides in your place."
    until = None
    try:
        until = date.fromisoformat(raw) if raw else None
    except ValueError:
        pass
    if until is None:
        errors[ids.AWAY_UNTIL_BLOCK] = "Pick your last day away."
    return picked, until, errors

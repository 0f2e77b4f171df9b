"""The senders' side of App Home: items *Ready to export* and *Rejected — needs changes*, grouped by project.

Each ready row says what the item is and offers Send to accounting, Export now (only when the company's
direct-exports setting and the person's permission allow it) and View in Procore; each rejected row shows who
rejected it and why, with Resend. Per project, checkboxes (Slack allows 10 options) tick several ready items, and
"Send selected to accounting" sends them together, as one grouped approval card (blocks/group_card.py).

`ready_item_row` is the reusable piece (the daily channel post shows the same rows). Buttons carry only the item
id; the state is read from the database when clicked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)

from blocks import ids
from blocks.cards import CardData
from blocks.text import escape, link, slack_when, truncate
from core.money import money

PICKS_MAX = 10  # Slack's limit on the options of one checkboxes element
OPTION_TEXT = 75  # Slack's limit on an option's text and description
SECTION_TEXT = 3000


@dataclass(frozen=True)
class ProjectGroup:
    """One project's items in one state (ready or rejected), oldest first."""

    key: str  # the Procore project id, or "none" for items without a project (companies)
    name: str
    total: int  # how many of its items are in this state
    cards: tuple[CardData, ...]  # the first ones: rows are shown for a few, checkboxes offer up to PICKS_MAX
    exportable: frozenset[int] = frozenset()  # item ids this person may export directly now


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_TEXT)))


def _ctx(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_TEXT))])


def _facts(card: CardData) -> str:
    parts = [f"*{link(card.procore_url, card.name)}*", money(card.amount) if card.amount is not None else None,
             escape(card.vendor) if card.vendor else None]
    return " · ".join(p for p in parts if p)


def _view_button(card: CardData) -> ButtonElement | None:
    if not card.procore_url:
        return None
    return ButtonElement(text="View in Procore", action_id=ids.VIEW_PROCORE, value=str(card.item_id),
                         url=card.procore_url)


def _export_confirm(card: CardData) -> ConfirmObject:
    return ConfirmObject(title="Export without approval?",
                         text=truncate(f"{card.creates} now, without an approver's acceptance. Amount "
                                       f"{money(card.amount)}.", 300), confirm="Export now", deny="Cancel")


def ready_item_row(card: CardData, can_export: bool, *, pick_key: str | None = None) -> list[Block]:
    """One ready item: what it is, its state, and Send to accounting / Export now / View in Procore; with
    `pick_key` (its project's key) a checkbox on the row ticks it for *Send selected* — so the item is listed
    once, not again in a checkbox list."""
    status = ":large_blue_circle: ready to export"
    if card.last_event and card.last_event.action == "retrieve":
        who = card.last_event.who.mention if card.last_event.who else "the sender"
        at = f" on {slack_when(card.last_event.at, card.tz)}" if card.last_event.at else ""
        status = f":leftwards_arrow_with_hook: retrieved by {who}{at}"
    elif card.last_event and card.last_event.action == "unlink":
        status = ":link: unlinked from QuickBooks — ready to export again"
    text = f"{_facts(card)}\n{status} · {escape(card.creates)}"
    if card.blocked:
        text += f"\n:warning: Can't be exported yet: {escape(truncate(card.blocked, 600))}"
    value = str(card.item_id)
    buttons = [ButtonElement(text="Send to accounting", action_id=ids.SEND_ITEM, value=value, style="primary")]
    if can_export and not card.blocked:
        buttons.append(ButtonElement(text="Export now", action_id=ids.EXPORT_ITEM, value=value,
                                     confirm=_export_confirm(card)))
    if view := _view_button(card):
        buttons.append(view)
    section = _md(text)
    if pick_key is not None:
        section = SectionBlock(block_id=f"{ids.READY_PICK_BLOCK}{pick_key}-{card.item_id}", text=section.text,
                               accessory=CheckboxesElement(action_id=ids.READY_PICK, options=[Option(
                                   value=str(card.item_id), text=PlainTextObject(text="Select")),
                               ]))
    return [section, ActionsBlock(block_id=f"ready-{card.item_id}", elements=buttons)]


def rejected_item_row(card: CardData) -> list[Block]:
    """One rejected item: who rejected it and why, with Resend and View in Procore."""
    by = card.decided_by.mention if card.decided_by else "an approver"
    at = f" on {slack_when(card.decided_at, card.tz)}" if card.decided_at else ""
    text = (f"{_facts(card)}\n:no_entry: rejected by {by}{at}\n>"
            f"{escape(truncate(card.reject_reason or 'no reason recorded', 1500))}")
    buttons = [ButtonElement(text="Resend", action_id=ids.RESEND, value=str(card.item_id), style="primary")]
    if view := _view_button(card):
        buttons.append(view)
    return [_md(text), ActionsBlock(block_id=f"rejected-{card.item_id}", elements=buttons)]


def _option(card: CardData) -> Option:
    label = truncate(f"{card.title} · {money(card.amount)}" if card.amount is not None else card.title,
                     OPTION_TEXT, marker="…")
    detail = truncate(card.vendor or card.type_label, OPTION_TEXT, marker="…")
    return Option(value=str(card.item_id), text=PlainTextObject(text=label),
                  description=PlainTextObject(text=detail))


def pick_block(group: ProjectGroup, skip: int = 0) -> ActionsBlock:
    """Checkboxes for up to 10 of a project's ready items (their values are item ids), after the first `skip`
    (those have rows with their own checkbox)."""
    options = [_option(c) for c in group.cards[skip:PICKS_MAX]]
    return ActionsBlock(block_id=f"{ids.READY_PICK_BLOCK}{group.key}",
                        elements=[CheckboxesElement(action_id=ids.READY_PICK, options=options)])


def selected_ids(state_values: Mapping[str, Any]) -> list[int]:
    """The item ids ticked in every project's checkboxes (`view.state.values` of a block_actions payload)."""
    out: list[int] = []
    for block_id, elements in (state_values or {}).items():  # a project's list and its rows' own checkboxes
        if not str(block_id).startswith(ids.READY_PICK_BLOCK) or not isinstance(elements, dict):
            continue
        picked = (elements.get(ids.READY_PICK) or {}).get("selected_options") or []
        for option in picked:
            try:
                item_id = int(str(option.get("value", "")))
            except ValueError:
                continue
            if item_id not in out:
                out.append(item_id)
    return out


def _group_title(group: ProjectGroup, noun: str) -> SectionBlock:
    return _md(f":building_construction: *{escape(group.name)}* · {group.total} {noun}")


def ready_section(groups: Iterable[ProjectGroup], *, projects_total: int, rows: int, projects: int) -> list[Block]:
    """'Ready to export': up to `projects` projects, `rows` rows each, checkboxes and one Send selected button."""
    groups = list(groups)
    blocks: list[Block] = [HeaderBlock(text="Ready to export")]
    if not groups:
        return blocks + [_md(":white_check_mark: Nothing is ready to export. New items appear here when Procore "
                             "has something for accounting.")]
    for group in groups[:projects]:
        blocks.append(_group_title(group, "ready"))
        shown = min(rows, len(group.cards), PICKS_MAX)
        for card in group.cards[:shown]:
            blocks += ready_item_row(card, card.item_id in group.exportable, pick_key=group.key)
        hidden = group.total - shown
        tickable = min(PICKS_MAX, len(group.cards)) - shown
        if hidden > 0:
            how = " — tick them below to send them" if tickable > 0 else ""
            blocks.append(_ctx(f"…and {hidden} more ready in {escape(group.name)}{how}. "
                               "`/ledgerlink report accountant` lists every item."))
        if tickable > 0:
            blocks.append(pick_block(group, skip=shown))
    if projects_total > projects:
        blocks.append(_ctx(f"…and {projects_total - projects} more project(s) with items ready to export."))
    blocks.append(ActionsBlock(block_id="ready_send", elements=[ButtonElement(
        text="Send selected to accounting", action_id=ids.READY_SEND_SELECTED, value="selected", style="primary")]))
    blocks.append(_ctx("Ticked items go to the approvers together, on one card they can accept at once."))
    return blocks


def rejected_section(groups: Iterable[ProjectGroup], *, projects_total: int, rows: int,
                     projects: int) -> list[Block]:
    """'Rejected — needs changes' (nothing at all when none are rejected)."""
    groups = list(groups)
    if not groups:
        return []
    blocks: list[Block] = [HeaderBlock(text="Rejected — needs changes")]
    for group in groups[:projects]:
        blocks.append(_group_title(group, "rejected"))
        for card in group.cards[:rows]:
            blocks += rejected_item_row(card)
        hidden = group.total - min(rows, len(group.cards))
        if hidden > 0:
            blocks.append(_ctx(f"…and {hidden} more rejected in {escape(group.name)}. "
                               "`/ledgerlink report accountant` lists every item."))
    if projects_total > projects:
        blocks.append(_ctx(f"…and {projects_total - projects} more project(s) with rejected items."))
    blocks.append(_ctx("Fix a rejected item in Procore, then press *Resend*: Ledgerlink reads it again first."))
    return blocks


#: (rows per project, projects) from the most to the least App Home shows, tried until the view fits
FITS = ((5, 5), (4, 4), (3, 4), (3, 3), (2, 3), (2, 2), (1, 2), (1, 1), (0, 1))

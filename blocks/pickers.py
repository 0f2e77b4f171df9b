"""Record pickers: the options answer of an external_select, the link modal (Procore record → its QuickBooks twin →
confirm) and the send modal (pick an item); and reading what was picked back from a view."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.modals import read_meta  # noqa: F401 - handlers read the link modal's metadata from here
from blocks.text import escape, truncate

OPTION_TEXT, OPTION_VALUE, GROUP_LABEL = 75, 150, 75  # Slack's limits
LIKELY_KEPT = 10  # likely twins kept in private_metadata (3000 characters)


@dataclass(frozen=True)
class Picked:
    """An option someone picked: the value the app gave it and the text they saw."""

    value: str
    text: str

    def option(self) -> Option:
        return Option(value=self.value[:OPTION_VALUE], label=truncate(self.text, OPTION_TEXT, marker="…"))


@dataclass(frozen=True)
class OptionRow:
    value: str
    text: str


def options_response(groups: Sequence[tuple[str | None, Sequence[OptionRow]]]) -> dict[str, Any]:
    """The ack body of a block_suggestion: `options`, or `option_groups` when there are headings."""
    def opt(row: OptionRow) -> dict[str, Any]:
        return Picked(row.value, row.text).option().to_dict()

    if len(groups) == 1 and groups[0][0] is None:
        return {"options": [opt(r) for r in groups[0][1]]}
    return {"option_groups": [OptionGroup(label=truncate(label or "", GROUP_LABEL, marker="…"),
                                          options=[opt(r) for r in rows]).to_dict()
                              for label, rows in groups if rows]}


# --- the link modal ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkKind:
    title: str
    procore_noun: str
    qbo_noun: str
    procore_action: str
    qbo_action: str


LINK_KINDS = {
    "company": LinkKind("Link a company", "Procore company", "QuickBooks vendor", ids.PICK_PROCORE_COMPANY,
                        ids.PICK_QBO_VENDOR),
    "project": LinkKind("Link a project", "Procore project", "QuickBooks project", ids.PICK_PROCORE_PROJECT,
                        ids.PICK_QBO_PROJECT),
}


def _meta(**values: Any) -> str:
    return json.dumps({k: v for k, v in values.items() if v is not None}, separators=(",", ":"))


def link_modal(kind: str, *, procore: Picked | None = None, qbo: Picked | None = None, channel: str | None = None,
               likely: Sequence[tuple[str, str]] = ()) -> View:
    """Pick the Procore record, then its QuickBooks twin (likely twins are listed first once the Procore one is
    picked), then confirm. Picking updates the modal (dispatch_action), so the confirm line is always current; the
    Procore pick and its likely twins — (value, reason), worked out once — are kept in private_metadata for the
    options listener."""
    k = LINK_KINDS[kind]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=(
            f"Link a {k.procore_noun} to the {k.qbo_noun} it already is, so Ledgerlink never creates it twice. "
            f"Pick the {k.procore_noun} first: the {k.qbo_noun}s that look like it come first in the list."))),
        InputBlock(block_id=ids.LINK_PROCORE_BLOCK, label=k.procore_noun, dispatch_action=True,
                   element=ExternalDataSelectElement(
                       action_id=k.procore_action, min_query_length=1,  # a whole directory: type to narrow it
                       placeholder="Type a name or id", initial_option=procore.option() if procore else None)),
        InputBlock(block_id=ids.LINK_QBO_BLOCK, label=k.qbo_noun, dispatch_action=True,
                   hint=f"Likely matches for {procore.text} come first."[:150] if procore else None,
                   element=ExternalDataSelectElement(
                       action_id=k.qbo_action, min_query_length=0,  # open it to see the likely matches
                       placeholder="Open to see likely matches, or type",
                       initial_option=qbo.option() if qbo else None)),
    ]
    if procore and qbo:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(
            f":link: *{escape(procore.text)}* (Procore {escape(procore.value)}) will be linked to "
            f"*{escape(qbo.text)}* (QuickBooks {escape(qbo.value)}). Press Link to confirm.", 3000))]))
    meta = _meta(kind=kind, channel=channel, procore=procore.value if procore else None,
                 procore_text=procore.text[:OPTION_TEXT] if procore else None,
                 likely=[[v[:OPTION_VALUE], why[:OPTION_TEXT]] for v, why in likely[:LIKELY_KEPT]] if procore else None)
    return View(type="modal", callback_id=ids.LINK_VIEW, title=k.title, submit="Link", close="Cancel",
                private_metadata=meta, blocks=blocks)


# --- the send modal ---------------------------------------------------------------------------------------------
def send_modal(*, types: Sequence[str] = (), noun: str = "item", channel: str | None = None) -> View:
    """Pick an item that is ready to send (or was rejected and can be sent again)."""
    return View(type="modal", callback_id=ids.SEND_VIEW, title="Send to accounting", submit="Send", close="Cancel",
                private_metadata=_meta(types=list(types) or None, channel=channel),
                blocks=[
                    SectionBlock(text=MarkdownTextObject(text=(
                        f"Pick the {noun} to send to the approvers. The list shows what is ready to send, newest "
                        "first; type its title, number, Procore id or `#<item id>` to find it."))),
                    InputBlock(block_id=ids.SEND_ITEM_BLOCK, label=noun[:1].upper() + noun[1:],
                               element=ExternalDataSelectElement(
                                   action_id=ids.PICK_ITEM, min_query_length=0, placeholder="Open or type")),
                ])




def picked(view: dict[str, Any], block_id: str) -> Picked | None:
    """What is selected in the block's select (from the view's state), or None."""
    for value in ((view.get("state") or {}).get("values") or {}).get(block_id, {}).values():
        option = (value or {}).get("selected_option")
        if option and option.get("value"):
            return Picked(option["value"], (option.get("text") or {}).get("text") or option["value"])
    return None

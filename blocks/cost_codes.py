"""The cost-code preferences modal: one standard cost code's default cost types, and whether its budget lines
become QuickBooks items; and the parser of what it returns."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.text import truncate

MAX_OPTIONS = 100  # Slack's limit for a static select
SYNCED = "synced"


def _options(pairs: list[tuple[str, str]]) -> list[Option]:
    return [Option(value=v, label=truncate(label, 75)) for v, label in pairs[:MAX_OPTIONS]]


def cost_codes_modal(codes: list[tuple[str, str]], types: list[tuple[str, str]]) -> View:
    synced = Option(value=SYNCED, label="Its budget lines become QuickBooks items")
    blocks = [
        SectionBlock(text=MarkdownTextObject(text="Pick a standard cost code, the cost types a project cost code "
                                                  "made from it gets when Procore lists none, and whether it syncs. "
                                                  "Saved changes are audited.")),
        InputBlock(block_id=ids.CC_CODE_BLOCK, label="Standard cost code",
                   element=StaticSelectElement(action_id=ids.S_INPUT, options=_options(codes))),
        InputBlock(block_id=ids.CC_TYPES_BLOCK, label="Default cost types", optional=True,
                   element=StaticMultiSelectElement(action_id=ids.S_INPUT, options=_options(types))),
        InputBlock(block_id=ids.CC_SYNCED_BLOCK, label="Sync", optional=True,
                   element=CheckboxesElement(action_id=ids.S_INPUT, options=[synced], initial_options=[synced])),
    ]
    return View(type="modal", callback_id=ids.COST_CODES_VIEW, title="Cost-code preferences", submit="Save",
                close="Cancel", blocks=blocks)


def read_cost_codes(values: dict[str, Any]) -> tuple[int | None, list[int], bool]:
    """(standard cost code id, default cost type ids, synced) from a submitted modal."""
    def pick(block: str) -> dict[str, Any]:
        found = (values.get(block) or {}) if isinstance(values, dict) else {}
        found = found.get(ids.S_INPUT) if isinstance(found, dict) else None
        return found if isinstance(found, dict) else {}

    def chosen(block: str) -> list[dict[str, Any]]:
        opts = pick(block).get("selected_options")
        return [o for o in opts if isinstance(o, dict)] if isinstance(opts, list) else []
    option = pick(ids.CC_CODE_BLOCK).get("selected_option")
    code = option.get("value") if isinstance(option, dict) else None
    types = [int(o["value"]) for o in chosen(ids.CC_TYPES_BLOCK) if str(o.get("value", "")).isdigit()]
    synced = any(o.get("value") == SYNCED for o in chosen(ids.CC_SYNCED_BLOCK))
    return (int(code) if isinstance(code, str) and code.isdigit() else None), types, synced

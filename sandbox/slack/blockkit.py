"""Block Kit validation and normalisation, with Slack's limits and error wording.

Slack reports each problem as `<what> [json-pointer:<where>]`, e.g.
`must be less than 3001 characters [json-pointer:/blocks/0/text/text]`; chat.* methods answer
`invalid_blocks` with those in `errors` (and `[ERROR] `-prefixed in `response_metadata.messages`), views.*
answer `invalid_arguments` with them in `response_metadata.messages`.
https://docs.slack.dev/reference/block-kit/blocks  https://docs.slack.dev/reference/block-kit/block-elements
"""

from __future__ import annotations

import copy
import re

from sandbox.slack import ids

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100

MESSAGE_BLOCKS = {"section", "divider", "image", "actions", "context", "header", "input", "rich_text", "video",
                  "file", "markdown", "context_actions"}
VIEW_BLOCKS = {"section", "divider", "image", "actions", "context", "header", "input", "rich_text", "video"}

SELECTS = {"static_select", "external_select", "users_select", "conversations_select", "channels_select"}
MULTI_SELECTS = {"multi_" + s for s in SELECTS}
ACTION_ELEMENTS = ({"button", "checkboxes", "datepicker", "datetimepicker", "overflow", "radio_buttons",
                    "timepicker", "workflow_button"} | SELECTS | MULTI_SELECTS)
ACCESSORY_ELEMENTS = ACTION_ELEMENTS | {"image"}
INPUT_ELEMENTS = ({"checkboxes", "datepicker", "datetimepicker", "email_text_input", "file_input", "number_input",
                   "plain_text_input", "radio_buttons", "rich_text_input", "timepicker", "url_text_input"}
                  | SELECTS | MULTI_SELECTS)
INTERACTIVE = ACTION_ELEMENTS | INPUT_ELEMENTS
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, what: str, pointer: str) -> None:
        self.items.append(f"{what} [json-pointer:{pointer}]")

    def too_long(self, pointer: str, limit: int) -> None:
        self.add(f"must be less than {limit + 1} characters", pointer)


def _string(p: Problems, value, ptr: str, limit: int, *, required: bool = False, min_len: int = 0) -> None:
    if value is None:
        if required:
            p.add("must provide a string", ptr)
        return
    if not isinstance(value, str):
        p.add("must provide a string", ptr)
    elif len(value) > limit:
        p.too_long(ptr, limit)
    elif len(value) < min_len:
        p.add(f"must be more than {min_len - 1} characters", ptr)


def _text(p: Problems, obj, ptr: str, limit: int, *, plain_only: bool = False, required: bool = True) -> None:
    """A text composition object: {type: plain_text|mrkdwn, text, emoji?, verbatim?}."""
    if obj is None:
        if required:
            p.add("must provide an object", ptr)
        return
    if not isinstance(obj, dict):
        p.add("must provide an object", ptr)
        return
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed:
        if plain_only and kind == "mrkdwn":
            p.add("must be a valid enum value", ptr + "/type")
        else:
            p.add("failed to match all allowed schemas", ptr)
        return
    text = obj.get("text")
    if not isinstance(text, str):
        p.add("must provide a string", ptr + "/text")
        return
    if len(text) > limit or not text:
        if not plain_only:
            p.add("failed to match all allowed schemas", ptr)
        if text:
            p.too_long(ptr + "/text", limit)
        else:
            p.add("must be more than 0 characters", ptr + "/text")


def _option(p: Problems, opt, ptr: str) -> None:
    if not isinstance(opt, dict):
        p.add("must provide an object", ptr)
        return
    _text(p, opt.get("text"), ptr + "/text", 75)
    _string(p, opt.get("value"), ptr + "/value", 150, required=True)
    _text(p, opt.get("description"), ptr + "/description", 75, required=False)


def _options(p: Problems, options, ptr: str, limit: int, *, minimum: int = 1) -> None:
    if not isinstance(options, list):
        p.add("must provide an array", ptr)
        return
    if len(options) > limit:
        p.add(f"no more than {limit} items allowed", ptr)
    elif len(options) < minimum:
        p.add(f"must provide at least {minimum} items", ptr)
    for i, opt in enumerate(options):
        _option(p, opt, f"{ptr}/{i}")


def _confirm(p: Problems, obj, ptr: str) -> None:
    if obj is None:
        return
    if not isinstance(obj, dict):
        p.add("must provide an object", ptr)
        return
    _text(p, obj.get("title"), ptr + "/title", 100, plain_only=True)
    _text(p, obj.get("text"), ptr + "/text", 300)
    _text(p, obj.get("confirm"), ptr + "/confirm", 30, plain_only=True)
    _text(p, obj.get("deny"), ptr + "/deny", 30, plain_only=True)
    if obj.get("style") not in (None, "primary", "danger"):
        p.add("must be a valid enum value", ptr + "/style")


def _element(p: Problems, el, ptr: str, allowed: set[str]) -> None:
    if not isinstance(el, dict):
        p.add("must provide an object", ptr)
        return
    kind = el.get("type")
    if kind is None:
        p.add("missing required field: type", ptr)
        return
    if kind not in allowed:
        p.add(f"unsupported type: {kind}", ptr + "/type")
        return
    if kind in INTERACTIVE:
        _string(p, el.get("action_id"), ptr + "/action_id", 255)
        _confirm(p, el.get("confirm"), ptr + "/confirm")
    if kind == "image":
        _string(p, el.get("image_url"), ptr + "/image_url", 3000, required="slack_file" not in el)
        _string(p, el.get("alt_text"), ptr + "/alt_text", 2000, required=True)
    elif kind == "button":
        _text(p, el.get("text"), ptr + "/text", 75, plain_only=True)
        _string(p, el.get("value"), ptr + "/value", 2000)
        _string(p, el.get("url"), ptr + "/url", 3000)
        _string(p, el.get("accessibility_label"), ptr + "/accessibility_label", 75)
        if el.get("style") not in (None, "primary", "danger"):
            p.add("must be a valid enum value", ptr + "/style")
    elif kind in ("static_select", "multi_static_select"):
        _text(p, el.get("placeholder"), ptr + "/placeholder", 150, plain_only=True, required=False)
        if "options" in el:
            _options(p, el["options"], ptr + "/options", 100)
        elif "option_groups" in el:
            groups = el["option_groups"]
            if not isinstance(groups, list) or len(groups) > 100:
                p.add("no more than 100 items allowed", ptr + "/option_groups")
            else:
                for i, group in enumerate(groups):
                    _text(p, (group or {}).get("label"), f"{ptr}/option_groups/{i}/label", 75, plain_only=True)
                    _options(p, (group or {}).get("options"), f"{ptr}/option_groups/{i}/options", 100)
        else:
            p.add("must provide either options or option_groups", ptr)
    elif kind in SELECTS | MULTI_SELECTS:
        _text(p, el.get("placeholder"), ptr + "/placeholder", 150, plain_only=True, required=False)
    elif kind == "overflow":
        _options(p, el.get("options"), ptr + "/options", 5)
    elif kind in ("checkboxes", "radio_buttons"):
        _options(p, el.get("options"), ptr + "/options", 10)
    elif kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        _text(p, el.get("placeholder"), ptr + "/placeholder", 150, plain_only=True, required=False)
        if kind == "plain_text_input":
            _string(p, el.get("initial_value"), ptr + "/initial_value", 3000)
            for key in ("min_length", "max_length"):
                if key in el and (not isinstance(el[key], int) or not 0 <= el[key] <= 3000):
                    p.add("must be less than 3001", f"{ptr}/{key}")
    elif kind == "datepicker":
        _text(p, el.get("placeholder"), ptr + "/placeholder", 150, plain_only=True, required=False)
        if "initial_date" in el and not _DATE.match(str(el["initial_date"])):
            p.add("must match pattern YYYY-MM-DD", ptr + "/initial_date")


def _unique_action_ids(p: Problems, elements: list, ptr: str) -> None:
    seen: set[str] = set()
    for i, el in enumerate(elements):
        action_id = el.get("action_id") if isinstance(el, dict) else None
        if action_id is None:
            continue
        if action_id in seen:
            p.add(f'`action_id` "{action_id}" already exists', f"{ptr}/{i}/action_id")
        seen.add(action_id)


def _block(p: Problems, block, ptr: str, allowed: set[str]) -> None:
    if not isinstance(block, dict):
        p.add("must provide an object", ptr)
        return
    kind = block.get("type")
    if kind is None:
        p.add("missing required field: type", ptr)
        return
    if kind not in allowed:
        p.add(f"unsupported type: {kind}", ptr + "/type")
        return
    _string(p, block.get("block_id"), ptr + "/block_id", 255)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            p.add("must define either `text` or `fields`", ptr + "/type")
        if "text" in block:
            _text(p, block["text"], ptr + "/text", 3000)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or len(fields) > 10:
                p.add("no more than 10 items allowed", ptr + "/fields")
            else:
                for i, field in enumerate(fields):
                    _text(p, field, f"{ptr}/fields/{i}", 2000)
        if "accessory" in block:
            _element(p, block["accessory"], ptr + "/accessory", ACCESSORY_ELEMENTS)
    elif kind == "header":
        _text(p, block.get("text"), ptr + "/text", 150, plain_only=True)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            p.add("must provide at least 1 items", ptr + "/elements")
            return
        if len(elements) > 10:
            p.add("no more than 10 items allowed", ptr + "/elements")
        for i, el in enumerate(elements):
            if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                _text(p, el, f"{ptr}/elements/{i}", 3000)
            else:
                _element(p, el, f"{ptr}/elements/{i}", {"image"})
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            p.add("must provide at least 1 items", ptr + "/elements")
            return
        if len(elements) > 25:
            p.add("no more than 25 items allowed", ptr + "/elements")
        for i, el in enumerate(elements):
            _element(p, el, f"{ptr}/elements/{i}", ACTION_ELEMENTS)
        _unique_action_ids(p, elements, ptr + "/elements")
    elif kind == "image":
        _element(p, {**block, "type": "image"}, ptr, {"image"})
        _text(p, block.get("title"), ptr + "/title", 2000, plain_only=True, required=False)
    elif kind == "input":
        _text(p, block.get("label"), ptr + "/label", 2000, plain_only=True)
        _text(p, block.get("hint"), ptr + "/hint", 2000, plain_only=True, required=False)
        if "element" not in block:
            p.add("missing required field: element", ptr)
        else:
            _element(p, block["element"], ptr + "/element", INPUT_ELEMENTS)
    elif kind == "markdown":
        _string(p, block.get("text"), ptr + "/text", 12000, required=True)
    elif kind == "context_actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            p.add("must provide at least 1 items", ptr + "/elements")
        elif len(elements) > 5:
            p.add("no more than 5 items allowed", ptr + "/elements")
        else:
            for i, el in enumerate(elements):
                if not isinstance(el, dict) or el.get("type") not in ("feedback_buttons", "icon_button"):
                    p.add(f"unsupported type: {el.get('type') if isinstance(el, dict) else el}",
                          f"{ptr}/elements/{i}/type")
    elif kind == "rich_text" and not isinstance(block.get("elements"), list):
        p.add("must provide an array", ptr + "/elements")


def validate_blocks(blocks, *, base: str = "/blocks", limit: int = MESSAGE_BLOCK_LIMIT,
                    allowed: set[str] = MESSAGE_BLOCKS) -> list[str]:
    """Problems with a list of blocks, in Slack's words ([] when valid)."""
    p = Problems()
    if not isinstance(blocks, list):
        p.add("must provide an array", base)
        return p.items
    if len(blocks) > limit:
        p.add(f"no more than {limit} items allowed", base)
        return p.items
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _block(p, block, f"{base}/{i}", allowed)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                p.add(f'`block_id` "{block_id}" already exists', f"{base}/{i}/block_id")
            seen.add(block_id)
    return p.items


def validate_view(view) -> list[str]:
    """Problems with a modal or Home tab view object (views.open/update/push/publish, response_action)."""
    p = Problems()
    _view(p, view)
    if p.items:  # a view is "modal or home": Slack reports the union failing first
        p.items.insert(0, "failed to match all allowed schemas [json-pointer:/view]")
    return p.items


def _view(p: Problems, view) -> None:
    if not isinstance(view, dict):
        p.add("must provide an object", "/view")
        return
    kind = view.get("type")
    if kind not in ("modal", "home"):
        p.add("must be a valid enum value", "/view/type")
        return
    if kind == "modal":
        _text(p, view.get("title"), "/view/title", 24, plain_only=True)
        _text(p, view.get("submit"), "/view/submit", 24, plain_only=True, required=False)
        _text(p, view.get("close"), "/view/close", 24, plain_only=True, required=False)
        blocks = view.get("blocks") or []
        if (isinstance(blocks, list) and view.get("submit") is None
                and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)):
            p.add("must provide submit when input blocks are present", "/view/submit")
    _string(p, view.get("private_metadata"), "/view/private_metadata", 3000)
    _string(p, view.get("callback_id"), "/view/callback_id", 255)
    _string(p, view.get("external_id"), "/view/external_id", 255)
    if "blocks" not in view:
        p.add("missing required field: blocks", "/view")
    else:
        p.items.extend(validate_blocks(view["blocks"], base="/view/blocks", limit=VIEW_BLOCK_LIMIT,
                                       allowed=VIEW_BLOCKS))


def normalize_text(obj) -> None:
    if isinstance(obj, dict) and obj.get("type") == "plain_text":
        obj.setdefault("emoji", True)
    elif isinstance(obj, dict) and obj.get("type") == "mrkdwn":
        obj.setdefault("verbatim", False)


def _normalize_element(el) -> None:
    if not isinstance(el, dict):
        return
    if el.get("type") in INTERACTIVE:
        el.setdefault("action_id", ids.short_id(4))
    for key in ("text", "placeholder", "title", "description", "label", "hint", "confirm", "deny"):
        normalize_text(el.get(key))
        if key == "confirm" and isinstance(el.get(key), dict) and "title" in el[key]:
            for sub in ("title", "text", "confirm", "deny"):
                normalize_text(el[key].get(sub))
    for opt in (el.get("options") or []) + [o for g in el.get("option_groups") or [] for o in g.get("options", [])]:
        if isinstance(opt, dict):
            normalize_text(opt.get("text"))
            normalize_text(opt.get("description"))


def normalize_blocks(blocks: list | None) -> list:
    """What Slack stores and returns: a copy with generated block_id/action_id and text defaults filled in."""
    out = copy.deepcopy(blocks or [])
    for block in out:
        block.setdefault("block_id", ids.short_id())
        for key in ("text", "label", "hint", "title"):
            normalize_text(block.get(key))
        for field in block.get("fields") or []:
            normalize_text(field)
        for el in [block.get("accessory"), block.get("element")] + list(
                block.get("elements") if block.get("type") in ("actions", "context") else []):
            normalize_text(el)
            _normalize_element(el)
    return out


def find_element(blocks: list, action_id: str, block_id: str | None = None) -> tuple[dict, dict] | None:
    """(block, element) carrying `action_id` (within `block_id` when given)."""
    for block in blocks or []:
        if block_id and block.get("block_id") != block_id:
            continue
        for el in interactive_elements(block):
            if el.get("action_id") == action_id:
                return block, el
    return None


def interactive_elements(block: dict) -> list[dict]:
    candidates = [block.get("accessory"), block.get("element")]
    if block.get("type") == "actions":
        candidates += block.get("elements") or []
    return [el for el in candidates if isinstance(el, dict) and el.get("type") in INTERACTIVE]

"""Block Kit limits and Slack's wording, checked without HTTP."""

from __future__ import annotations

import pytest

from sandbox.slack.blockkit import normalize_blocks, validate_blocks, validate_view


def button(**overrides) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go", **overrides}


def actions(*elements) -> list[dict]:
    return [{"type": "actions", "elements": list(elements)}]


@pytest.mark.parametrize(("blocks", "expected"), [
    (actions(button(text={"type": "plain_text", "text": "x" * 76})),
     "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"),
    (actions(button(action_id="a" * 256)),
     "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"),
    (actions(button(value="v" * 2001)),
     "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"),
    (actions(button(style="green")), "must be a valid enum value [json-pointer:/blocks/0/elements/0/style]"),
    (actions(button(text={"type": "mrkdwn", "text": "*Go*"})),
     "must be a valid enum value [json-pointer:/blocks/0/elements/0/text/type]"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
     "must be less than 151 characters [json-pointer:/blocks/0/text/text]"),
    ([{"type": "section", "block_id": "b" * 256, "text": {"type": "mrkdwn", "text": "x"}}],
     "must be less than 256 characters [json-pointer:/blocks/0/block_id]"),
    ([{"type": "section"}], "must define either `text` or `fields` [json-pointer:/blocks/0/type]"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
     "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    (actions(*[button(action_id=f"b{i}") for i in range(26)]),
     "no more than 25 items allowed [json-pointer:/blocks/0/elements]"),
    (actions({"type": "plain_text_input", "action_id": "t"}),
     "unsupported type: plain_text_input [json-pointer:/blocks/0/elements/0/type]"),
    ([{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}],
     '`block_id` "x" already exists [json-pointer:/blocks/1/block_id]'),
    ([{"text": "no type"}], "missing required field: type [json-pointer:/blocks/0]"),
    (actions(button(confirm={"title": {"type": "plain_text", "text": "t" * 101},
                             "text": {"type": "plain_text", "text": "ok"},
                             "confirm": {"type": "plain_text", "text": "Yes"},
                             "deny": {"type": "plain_text", "text": "No"}})),
     "must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]"),
])
def test_message_block_problems(blocks, expected):
    assert expected in validate_blocks(blocks)


def test_valid_card_has_no_problems():
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Invoice 42"}},
              {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Vendor*\nACME"}]},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": "Sent by Sam"}]},
              {"type": "divider"},
              {"type": "actions", "elements": [button(style="primary"), button(action_id="no", style="danger")]}]
    assert validate_blocks(blocks) == []
    assert validate_blocks([{"type": "divider"}] * 50) == []


def test_view_limits():
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "callback_id": "c" * 256,
             "blocks": [{"type": "divider"}] * 101}
    problems = validate_view(modal)
    assert problems[0] == "failed to match all allowed schemas [json-pointer:/view]"
    assert "must be less than 256 characters [json-pointer:/view/callback_id]" in problems
    assert "no more than 100 items allowed [json-pointer:/view/blocks]" in problems
    no_submit = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": [
        {"type": "input", "label": {"type": "plain_text", "text": "L"},
         "element": {"type": "plain_text_input", "action_id": "a"}}]}
    assert any("/view/submit" in p for p in validate_view(no_submit))
    assert validate_view({"type": "home", "blocks": [{"type": "divider"}] * 100}) == []
    assert validate_view({"type": "dialog", "blocks": []}) == ["failed to match all allowed schemas "
                                                               "[json-pointer:/view]",
                                                               "must be a valid enum value [json-pointer:/view/type]"]


def test_normalize_fills_ids_and_text_defaults_without_touching_the_input():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"},
               "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}}}]
    out = normalize_blocks(blocks)
    assert "block_id" not in blocks[0]
    assert out[0]["block_id"] and out[0]["accessory"]["action_id"]
    assert out[0]["text"]["verbatim"] is False and out[0]["accessory"]["text"]["emoji"] is True

"""The admins' Operations section of App Home: the checks of `ledgerlink status` (bot/status.py), one line each."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from blocks.text import bounded_lines, escape, truncate

MARKS = {"ok": ":white_check_mark:", "warn": ":warning:", "fail": ":x:"}


def operations_section(checks: Sequence[tuple[str, str, str]]) -> list[Block]:
    """`checks` are (name, state, detail) rows; the ones that need a person come first."""
    order = {"fail": 0, "warn": 1, "ok": 2}
    rows = [f"{MARKS.get(state, '')} *{escape(name)}* · {escape(truncate(detail, 200))}"
            for name, state, detail in sorted(checks, key=lambda c: order.get(c[1], 3))]
    needs = sum(1 for _n, state, _d in checks if state == "fail")
    summary = f"{needs} thing(s) need a person." if needs else "Nothing needs a person."
    return [HeaderBlock(text="Operations"),
            SectionBlock(text=MarkdownTextObject(text=bounded_lines(rows, limit=2900, noun="check") or summary)),
            ContextBlock(elements=[MarkdownTextObject(text=f"{summary} `ledgerlink status` shows the same on the "
                                                           "server; Slack and Procore webhooks are checked there.")])]

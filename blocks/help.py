"""`/ledgerlink help`: every subcommand with its usage, or one subcommand in detail."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from blocks.cards import Message
from blocks.text import escape, truncate


@dataclass(frozen=True)
class HelpEntry:
    name: str
    usage: str  # "send <type> <Procore id>"
    summary: str
    who: str = ""  # "admins", "approvers"…
    examples: tuple[str, ...] = ()


def usage_line(command: str, entry: HelpEntry, why: str = "") -> str:
    # placeholders like <type> must be escaped: Slack reads <…> as a link or mention, even inside `code`
    prefix = f"{why.rstrip('.')}. " if why else ""
    return f"{prefix}Usage: `{command} {escape(entry.usage)}` — {escape(entry.summary)}"


def unknown_command(command: str, typed: str, names: Iterable[str]) -> str:
    """The answer to a subcommand that doesn't exist, with the nearest one when the typo is close."""
    near = difflib.get_close_matches(typed.lower(), list(names), n=1, cutoff=0.6)
    hint = f" Did you mean `{command} {near[0]}`?" if near else ""
    return f"I don't know `{escape(typed)}`.{hint} Try `{command} help` for the list."


def help_message(command: str, entries: Sequence[HelpEntry], *, only: HelpEntry | None = None) -> Message:
    if only is not None:
        lines = [f"*`{command} {escape(only.usage)}`*", escape(only.summary)]
        if only.who:
            lines.append(f"_For {escape(only.who)}._")
        lines += [f"• `{command} {escape(e)}`" for e in only.examples]
        return Message(text=usage_line(command, only), blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), 3000)))])
    rows = [f"`{command} {escape(e.usage)}` — {escape(e.summary)}" + (f" _({escape(e.who)})_" if e.who else "")
            for e in entries]
    half = (len(rows) + 1) // 2
    return Message(text=f"{command} help: " + ", ".join(e.name for e in entries), blocks=[
        HeaderBlock(text="Ledgerlink commands"),
        SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(rows[:half]), 3000))),
        SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(rows[half:]), 3000))),
        ContextBlock(elements=[MarkdownTextObject(
            text=f"Types: company, cost-code, project, sub-job, budget, commitment, cco, pcco, invoice "
                 f"(subcontractor), owner-invoice. Quote names with spaces: `{command} send invoice \"ACME #12\"`. "
                 f"`{command} help &lt;command&gt;` shows examples.")]),
    ])

"""`/ledgerlink help`: every subcommand with its usage, or one subcommand in detail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from blocks.cards import Message
from blocks.text import truncate


@dataclass(frozen=True)
class HelpEntry:
    name: str
    usage: str  # "send <type> <Procore id>"
    summary: str
    who: str = ""  # "admins", "approvers"…
    examples: tuple[str, ...] = ()


def usage_line(command: str, entry: HelpEntry, why: str = "") -> str:
    prefix = f"{why.rstrip('.')}. " if why else ""
    return f"{prefix}Usage: `{command} {entry.usage}` — {entry.summary}"


def help_message(command: str, entries: Sequence[HelpEntry], *, only: HelpEntry | None = None) -> Message:
    if only is not None:
        lines = [f"*`{command} {only.usage}`*", only.summary]
        if only.who:
            lines.append(f"_For {only.who}._")
        lines += [f"• `{command} {e}`" for e in only.examples]
        return Message(text=usage_line(command, only), blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), 3000)))])
    rows = [f"`{command} {e.usage}` — {e.summary}" + (f" _({e.who})_" if e.who else "") for e in entries]
    half = (len(rows) + 1) // 2
    return Message(text=f"{command} help: " + ", ".join(e.name for e in entries), blocks=[
        HeaderBlock(text="Ledgerlink commands"),
        SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(rows[:half]), 3000))),
        SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(rows[half:]), 3000))),
        ContextBlock(elements=[MarkdownTextObject(
            text=f"Types: company, cost-code, project, sub-job, budget, commitment, cco, pcco, invoice "
                 f"(subcontractor), owner-invoice. Quote names with spaces: `{command} send invoice \"ACME #12\"`. "
                 f"`{command} help <command>` shows examples.")]),
    ])

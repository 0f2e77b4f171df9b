"""Messages of the seed's review commands: the confirm step of a destructive command, the duplicates review
(a button per thing to do), and the projects lists (Ready to import / Ready to update, and why a Procore project
is missing). Rows come in as plain values; nothing here reads the database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks import ids
from blocks.cards import Message
from blocks.text import escape, truncate

MAX_PAIRS = 15  # 3 blocks a pair: well under Slack's 50 blocks per message
MAX_ROWS = 20


def confirm_message(question: str, button: str, command_text: str) -> Message:
    """A destructive command asks first; the button carries the command back (ephemeral: only its author)."""
    return Message(text=question, blocks=[
        SectionBlock(text=MarkdownTextObject(text=truncate(question, 3000))),
        ActionsBlock(block_id="confirm", elements=[
            ButtonElement(text=button, action_id=ids.CONFIRM_COMMAND, value=command_text[:2000], style="danger"),
            ButtonElement(text="Cancel", action_id=ids.CANCEL_COMMAND, value="cancel")])])


def _button(label: str, kind: str, value: str) -> ButtonElement:
    """One duplicates button; removing and consolidating ask Slack's own confirm first."""
    danger = kind in ("remove", "consolidate")
    short = {"link": "Link", "consolidate": "Consolidate", "remove": "Remove", "not_a_duplicate": "Not a duplicate"}
    return ButtonElement(text=short.get(kind, kind), action_id=ids.DUPLICATE_DO[kind], value=value[:2000],
                         style="danger" if danger else ("primary" if kind == "link" else None),
                         confirm=ConfirmObject(title="Are you sure?", text=truncate(label, 300), confirm=short[kind],
                                               deny="Cancel") if danger else None)


def duplicates_message(pairs: Sequence[Any]) -> Message:
    """`pairs`: objects with `.sentence` and `.choices` (each `.kind`, `.label`, `.value`)."""
    if not pairs:
        return Message(text="No likely duplicate companies: nothing to review.")
    blocks: list[Block] = [HeaderBlock(text=f"Likely duplicate companies: {len(pairs)}")]
    for n, pair in enumerate(pairs[:MAX_PAIRS]):
        what = "\n".join(f"• {escape(c.label)}" for c in pair.choices if c.kind != "not_a_duplicate")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(f"{escape(pair.sentence)}\n{what}", 3000))))
        blocks.append(ActionsBlock(block_id=f"dup_{n}", elements=[
            _button(c.label, c.kind, c.value) for c in pair.choices][:5]))
    if len(pairs) > MAX_PAIRS:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {len(pairs) - MAX_PAIRS} more; decide these and run `{ids.COMMAND} duplicates` again.")]))
    return Message(text=f"{len(pairs)} likely duplicate companies", blocks=blocks)


def _job_rows(title: str, rows: Sequence[Any], button: str) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f"*{title}* ({len(rows)})"))]
    for row in rows[:MAX_ROWS]:
        twin = f" → Procore {escape(row.procore_name or row.procore_id)}" if row.procore_id else ""
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(f"{escape(row.name)}{twin}", 3000)),
                                   accessory=ButtonElement(text=button, action_id=ids.PROJECT_IMPORT,
                                                           value=str(row.qbo_id))))
    if len(rows) > MAX_ROWS:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"…and {len(rows) - MAX_ROWS} more: `{ids.COMMAND} add project <QuickBooks id or name>`.")]))
    return blocks


def projects_message(lists: Any) -> Message:
    """`lists`: `.ready_to_import`, `.ready_to_update`, `.sub_jobs_to_import` (rows with qbo_id, name, procore_id,
    procore_name), `.missing` ((name, reason) pairs) and `.synced` (a count)."""
    blocks: list[Block] = [HeaderBlock(text="Projects: QuickBooks ⇄ Procore")]
    blocks += _job_rows("Ready to import", lists.ready_to_import, "Import")
    blocks += _job_rows("Ready to update", lists.ready_to_update, "Update")
    if lists.sub_jobs_to_import:
        names = ", ".join(escape(r.name) for r in lists.sub_jobs_to_import[:MAX_ROWS])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(
            f"*Sub jobs not in Procore yet* ({len(lists.sub_jobs_to_import)}): {names} — "
            f"`{ids.COMMAND} import sub-job <name>`", 3000))))
    if lists.missing:
        blocks.append(DividerBlock())
        lines = "\n".join(f"• *{escape(name)}*: {why}" for name, why in lists.missing[:MAX_ROWS])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(
            f"*Procore projects missing from these lists* ({len(lists.missing)})\n{lines}", 3000))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"{lists.synced} project(s) and sub job(s) synced.")]))
    summary = (f"Projects: {len(lists.ready_to_import)} ready to import, {len(lists.ready_to_update)} ready to "
               f"update, {len(lists.missing)} Procore project(s) missing")
    return Message(text=summary, blocks=blocks[:50])


@dataclass(frozen=True)
class Extra:
    """A typed argument after the picked record (e.g. the QuickBooks estimate id of `import prime-contract`)."""

    block_id: str
    label: str
    hint: str
    optional: bool = False


def pick_modal(*, title: str, noun: str, action_id: str, submit: str, command: str, channel: str | None,
               types: Sequence[str] = (), extras: Sequence[Extra] = ()) -> View:
    """A subcommand typed without its record: pick it (the record pickers' options; `types` narrows an item
    picker), type what follows it (`extras`), then the command runs with them (`command`: its words before the
    record, kept in private_metadata)."""
    meta = json.dumps({"command": command, "channel": channel, **({"types": list(types)} if types else {})},
                      separators=(",", ":"))
    blocks: list[InputBlock] = [InputBlock(
        block_id=ids.SEED_PICK_BLOCK, label=noun[:1].upper() + noun[1:],
        element=ExternalDataSelectElement(action_id=action_id, min_query_length=0,
                                          placeholder="Open or type a name or id"))]
    blocks += [InputBlock(block_id=ids.SEED_PICK_EXTRA + e.block_id, label=e.label[:2000], hint=e.hint[:2000],
                          optional=e.optional, element=PlainTextInputElement(action_id=ids.SEED_PICK_EXTRA))
               for e in extras]
    return View(type="modal", callback_id=ids.SEED_PICK_VIEW, title=title[:24], submit=submit[:24], close="Cancel",
                private_metadata=meta, blocks=blocks)


def read_pick_extras(view: dict[str, Any]) -> tuple[list[str], str | None]:
    """The typed arguments of a submitted pick modal, in order, as words; and the block of the last one (where a
    refusal of them is shown)."""
    values = (view.get("state") or {}).get("values") or {}
    words, last = [], None
    for block_id, inputs in (values.items() if isinstance(values, dict) else ()):
        if not str(block_id).startswith(ids.SEED_PICK_EXTRA) or not isinstance(inputs, dict):
            continue
        last = block_id
        raw = (inputs.get(ids.SEED_PICK_EXTRA) or {}).get("value") if isinstance(
            inputs.get(ids.SEED_PICK_EXTRA), dict) else None
        words += str(raw or "").split()
    return words, last


def read_pick(view: dict[str, Any]) -> tuple[list[str], str | None, str | None]:
    """(the command's words, the channel, the picked value) from a submitted pick modal."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    state = ((view.get("state") or {}).get("values") or {}).get(ids.SEED_PICK_BLOCK) or {}
    picks = [v.get("selected_option") for v in state.values() if isinstance(v, dict)] if isinstance(state, dict) else []
    value = next((p.get("value") for p in picks if isinstance(p, dict) and isinstance(p.get("value"), str)), None)
    channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
    return str(meta.get("command") or "").split(), channel, value

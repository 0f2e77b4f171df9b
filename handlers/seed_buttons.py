"""Buttons and the modal of the seed's subcommands: the confirm step of a destructive command (runs the same
words again, confirmed), the duplicates review's buttons, Import / Update beside a project, and the cost-code
preferences form. Each acks at once; a refusal is an ephemeral sentence; the work runs after the ack."""

from __future__ import annotations

import shlex
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks import ids
from blocks.cost_codes import read_cost_codes
from blocks.review import read_pick, read_pick_extras
from bot.actions import add_record, common, cost_codes, duplicates
from bot.services.runtime import of
from handlers import commands
from handlers.command_kit import Call, Usage
from handlers.context import services, tell, user_id, who
from handlers.errors import after_ack, guarded


def handle_confirm(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
                   context: BoltContext) -> None:
    svc = services(context)
    ack()
    words = shlex.split(str(action.get("value", "")))[1:]  # the button carries "/ledgerlink <subcommand> …"
    sub = commands.SUBS.get(words[0].lower()) if words else None
    if sub is None:
        respond(replace_original=True, text="That button is from an older message; run the command again.")
        return
    try:
        parsed = sub.parse(words[1:])
        result = sub.run(Call(svc, client, body, respond, who(svc, client, body), confirmed=True), parsed)
    except Usage:
        respond(replace_original=True, text="That button is from an older message; run the command again.")
        return
    except common.SENTENCE_ERRORS as exc:
        respond(replace_original=True, text=common.sentence_of(exc))
        return
    respond(replace_original=True, **commands.as_reply(result or ""))


def handle_cancel(ack: Ack, respond: Respond) -> None:
    ack()
    respond(delete_original=True)


def _tell_result(client: WebClient, body: dict, do: Any) -> None:
    try:
        tell(client, body, do())
    except common.SENTENCE_ERRORS as exc:
        tell(client, body, common.sentence_of(exc))


def handle_duplicate(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    _tell_result(client, body, lambda: duplicates.decide(svc, who(svc, client, body), str(action.get("value", ""))))


def handle_project_import(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    _tell_result(client, body, lambda: add_record.add_project(svc, who(svc, client, body), str(action["value"])))


def handle_cost_codes_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    code, types, synced = read_cost_codes(view["state"]["values"])
    if code is None:
        ack(response_action="errors", errors={ids.CC_CODE_BLOCK: "Pick a standard cost code."})
        return
    try:
        sentence = cost_codes.save(svc, who(svc, client, body), code, types, synced)
    except common.SENTENCE_ERRORS as exc:
        ack(response_action="errors", errors={ids.CC_CODE_BLOCK: common.sentence_of(exc)[:2000]})
        return
    ack()
    tell(client, body, sentence)


def handle_pick_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    """The record picked for a subcommand typed without it: run the subcommand with it (a destructive one then
    asks, in the channel it was typed in, as if the record had been typed)."""
    svc = services(context)
    words, channel, value = read_pick(view)
    extra, extra_block = read_pick_extras(view)
    sub = commands.SUBS.get(words[0]) if words else None
    if value is None or sub is None:
        ack(response_action="errors", errors={ids.SEED_PICK_BLOCK: "Pick one from the list."})
        return
    words += [value, *extra]
    try:
        parsed = sub.parse(words[1:])
    except Usage as exc:  # what was typed after the pick: shown under it, the form stays open
        ack(response_action="errors", errors={extra_block or ids.SEED_PICK_BLOCK: str(exc)[:2000]})
        return
    ack()

    def answer(text: str = "", blocks: Any = None, **_: Any) -> None:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_id(body), text=text, blocks=blocks)
        else:
            tell(client, body, text)
    try:
        call = Call(svc, client, {**body, "text": shlex.join(words)}, answer, who(svc, client, body))  # type: ignore[arg-type]
        result = sub.run(call, parsed)
    except Usage as exc:
        answer(text=str(exc))
        return
    except common.SENTENCE_ERRORS as exc:
        answer(text=common.sentence_of(exc))
        return
    if result:
        answer(**commands.as_reply(result))


def register(app: App) -> None:
    background = after_ack(of(app))
    app.action(ids.CONFIRM_COMMAND)(background(handle_confirm))
    app.action(ids.CANCEL_COMMAND)(guarded(handle_cancel))
    for duplicate_button in ids.DUPLICATE_DO.values():
        app.action(duplicate_button)(background(handle_duplicate))
    app.action(ids.PROJECT_IMPORT)(background(handle_project_import))
    app.view(ids.COST_CODES_VIEW)(guarded(handle_cost_codes_submitted))
    app.view(ids.SEED_PICK_VIEW)(guarded(handle_pick_submitted))

"""Record pickers: the options listeners of every external_select, the link modal and the send modal.

Options are answered from the local database only (bot/services/pickers.py) and the person is resolved without
asking Slack (no users.info): an options request has 3 seconds, and someone Ledgerlink doesn't know gets an empty
list. Picking in the link modal updates it (views.update) so the second picker can rank the likely twins of the
first pick and the confirm line shows both; submitting calls the same link service as the command, and a refusal
is a field error.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks import ids
from blocks import pickers as blocks
from blocks.modals import STALE_FORM
from bot.actions import common, link, resend, send
from bot.identity import resolve
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.errors import DomainError, InvalidInput
from core.domain.states import ItemType
from core.models import Item
from core.money import money
from handlers.context import services, team_id, tell, user_id, who
from handlers.errors import guarded

logger = logging.getLogger(__name__)

SOURCES = {ids.PICK_PROCORE_COMPANY: pickers.PROCORE_COMPANY, ids.PICK_QBO_VENDOR: pickers.QBO_VENDOR_PICK,
           ids.PICK_PROCORE_PROJECT: pickers.PROCORE_PROJECT_PICK, ids.PICK_QBO_PROJECT: pickers.QBO_PROJECT_PICK,
           ids.PICK_ITEM: pickers.ITEM, ids.PICK_LINKED_ITEM: pickers.LINKED_ITEM,
           ids.PICK_QBO_SUB_JOB: pickers.QBO_SUB_JOB_PICK}


def sent_sentence(item: Item) -> str:
    where = f" — the card is in <#{item.card_channel}>" if item.card_channel else ""
    amount = f" ({money(item.amount)})" if item.amount is not None else ""
    return f":outbox_tray: Sent {item.title}{amount} to accounting{where}. I'll DM you if it's rejected."


def _answer(svc: Services, body: dict[str, Any]) -> dict[str, Any]:
    """The options for one block_suggestion (an empty list for someone Ledgerlink doesn't know)."""
    source = SOURCES[body["action_id"]]
    view = body.get("view") or {}
    meta = blocks.read_meta(view)
    chosen = blocks.picked(view, ids.LINK_PROCORE_BLOCK)  # real Slack sends the view's state; else the metadata
    value = chosen.value if chosen else meta.get("procore")
    same = value is not None and value == meta.get("procore")
    try:
        me = resolve(svc.engine, None, team_id=team_id(body), slack_user_id=user_id(body),
                     claim_single=svc.claim_single_tenant)
        groups = pickers.options(svc.engine, me, source, body.get("value") or "", chosen=value,
                                 chosen_label=meta.get("procore_text") if same else chosen.text if chosen else None,
                                 likely_ones=[tuple(x) for x in meta.get("likely") or []] if same else None,
                                 item_types=meta.get("types"))
    except DomainError as exc:
        logger.info("no options for %s: %s", body.get("action_id"), exc.sentence)
        return {"options": []}
    return blocks.options_response([(g.label, [blocks.OptionRow(c.value, c.label) for c in g.choices])
                                    for g in groups])


def open_link_modal(svc: Services, client: WebClient, body: dict[str, Any], kind: str) -> None:
    link.check_ready(svc)
    client.views_open(trigger_id=body["trigger_id"],
                      view=blocks.link_modal(kind, channel=body.get("channel_id")))


def open_send_modal(svc: Services, client: WebClient, body: dict[str, Any], kind: str | None) -> None:
    noun = ItemType(kind).label if kind else "item"
    client.views_open(trigger_id=body["trigger_id"],
                      view=blocks.send_modal(types=[kind] if kind else (), noun=noun, channel=body.get("channel_id")))


def _named(svc: Services, tenant_id: int, source: str, pick: blocks.Picked | None) -> blocks.Picked | None:
    """The pick with its record's plain name (option texts carry notes like '· linked')."""
    if pick is None:
        return None
    try:
        return blocks.Picked(pick.value, lookup.find_record(svc.engine, tenant_id, source, pick.value).title)
    except DomainError:
        return pick


def handle_options(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack(**_answer(svc, body))


def handle_picked_in_link_modal(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    view = body["view"]
    meta = blocks.read_meta(view)
    kind = meta.get("kind", "company")
    if kind not in blocks.LINK_KINDS:  # private_metadata altered on the way
        raise InvalidInput(STALE_FORM)
    procore_source, qbo_source = link.SOURCES[kind]
    try:
        me = who(svc, client, body)
    except DomainError as exc:
        tell(client, body, exc.sentence)
        return
    procore = _named(svc, me.tenant_id, procore_source, blocks.picked(view, ids.LINK_PROCORE_BLOCK))
    if procore is None:
        likely: list[tuple[str, str]] = []
    elif procore.value == meta.get("procore"):  # the vendor was picked: the company's twins are known
        likely = [tuple(x) for x in meta.get("likely") or []]  # type: ignore[misc]
    else:
        likely = pickers.likely(svc.engine, me, qbo_source, procore.value)
    updated = blocks.link_modal(kind, channel=meta.get("channel"), procore=procore, likely=likely,
                                qbo=_named(svc, me.tenant_id, qbo_source, blocks.picked(view, ids.LINK_QBO_BLOCK)))
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":
            raise
        logger.info("link modal changed meanwhile; the newer pick's update wins")


def handle_link_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    meta = blocks.read_meta(view)
    kind = meta.get("kind", "company")
    if kind not in blocks.LINK_KINDS:  # private_metadata altered on the way
        raise InvalidInput(STALE_FORM)
    procore, qbo = blocks.picked(view, ids.LINK_PROCORE_BLOCK), blocks.picked(view, ids.LINK_QBO_BLOCK)
    k = blocks.LINK_KINDS[kind]
    if procore is None or qbo is None:
        missing = ids.LINK_PROCORE_BLOCK if procore is None else ids.LINK_QBO_BLOCK
        noun = k.procore_noun if procore is None else k.qbo_noun
        ack(response_action="errors", errors={missing: f"Pick the {noun}."})
        return
    try:
        linked = link.link(svc, who(svc, client, body), kind, procore=procore.value, qbo=qbo.value)
    except DomainError as exc:  # the confirm step refused: say so under the record being confirmed
        ack(response_action="errors", errors={ids.LINK_QBO_BLOCK: exc.sentence[:2000]})
        return
    ack()
    tell(client, {"user": body["user"], "channel_id": meta.get("channel")}, linked.sentence)


def handle_send_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    meta = blocks.read_meta(view)
    pick = blocks.picked(view, ids.SEND_ITEM_BLOCK)
    try:
        me = who(svc, client, body)
        item = pickers.sendable_item(svc.engine, me.tenant_id, pick.value if pick else "")
    except DomainError as exc:
        ack(response_action="errors", errors={ids.SEND_ITEM_BLOCK: exc.sentence[:2000]})
        return
    ack()
    answer_to = {"user": body["user"], "channel_id": meta.get("channel")}

    def send_now() -> None:  # invoices re-read Procore first: after the ack, like the command
        try:
            again = item.state == "rejected"
            out = (resend.resend if again else send.send)(svc, item.id, me.actor)  # type: ignore[arg-type]
            text = sent_sentence(out.item)
        except common.SENTENCE_ERRORS as exc:
            text = common.sentence_of(exc)
        tell(client, answer_to, text)
    svc.submit(send_now)


def register(app: App) -> None:
    options = guarded(handle_options)
    app.options(ids.PICK_PROCORE_COMPANY)(options)
    app.options(ids.PICK_QBO_VENDOR)(options)
    app.options(ids.PICK_PROCORE_PROJECT)(options)
    app.options(ids.PICK_QBO_PROJECT)(options)
    app.options(ids.PICK_ITEM)(options)
    app.options(ids.PICK_LINKED_ITEM)(options)
    app.options(ids.PICK_QBO_SUB_JOB)(options)
    picked_in_link_modal = guarded(handle_picked_in_link_modal)
    app.action(ids.PICK_PROCORE_COMPANY)(picked_in_link_modal)
    app.action(ids.PICK_QBO_VENDOR)(picked_in_link_modal)
    app.action(ids.PICK_PROCORE_PROJECT)(picked_in_link_modal)
    app.action(ids.PICK_QBO_PROJECT)(picked_in_link_modal)
    app.view(ids.LINK_VIEW)(guarded(handle_link_submitted))
    app.view(ids.SEND_VIEW)(guarded(handle_send_submitted))



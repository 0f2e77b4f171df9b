"""Buttons: Accept, Reject, Retry, Details on approval cards; Retrieve and Resend in the sender's DM; App Home;
the senders' side (Send to accounting, Export now, Send selected) and the grouped card's Accept all; the
daily ready post's buttons are the same Send to accounting and Export now.

Each listener acks at once, then: who is it → call the decision service → the card/DM shows the result. The
decisions (Accept, Retry, Retrieve, Resend) run after the ack on the app's background pool (`after_ack`), so a
burst of clicks is acked at once; buttons that open a modal keep Bolt's thread (their trigger_id lasts 3 s).
A refusal (not an approver, already decided, stale card, self-approval) is an ephemeral sentence and changes
nothing. Unexpected errors go to the app's one error handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks import cards, ids, modals
from blocks.connections import change_notice
from blocks.ready import selected_ids
from bot.actions import accept, away, batches, common, export_now, finish, reject, resend, retrieve, retry, send
from bot.identity import Identity
from bot.services import connections, home, ready_post
from bot.services.runtime import Services, of
from core.crypto import SecretBox
from core.domain.errors import InvalidInput
from core.domain.permissions import Perm, check
from core.domain.workflow import Outcome
from handlers.context import item_id_of, services, team_id, tell, user_id, who
from handlers.errors import after_ack, guarded
from handlers.views import open_away, open_settings

logger = logging.getLogger(__name__)


def _decide(svc: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient,
            do: Callable[[Identity, int], Outcome | None]) -> Outcome | None:
    """Resolve the person and the item, run `do`, and turn a refusal into an ephemeral sentence."""
    item_id = item_id_of(action)
    if item_id is None:
        tell(client, body, "That button doesn't carry an item any more; open the item from App Home instead.")
        return None
    try:
        return do(who(svc, client, body), item_id)
    except common.SENTENCE_ERRORS as exc:
        tell(client, body, common.sentence_of(exc))
        return None
    finally:
        _republish_home(svc, client, body)


def _republish_home(svc: Services, client: WebClient, body: dict[str, Any]) -> None:
    """After a click in App Home, publish it again (in the background) so it shows the new states."""
    if (body.get("container") or {}).get("type") == "view" and (body.get("view") or {}).get("type") == "home":
        svc.submit(home.publish, svc, client, team_id=team_id(body), user_id=user_id(body))


def _redraw_post(svc: Services, body: dict[str, Any]) -> None:
    """A click on the daily ready post redraws that one message in place (no-op elsewhere)."""
    where = body.get("container") or {}
    if where.get("type") == "message":
        ready_post.refresh_message(svc.engine, svc.notifier, channel=where.get("channel_id"),
                                   ts=where.get("message_ts"))


def handle_accept(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    outcome = _decide(svc, body, action, client, lambda me, item: accept.accept(svc, item, me.actor))
    if outcome is not None and outcome.waiting_for_more_approvals:
        tell(client, body, f"Your approval of {outcome.item.title} is recorded: {outcome.approvals} of "
                           f"{outcome.approvals_needed}. It exports when another approver accepts it.")


def handle_retry(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    _decide(svc, body, action, client, lambda me, item: retry.retry(svc, item, me.actor))


def handle_reject(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()

    def open_modal(me: Identity, item_id: int) -> None:
        reject.check_can_decide(svc, item_id, me.actor)
        card = svc.notifier.card(item_id)
        channel = (body.get("channel") or {}).get("id")
        client.views_open(trigger_id=body["trigger_id"], view=modals.reject_modal(card, channel=channel))
    _decide(svc, body, action, client, open_modal)


def _decide_from_dm(context: BoltContext, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    respond: Respond, do: Callable[[Services, Identity, int], Outcome],
                    note: Callable[[Outcome], str]) -> None:
    """Retrieve/Resend: the decision, then the sender's DM (when the click came from it) becomes a note of it."""
    svc = services(context)
    outcome = _decide(svc, body, action, client, lambda me, item: do(svc, me, item))
    if outcome is not None and body.get("response_url"):
        respond(replace_original=True, **cards.outcome_note(note(outcome)).as_kwargs())


def handle_retrieve(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
                    context: BoltContext) -> None:
    ack()
    _decide_from_dm(context, body, action, client, respond,
                    lambda svc, me, item: retrieve.retrieve(svc, item, me.actor),
                    lambda o: f":leftwards_arrow_with_hook: You retrieved {o.item.title}; it is ready to export "
                              "again. Send it when it's ready.")


def handle_resend(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
                  context: BoltContext) -> None:
    ack()
    _decide_from_dm(context, body, action, client, respond, lambda svc, me, item: resend.resend(svc, item, me.actor),
                    lambda o: f":outbox_tray: You resent {o.item.title} to accounting (round {o.item.round}).")


def handle_details(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()

    def open_details(me: Identity, item_id: int) -> None:
        check(me.actor, Perm.VIEW_ITEMS)
        card, history = home.details(svc, item_id, me)
        client.views_open(trigger_id=body["trigger_id"], view=modals.details_modal(card, history))
    _decide(svc, body, action, client, open_details)


def handle_connection_decision(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
                               context: BoltContext) -> None:
    """Confirm switch / Cancel on a held switch to another QuickBooks or Procore company (admins only)."""
    svc = services(context)
    ack()
    link_id = item_id_of(action)
    try:
        me = who(svc, client, body)
        if link_id is None:
            raise InvalidInput("That button doesn't name a connection change; nothing changed.")
        change = connections.decide(svc.engine, SecretBox(svc.settings.require_secret_key()), me.actor,
                                    me.tenant_id, link_id, confirm=action["action_id"] == ids.CONNECTION_CONFIRM)
    except common.SENTENCE_ERRORS as exc:
        tell(client, body, common.sentence_of(exc))
        return
    if body.get("response_url"):
        respond(replace_original=True, **change_notice(change).as_kwargs())
    connections.announce(svc.notifier, svc.engine, change)


def handle_link_clicked(ack: Ack) -> None:
    ack()  # link buttons open the browser; Slack still tells us and wants an ack


def handle_home_refresh(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    home.publish(svc, client, team_id=team_id(body), user_id=user_id(body))


def handle_home_digest(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    try:
        home.toggle_digest(svc, who(svc, client, body))
    except common.SENTENCE_ERRORS as exc:
        tell(client, body, common.sentence_of(exc))
    home.publish(svc, client, team_id=team_id(body), user_id=user_id(body))


def handle_home_away(ack: Ack, body: dict, client: WebClient) -> None:
    ack()
    open_away(client, body)


def handle_home_back(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    try:
        tell(client, body, away.back(svc.engine, who(svc, client, body).actor, now=datetime.now(UTC)))
    except common.SENTENCE_ERRORS as exc:
        tell(client, body, common.sentence_of(exc))
    home.publish(svc, client, team_id=team_id(body), user_id=user_id(body))


def handle_home_settings(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    open_settings(svc, client, body)


def handle_send_item(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()  # the sender's receipt DM and the card say it was sent; a refusal is told
    outcome = _decide(svc, body, action, client, lambda me, item: send.send(svc, item, me.actor))
    if outcome is not None and (body.get("container") or {}).get("type") == "message":
        tell(client, body, f":outbox_tray: You sent {outcome.item.title} to accounting; the approvers have it.")
    _redraw_post(svc, body)


def handle_export_item(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    outcome = _decide(svc, body, action, client, lambda me, item: export_now.export(svc, item, me.actor))
    _redraw_post(svc, body)
    if outcome is None:
        return

    def show_result() -> None:
        item = finish.finish_export(svc, outcome.item.id)  # type: ignore[arg-type]
        tell(client, body, export_now.export_sentence(svc, item))
        _republish_home(svc, client, body)
        _redraw_post(svc, body)
    svc.submit(show_result)


def handle_ready_pick(ack: Ack) -> None:
    ack()  # ticking a box changes nothing yet: Send selected reads the ticks from the view's state


def handle_send_selected(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    state = ((body.get("view") or {}).get("state") or body.get("state") or {}).get("values") or {}
    try:
        sent = batches.send_together(svc, selected_ids(state), who(svc, client, body).actor)
        if sent.refused:  # what was sent is in the receipt DM and on the card; what wasn't, and why, here
            tell(client, body, sent.sentence())
    except common.SENTENCE_ERRORS as exc:
        tell(client, body, common.sentence_of(exc))
    finally:
        _republish_home(svc, client, body)


def handle_accept_all(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    ack()
    group_id = item_id_of(action)  # the button carries only the group id
    if group_id is None:
        tell(client, body, "That button doesn't carry a card any more; accept the items from App Home instead.")
        return
    try:
        result = batches.accept_all(svc, group_id, who(svc, client, body).actor)
    except common.SENTENCE_ERRORS as exc:
        tell(client, body, common.sentence_of(exc))
        return
    if text := result.sentence():
        tell(client, body, text)


def register(app: App) -> None:
    svc = of(app)
    background = after_ack(svc)  # decisions run after the ack, on the app's pool
    app.action(ids.ACCEPT)(background(handle_accept))
    app.action(ids.RETRY)(background(handle_retry))
    app.action(ids.REJECT)(guarded(handle_reject))
    app.action(ids.RETRIEVE)(background(handle_retrieve))
    app.action(ids.RESEND)(background(handle_resend))
    app.action(ids.DETAILS)(guarded(handle_details))
    app.action(ids.CONNECTION_CONFIRM)(guarded(handle_connection_decision))
    app.action(ids.CONNECTION_CANCEL)(guarded(handle_connection_decision))
    for link_button in (ids.VIEW_PROCORE, ids.VIEW_QBO, ids.OPEN_LINK):
        app.action(link_button)(handle_link_clicked)
    app.action(ids.HOME_REFRESH)(guarded(handle_home_refresh))
    app.action(ids.HOME_DIGEST)(guarded(handle_home_digest))
    app.action(ids.HOME_SETTINGS)(guarded(handle_home_settings))
    app.action(ids.HOME_AWAY)(guarded(handle_home_away))
    app.action(ids.HOME_BACK)(guarded(handle_home_back))
    app.action(ids.SEND_ITEM)(guarded(handle_send_item))
    app.action(ids.EXPORT_ITEM)(guarded(handle_export_item))
    app.action(ids.READY_PICK)(handle_ready_pick)
    app.action(ids.READY_SEND_SELECTED)(guarded(handle_send_selected))
    app.action(ids.GROUP_ACCEPT_ALL)(guarded(handle_accept_all))

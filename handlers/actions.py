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
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks import cards, ids, modals
from blocks.connections import change_notice
from blocks.ready import selected_ids
from bot.identity import Identity
from bot.services import batches, connections, decisions, home, ready_post
from bot.services.runtime import Services, of
from core.crypto import SecretBox
from core.domain.errors import InvalidInput
from core.domain.permissions import Perm, check
from core.domain.workflow import Outcome
from handlers.context import item_id_of, team_id, tell, user_id, who
from handlers.errors import after_ack, guarded
from handlers.views import open_settings

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
    except decisions.SENTENCE_ERRORS as exc:
        tell(client, body, decisions.sentence_of(exc))
        return None
    finally:
        _republish_home(svc, client, body)


def _republish_home(svc: Services, client: WebClient, body: dict[str, Any]) -> None:
    """After a click in App Home, publish it again (in the background) so it shows the new states."""
    if (body.get("container") or {}).get("type") == "view" and (body.get("view") or {}).get("type") == "home":
        svc.submit(home.publish, svc, client, team_id=team_id(body), user_id=user_id(body))


def register(app: App) -> None:
    svc = of(app)

    @app.action(ids.ACCEPT)
    @after_ack(svc)
    def accept(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        outcome = _decide(svc, body, action, client, lambda me, item: decisions.accept(svc, item, me.actor))
        if outcome is not None and outcome.waiting_for_more_approvals:
            tell(client, body, f"Your approval of {outcome.item.title} is recorded: {outcome.approvals} of "
                               f"{outcome.approvals_needed}. It exports when another approver accepts it.")

    @app.action(ids.RETRY)
    @after_ack(svc)
    def retry(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        _decide(svc, body, action, client, lambda me, item: decisions.retry(svc, item, me.actor))

    @app.action(ids.REJECT)
    @guarded
    def reject(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()

        def open_modal(me: Identity, item_id: int) -> None:
            decisions.check_can_decide(svc, item_id, me.actor)
            card = svc.notifier.card(item_id)
            channel = (body.get("channel") or {}).get("id")
            client.views_open(trigger_id=body["trigger_id"], view=modals.reject_modal(card, channel=channel))
        _decide(svc, body, action, client, open_modal)

    @app.action(ids.RETRIEVE)
    @after_ack(svc)
    def retrieve(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        outcome = _decide(svc, body, action, client, lambda me, item: decisions.retrieve(svc, item, me.actor))
        if outcome is not None and body.get("response_url"):
            note = cards.outcome_note(f":leftwards_arrow_with_hook: You retrieved {outcome.item.title}; it is "
                                      "ready to export again. Send it when it's ready.")
            respond(replace_original=True, **note.as_kwargs())

    @app.action(ids.RESEND)
    @after_ack(svc)
    def resend(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        outcome = _decide(svc, body, action, client, lambda me, item: decisions.resend(svc, item, me.actor))
        if outcome is not None and body.get("response_url"):
            note = cards.outcome_note(f":outbox_tray: You resent {outcome.item.title} to accounting "
                                      f"(round {outcome.item.round}).")
            respond(replace_original=True, **note.as_kwargs())

    @app.action(ids.DETAILS)
    @guarded
    def details(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()

        def open_details(me: Identity, item_id: int) -> None:
            check(me.actor, Perm.VIEW_ITEMS)
            card, history = home.details(svc, item_id, me)
            client.views_open(trigger_id=body["trigger_id"], view=modals.details_modal(card, history))
        _decide(svc, body, action, client, open_details)

    @app.action(ids.CONNECTION_CONFIRM)
    @app.action(ids.CONNECTION_CANCEL)
    @guarded
    def connection_decision(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        link_id = item_id_of(action)
        try:
            me = who(svc, client, body)
            if link_id is None:
                raise InvalidInput("That button doesn't name a connection change; nothing changed.")
            change = connections.decide(svc.engine, SecretBox(svc.settings.require_secret_key()), me.actor,
                                        me.tenant_id, link_id, confirm=action["action_id"] == ids.CONNECTION_CONFIRM)
        except decisions.SENTENCE_ERRORS as exc:
            tell(client, body, decisions.sentence_of(exc))
            return
        if body.get("response_url"):
            respond(replace_original=True, **change_notice(change).as_kwargs())
        connections.announce(svc.notifier, svc.engine, change)

    @app.action(ids.VIEW_PROCORE)
    @app.action(ids.VIEW_QBO)
    @app.action(ids.OPEN_LINK)
    def link_clicked(ack: Ack) -> None:
        ack()  # link buttons open the browser; Slack still tells us and wants an ack

    @app.action(ids.HOME_REFRESH)
    @guarded
    def home_refresh(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        home.publish(svc, client, team_id=team_id(body), user_id=user_id(body))

    @app.action(ids.HOME_DIGEST)
    @guarded
    def home_digest(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        try:
            home.toggle_digest(svc, who(svc, client, body))
        except decisions.SENTENCE_ERRORS as exc:
            tell(client, body, decisions.sentence_of(exc))
        home.publish(svc, client, team_id=team_id(body), user_id=user_id(body))

    @app.action(ids.HOME_SETTINGS)
    @guarded
    def home_settings(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_settings(svc, client, body)

    # --- the senders' side (blocks/ready.py, on App Home and the daily ready post) and grouped cards --------------
    def redraw_post(body: dict) -> None:
        """A click on the daily ready post redraws that one message in place (no-op elsewhere)."""
        where = body.get("container") or {}
        if where.get("type") == "message":
            ready_post.refresh_message(svc.engine, svc.notifier, channel=where.get("channel_id"),
                                       ts=where.get("message_ts"))

    @app.action(ids.SEND_ITEM)
    @guarded
    def send_item(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()  # the sender's receipt DM and the card say it was sent; a refusal is told
        outcome = _decide(svc, body, action, client, lambda me, item: decisions.send(svc, item, me.actor))
        if outcome is not None and (body.get("container") or {}).get("type") == "message":
            tell(client, body, f":outbox_tray: You sent {outcome.item.title} to accounting; the approvers have it.")
        redraw_post(body)

    @app.action(ids.EXPORT_ITEM)
    @guarded
    def export_item(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        outcome = _decide(svc, body, action, client, lambda me, item: decisions.export(svc, item, me.actor))
        redraw_post(body)
        if outcome is None:
            return

        def finish() -> None:
            item = decisions.finish_export(svc, outcome.item.id)  # type: ignore[arg-type]
            tell(client, body, decisions.export_sentence(svc, item))
            _republish_home(svc, client, body)
            redraw_post(body)
        svc.submit(finish)

    @app.action(ids.READY_PICK)
    def ready_pick(ack: Ack) -> None:
        ack()  # ticking a box changes nothing yet: Send selected reads the ticks from the view's state

    @app.action(ids.READY_SEND_SELECTED)
    @guarded
    def send_selected(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        state = ((body.get("view") or {}).get("state") or body.get("state") or {}).get("values") or {}
        try:
            sent = batches.send_together(svc, selected_ids(state), who(svc, client, body).actor)
            if sent.refused:  # what was sent is in the receipt DM and on the card; what wasn't, and why, here
                tell(client, body, sent.sentence())
        except decisions.SENTENCE_ERRORS as exc:
            tell(client, body, decisions.sentence_of(exc))
        finally:
            _republish_home(svc, client, body)

    @app.action(ids.GROUP_ACCEPT_ALL)
    @guarded
    def accept_all(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        group_id = item_id_of(action)  # the button carries only the group id
        if group_id is None:
            tell(client, body, "That button doesn't carry a card any more; accept the items from App Home instead.")
            return
        try:
            result = batches.accept_all(svc, group_id, who(svc, client, body).actor)
        except decisions.SENTENCE_ERRORS as exc:
            tell(client, body, decisions.sentence_of(exc))
            return
        if text := result.sentence():
            tell(client, body, text)

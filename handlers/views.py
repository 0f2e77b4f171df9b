"""Modal submissions: the reject reason and the settings form. Invalid input comes back as field errors
(`response_action="errors"`); the decision is made before the ack, the Slack updates after it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from blocks import ids, modals
from blocks.away_modal import away_modal, read_away
from bot.actions import away, common, reject
from bot.identity import slack_tz
from bot.scheduler import reschedule
from bot.services import admin, home
from bot.services.runtime import Services
from core.domain.errors import DomainError, InvalidInput
from handlers.context import services, team_id, tell, user_id, who
from handlers.errors import guarded

logger = logging.getLogger(__name__)


def open_settings(svc: Services, client: WebClient, body: dict[str, Any]) -> None:
    """The settings modal for this person (admins: the company's; approvers: their digest), or a sentence."""
    try:
        me = who(svc, client, body)
        form = admin.settings_form(svc.engine, me.actor, me.tenant_id)
    except DomainError as exc:
        tell(client, body, exc.sentence)
        return
    client.views_open(trigger_id=body["trigger_id"], view=modals.settings_modal(form))


def handle_reject_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    reason = (((view["state"]["values"].get(ids.REASON_BLOCK) or {}).get(ids.REASON_INPUT) or {})
              .get("value") or "").strip()
    try:
        item_id = modals.read_meta(view).get("item_id")  # checked: an altered form gets a sentence
        if item_id is None:
            raise InvalidInput(modals.STALE_FORM)
        me = who(svc, client, body)
        reject.reject(svc, item_id, me.actor, reason)
    except common.SENTENCE_ERRORS as exc:
        ack(response_action="errors", errors={ids.REASON_BLOCK: common.sentence_of(exc)[:2000]})
        return
    ack()
    reject.announce_rejection(svc, item_id)


def handle_settings_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    svc = services(context)
    meta = modals.read_meta(view)
    changes, errors = modals.read_settings(view["state"]["values"], admin=bool(meta.get("admin")),
                                           approver=bool(meta.get("approver")))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    changes = {k: v for k, v in changes.items()
               if v is not None or k in (ids.S_CONFIRM, ids.S_TWO)}
    try:
        me = who(svc, client, body)
        changed = admin.save_settings(svc.engine, me.actor, me.tenant_id, changes)
    except DomainError as exc:
        first = next(iter(view["state"]["values"]), ids.S_DIRECT)
        ack(response_action="errors", errors={first: exc.sentence[:2000]})
        return
    ack()
    if set(changed) - {"digest_opt_out"}:
        reschedule(me.tenant_id, svc.engine)
    if changed:
        tell(client, body, "Settings saved: " + ", ".join(c.replace("_", " ") for c in changed) + ".")
    home.publish(svc, client, team_id=team_id(body), user_id=user_id(body))


def open_away(client: WebClient, body: dict[str, Any]) -> None:
    """App Home's "Set out of office": the form (the rules are checked on submit)."""
    client.views_open(trigger_id=body["trigger_id"], view=away_modal(datetime.now(UTC).date()))


def handle_away_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    """Away from App Home: the same rules as `/ledgerlink away`; a refusal shows on the form's fields."""
    svc = services(context)
    delegate, until, errors = read_away(view["state"]["values"])
    if errors or delegate is None or until is None:
        ack(response_action="errors", errors=errors)
        return
    try:
        me = who(svc, client, body)
        said = away.away(svc.engine, me.actor, delegate_slack_id=delegate, until=until, now=datetime.now(UTC),
                         tz=slack_tz(client, me.user.slack_user_id))
    except common.SENTENCE_ERRORS as exc:
        sentence = common.sentence_of(exc)[:2000]
        field = ids.AWAY_UNTIL_BLOCK if "day" in sentence or "passed" in sentence else ids.AWAY_DELEGATE_BLOCK
        ack(response_action="errors", errors={field: sentence})
        return
    ack()
    tell(client, body, said)
    home.publish(svc, client, team_id=team_id(body), user_id=user_id(body))


def register(app: App) -> None:
    app.view(ids.REJECT_VIEW)(guarded(handle_reject_submitted))
    app.view(ids.SETTINGS_VIEW)(guarded(handle_settings_submitted))
    app.view(ids.AWAY_VIEW)(guarded(handle_away_submitted))

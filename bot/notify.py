"""The one place that turns an item into Slack messages: approval cards (post, update in place), DMs and notices.

Everything is rendered from the item's current database state, never from what a caller believes it to be, so
two writers refreshing one card (the click's thread and the worker) converge on the latest state: after each
`chat.update` the item's version is read again and the card re-rendered if it moved meanwhile.
The worker calls `item_moved(item_id)` for items whose state changed; the Slack handlers call the specific
functions. `sync/` never imports this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from blocks import cards
from blocks.cards import CardData, Message, Person
from blocks.links import Links
from bot.domain.settings import tenant_settings
from bot.identity import slack_id_for
from bot.models import Decision, Item, Tenant, User
from bot.services.cardview import card_data, person

logger = logging.getLogger(__name__)

ClientFor = Callable[[int], WebClient]
PROVIDER_LABELS = {"qbo": "QuickBooks", "procore": "Procore"}


class Notifier:
    def __init__(self, engine: Engine, client_for: ClientFor, *, links: Links | None = None,
                 public_url: str = "http://127.0.0.1:3000") -> None:
        self.engine = engine
        self.client_for = client_for
        self.links = links or Links()
        self.public_url = public_url.rstrip("/")

    # --- reading -------------------------------------------------------------------------------------------
    def card(self, item_id: int) -> CardData:
        with Session(self.engine) as s:
            return card_data(s, item_id, self.links)

    def _item(self, item_id: int) -> Item:
        with Session(self.engine, expire_on_commit=False) as s:
            item = s.get(Item, item_id)
            if item is None:
                raise LookupError(f"item {item_id} does not exist")
            return item

    # --- the approval card -----------------------------------------------------------------------------------
    def post_card(self, item_id: int) -> tuple[str, str]:
        """Post a new approval card to the approvers' channel and remember where it is (channel, ts)."""
        item = self._item(item_id)
        with Session(self.engine) as s:
            channel = tenant_settings(s, item.tenant_id).approvers_channel
        msg = cards.approval_card(self.card(item_id))
        resp = self.client_for(item.tenant_id).chat_postMessage(channel=channel, unfurl_links=False,
                                                                 **msg.as_kwargs())
        where = (resp["channel"], resp["ts"])
        with Session(self.engine) as s:
            s.execute(update(Item).where(Item.id == item_id).values(card_channel=where[0], card_ts=where[1]))
            s.commit()
        self._converge(item_id, item.version, where)
        return where

    def refresh_card(self, item_id: int) -> bool:
        """Update the item's card in place from its current state; False when it has no card (or it's gone)."""
        item = self._item(item_id)
        if not item.card_channel or not item.card_ts:
            return False
        return self._update(item, (item.card_channel, item.card_ts))

    def _update(self, item: Item, where: tuple[str, str]) -> bool:
        msg = cards.approval_card(self.card(item.id))  # type: ignore[arg-type]
        try:
            self.client_for(item.tenant_id).chat_update(channel=where[0], ts=where[1], **msg.as_kwargs())
        except SlackApiError as exc:
            logger.warning("card of item %s not updated: %s", item.id, exc.response.get("error"))
            return False
        self._converge(item.id, item.version, where)  # type: ignore[arg-type]
        return True

    def _converge(self, item_id: int, rendered_version: int, where: tuple[str, str], rounds: int = 3) -> None:
        """Re-render while the item moved during our Slack call (a concurrent writer may have rendered first)."""
        for _ in range(rounds):
            item = self._item(item_id)
            if item.version == rendered_version:
                return
            rendered_version = item.version
            msg = cards.approval_card(self.card(item_id))
            try:
                self.client_for(item.tenant_id).chat_update(channel=where[0], ts=where[1], **msg.as_kwargs())
            except SlackApiError as exc:
                logger.warning("card of item %s not re-rendered: %s", item_id, exc.response.get("error"))
                return

    # --- direct messages -------------------------------------------------------------------------------------
    def dm(self, tenant_id: int, user_id: int, message: Message) -> tuple[str, str] | None:
        """DM one of our users (found by Slack id or e-mail); None when they have no Slack account we know."""
        client = self.client_for(tenant_id)
        slack_id = slack_id_for(self.engine, client, user_id)
        if not slack_id:
            logger.info("user %s has no Slack account we know of; DM skipped", user_id)
            return None
        channel = client.conversations_open(users=slack_id)["channel"]["id"]
        resp = client.chat_postMessage(channel=channel, unfurl_links=False, **message.as_kwargs())
        return resp["channel"], resp["ts"]

    def sent_receipt(self, item_id: int) -> None:
        item = self._item(item_id)
        if item.sender_id is None:
            return
        with Session(self.engine) as s:
            channel = tenant_settings(s, item.tenant_id).approvers_channel
        label = f"<#{item.card_channel}>" if item.card_channel else channel
        self.dm(item.tenant_id, item.sender_id, cards.sent_receipt(self.card(item_id), label))

    def rejection_dm(self, item_id: int) -> None:
        """To the sender — for commitments and change orders, the Procore creator when we know them."""
        item = self._item(item_id)
        to = item.creator_id if item.type in cards.CREATOR_TYPES and item.creator_id else item.sender_id
        if to is None:
            return
        self.dm(item.tenant_id, to, cards.rejection_dm(self.card(item_id)))

    # --- notices -----------------------------------------------------------------------------------------------
    def failure_notice(self, item_id: int) -> None:
        """A reply under the card naming the approvers who accepted it (or the sender of a direct export)."""
        item = self._item(item_id)
        with Session(self.engine) as s:
            ids = [d.user_id for d in s.exec(select(Decision).where(
                Decision.item_id == item_id, Decision.round == item.round, Decision.decision == "accept"))]
            if not ids and item.decided_by_id:
                ids = [item.decided_by_id]
            people = [p for p in (person(s, i) for i in ids) if p]
            channel = tenant_settings(s, item.tenant_id).approvers_channel
        msg = cards.failure_notice(self.card(item_id), people)
        client = self.client_for(item.tenant_id)
        if item.card_channel and item.card_ts:
            client.chat_postMessage(channel=item.card_channel, thread_ts=item.card_ts, **msg.as_kwargs())
        else:
            client.chat_postMessage(channel=channel, **msg.as_kwargs())

    def paid_notice(self, item_id: int, *, paid_on: str | None = None, amount: Decimal | None = None,
                    reference: str | None = None) -> None:
        item = self._item(item_id)
        with Session(self.engine) as s:
            st = tenant_settings(s, item.tenant_id)
            channel = st.notify_channel or st.approvers_channel
        msg = cards.paid_notice(self.card(item_id), paid_on=paid_on, amount=amount, reference=reference)
        self.client_for(item.tenant_id).chat_postMessage(channel=channel, unfurl_links=False, **msg.as_kwargs())

    def reauth_notice(self, tenant_id: int, provider: str, detail: str | None = None) -> int:
        """DM every admin that a connection needs re-authorising; returns how many were told."""
        label = PROVIDER_LABELS.get(provider, provider)
        url = f"{self.public_url}/{provider}/connect?tenant={tenant_id}"
        with Session(self.engine) as s:
            tenant = s.get(Tenant, tenant_id)
            if tenant is not None and provider == "procore" and tenant.procore_company_id:
                url += f"&company={tenant.procore_company_id}"
            admins = [u.id for u in s.exec(select(User).where(User.tenant_id == tenant_id,
                                                              User.permission == "admin"))]
        told = 0
        for admin_id in admins:
            if self.dm(tenant_id, admin_id, cards.reauth_notice(label, detail, url)):  # type: ignore[arg-type]
                told += 1
        return told

    def item_moved(self, item_id: int, **payment: Any) -> None:
        """What the worker calls after an item's state changed: refresh its card and tell whoever needs to know."""
        self.refresh_card(item_id)
        state = self._item(item_id).state
        if state == "failed_to_export":
            self.failure_notice(item_id)
        elif state == "paid":
            self.paid_notice(item_id, **payment)
        elif state == "rejected":
            self.rejection_dm(item_id)


def people(engine: Engine, tenant_id: int, *, approvers: bool = False) -> list[Person]:
    with Session(engine) as s:
        q = select(User).where(User.tenant_id == tenant_id)
        if approvers:
            q = q.where(User.can_push_to_accounting.is_(True))
        return [Person(u.name or u.email or "", u.slack_user_id) for u in s.exec(q)]


def notifier_from_settings(settings: Any, engine: Engine | None = None) -> Notifier:
    """A Notifier for processes without a Bolt app (the worker): bot token, or the installation of each team."""
    from bot.db import engine_for
    from bot.services.wiring import client_factory, links_for

    engine = engine or engine_for(settings.database_url)
    return Notifier(engine, client_factory(settings, engine), links=links_for(settings),
                    public_url=settings.public_url)

"""The one place that turns items into Slack messages: approval cards (posted, then updated in place), DMs and
notices. `sync/` never imports this module.

Cards are rendered from the item's current database state, never from what a caller believes it to be, so two
writers refreshing one card (the click's thread and the worker) converge: after each `chat.update` the item's
version is read again and the card re-rendered if it moved meanwhile.

`Notifier` also implements the worker's notifier protocol (bot/worker.py: notify_digest, notify_reminder,
notify_escalation, notify_reauth, notify_rejected, notify_failed, notify_paid, refresh_cards); the worker gets one
from `build_notifier(settings, engine)`. A rejection DM or a failure notice can be sent by the Slack handler that
caused it (at once) and by the worker reading the audit log (later): each is sent once, by whoever claims its key
first (a row in `processed_webhooks` with source "notice"; released again if sending fails).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from blocks import cards
from blocks.cards import CardData, Message
from blocks.group_card import GroupData, group_card
from blocks.group_card import group_receipt as cards_group_receipt
from blocks.links import Links
from bot.cardview import card_data, group_data, offline_card_data, person, read_settings
from bot.identity import slack_id_for
from bot.services.connect_links import mint
from bot.slack_clients import client_factory, links_for
from bot.slack_install import multi_workspace
from core.db_outage import is_outage
from core.domain import delegation
from core.models import AuditEvent, Decision, Item, ItemGroup, OutboxEntry, ProcessedWebhook, Tenant, User, utcnow
from core.rows import by_key
from sync.writes.attachments import OP_ATTACH_FILE
from sync.writes.invoices import OP_ATTACH_PDF

logger = logging.getLogger(__name__)

ClientFor = Callable[[int], WebClient]
PROVIDER_LABELS = {"qbo": "QuickBooks", "procore": "Procore"}
NOTICE = "notice"  # processed_webhooks.source of the once-only notification keys


class Notifier:
    def __init__(self, engine: Engine, client_for: ClientFor, *, links: Links | None = None,
                 public_url: str = "http://127.0.0.1:3000", secret_key: str | None = None) -> None:
        self.engine = engine
        self.client_for = client_for
        self.links = links or Links()
        self.public_url = public_url.rstrip("/")
        self.secret_key = secret_key  # signs the reconnect links in re-authorisation DMs

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

    def _item_and_card(self, item_id: int) -> tuple[Item, CardData]:
        """The item and its card from one session (the card reads the item from it again for free): a redraw after
        every click, so one item read less per click."""
        with Session(self.engine, expire_on_commit=False) as s:
            item = by_key(s, Item, item_id)
            if item is None:
                raise LookupError(f"item {item_id} does not exist")
            return item, card_data(s, item_id, self.links)

    def _channel(self, tenant_id: int, *, notices: bool = False) -> str:
        with Session(self.engine) as s:
            st = read_settings(s, tenant_id)
            return (st.notify_channel or st.approvers_channel) if notices else st.approvers_channel

    # --- the approval card -----------------------------------------------------------------------------------
    def post_card(self, item_id: int) -> tuple[str, str]:
        """Post a new approval card to the approvers' channel and remember where it is (channel, ts)."""
        item = self._item(item_id)
        msg = cards.approval_card(self.card(item_id))
        resp = self.client_for(item.tenant_id).chat_postMessage(channel=self._channel(item.tenant_id),
                                                                 unfurl_links=False, **msg.as_kwargs())
        where = (resp["channel"], resp["ts"])
        with Session(self.engine) as s:
            s.execute(update(Item).where(Item.id == item_id).values(card_channel=where[0], card_ts=where[1]))
            s.commit()
        self._converge(item_id, item.version, where)
        if item.group_id is not None:  # its line on the grouped card now points to this card
            self.refresh_group_card(item.group_id)
        return where

    def refresh_card(self, item_id: int, *, group: bool = True, card_only: bool = False,
                     later: Callable[[Callable[[], Any]], Any] | None = None,
                     read: tuple[Item, CardData] | None = None) -> bool:
        """Update the item's card in place from its current state — and the grouped card it is a line of (unless
        `group=False`); False when it has no card (or it's gone). What the clicking person does not watch (the
        sender's receipt DM, recording the card's version) follows: handed to `later` when given (e.g.
        `Services.submit_later`, so a burst of clicks gets every card redrawn first), left out with `card_only`
        (a redraw that follows does it; until then the worker sees the card as stale and redraws it). `read`: the
        item and its card as just committed (a decision's own read), instead of reading them again."""
        item, data = read or self._item_and_card(item_id)
        grouped = self.refresh_group_card(item.group_id) if group and item.group_id is not None else False

        def receipt() -> None:
            if item.receipt_ts:
                self.refresh_receipt(item_id, data, item)

        if not item.card_channel or not item.card_ts:
            receipt()
            return grouped
        # the approvers' card first (what a click waits to see), then the sender's DM from the same read
        try:
            self.client_for(item.tenant_id).chat_update(channel=item.card_channel, ts=item.card_ts,
                                                        **cards.approval_card(data).as_kwargs())
        except SlackApiError as exc:
            logger.warning("card of item %s not updated: %s", item_id, exc.response.get("error"))
            receipt()
            return False

        def follow_up() -> None:
            receipt()
            self._converge(item_id, item.version, (item.card_channel, item.card_ts))  # type: ignore[arg-type]

        if card_only:
            return True
        if later is not None:
            later(follow_up)
        else:
            follow_up()
        return True

    def _converge(self, item_id: int, rendered_version: int, where: tuple[str, str], rounds: int = 3) -> None:
        """Re-render while the item moved during our Slack call (a concurrent writer may have rendered first);
        then record which version the card shows (the worker redraws a card an export left behind: OutboxLoop)."""
        for _ in range(rounds):
            item = self._item(item_id)
            if item.version == rendered_version:
                break
            msg = cards.approval_card(self.card(item_id))
            try:
                self.client_for(item.tenant_id).chat_update(channel=where[0], ts=where[1], **msg.as_kwargs())
            except SlackApiError as exc:
                logger.warning("card of item %s not re-rendered: %s", item_id, exc.response.get("error"))
                break
            rendered_version = item.version
        with Session(self.engine) as s:
            s.execute(update(Item).where(Item.id == item_id, or_(Item.card_version.is_(None),  # type: ignore[union-attr]
                                                                 Item.card_version < rendered_version))
                      .values(card_version=rendered_version))
            s.commit()

    # --- the grouped card (items sent together; blocks/group_card.py) -------------------------------------------
    def group(self, group_id: int) -> GroupData:
        with Session(self.engine) as s:
            return group_data(s, group_id, self.links)

    def _group_row(self, group_id: int) -> ItemGroup:
        with Session(self.engine, expire_on_commit=False) as s:
            group = s.get(ItemGroup, group_id)
            if group is None:
                raise LookupError(f"item group {group_id} does not exist")
            return group

    def _group_versions(self, group_id: int) -> tuple[tuple[int, int], ...]:
        with Session(self.engine) as s:
            return tuple(s.exec(select(Item.id, Item.version).where(Item.group_id == group_id)
                                .order_by(Item.id)).all())  # type: ignore[arg-type]

    def post_group_card(self, group_id: int) -> tuple[str, str]:
        """Post one card for the whole group to the approvers' channel and remember where it is."""
        group = self._group_row(group_id)
        seen = self._group_versions(group_id)
        msg = group_card(self.group(group_id))
        resp = self.client_for(group.tenant_id).chat_postMessage(channel=self._channel(group.tenant_id),
                                                                  unfurl_links=False, **msg.as_kwargs())
        where = (resp["channel"], resp["ts"])
        with Session(self.engine) as s:
            s.execute(update(ItemGroup).where(ItemGroup.id == group_id).values(card_channel=where[0],
                                                                                card_ts=where[1]))
            s.commit()
        self._converge_group(group_id, seen, where)
        return where

    def refresh_group_card(self, group_id: int) -> bool:
        """Re-render the grouped card from its items' current states; False when it has no card yet."""
        group = self._group_row(group_id)
        if not group.card_channel or not group.card_ts:
            return False
        seen = self._group_versions(group_id)
        msg = group_card(self.group(group_id))
        try:
            self.client_for(group.tenant_id).chat_update(channel=group.card_channel, ts=group.card_ts,
                                                         **msg.as_kwargs())
        except SlackApiError as exc:
            logger.warning("grouped card %s not updated: %s", group_id, exc.response.get("error"))
            return False
        self._converge_group(group_id, seen, (group.card_channel, group.card_ts))
        return True

    def _converge_group(self, group_id: int, seen: tuple[tuple[int, int], ...], where: tuple[str, str],
                        rounds: int = 3) -> None:
        """As `_converge`, for a grouped card: re-render while any of its items moved during our Slack call."""
        for _ in range(rounds):
            now = self._group_versions(group_id)
            if now == seen:
                return
            seen = now
            msg = group_card(self.group(group_id))
            try:
                self.client_for(self._group_row(group_id).tenant_id).chat_update(channel=where[0], ts=where[1],
                                                                                 **msg.as_kwargs())
            except SlackApiError as exc:
                logger.warning("grouped card %s not re-rendered: %s", group_id, exc.response.get("error"))
                return

    def group_receipt(self, group_id: int) -> None:
        """The sender's one DM for a group (instead of one per item)."""
        group = self._group_row(group_id)
        if group.sender_id is None:
            return
        where = f"<#{group.card_channel}>" if group.card_channel else self._channel(group.tenant_id)
        self.dm(group.tenant_id, group.sender_id, cards_group_receipt(self.group(group_id), where))

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
        """The sender's DM after sending, with Retrieve; where it is is kept, so it can be redrawn."""
        item = self._item(item_id)
        if item.sender_id is None:
            return
        posted = self.dm(item.tenant_id, item.sender_id, cards.sent_receipt(self.card(item_id),
                                                                            self._card_place(item)))
        if posted is not None:
            with Session(self.engine) as s:
                s.execute(update(Item).where(Item.id == item_id).values(receipt_channel=posted[0],
                                                                        receipt_ts=posted[1]))
                s.commit()

    def _card_place(self, item: Item) -> str:
        return f"<#{item.card_channel}>" if item.card_channel else self._channel(item.tenant_id)

    def refresh_receipt(self, item_id: int, data: CardData | None = None, item: Item | None = None) -> bool:
        """Redraw the sender's DM from the item's state (Retrieve only while nobody has decided); `data` and
        `item`: the card and the item as the caller just read them (read here when not given)."""
        item = item or self._item(item_id)
        if not item.receipt_channel or not item.receipt_ts:
            return False
        msg = cards.sent_receipt(data or self.card(item_id), self._card_place(item))
        try:
            self.client_for(item.tenant_id).chat_update(channel=item.receipt_channel, ts=item.receipt_ts,
                                                        **msg.as_kwargs())
        except SlackApiError as exc:
            logger.warning("receipt DM of item %s not updated: %s", item_id, exc.response.get("error"))
            return False
        return True

    def rejection_dm(self, item_id: int) -> bool:
        """To the sender — for commitments and change orders the Procore creator when known — once per rejection."""
        item = self._item(item_id)
        to = item.creator_id if item.type in cards.CREATOR_TYPES and item.creator_id else item.sender_id
        if to is None or item.state != "rejected":
            return False
        return self._once(f"rejected:{self._last_event_id(item_id, 'reject')}",
                          lambda: self.dm(item.tenant_id, to, cards.rejection_dm(self.card(item_id))))

    def failure_notice(self, item_id: int) -> bool:
        """Once per failure: a reply under the card naming the approvers who accepted it (or the sender)."""
        item = self._item(item_id)
        if item.state != "failed_to_export":
            return False
        return self._once(f"failed:{self._last_event_id(item_id, 'mark_failed')}", lambda: self._post_failure(item))

    def _post_failure(self, item: Item) -> None:
        with Session(self.engine) as s:
            ids = [d.user_id for d in s.exec(select(Decision).where(
                Decision.item_id == item.id, Decision.round == item.round, Decision.decision == "accept"))]
            if not ids and (item.decided_by_id or item.sender_id):
                ids = [item.decided_by_id or item.sender_id]  # type: ignore[list-item]
            people = [p for p in (person(s, i) for i in ids) if p]
        msg = cards.failure_notice(self.card(item.id), people)  # type: ignore[arg-type]
        client = self.client_for(item.tenant_id)
        group = self._group_row(item.group_id) if item.group_id is not None and not item.card_ts else None
        if item.card_channel and item.card_ts:
            client.chat_postMessage(channel=item.card_channel, thread_ts=item.card_ts, **msg.as_kwargs())
        elif group is not None and group.card_channel and group.card_ts:  # under the grouped card it is a line of
            client.chat_postMessage(channel=group.card_channel, thread_ts=group.card_ts, **msg.as_kwargs())
        else:
            client.chat_postMessage(channel=self._channel(item.tenant_id), **msg.as_kwargs())

    def paid_notice(self, event: Any) -> None:
        """A paid / payment-reversed notice recorded by paid sync (sync.events.PaymentEvent)."""
        card = self.card(event.item_id) if event.item_id else None
        msg = cards.payment_notice(event, card)
        channel = event.channel or self._channel(event.tenant_id, notices=True)
        self.client_for(event.tenant_id).chat_postMessage(channel=channel, unfurl_links=False, **msg.as_kwargs())
        if event.item_id:
            self.refresh_card(event.item_id)

    def reauth_notice(self, tenant_id: int, provider: str, problem: str | None = None,
                      admins: Sequence[User] | None = None) -> int:
        """DM the admins that a connection needs re-authorising, each with their own connect link; returns how
        many were told."""
        label = PROVIDER_LABELS.get(provider, provider)
        with Session(self.engine, expire_on_commit=False) as s:
            people = list(admins) if admins is not None else list(
                s.exec(select(User).where(User.tenant_id == tenant_id, User.permission == "admin")))
        told = 0
        for user in people:
            if user.id is None:
                continue
            url = mint(self.engine, self.secret_key, tenant_id=tenant_id, provider=provider,
                       slack_user_id=user.slack_user_id or "", user_id=user.id, public_url=self.public_url
                       ) if self.secret_key else None
            told += self.dm(tenant_id, user.id, cards.reauth_notice(label, problem, url, provider)) is not None
        return told

    # --- once-only delivery ----------------------------------------------------------------------------------
    def _last_event_id(self, item_id: int, action: str) -> int:
        with Session(self.engine) as s:
            row = s.exec(select(AuditEvent.id).where(AuditEvent.item_id == item_id, AuditEvent.action == action)
                         .order_by(AuditEvent.id.desc()).limit(1)).first()
            return int(row or 0)

    def _once(self, key: str, send: Callable[[], Any]) -> bool:
        """Send unless someone already claimed `key`; a failed send releases it for the next try."""
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = (insert(ProcessedWebhook).values(source=NOTICE, dedupe_key=key[:128], received_at=utcnow())
                .on_conflict_do_nothing(index_elements=["source", "dedupe_key"]).returning(ProcessedWebhook.id))
        with Session(self.engine) as s:
            claimed = s.execute(stmt).first()
            s.commit()
        if claimed is None:
            logger.debug("notice %s already sent", key)
            return False
        try:
            send()
        except Exception:
            with Session(self.engine) as s:
                s.execute(delete(ProcessedWebhook).where(ProcessedWebhook.source == NOTICE,
                                                         ProcessedWebhook.dedupe_key == key[:128]))
                s.commit()
            raise
        return True

    # --- the worker's notifier protocol (bot/worker.py) ----------------------------------------------------------
    def _list(self, tenant: Tenant, items: Sequence[Item], title: str, note: str, *,
              away: bool = False) -> Message:
        with Session(self.engine) as s:
            shown = [card_data(s, i.id, self.links) for i in items[:cards.LIST_SHOWN]]  # type: ignore[arg-type]
            pairs = self._away(s, tenant) if away else []
        return cards.item_list(title, shown, total=len(items), note=note, away=pairs)

    @staticmethod
    def _away(s: Session, tenant: Tenant) -> list[tuple[str, str]]:
        """(away person's name, delegate's Slack id) for each absence in force: a channel reminder mentions the
        delegate instead of reaching someone who is out."""
        pairs = [(s.get(User, away), s.get(User, stand_in))
                 for away, stand_in in delegation.stand_ins(s, tenant.id, utcnow()).items()]  # type: ignore[arg-type]
        return [(a.name or "An approver", d.slack_user_id) for a, d in pairs if a and d and d.slack_user_id]

    def notify_digest(self, tenant: Tenant, user: User, items: list[Item]) -> None:
        msg = self._list(tenant, items, f"{len(items)} item{'s' if len(items) != 1 else ''} waiting for your "
                                        "acceptance", "Your daily Ledgerlink digest. Turn it off in App Home.")
        self.dm(tenant.id, user.id, msg)  # type: ignore[arg-type]

    def notify_reminder(self, tenant: Tenant, channel: str, items: list[Item]) -> None:
        msg = self._list(tenant, items, "Still waiting for acceptance",
                         "Accept or reject them on their cards.", away=True)
        self.client_for(tenant.id).chat_postMessage(channel=channel, **msg.as_kwargs())  # type: ignore[arg-type]

    def notify_escalation(self, tenant: Tenant, channel: str | None, approvers: list[User],
                          items: list[Item]) -> None:
        msg = self._list(tenant, items, ":rotating_light: Waiting too long for acceptance",
                         "These have waited past your company's escalation time.", away=bool(channel))
        if channel:
            self.client_for(tenant.id).chat_postMessage(channel=channel, **msg.as_kwargs())  # type: ignore[arg-type]
            return
        for user in approvers:
            self.dm(tenant.id, user.id, msg)  # type: ignore[arg-type]

    def notify_reauth(self, tenant: Tenant, admins: list[User], connection: Any, problem: str) -> None:
        self.reauth_notice(tenant.id, connection.provider, problem, admins)  # type: ignore[arg-type]

    def notify_rejected(self, tenant: Tenant, item: Item, recipient: User | None, reason: str,
                        rejected_by: str) -> None:
        self.rejection_dm(item.id)  # type: ignore[arg-type]

    def notify_failed(self, tenant: Tenant, item: Item, error: str) -> None:
        self.failure_notice(item.id)  # type: ignore[arg-type]

    def notify_paid(self, tenant: Tenant, event: Any) -> None:
        self.paid_notice(event)

    def waiting_for_database(self, items: list[Item]) -> None:
        """The cards of exports whose outcome waits for the database (unreachable): "waiting for the database".
        Rendered from the items as the outbox read them before (no database here); `refresh_cards` redraws them
        from the database once the outcome is recorded."""
        failed = []
        for item in items:
            if not item.card_channel or not item.card_ts:
                continue
            msg = cards.approval_card(offline_card_data(item, self.links, waiting_for_database=True))
            try:
                self.client_for(item.tenant_id).chat_update(channel=item.card_channel, ts=item.card_ts,
                                                            **msg.as_kwargs())
            except Exception:  # noqa: BLE001 - e.g. a workspace's token read from the database: best effort
                failed.append(item.id)
        if failed:
            logger.warning("%d card(s) not marked as waiting for the database (items %s)", len(failed),
                           ", ".join(map(str, failed[:10])))

    def refresh_cards(self, items: list[Item]) -> None:
        groups: list[int] = []  # a grouped card is re-rendered once, however many of its lines changed
        for item in items:
            try:
                self.refresh_card(item.id, group=False)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - one card's failure must not stop the others
                if is_outage(exc):  # the others would fail alike; the stale-card sweep redraws them later
                    logger.warning("card redraws stopped: the database is unreachable (%d card(s) this round)",
                                   len(items))
                    return
                logger.exception("refreshing the card of item %s failed", item.id)
            if item.group_id is not None and item.group_id not in groups:
                groups.append(item.group_id)
        for group_id in groups:
            try:
                self.refresh_group_card(group_id)
            except Exception:  # noqa: BLE001 - as above
                logger.exception("refreshing grouped card %s failed", group_id)


FOLLOW_UPS = frozenset({OP_ATTACH_FILE, OP_ATTACH_PDF})


def exported_since(engine: Engine, since: datetime, *, claimed_by: str | None = None) -> list[Item]:
    """Items with a card whose outbox rows changed since `since` (a drain exported, failed or retried them), or only
    the rows `claimed_by` finished: the cards a drain must redraw, whichever process's click queued the rows."""
    rows = select(OutboxEntry.item_id).where(OutboxEntry.updated_at >= since,
                                             OutboxEntry.item_id.is_not(None))  # type: ignore[union-attr]
    # a follow-up write (a file attached to a synced Bill) names its item in the payload only: its row must not
    # move the item's state, yet its outcome shows on the card
    follow_ups = select(OutboxEntry.payload).where(OutboxEntry.updated_at >= since,
                                                   OutboxEntry.operation.in_(FOLLOW_UPS))  # type: ignore[attr-defined]
    if claimed_by is not None:
        rows = rows.where(OutboxEntry.claimed_by == claimed_by)
        follow_ups = follow_ups.where(OutboxEntry.claimed_by == claimed_by)
    with Session(engine, expire_on_commit=False) as s:
        item_ids = set(s.exec(rows)) | {p.get("item_id") for p in s.exec(follow_ups) if p and p.get("item_id")}
        return list(s.exec(select(Item).where(Item.id.in_(item_ids),  # type: ignore[union-attr]
                                              Item.card_ts.is_not(None))))  # type: ignore[union-attr]


def items_with_cards(engine: Engine, item_ids: Sequence[int]) -> list[Item]:
    """The items among `item_ids` that have a card (to redraw)."""
    if not item_ids:
        return []
    with Session(engine, expire_on_commit=False) as s:
        return list(s.exec(select(Item).where(Item.id.in_(list(item_ids)),  # type: ignore[union-attr]
                                              Item.card_ts.is_not(None))))  # type: ignore[union-attr]


def build_notifier(settings: Any, engine: Engine) -> Notifier | None:
    """The worker's notifier: Slack through the bot token or each team's installation; None without Slack."""
    if not settings.slack_bot_token and not multi_workspace(settings):
        return None
    return Notifier(engine, client_factory(settings, engine), links=links_for(settings),
                    public_url=settings.public_url, secret_key=settings.optional_secret_key())


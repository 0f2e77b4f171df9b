"""The item workflow service: every state change of an item goes through here.

Slack handlers, the CLI and scheduled jobs all call these methods. Each call is one transaction:
authorise → check the transition → compare-and-set on `items.version` → decision row → audit row →
optional `then` hook (e.g. the outbox row for an accepted item) → commit. When the compare-and-set
loses a race, the item is re-read and the request re-judged against the new state, so of two people
deciding at once exactly one wins and the other is told who won.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from core.domain import audit, delegation
from core.domain.errors import AlreadyDecided, IllegalTransition, InvalidInput, ItemNotFound, PermissionDenied
from core.domain.permissions import Actor, Level, check, perm_for
from core.domain.settings import direct_export_refusal, tenant_settings
from core.domain.states import STATE_LABELS, Action, ItemState, ItemType, NoSuchTransition, next_state
from core.models import Decision, Item, Tenant, User, utcnow
from core.rows import by_key

MIN_REJECT_REASON = 5
#: the reject modal's own limit (Slack enforces it there); the same server-side for whatever else sends a reason
MAX_REJECT_REASON = 2000
MAX_CAS_ATTEMPTS = 5
DECISIONS = {Action.ACCEPT, Action.REJECT, Action.RETRIEVE}
PAST = {
    "send": "sent", "retrieve": "retrieved", "accept": "accepted", "reject": "rejected", "resend": "resent",
    "export": "exported", "mark_synced": "synced", "mark_failed": "marked failed", "retry": "retried",
    "unlink": "unlinked", "mark_paid": "marked paid", "reverse_payment": "marked unpaid", "import": "imported",
    "mark_remote_changed": "marked changed", "archive": "archived", "restore": "restored",
    "approve": "approved",
}

Hook = Callable[[Session, Item], None]

ITEMS = Item.__table__  # type: ignore[attr-defined]
_CAS: dict[frozenset[str], Any] = {}
#: built once: building a statement and its cache key costs more than running it (this one runs on every click)
ROUND_DECISIONS = select(Decision.user_id, Decision.decision).where(Decision.item_id == bindparam("item_id"),
                                                                    Decision.round == bindparam("round"))


@dataclass(frozen=True)
class Outcome:
    item: Item
    action: Action
    changed_state: bool
    approvals: int = 0
    approvals_needed: int = 1

    @property
    def waiting_for_more_approvals(self) -> bool:
        return self.action is Action.ACCEPT and not self.changed_state


def actor_for_user(user: User) -> Actor:
    return Actor(user_id=user.id, name=user.name or user.email or f"user {user.id}",
                 level=Level[user.permission.upper()], can_push_to_accounting=user.can_push_to_accounting,
                 tenant_id=user.tenant_id)


class Workflow:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    # --- people's actions --------------------------------------------------------------------------
    def send(self, item_id: int, actor: Actor, *, request_id: str | None = None) -> Outcome:
        def mutate(s: Session, item: Item) -> dict[str, Any]:
            return {"sender_id": actor.user_id, "round": item.round + 1, "sent_at": self.clock(),
                    "reject_reason": None, "decided_at": None, "decided_by_id": None}
        return self._apply(item_id, actor, Action.SEND, mutate=mutate, request_id=request_id)

    def resend(self, item_id: int, actor: Actor, *, request_id: str | None = None) -> Outcome:
        def mutate(s: Session, item: Item) -> dict[str, Any]:
            return {"round": item.round + 1, "sent_at": self.clock(), "reject_reason": None,
                    "decided_at": None, "decided_by_id": None,
                    "sender_id": item.sender_id or actor.user_id}
        return self._apply(item_id, actor, Action.RESEND, mutate=mutate, request_id=request_id)

    def retrieve(self, item_id: int, actor: Actor, *, request_id: str | None = None) -> Outcome:
        def precheck(s: Session, item: Item) -> None:
            if item.state != ItemState.AWAITING_ACCEPTANCE:
                return  # the transition check explains it
            if not actor.is_system and actor.user_id != item.sender_id and actor.level < Level.ADMIN:
                raise PermissionDenied(f"Only the person who sent {item.title} (or an admin) can retrieve it.")
            approvals = sum(d == "accept" for _, d in self._decisions(s, item))
            if approvals:
                raise AlreadyDecided(f"{item.title} already has {approvals} approval(s), so it can no longer "
                                     "be retrieved; ask an approver to reject it instead.")
        return self._apply(item_id, actor, Action.RETRIEVE, precheck=precheck, request_id=request_id)

    def accept(self, item_id: int, actor: Actor, *, request_id: str | None = None,
               then: Hook | None = None, after: Hook | None = None) -> Outcome:
        """Accept; with a two-approver threshold the first acceptance is recorded and the item waits. `then` runs
        inside the transaction with the final approval (the export hook); `after` reads in the same session once it
        is committed (the card a click redraws: the rows the decision read are not read again)."""
        for _ in range(MAX_CAS_ATTEMPTS):
            with Session(self.engine, expire_on_commit=False) as s:
                item = self._load(s, item_id, actor)
                self._authorize(item, actor, Action.ACCEPT)
                self._no_self_decision(item, actor)
                needed = self._approvals_needed(s, item)
                if item.state != ItemState.AWAITING_ACCEPTANCE:
                    raise self._explain(s, item, Action.ACCEPT)
                decided = self._decisions(s, item)  # (user, decision) of this round: one read per click
                approvals = sum(d == "accept" for _, d in decided)
                if any(user == actor.user_id for user, _ in decided):
                    if approvals >= needed:  # our own other click has just accepted it
                        raise AlreadyDecided(f"You already accepted {item.title}.")
                    raise AlreadyDecided(f"You already approved {item.title}; it is waiting for "
                                         f"{needed - approvals} more approver(s).")
                final = approvals + 1 >= needed
                values: dict[str, Any] = {"version": item.version + 1, "updated_at": self.clock()}
                if final:
                    values |= {"state": ItemState.EXPORTING.value, "decided_at": self.clock(),
                               "decided_by_id": actor.user_id, "last_error": None}
                before = item.state  # the compare-and-set below puts `values` into the item
                if not self._cas(s, item, values):
                    continue
                s.add(Decision(item_id=item.id, round=item.round, user_id=actor.user_id, decision="accept"))
                audit.record(s, tenant_id=item.tenant_id, actor=actor,
                             action="accept" if final else "approve", item_id=item.id,
                             before=before, after=values.get("state", before), request_id=request_id,
                             detail={"approvals": approvals + 1, "needed": needed,
                                     **delegation.behalf_detail(s, item, actor, self.clock())})
                s.flush()  # the item already holds `values`: the compare-and-set applied them in the session
                if final and then:
                    then(s, item)
                try:
                    s.commit()
                except IntegrityError:  # the same approver's second click won the insert race
                    s.rollback()
                    continue
                if after:
                    after(s, item)
                return Outcome(item, Action.ACCEPT, final, approvals + 1, needed)
        raise self._lost_race(item_id, actor, Action.ACCEPT)

    def reject(self, item_id: int, actor: Actor, reason: str, *, request_id: str | None = None) -> Outcome:
        reason = (reason or "").strip()
        if len(reason) < MIN_REJECT_REASON:
            raise InvalidInput(f"Please give a reason of at least {MIN_REJECT_REASON} characters, so the sender "
                               "knows what to change.")
        if len(reason) > MAX_REJECT_REASON:
            raise InvalidInput(f"A reason can be at most {MAX_REJECT_REASON:,} characters (this one has "
                               f"{len(reason):,}); please shorten it.")

        detail: dict[str, Any] = {"reason": reason}

        def precheck(s: Session, item: Item) -> None:
            self._no_self_decision(item, actor)
            # a delegate's rejection is recorded on the away approver's behalf, as an acceptance is
            detail.pop("on_behalf_of", None)
            detail.update(delegation.behalf_detail(s, item, actor, self.clock()))

        def mutate(s: Session, item: Item) -> dict[str, Any]:
            return {"reject_reason": reason, "decided_at": self.clock(), "decided_by_id": actor.user_id}

        def decision(s: Session, item: Item) -> None:
            s.add(Decision(item_id=item.id, round=item.round, user_id=actor.user_id, decision="reject",
                           reason=reason))
        return self._apply(item_id, actor, Action.REJECT, precheck=precheck, mutate=mutate, then=decision,
                           request_id=request_id, detail=detail)

    def export(self, item_id: int, actor: Actor, *, workflow_complete: bool = False,
               request_id: str | None = None, then: Hook | None = None) -> Outcome:
        """Direct export (no acceptance), as the tenant's direct-exports setting allows."""
        def precheck(s: Session, item: Item) -> None:
            refusal = direct_export_refusal(tenant_settings(s, item.tenant_id).direct_exports, item.title,
                                            workflow_complete=workflow_complete)
            if refusal:
                raise PermissionDenied(refusal)

        def mutate(s: Session, item: Item) -> dict[str, Any]:
            return {"sender_id": actor.user_id, "decided_at": self.clock(), "decided_by_id": actor.user_id,
                    "last_error": None}
        return self._apply(item_id, actor, Action.EXPORT, precheck=precheck, mutate=mutate,
                           request_id=request_id, then=then)

    def retry(self, item_id: int, actor: Actor, *, request_id: str | None = None,
              then: Hook | None = None) -> Outcome:
        return self._apply(item_id, actor, Action.RETRY, mutate=lambda s, i: {"last_error": None},
                           request_id=request_id, then=then)

    def unlink(self, item_id: int, actor: Actor, *, then: Hook | None = None) -> Outcome:
        return self._apply(item_id, actor, Action.UNLINK, then=then)

    def archive(self, item_id: int, actor: Actor) -> Outcome:
        return self._apply(item_id, actor, Action.ARCHIVE,
                           mutate=lambda s, i: {"state_before_archive": i.state})

    def restore(self, item_id: int, actor: Actor) -> Outcome:
        return self._apply(item_id, actor, Action.RESTORE, mutate=lambda s, i: {"state_before_archive": None})

    def import_(self, item_id: int, actor: Actor, *, then: Hook | None = None) -> Outcome:
        return self._apply(item_id, actor, Action.IMPORT, then=then)

    # --- the system's actions (outbox worker, sync jobs) -------------------------------------------
    def mark_synced(self, item_id: int, actor: Actor, *, detail: dict[str, Any] | None = None) -> Outcome:
        return self._apply(item_id, actor, Action.MARK_SYNCED, mutate=lambda s, i: {"last_error": None},
                           detail=detail)

    def mark_failed(self, item_id: int, actor: Actor, error: str) -> Outcome:
        return self._apply(item_id, actor, Action.MARK_FAILED, mutate=lambda s, i: {"last_error": error},
                           detail={"error": error})

    def mark_paid(self, item_id: int, actor: Actor, *, detail: dict[str, Any] | None = None) -> Outcome:
        return self._apply(item_id, actor, Action.MARK_PAID, detail=detail)

    def reverse_payment(self, item_id: int, actor: Actor, *, detail: dict[str, Any] | None = None) -> Outcome:
        return self._apply(item_id, actor, Action.REVERSE_PAYMENT, detail=detail)

    def mark_remote_changed(self, item_id: int, actor: Actor) -> Outcome:
        return self._apply(item_id, actor, Action.MARK_REMOTE_CHANGED)

    # --- the one path every simple transition takes ------------------------------------------------
    def _apply(self, item_id: int, actor: Actor, action: Action, *,
               precheck: Callable[[Session, Item], None] | None = None,
               mutate: Callable[[Session, Item], dict[str, Any]] | None = None,
               then: Hook | None = None, request_id: str | None = None,
               detail: dict[str, Any] | None = None) -> Outcome:
        for _ in range(MAX_CAS_ATTEMPTS):
            with Session(self.engine, expire_on_commit=False) as s:
                item = self.transition_in(s, item_id, actor, action, precheck=precheck, mutate=mutate,
                                          request_id=request_id, detail=detail)
                if item is None:
                    continue
                if then:
                    then(s, item)
                try:
                    s.commit()
                except IntegrityError:  # a concurrent twin inserted the same unique row first
                    s.rollback()
                    continue
                return Outcome(item, action, True)
        raise self._lost_race(item_id, actor, action)

    def transition_in(self, s: Session, item_id: int, actor: Actor, action: Action, *,
                      precheck: Callable[[Session, Item], None] | None = None,
                      mutate: Callable[[Session, Item], dict[str, Any]] | None = None,
                      request_id: str | None = None, detail: dict[str, Any] | None = None,
                      refresh: bool = True) -> Item | None:
        """One move inside the caller's transaction (the outbox uses this to mark an item synced in the
        same commit as its own row). Returns the updated item, or None when a concurrent change won the
        compare-and-set (the session is rolled back; re-read and retry). Raises on an illegal move.
        `refresh=False`: the item is returned expired instead of re-read (a bulk export's completions only
        need to know the move happened: one round trip less per item)."""
        item = self._load(s, item_id, actor)
        self._authorize(item, actor, action)
        if precheck:
            precheck(s, item)
        try:
            new = next_state(item.state, action, restore_to=item.state_before_archive)
        except NoSuchTransition:
            raise self._explain(s, item, action) from None
        values = {"state": new.value, "version": item.version + 1, "updated_at": self.clock()}
        if mutate:
            values |= mutate(s, item)
        before = item.state
        if not self._cas(s, item, values):
            return None
        audit.record(s, tenant_id=item.tenant_id, actor=actor, action=action.value, item_id=item.id,
                     before=before, after=new.value, request_id=request_id, detail=detail)
        s.flush()
        if refresh:
            s.refresh(item)
        else:
            s.expire(item)
        return item

    # --- helpers -------------------------------------------------------------------------------------
    def _load(self, s: Session, item_id: int, actor: Actor) -> Item:
        item = by_key(s, Item, item_id)
        # another tenant's item is reported as missing, never as forbidden: ids must not leak
        if item is None or (actor.tenant_id is not None and item.tenant_id != actor.tenant_id):
            raise ItemNotFound(f"There is no item #{item_id} in this company's Ledgerlink.")
        return item

    @staticmethod
    def _authorize(item: Item, actor: Actor, action: Action) -> None:
        perm = perm_for(action, ItemType(item.type))
        if perm is None:
            if not actor.is_system:
                raise PermissionDenied(f"Only Ledgerlink itself can {action.value.replace('_', ' ')} an item.")
            return
        check(actor, perm)

    @staticmethod
    def _no_self_decision(item: Item, actor: Actor) -> None:
        if not actor.is_system and item.sender_id is not None and item.sender_id == actor.user_id:
            raise PermissionDenied(f"You sent {item.title}, so another approver must decide it "
                                   "(separation of duties).")

    @staticmethod
    def _cas(s: Session, item: Item, values: dict[str, Any]) -> bool:
        """Compare-and-set on the item's version; on success the item holds `values` as if read back. A Core
        UPDATE on the table: the ORM's bulk-update bookkeeping cost more than the write itself, on every click."""
        stmt = _CAS.get(frozenset(values))
        if stmt is None:  # one statement per set of columns, built once (a click's costs more to build than to run)
            stmt = _CAS.setdefault(frozenset(values), update(ITEMS).where(
                ITEMS.c.id == bindparam("cas_id"), ITEMS.c.version == bindparam("cas_version")).values(
                {key: bindparam(f"set_{key}") for key in values}))
        params = {"cas_id": item.id, "cas_version": item.version, **{f"set_{k}": v for k, v in values.items()}}
        if s.execute(stmt, params).rowcount == 1:
            for key, value in values.items():
                set_committed_value(item, key, value)
            return True
        s.rollback()
        return False

    @staticmethod
    def _decisions(s: Session, item: Item) -> list[tuple[int | None, str]]:
        return [(user, decision) for user, decision in s.exec(ROUND_DECISIONS,  # type: ignore[call-overload]
                                                              params={"item_id": item.id, "round": item.round})]

    @staticmethod
    def _approvals_needed(s: Session, item: Item) -> int:
        threshold: Decimal | None = tenant_settings(s, item.tenant_id).two_approver_threshold
        return 2 if threshold is not None and item.amount is not None and item.amount >= threshold else 1

    def _lost_race(self, item_id: int, actor: Actor, action: Action) -> IllegalTransition:
        with Session(self.engine) as s:
            return self._explain(s, self._load(s, item_id, actor), action)

    def _explain(self, s: Session, item: Item, action: Action) -> IllegalTransition:
        """A sentence for an action that can't happen now, naming who changed the item last and when."""
        last = audit.last_event(s, item.id)
        tenant = s.get(Tenant, item.tenant_id)
        state_label = STATE_LABELS[ItemState(item.state)]
        if last is None:
            return IllegalTransition(f"{item.title} is {state_label}, so it can't be {PAST[action.value]}.")
        when = _clock_time(last.created_at, tenant.timezone if tenant else "UTC")
        who_when = f"{PAST.get(last.action, last.action)} by {last.actor_label} at {when}"
        if action in DECISIONS and last.action in {"accept", "reject", "retrieve", "export"}:
            return AlreadyDecided(f"{item.title} was already {who_when}.")
        return IllegalTransition(f"{item.title} is {state_label} (last {who_when}), so it can't be "
                                 f"{PAST[action.value]}.")


def _clock_time(ts: datetime, tz: str) -> str:
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return ts.astimezone(zone).strftime("%H:%M")

"""Auto-send rules: which Procore status changes send an item for acceptance by themselves (pure).

An admin turns auto-send on per item type (off by default); the tenant's settings keep, per type, when it was
turned on. A change sends its item when all of these hold:
  - auto-send is on for the item's type;
  - the record moved *into* one of the type's trigger statuses (from another status, or it was just seen for the
    first time); moving between two trigger statuses (Approved → Approved as noted) is not a new approval;
  - the change happened after auto-send was turned on (give or take `CLOCK_SKEW`), so turning it on, or a
    first sync, never sends a backlog of old approvals;
  - the item is where a send can start (ready to export, or rejected — a re-approval after a rejection resends).
`decide` says yes or no with the reason, so the log and the tests can tell why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.domain.states import ItemState, ItemType

#: item type → the Procore statuses that trigger a send (as Procore spells them in each resource)
TRIGGERS: dict[ItemType, frozenset[str]] = {
    ItemType.SUB_INVOICE: frozenset({"approved", "approved_as_noted", "pending_owner_approval"}),
    ItemType.OWNER_INVOICE: frozenset({"approved"}),
    ItemType.COMMITMENT: frozenset({"Approved"}),  # the contract is executed: Procore's status becomes Approved
    ItemType.CCO: frozenset({"approved"}),
    ItemType.PCCO: frozenset({"approved"}),
    ItemType.COMPANY: frozenset({"created"}),  # a company added to the Procore directory (not from QuickBooks)
}
#: what the settings modal offers, in this order: the type, and when it is sent
CHOICES: tuple[tuple[ItemType, str, str], ...] = (
    (ItemType.SUB_INVOICE, "Subcontractor invoices", "when Approved, Approved as noted or Pending owner approval"),
    (ItemType.OWNER_INVOICE, "Owner invoices", "when Approved"),
    (ItemType.COMMITMENT, "Commitments", "when executed (Approved)"),
    (ItemType.CCO, "Commitment change orders", "when Approved"),
    (ItemType.PCCO, "Prime contract change orders", "when Approved"),
    (ItemType.COMPANY, "Companies", "when added to the Procore directory (not from QuickBooks)"),
)
SENDABLE_STATES = frozenset({ItemState.READY_TO_EXPORT, ItemState.REJECTED})
CLOCK_SKEW = timedelta(minutes=2)  # Procore's clock vs ours, and its whole-second timestamps


@dataclass(frozen=True)
class Verdict:
    send: bool
    reason: str

    def __bool__(self) -> bool:
        return self.send


def enabled_types(setting: Mapping[str, str] | None) -> dict[str, datetime]:
    """The stored setting ({type: ISO time turned on}) → {type: aware datetime}; unknown or bad entries are off."""
    out: dict[str, datetime] = {}
    for kind, since in (setting or {}).items():
        if kind not in TRIGGERS:
            continue
        try:
            when = datetime.fromisoformat(str(since))
        except ValueError:
            continue
        out[kind] = when if when.tzinfo else when.replace(tzinfo=UTC)
    return out


def with_types(setting: Mapping[str, str] | None, chosen: set[str], now: datetime) -> dict[str, str]:
    """The new setting when an admin picks `chosen`: types kept on keep their start, new ones start `now`."""
    current = dict(setting or {})
    return {kind.value: current.get(kind.value) or now.isoformat() for kind, *_ in CHOICES if kind.value in chosen}


def parse_time(value: str | None) -> datetime | None:
    """A Procore timestamp ('2024-05-01T12:00:00Z') → aware datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def decide(item_type: str, before: str | None, after: str | None, *, setting: Mapping[str, str] | None,
           changed_at: datetime | None, item_state: str | None = ItemState.READY_TO_EXPORT.value) -> Verdict:
    """Should this status change send the item? (`before` None: the record was not seen in that status yet.)"""
    try:
        kind = ItemType(item_type)
    except ValueError:
        return Verdict(False, f"{item_type} items are never sent automatically")
    triggers = TRIGGERS.get(kind)
    if triggers is None:
        return Verdict(False, f"{kind.label} items are never sent automatically")
    since = enabled_types(setting).get(kind.value)
    if since is None:
        return Verdict(False, f"auto-send is off for {kind.label}s")
    if after not in triggers:
        return Verdict(False, f"'{after}' does not trigger a send")
    if before in triggers:
        return Verdict(False, f"already '{before}' before (not a new approval)")
    if changed_at is not None and changed_at < since - CLOCK_SKEW:
        return Verdict(False, "changed before auto-send was turned on")
    if item_state is not None and item_state not in SENDABLE_STATES:
        return Verdict(False, f"the item is {item_state.replace('_', ' ')}")
    return Verdict(True, f"{before or 'new'} → {after}")

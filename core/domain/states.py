"""The item state machine of shared/docs/domain.md, as one transition table.

`next_state(state, action)` is pure. Who may act and the human error sentences live in
`permissions.py` and `workflow.py`; this module only knows which moves exist.
"""

from __future__ import annotations

from enum import StrEnum


class ItemType(StrEnum):
    COMPANY = "company"
    COST_CODE = "cost_code"
    PROJECT = "project"
    SUB_JOB = "sub_job"
    BUDGET = "budget"
    COMMITMENT = "commitment"
    CCO = "cco"  # commitment change order
    PCCO = "pcco"  # prime contract change order
    SUB_INVOICE = "sub_invoice"  # Procore requisition → QBO Bill
    OWNER_INVOICE = "owner_invoice"  # Procore payment application → QBO Invoice

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    ItemType.COMPANY: "company", ItemType.COST_CODE: "cost code", ItemType.PROJECT: "project",
    ItemType.SUB_JOB: "sub job", ItemType.BUDGET: "budget", ItemType.COMMITMENT: "commitment",
    ItemType.CCO: "commitment change order", ItemType.PCCO: "prime contract change order",
    ItemType.SUB_INVOICE: "subcontractor invoice", ItemType.OWNER_INVOICE: "owner invoice",
}


class ItemState(StrEnum):
    READY_TO_EXPORT = "ready_to_export"  # exportable, not sent (also: retrieved, unlinked)
    AWAITING_ACCEPTANCE = "awaiting_acceptance"  # sent; approvers decide (blue icon)
    REJECTED = "rejected"  # an approver said no, with a reason (yellow icon); sender edits and resends
    EXPORTING = "exporting"  # accepted; the outbox is writing it to QBO
    SYNCED = "synced"  # QBO has it (green icon)
    FAILED_TO_EXPORT = "failed_to_export"  # QBO refused or was unreachable; approvers may retry
    PAID = "paid"  # paid sync saw a BillPayment for it
    READY_TO_IMPORT = "ready_to_import"  # import side: QBO has it, Procore doesn't yet
    READY_TO_UPDATE = "ready_to_update"  # import side: QBO changed since the last import
    ARCHIVED = "archived"  # hidden from lists, kept, restorable (companies)


class Action(StrEnum):
    SEND = "send"
    RETRIEVE = "retrieve"
    ACCEPT = "accept"
    REJECT = "reject"
    RESEND = "resend"
    EXPORT = "export"  # direct export, when the direct-exports setting allows it
    MARK_SYNCED = "mark_synced"
    MARK_FAILED = "mark_failed"
    RETRY = "retry"
    UNLINK = "unlink"
    MARK_PAID = "mark_paid"
    REVERSE_PAYMENT = "reverse_payment"  # the QBO payment was deleted or voided
    IMPORT = "import"
    MARK_REMOTE_CHANGED = "mark_remote_changed"
    ARCHIVE = "archive"
    RESTORE = "restore"


S, A = ItemState, Action

# (from, action) → to. ACCEPT may also leave the state unchanged while a second approval is
# outstanding; the workflow decides that before consulting this table.
TRANSITIONS: dict[tuple[ItemState, Action], ItemState] = {
    (S.READY_TO_EXPORT, A.SEND): S.AWAITING_ACCEPTANCE,
    (S.READY_TO_EXPORT, A.EXPORT): S.EXPORTING,
    (S.AWAITING_ACCEPTANCE, A.RETRIEVE): S.READY_TO_EXPORT,
    (S.AWAITING_ACCEPTANCE, A.ACCEPT): S.EXPORTING,
    (S.AWAITING_ACCEPTANCE, A.REJECT): S.REJECTED,
    (S.REJECTED, A.RESEND): S.AWAITING_ACCEPTANCE,
    (S.REJECTED, A.EXPORT): S.EXPORTING,
    (S.EXPORTING, A.MARK_SYNCED): S.SYNCED,
    (S.EXPORTING, A.MARK_FAILED): S.FAILED_TO_EXPORT,
    (S.FAILED_TO_EXPORT, A.RETRY): S.EXPORTING,
    (S.SYNCED, A.UNLINK): S.READY_TO_EXPORT,
    (S.SYNCED, A.MARK_PAID): S.PAID,
    (S.PAID, A.REVERSE_PAYMENT): S.SYNCED,
    (S.READY_TO_IMPORT, A.IMPORT): S.SYNCED,
    (S.SYNCED, A.MARK_REMOTE_CHANGED): S.READY_TO_UPDATE,
    (S.READY_TO_UPDATE, A.IMPORT): S.SYNCED,
}
# archive from any resting state; restore goes back to the state saved at archive time
ARCHIVABLE = frozenset({S.READY_TO_EXPORT, S.REJECTED, S.SYNCED, S.READY_TO_IMPORT, S.READY_TO_UPDATE,
                        S.FAILED_TO_EXPORT})
for _state in ARCHIVABLE:
    TRANSITIONS[(_state, A.ARCHIVE)] = S.ARCHIVED

# Procore locks a record for edits while it is with accounting or once it is in QBO.
LOCKED_STATES = frozenset({S.AWAITING_ACCEPTANCE, S.EXPORTING, S.SYNCED, S.PAID})


class NoSuchTransition(Exception):
    """`action` is not possible from `state` (the workflow turns this into a sentence)."""

    def __init__(self, state: ItemState, action: Action) -> None:
        super().__init__(f"{action} is not possible from {state}")
        self.state, self.action = state, action


def next_state(state: str, action: str, *, restore_to: str | None = None) -> ItemState:
    """The state after `action`, or NoSuchTransition."""
    st, act = ItemState(state), Action(action)
    if act is A.RESTORE:
        if st is not S.ARCHIVED:
            raise NoSuchTransition(st, act)
        return ItemState(restore_to) if restore_to else S.READY_TO_EXPORT
    try:
        return TRANSITIONS[(st, act)]
    except KeyError:
        raise NoSuchTransition(st, act) from None


def allowed_actions(state: str) -> list[Action]:
    """Actions possible from `state`, in table order (for buttons and help text)."""
    st = ItemState(state)
    acts = [a for (s, a) in TRANSITIONS if s is st]
    if st is S.ARCHIVED:
        acts.append(A.RESTORE)
    return acts


STATE_LABELS: dict[ItemState, str] = {
    S.READY_TO_EXPORT: "ready to export", S.AWAITING_ACCEPTANCE: "awaiting acceptance",
    S.REJECTED: "rejected", S.EXPORTING: "exporting", S.SYNCED: "synced",
    S.FAILED_TO_EXPORT: "failed to export", S.PAID: "paid", S.READY_TO_IMPORT: "ready to import",
    S.READY_TO_UPDATE: "ready to update", S.ARCHIVED: "archived",
}

"""The state machine, table-driven: every (state, action) pair is either a listed move or refused."""

import pytest

from core.domain.states import Action, ItemState, NoSuchTransition, allowed_actions, next_state

S, A = ItemState, Action

# the expected table, written out by hand from shared/docs/domain.md (not derived from the code)
EXPECTED = {
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
    (S.READY_TO_UPDATE, A.IMPORT): S.SYNCED,
    (S.SYNCED, A.MARK_REMOTE_CHANGED): S.READY_TO_UPDATE,
    (S.READY_TO_EXPORT, A.ARCHIVE): S.ARCHIVED,
    (S.REJECTED, A.ARCHIVE): S.ARCHIVED,
    (S.SYNCED, A.ARCHIVE): S.ARCHIVED,
    (S.READY_TO_IMPORT, A.ARCHIVE): S.ARCHIVED,
    (S.READY_TO_UPDATE, A.ARCHIVE): S.ARCHIVED,
    (S.FAILED_TO_EXPORT, A.ARCHIVE): S.ARCHIVED,
    (S.ARCHIVED, A.RESTORE): S.READY_TO_EXPORT,
}

ALL_PAIRS = [(s, a) for s in ItemState for a in Action]


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_pair(state, action):
    expected = EXPECTED.get((state, action))
    if expected is None:
        with pytest.raises(NoSuchTransition):
            next_state(state, action)
    else:
        assert next_state(state, action) == expected


def test_restore_returns_to_the_state_before_archive():
    assert next_state("archived", "restore", restore_to="synced") == S.SYNCED


def test_in_flight_items_cannot_be_archived():
    for state in (S.AWAITING_ACCEPTANCE, S.EXPORTING, S.PAID):
        assert A.ARCHIVE not in allowed_actions(state)


def test_allowed_actions_for_awaiting():
    assert set(allowed_actions(S.AWAITING_ACCEPTANCE)) == {A.RETRIEVE, A.ACCEPT, A.REJECT}

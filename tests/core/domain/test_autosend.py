"""The auto-send rule, as a table: item type, status before → after, the setting, when it changed, item state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.autosend import CHOICES, TRIGGERS, decide, enabled_types, parse_time, with_types

ON_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LATER = ON_AT + timedelta(hours=3)
ALL_ON = {kind.value: ON_AT.isoformat() for kind in TRIGGERS}

CASES = [
    # type, before, after, setting, changed_at, item state, send?, reason contains
    ("sub_invoice", "under_review", "approved", ALL_ON, LATER, "ready_to_export", True, "under_review → approved"),
    ("sub_invoice", None, "approved", ALL_ON, LATER, "ready_to_export", True, "new → approved"),
    ("sub_invoice", "under_review", "approved_as_noted", ALL_ON, LATER, "ready_to_export", True, ""),
    ("sub_invoice", "under_review", "pending_owner_approval", ALL_ON, LATER, None, True, ""),
    ("sub_invoice", "approved", "approved_as_noted", ALL_ON, LATER, "ready_to_export", False, "already"),
    ("sub_invoice", "approved", "under_review", ALL_ON, LATER, "ready_to_export", False, "does not trigger"),
    ("sub_invoice", "revise_and_resubmit", "approved", ALL_ON, LATER, "rejected", True, ""),  # re-approval
    ("sub_invoice", "under_review", "approved", ALL_ON, LATER, "awaiting_acceptance", False, "awaiting acceptance"),
    ("sub_invoice", "under_review", "approved", ALL_ON, LATER, "synced", False, "synced"),
    ("sub_invoice", "under_review", "approved", None, LATER, "ready_to_export", False, "off"),
    ("sub_invoice", "under_review", "approved", {"owner_invoice": ON_AT.isoformat()}, LATER, "ready_to_export",
     False, "off for subcontractor invoices"),
    ("sub_invoice", "under_review", "approved", ALL_ON, ON_AT - timedelta(days=30), "ready_to_export", False,
     "before auto-send was turned on"),
    ("sub_invoice", "under_review", "approved", ALL_ON, ON_AT - timedelta(seconds=59), "ready_to_export", True,
     ""),  # Procore's whole-second timestamps and clock skew
    ("sub_invoice", "under_review", "approved", ALL_ON, None, "ready_to_export", True, ""),  # no timestamp: trust it
    ("owner_invoice", "under_review", "approved", ALL_ON, LATER, "ready_to_export", True, ""),
    ("owner_invoice", "draft", "under_review", ALL_ON, LATER, "ready_to_export", False, "does not trigger"),
    ("commitment", "Out For Signature", "Approved", ALL_ON, LATER, "ready_to_export", True, ""),
    ("commitment", None, "Complete", ALL_ON, LATER, "ready_to_export", False, "does not trigger"),
    ("cco", "pending", "approved", ALL_ON, LATER, "ready_to_export", True, ""),
    ("pcco", None, "approved", ALL_ON, LATER, "ready_to_export", True, ""),
    ("pcco", None, "Approved", ALL_ON, LATER, "ready_to_export", False, "does not trigger"),  # a prime contract
    ("company", None, "created", ALL_ON, LATER, None, True, "new → created"),
    ("cost_code", None, "created", ALL_ON, LATER, None, False, "never sent automatically"),
    ("budget", None, "approved", ALL_ON, LATER, None, False, "never sent automatically"),
    ("nonsense", None, "approved", ALL_ON, LATER, None, False, "never sent automatically"),
]


@pytest.mark.parametrize(("kind", "before", "after", "setting", "changed_at", "state", "send", "reason"), CASES)
def test_decide(kind, before, after, setting, changed_at, state, send, reason):
    verdict = decide(kind, before, after, setting=setting, changed_at=changed_at, item_state=state)
    assert bool(verdict) is send
    assert reason in verdict.reason


def test_the_setting_keeps_when_each_type_was_turned_on():
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    setting = with_types({"sub_invoice": ON_AT.isoformat()}, {"sub_invoice", "company"}, now)
    assert setting == {"sub_invoice": ON_AT.isoformat(), "company": now.isoformat()}
    assert with_types(setting, set(), now) == {}
    assert enabled_types({"sub_invoice": "garbage", "company": now.isoformat(), "budget": now.isoformat()}) == {
        "company": now}
    assert {kind for kind, *_ in CHOICES} == set(TRIGGERS)


def test_procore_timestamps():
    assert parse_time("2024-05-01T12:00:00Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_time(None) is None and parse_time("yesterday") is None

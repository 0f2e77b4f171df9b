"""A sync run's counters as people read them on App Home ("3 created, 12 bills watched"), not counter names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: what a job did (JobReport change actions), shown first
CHANGES = {"create": "created", "update": "updated", "link": "linked", "deactivate": "deactivated",
           "delete": "deleted", "remove": "removed", "mark_paid": "marked paid", "reverse": "payments reversed",
           "state": "state changes", "flag": "flagged", "waiting": "already queued", "skip": "skipped",
           "locked": "locked in Procore", "unsyncable": "can't be synced", "error": "errors"}
#: what it read or kept track of (JobReport.stats)
STATS = {"linked_projects": "linked projects", "enabled_projects": "projects syncing", "watched_bills": "bills watched",
         "invoices_seen": "invoices read", "pay_applications_seen": "owner invoices read",
         "payments_seen": "payments read", "transactions_seen": "QuickBooks transactions read",
         "procore_projects_read": "Procore projects read", "procore_vendors_read": "Procore companies read",
         "cost_types": "cost types", "standard_cost_codes": "standard cost codes",
         "items_create": "QuickBooks items to create", "items_keep": "QuickBooks items up to date",
         "items_rename": "QuickBooks items to rename", "items_update": "QuickBooks items to update",
         "items_reactivate": "QuickBooks items to reactivate", "items_deactivate": "QuickBooks items to deactivate",
         "items_skip": "budget lines not synced yet", "posts": "posts", "items": "items", "reminded": "reminders",
         "escalated": "escalations"}


def _label(key: str) -> str:
    if key in CHANGES:
        return CHANGES[key]
    if key in STATS:
        return STATS[key]
    for suffix, words in (("_records_read", "read"), ("_updated", "updated")):
        if key.endswith(suffix):
            return f"QuickBooks {key.removesuffix(suffix).replace('_', ' ')} records {words}"
    return key.replace("_", " ")


def stats_summary(stats: Mapping[str, Any] | None) -> str | None:
    """Non-zero counts with their labels, changes first; None when there is nothing to say."""
    counts = {k: v for k, v in (stats or {}).items() if isinstance(v, int) and not isinstance(v, bool) and v}
    order = list(CHANGES) + list(STATS)
    keys = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    return ", ".join(f"{counts[k]:,} {_label(k)}" for k in keys) or None

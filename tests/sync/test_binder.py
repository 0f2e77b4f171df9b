"""The binder's lookups: many Procore records' links in one query, as one lookup each would find them."""

from __future__ import annotations

from sqlmodel import Session

from sync import binder
from tests.support.factories import World


def test_to_externals_finds_what_to_external_finds_for_each(engine):
    ours, theirs = World(engine), World(engine, name="Other Co")
    with Session(engine) as s:
        binder.bind(s, ours.tenant.id, "cost_item", "7:1:2", "31")
        binder.bind(s, ours.tenant.id, "cost_item", "7:1:3", "32")
        binder.bind(s, ours.tenant.id, "project", "7:1:4", "33")  # another entity type
        binder.bind(s, theirs.tenant.id, "cost_item", "7:1:5", "34")  # another tenant
        s.commit()
        wanted = ["7:1:2", "7:1:3", "7:1:2", "7:1:4", "7:1:5", "none"]
        found = binder.to_externals(s, ours.tenant.id, "cost_item", wanted)
        assert {k: v.qbo_id for k, v in found.items()} == {"7:1:2": "31", "7:1:3": "32"}
        for key in wanted:
            one = binder.to_external(s, ours.tenant.id, "cost_item", key)
            assert (one.id if one else None) == (found[key].id if key in found else None), key
        assert binder.to_externals(s, ours.tenant.id, "cost_item", []) == {}

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


def test_qbo_ids_of_several_types_in_one_query_as_to_external_finds_each(engine):
    ours, theirs = World(engine), World(engine, name="Other Co")
    with Session(engine) as s:
        binder.bind(s, ours.tenant.id, "company", "11", "v1")
        binder.bind(s, ours.tenant.id, "project", "22", "c2")
        binder.bind(s, ours.tenant.id, "cost_item", "22:1:2", "i3")
        binder.bind(s, ours.tenant.id, "qbo_account_role", "retainage_payable", "a4")
        binder.bind(s, ours.tenant.id, "project", "11", "c5")  # the company's id under another type: not a company
        binder.bind(s, theirs.tenant.id, "cost_item", "22:1:3", "i6")  # another tenant's
        s.commit()
        wanted = {"company": [11, None], "project": ["22", "99"], "cost_item": ["22:1:2", "22:1:3"],
                  "qbo_account_role": ["retainage_payable"], "qbo_item_role": []}
        found = binder.qbo_ids_of(s, ours.tenant.id, wanted)
        assert found == {"company": {"11": "v1"}, "project": {"22": "c2"}, "cost_item": {"22:1:2": "i3"},
                         "qbo_account_role": {"retainage_payable": "a4"}, "qbo_item_role": {}}
        for kind, keys in wanted.items():
            for key in keys:
                if key is not None:
                    one = binder.to_external(s, ours.tenant.id, kind, key)
                    assert (one.qbo_id if one else None) == found[kind].get(str(key)), (kind, key)
        assert binder.qbo_ids_of(s, ours.tenant.id, {"company": [None]}) == {"company": {}}

"""The binder's lookups: many Procore records' links in one query, as one lookup each would find them."""

from __future__ import annotations

from sqlmodel import Session

from sync import binder
from tests.support.factories import World


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

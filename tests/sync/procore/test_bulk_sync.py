"""Bulk /sync: ≤ 1000 updates a call, partial failure surfaced per record (never swallowed)."""

from __future__ import annotations

import httpx

from sync.procore._parse import decode_json
from sync.procore.records import Project, Vendor
from tests.sync.procore.fakes import COMPANY, FakeProcore


def _vendor_sync(request: httpx.Request) -> httpx.Response:
    body = decode_json(request.content)
    entities, errors = [], []
    for n, update in enumerate(body["updates"]):
        if not update.get("name"):
            errors.append({"origin_id": update.get("origin_id"), "errors": {"name": ["can't be blank"]}})
        elif update.get("origin_id") == "dup":
            errors.append({"id": update.get("id"), "origin_id": "dup",
                           "errors": {"origin_id": ["has already been taken"]}})
        else:
            entities.append({"id": update.get("id") or 10_000 + n, "name": update["name"],
                             "origin_id": update.get("origin_id")})
    return httpx.Response(200, json={"entities": entities, "errors": errors})


def test_partial_failure_is_reported_per_record():
    fake = FakeProcore()
    fake.routes[("PATCH", "/rest/v1.0/vendors/sync")] = _vendor_sync
    updates = [{"origin_id": "1", "name": "ACME"}, {"origin_id": "2", "name": ""},
               {"id": 5, "origin_id": "dup", "name": "Dupe"}, {"origin_id": "4", "name": "Beta"}]

    result = fake.client().sync_vendors(updates)

    assert not result.ok and result.calls == 1
    assert [v.name for v in result.entities] == ["ACME", "Beta"] and all(isinstance(v, Vendor) for v in
                                                                            result.entities)
    blank, dup = result.failures
    assert (blank.id, blank.origin_id, blank.field_errors) == (None, "2", {"name": ["can't be blank"]})
    assert blank.update == {"origin_id": "2", "name": ""}
    assert blank.message == "origin_id '2': name can't be blank"
    assert (dup.id, dup.field_errors) == (5, {"origin_id": ["has already been taken"]})
    sent = decode_json(fake.requests[0].content)
    assert sent["company_id"] == COMPANY and len(sent["updates"]) == 4


def test_more_than_1000_updates_are_split_into_calls_of_1000():
    fake = FakeProcore()
    fake.routes[("PATCH", "/rest/v1.0/vendors/sync")] = _vendor_sync
    updates = [{"origin_id": str(n), "name": f"V{n}"} for n in range(2500)]

    result = fake.client().sync_vendors(updates)

    assert result.ok and result.calls == 3 and len(result.entities) == 2500
    assert [len(decode_json(r.content)["updates"]) for r in fake.requests] == [1000, 1000, 500]


def test_sync_projects_and_odd_error_shapes():
    fake = FakeProcore()
    fake.routes[("PATCH", "/rest/v1.0/projects/sync")] = lambda r: httpx.Response(200, json={
        "entities": [{"id": 1, "name": "Tower", "origin_id": "Q1"}, {"name": "no id"}],
        "errors": ["something odd", {"record": {"id": 3, "origin_id": "Q3"}, "errors": ["Locked"]}]})

    result = fake.client().sync_projects([{"origin_id": "Q1", "name": "Tower"}, {"id": 3, "origin_id": "Q3"}])

    assert [p.id for p in result.entities] == [1] and isinstance(result.entities[0], Project)
    messages = [f.message for f in result.failures]
    assert len(messages) == 3
    assert "missing required field 'id'" in messages[0]
    assert "something odd" in messages[1]
    assert result.failures[2].id == 3 and result.failures[2].field_errors == {"base": ["Locked"]}
    assert result.failures[2].update == {"id": 3, "origin_id": "Q3"}

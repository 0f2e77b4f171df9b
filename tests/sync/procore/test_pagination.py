"""Lists follow Link rel="next" lazily, page by page."""

from __future__ import annotations

import httpx
import pytest

from sync.procore.errors import ProcoreError
from sync.procore.records import Vendor
from tests.sync.procore.fakes import COMPANY, FakeProcore


def test_follows_link_across_1050_records_in_pages_of_100():
    fake = FakeProcore(vendors=1050)
    listing = fake.client().list_vendors()

    vendors = list(listing)

    assert [v.id for v in vendors] == list(range(1, 1051))
    assert all(isinstance(v, Vendor) for v in vendors)
    assert listing.pages_fetched == 11 and len(fake.requests) == 11
    assert listing.total == 1050
    first = fake.requests[0]
    assert first.url.params["page"] == "1" and first.url.params["per_page"] == "100"
    assert first.url.params["company_id"] == str(COMPANY)
    assert all(r.headers["Procore-Company-Id"] == str(COMPANY) for r in fake.requests)
    assert [r.url.params["page"] for r in fake.requests] == [str(n) for n in range(1, 12)]


def test_streams_one_page_at_a_time():
    fake = FakeProcore(vendors=1050)
    listing = fake.client().list_vendors()
    assert fake.requests == []  # nothing until iterated

    it = iter(listing)
    taken = [next(it) for _ in range(100)]
    assert len(taken) == 100 and len(fake.requests) == 1
    next(it)
    assert len(fake.requests) == 2


def test_per_page_is_configurable_per_client_and_per_call():
    fake = FakeProcore(vendors=250)
    assert len(list(fake.client(per_page=50).list_vendors())) == 250
    assert len(fake.requests) == 5
    fake.requests.clear()
    assert len(list(fake.client().list_vendors(per_page=1000))) == 250
    assert len(fake.requests) == 1 and fake.requests[0].url.params["per_page"] == "1000"
    with pytest.raises(ValueError):
        fake.client().list_vendors(per_page=0)


def test_empty_list_is_one_request():
    fake = FakeProcore(vendors=0)
    assert list(fake.client().list_vendors()) == []
    assert len(fake.requests) == 1


def test_refuses_a_next_link_to_another_host():
    fake = FakeProcore()
    fake.script.append(httpx.Response(200, json=[{"id": 1, "name": "A"}],
                                      headers={"Link": '<https://evil.test/rest/v1.0/vendors?page=2>; rel="next"'}))
    with pytest.raises(ProcoreError, match="another host"):
        list(fake.client().list_vendors())


def test_a_repeating_next_link_stops_instead_of_looping():
    fake = FakeProcore()
    loop = httpx.Response(200, json=[{"id": 1, "name": "A"}],
                          headers={"Link": '</rest/v1.0/vendors?page=2&per_page=100>; rel="next"'})
    fake.script.extend([loop, loop, loop])
    with pytest.raises(ProcoreError, match="repeats"):
        list(fake.client().list_vendors())


def test_raw_and_pages_views():
    fake = FakeProcore(vendors=150)
    listing = fake.client().list_vendors()
    assert [len(p) for p in listing.pages()] == [100, 50]
    assert next(listing.raw())["name"] == "Vendor 1"
    assert listing.first().id == 1


def test_for_company_sends_the_other_company_header_on_the_same_pool():
    fake = FakeProcore(vendors=3)
    client = fake.client()
    other = client.for_company(5000)
    assert [v.id for v in other.list_vendors()] == [1, 2, 3]
    assert fake.requests[-1].headers["Procore-Company-Id"] == "5000"
    assert fake.requests[-1].url.params["company_id"] == "5000"
    assert other._http is client._http and other.tokens is client.tokens and other.retry is client.retry
    assert other.limiter is not client.limiter  # limits are per company

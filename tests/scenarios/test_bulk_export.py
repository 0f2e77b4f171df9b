"""Bulk export at QBO's limit under a storm: 300 accepted sub invoices become exactly 300 Bills while the sandbox
answers a quarter of requests with 429 (plus some 500s and answers lost after commit). The same code as
`bench/bulk_export.py --storm`, which runs the 3,000-Bill version (`make bench`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import sandbox.qbo
from bench.bulk_export import Sandbox, storm_export
from tests.support.servers import running_wsgi


@pytest.fixture(scope="module")
def stormy_qbo():
    """A QBO sandbox of our own: its limits and faults are global switches the shared one must not get."""
    with running_wsgi(sandbox.qbo.create_app()) as url:
        yield Sandbox(url)


def test_300_bills_under_a_429_storm_exactly_once(engine, stormy_qbo):
    got = storm_export(stormy_qbo, engine, bills=300, rate=0.25, time_scale=120, threads=2, seed=11)
    assert got["created"] == 300 and got["distinct"] == 300  # exactly one Bill per invoice
    assert got["links"] == 300 and got["states"] == {"synced": 300} and got["rows"] == {"done": 300}
    assert got["statuses"].get("429", 0) >= 3  # it was a storm
    batches = got["paths"].get("POST /batch", 0)
    assert 10 <= batches <= 10 + got["statuses"].get("429", 0) + got["statuses"].get("500", 0) + 10
    assert got["paths"].get("POST /bill", 0) == 0  # every Bill went through /batch
    # the Bills hold what the items say (spot check)
    [bill] = got["tenantry"].qbo.query(q="select * from Bill where DocNumber = 'BS-000007'")["Bill"]
    assert bill["TotalAmt"] == Decimal("9233.10")  # 10,259.00 billed less 1,025.90 retainage
    assert [x["Amount"] for x in bill["Line"]] == [Decimal("10259.00"), Decimal("-1025.90")]

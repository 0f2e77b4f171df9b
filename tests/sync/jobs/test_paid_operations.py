"""The paid-sync and job-cost outbox operations' error handling, with a fake Procore client (no sandbox)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from sqlmodel import Session

from core.models import OutboxEntry
from sync.context import TenantContext
from sync.outbox import PermanentError, RetryableError, enqueue
from sync.procore.errors import ProcoreNotFound, ProcoreServerError, ProcoreValidationError
from sync.writes.direct_costs import DeleteDirectCost, PutDirectCost
from sync.writes.payments import CREATE, CreateContractPayment, DeleteContractPayment
from tests.support.factories import World

APP = {"bill_payment_id": "301", "bill_id": "101", "amount": "10.00", "date": "2026-03-14", "sync_token": "0",
       "reference": "1042", "pay_type": "Check"}


def _error(cls, status, text="no"):
    response = httpx.Response(status, request=httpx.Request("POST", "https://api.procore.test/rest/v1.0/x"))
    return cls(text, response=response)


class FakeProcore:
    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.calls: list[str] = []

    def __getattr__(self, name):
        def call(**kwargs):
            self.calls.append(name)
            if self.fail is not None:
                raise self.fail
            if name.startswith("list_"):
                return []
            return SimpleNamespace(id=77, amount=kwargs.get("amount"), payment_date=None, commitment_id=5)
        return call


def _ctx(engine, tenant_id, procore):
    return TenantContext(engine=engine, tenant_id=tenant_id, procore_client=procore)


def _entry(tenant_id, payload, attempts=1):
    return OutboxEntry(tenant_id=tenant_id, target="procore", operation=CREATE, payload=payload, requestid="r",
                       attempts=attempts)


@pytest.mark.parametrize(("fail", "raised", "words"), [
    (_error(ProcoreValidationError, 422, "amount is not a number"), PermanentError, "Could not record the payment"),
    (_error(ProcoreServerError, 503), RetryableError, "record the payment in Procore"),
])
def test_create_payment_errors_become_outbox_errors(engine, fail, raised, words):
    w = World(engine)
    op = CreateContractPayment(lambda _t: _ctx(engine, w.tenant.id, FakeProcore(fail)))
    payload = {"key": "301:101", "project_id": 1, "requisition_id": 2, "commitment_id": 5, "application": APP}
    with pytest.raises(raised, match=words):
        op.execute(_entry(w.tenant.id, payload))


def test_a_malformed_payload_is_refused_not_crashed(engine):
    w = World(engine)
    op = CreateContractPayment(lambda _t: _ctx(engine, w.tenant.id, FakeProcore()))
    with pytest.raises(PermanentError, match="queued request is incomplete"):
        op.execute(_entry(w.tenant.id, {"key": "301:101", "project_id": None, "application": APP}))


def test_delete_waits_for_a_queued_create_and_skips_a_failed_one(engine):
    w = World(engine)
    procore = FakeProcore()
    op = DeleteContractPayment(lambda _t: _ctx(engine, w.tenant.id, procore))
    with Session(engine) as s:
        create = enqueue(s, tenant_id=w.tenant.id, operation=CREATE, target="procore", record="payment:301:101",
                         version="0", payload={})
        s.commit()
        requestid = create.requestid
    payload = {"key": "301:101", "project_id": 1, "procore_payment_id": None, "create_requestid": requestid}
    with pytest.raises(RetryableError, match="still on its way"):
        op.execute(_entry(w.tenant.id, payload))
    with Session(engine) as s:
        row = s.get(OutboxEntry, create.id)
        row.status = "failed"
        s.add(row)
        s.commit()
    assert op.execute(_entry(w.tenant.id, payload)).remote_id == "" and procore.calls == []
    with Session(engine) as s:
        row = s.get(OutboxEntry, create.id)
        row.status, row.remote_id = "done", "77"
        s.add(row)
        s.commit()
    assert op.execute(_entry(w.tenant.id, payload)).remote_id == "77"
    assert procore.calls == ["delete_contract_payment"]


def test_deleting_what_is_already_gone_counts_as_done(engine):
    w = World(engine)
    gone = FakeProcore(_error(ProcoreNotFound, 404))
    payment = DeleteContractPayment(lambda _t: _ctx(engine, w.tenant.id, gone))
    assert payment.execute(_entry(w.tenant.id, {"key": "1:2", "project_id": 1, "procore_payment_id": "9"})) \
        .remote_id == "9"
    cost = DeleteDirectCost(lambda _t: _ctx(engine, w.tenant.id, FakeProcore()))
    result = cost.execute(_entry(w.tenant.id, {"key": "Bill:1:5", "project_id": 5}))  # no link: looked up
    assert result.remote_id == ""  # the fake finds nothing by origin_id: nothing to remove


def test_put_direct_cost_refuses_what_procore_rejects(engine):
    w = World(engine)
    op = PutDirectCost(lambda _t: _ctx(engine, w.tenant.id, FakeProcore(
        _error(ProcoreValidationError, 422, "line_items.cost_code must exist"))))
    payload = {"key": "Bill:1:5", "project_id": 5, "sync_token": "0",
               "fields": {"direct_cost_type": "invoice", "direct_cost_date": "2026-02-03", "invoice_number": "X",
                          "line_items": [{"amount": "1.00", "cost_code_id": 1, "line_item_type_id": 2}]}}
    with pytest.raises(PermanentError, match="Could not write the direct cost to Procore"):
        op.execute(_entry(w.tenant.id, payload))

"""Hooks and triggers; deliveries carry the shared secret, retry after failures and keep their ulid."""

from __future__ import annotations

import threading
from collections import deque

import pytest
from flask import Flask, request

from tests.sandbox.procore.conftest import COMPANY
from tests.support.servers import running_wsgi

SECRET = "Bearer s3cret-shared-with-ledgerlink"


class Receiver:
    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.statuses: deque[int] = deque()
        self.lock = threading.Lock()
        self.app = Flask("receiver")
        self.app.add_url_rule("/webhooks/procore", view_func=self.receive, methods=["POST"])

    def receive(self):
        with self.lock:
            self.calls.append({"headers": dict(request.headers), "body": request.get_json()})
            status = self.statuses.popleft() if self.statuses else 200
        return "", status


@pytest.fixture(scope="module")
def _receiver_server():
    rec = Receiver()
    with running_wsgi(rec.app) as url:
        rec.url = f"{url}/webhooks/procore"
        yield rec


@pytest.fixture
def receiver(_receiver_server):
    _receiver_server.calls.clear()
    _receiver_server.statuses.clear()
    return _receiver_server


def _hook(sandbox, api, receiver, resource="Requisitions", events=("update",), **scope):
    scope = scope or {"company_id": COMPANY}
    hook = api.post("/webhooks/hooks", json={**scope, "hook": {
        "api_version": "v2", "namespace": "ledgerlink", "destination_url": receiver.url,
        "destination_headers": {"Authorization": SECRET}}})
    assert hook.status_code == 201, hook.text
    for event in events:
        trigger = api.post(f"/webhooks/hooks/{hook.json()['id']}/triggers", json={
            **scope, "api_version": "v2", "trigger": {"resource_name": resource, "event_type": event}})
        assert trigger.status_code == 201, trigger.text
    return hook.json()


def _deliveries(sandbox) -> list[dict]:
    return sandbox.admin.get("/webhook-deliveries", params={"wait": 10}).json()


def test_admin_status_change_is_delivered_with_the_secret_and_retried(sandbox, receiver):
    api = sandbox.api()
    hook = _hook(sandbox, api, receiver)
    assert hook["owned_by_company_id"] == COMPANY and hook["destination_headers"] == {"Authorization": SECRET}
    req = next(r for r in sandbox.records("requisitions") if r["status"] == "under_review")
    receiver.statuses.extend([500, 503])
    dana = next(u for u in sandbox.records("users") if u["email_address"] == "dana@summitbuilders.com")

    patched = sandbox.admin.patch(f"/records/requisitions/{req['id']}", params={"user_id": dana["id"]},
                                  json={"status": "approved"})
    assert patched.status_code == 200 and patched.json()["status"] == "approved"

    [delivery] = _deliveries(sandbox)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [h["response_status"] for h in delivery["history"]] == [500, 503, 200]
    assert len(receiver.calls) == 3
    bodies = [call["body"] for call in receiver.calls]
    assert all(call["headers"]["Authorization"] == SECRET for call in receiver.calls)
    assert len({b["ulid"] for b in bodies}) == 1 and len({b["id"] for b in bodies}) == 1
    body = bodies[0]
    assert len(body["ulid"]) == 26
    assert {k: body[k] for k in ("company_id", "project_id", "resource_name", "resource_id", "event_type",
                                 "user_id", "api_version")} == {
        "company_id": COMPANY, "project_id": req["project_id"], "resource_name": "Requisitions",
        "resource_id": req["id"], "event_type": "update", "user_id": dana["id"], "api_version": "v2"}
    assert body["timestamp"].endswith("Z") and body["metadata"]["source_user_id"] == dana["id"]
    # the record now reads as a Procore user left it
    shown = api.get(f"/requisitions/{req['id']}", params={"project_id": req["project_id"]}).json()
    assert shown["status"] == "approved"
    # Procore's own deliveries endpoint lists each attempt
    attempts = api.get(f"/webhooks/hooks/{hook['id']}/deliveries", params={"company_id": COMPANY}).json()
    assert [a["outcome"] for a in attempts] == ["ok", "retried", "retried"]


def test_delivery_is_discarded_after_the_last_retry(sandbox, receiver):
    sandbox.config(webhooks={"max_attempts": 2, "retry_delays": [0.01]})
    api = sandbox.api()
    _hook(sandbox, api, receiver, resource="Company Vendors", events=("create",))
    receiver.statuses.extend([500, 500, 500])
    api.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": "Unlucky Paving"}})
    [delivery] = _deliveries(sandbox)
    assert delivery["status"] == "discarded" and delivery["attempts"] == 2


def test_api_changes_fire_only_matching_triggers_and_duplicates_share_the_ulid(sandbox, receiver):
    sandbox.config(webhooks={"duplicate": True})
    api = sandbox.api()
    project = sandbox.project()
    _hook(sandbox, api, receiver, resource="Contract Payments", events=("create",), project_id=project["id"])
    other_project = sandbox.project(index=1)
    contracts = {r["project_id"]: r for r in sandbox.records("work_order_contracts")}
    for pid in (project["id"], other_project["id"]):
        created = api.post("/contract_payments", json={"project_id": pid, "contract_id": contracts[pid]["id"],
                                                       "contract_payment": {"date": "2024-06-01", "amount": "10.00"}})
        assert created.status_code == 201
    api.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": "Not Watched Inc."}})
    deliveries = _deliveries(sandbox)
    assert len(deliveries) == 2 and [d["duplicate"] for d in deliveries] == [False, True]
    assert len({d["ulid"] for d in deliveries}) == 1
    bodies = [c["body"] for c in receiver.calls]
    assert {b["resource_name"] for b in bodies} == {"Contract Payments"}
    assert {b["project_id"] for b in bodies} == {project["id"]}
    token_user = sandbox.records("oauth_tokens")[-1]["user_id"]
    assert bodies[0]["user_id"] == token_user and bodies[0]["event_type"] == "create"


def test_v4_payload_format(sandbox, receiver):
    api = sandbox.api()
    hook = api.post("/webhooks/hooks", json={"company_id": COMPANY, "hook": {
        "api_version": "v4.0", "namespace": "ledgerlink", "destination_url": receiver.url}}).json()
    api.post(f"/webhooks/hooks/{hook['id']}/triggers", json={"company_id": COMPANY, "api_version": "v4.0",
                                                            "trigger": {"resource_name": "Projects",
                                                                        "event_type": "create"}})
    created = api.post("/projects", json={"company_id": COMPANY, "project": {"name": "V4 Project"}}).json()
    _deliveries(sandbox)
    body = receiver.calls[0]["body"]
    assert body["reason"] == "create" and body["resource_type"] == "Projects"
    assert body["resource_id"] == str(created["id"]) and body["company_id"] == str(COMPANY)
    assert body["project_id"] is None and len(body["id"]) == 26


def test_hook_and_trigger_crud_and_validation(sandbox, receiver):
    api = sandbox.api()
    bad = api.post("/webhooks/hooks", json={"company_id": COMPANY, "hook": {"destination_url": "ftp://x",
                                                                            "namespace": "Bad Name"}})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"destination_url", "namespace"}
    hook = _hook(sandbox, api, receiver, events=("create", "update"))
    triggers = api.get(f"/webhooks/hooks/{hook['id']}/triggers", params={"company_id": COMPANY}).json()
    assert [(t["resource_name"], t["event_type"]) for t in triggers] == [("Requisitions", "create"),
                                                                         ("Requisitions", "update")]
    assert set(triggers[0]) == {"id", "webhook_hook_id", "resource_name", "resource_id", "event_type",
                                "company_id", "project_id", "user_id"}
    bad_event = api.post(f"/webhooks/hooks/{hook['id']}/triggers", json={
        "company_id": COMPANY, "api_version": "v2", "trigger": {"resource_name": "Requisitions",
                                                                "event_type": "explode"}})
    assert bad_event.status_code == 422
    assert api.delete(f"/webhooks/hooks/{hook['id']}/triggers/{triggers[0]['id']}",
                      params={"company_id": COMPANY}).status_code == 200
    renamed = api.patch(f"/webhooks/hooks/{hook['id']}", json={"company_id": COMPANY, "hook": {
        "destination_headers": {"Authorization": "Bearer rotated"}}})
    assert renamed.json()["destination_headers"] == {"Authorization": "Bearer rotated"}
    listed = api.get("/webhooks/hooks", params={"company_id": COMPANY, "namespace": "ledgerlink"}).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert api.get(f"/webhooks/hooks/{hook['id']}", params={"project_id": sandbox.project()["id"]}).status_code == 404
    assert api.delete(f"/webhooks/hooks/{hook['id']}", params={"company_id": COMPANY}).status_code == 200
    assert api.get("/webhooks/hooks", params={"company_id": COMPANY}).json() == []


def test_duplicate_can_deliver_an_event_n_times(sandbox, receiver):
    sandbox.config(webhooks={"duplicate": 3})
    api = sandbox.api()
    _hook(sandbox, api, receiver, resource="Company Vendors", events=("create",))
    api.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": "Thrice Told Paving"}})
    deliveries = _deliveries(sandbox)
    assert len(deliveries) == 3 and [d["duplicate"] for d in deliveries] == [False, True, True]
    assert len({d["ulid"] for d in deliveries}) == 1 and len(receiver.calls) == 3

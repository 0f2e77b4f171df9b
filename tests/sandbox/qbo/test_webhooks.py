"""Signed change notifications."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from flask import Flask, request

from sandbox.qbo.webhooks import sign
from tests.support.servers import running_wsgi


def test_signature_test_vector():
    assert sign("verify_me", b'{"stuff":"5"}') == "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="


def receiver(fail_first: int):
    app = Flask("receiver")
    app.received = []
    state = {"left": fail_first}

    @app.post("/webhooks/qbo")
    def hook():
        if state["left"] > 0:
            state["left"] -= 1
            return "busy", 503
        app.received.append((request.get_data(), dict(request.headers)))
        return "", 200

    return app


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_changes_are_posted_signed_and_retried(qbo):
    app = receiver(fail_first=1)
    with running_wsgi(app) as target:
        qbo.admin("/config", {"webhook_url": f"{target}/webhooks/qbo", "webhook_verifier": "verify_me"})
        try:
            vendor = qbo.create("Vendor", {"DisplayName": "Hooked"})
            wait_for(lambda: app.received)
        finally:
            qbo.admin("/config", {"webhook_url": "", "webhook_verifier": ""})
    assert app.received, "no notification arrived"
    body, headers = app.received[0]
    expected = base64.b64encode(hmac.new(b"verify_me", body, hashlib.sha256).digest()).decode()
    assert headers["Intuit-Signature"] == expected
    note = json.loads(body)["eventNotifications"][0]
    assert note["realmId"] == qbo.realm
    entity = note["dataChangeEvent"]["entities"][0]
    assert entity["name"] == "Vendor" and entity["id"] == vendor["Id"] and entity["operation"] == "Create"
    assert entity["lastUpdated"].endswith("Z")
    deliveries = qbo.http.get(f"{qbo.base}/_sandbox/webhooks").json()["deliveries"]
    assert [d["status"] for d in deliveries[-2:]] == [503, 200]

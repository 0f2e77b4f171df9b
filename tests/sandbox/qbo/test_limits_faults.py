"""Gateway auth envelopes, Intuit's throttles (switchable) and injected faults."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.sandbox.qbo.conftest import fault_of

NO_FAULTS = {"429": 0, "500": 0, "503": 0, "slow": 0, "drop_after_commit": 0}


def assert_gateway_401(response: httpx.Response, detail_start: str) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    body = response.json()
    error = body["fault"]["error"][0]
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error["code"] == "3200" and error["element"] is None and error["detail"].startswith(detail_start)
    assert body["fault"]["type"] == "AUTHENTICATION" and isinstance(body["time"], int)
    assert "Fault" not in body


def test_401_for_missing_bad_and_expired_tokens(qbo):
    assert_gateway_401(qbo.http.get(qbo.api_base + "/vendor/42"), "Token invalid")
    assert_gateway_401(qbo.http.get(qbo.api_base + "/vendor/42", headers={"Authorization": "Bearer nope"}),
                       "Token invalid")
    assert qbo.get("/vendor/42").status_code == 200
    qbo.admin("/clock", {"advance_seconds": 3601})
    assert_gateway_401(qbo.get("/vendor/42"), "Token expired")


def test_token_of_another_company_is_403(qbo):
    other = qbo.admin("/realms")["realm_id"]
    response = qbo.http.get(f"{qbo.base}/v3/company/{other}/vendor/42", headers=qbo.headers())
    assert response.status_code == 403 and response.json()["fault"]["error"][0]["code"] == "3100"


def test_rate_limit_500_per_minute(qbo):
    qbo.admin("/config", {"limits": True})
    statuses = [qbo.get("/companyinfo/" + qbo.realm).status_code for _ in range(501)]
    assert statuses[:500] == [200] * 500 and statuses[500] == 429
    throttled = qbo.get("/vendor/42")
    error = fault_of(throttled)
    assert error["code"] == "3001" and "ThrottleExceeded" in error["Message"] and "errorCode=003001" in error["Message"]
    assert qbo.requests()["by_status"]["429"] == 2
    qbo.admin("/config", {"time_scale": 600})  # a "minute" is now 0.1 s
    threading.Event().wait(0.15)
    assert qbo.get("/vendor/42").status_code == 200


def test_batch_limit_and_item_metering(qbo):
    item = {"bId": "q", "Query": "select count(*) from Vendor"}
    qbo.admin("/config", {"limits": True})
    codes = [qbo.post("/batch", {"BatchItemRequest": [item]}).status_code for _ in range(41)]
    assert codes[:40] == [200] * 40 and codes[40] == 429
    qbo.admin("/config", {"reset_windows": True, "batch_item_metering": True})
    full = {"BatchItemRequest": [dict(item, bId=str(n)) for n in range(30)]}
    codes = [qbo.post("/batch", full).status_code for _ in range(17)]
    assert codes[:16] == [200] * 16 and codes[16] == 429  # 16 x 30 = 480 items; 30 more would pass 500


def test_ten_concurrent_requests(qbo):
    qbo.admin("/config", {"limits": True, "fault_rates": {**NO_FAULTS, "slow": 1.0}, "slow_seconds": 0.6})
    results: list[int] = []

    def call() -> None:
        with httpx.Client(timeout=10) as client:
            results.append(client.get(qbo.api_base + "/vendor/42", headers=qbo.headers()).status_code)

    threads = [threading.Thread(target=call) for _ in range(14)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(200) == 10 and results.count(429) == 4


@pytest.mark.parametrize("kind,status", [("429", 429), ("500", 500), ("503", 503)])
def test_injected_faults(qbo, kind, status):
    qbo.admin("/config", {"fault_rates": {**NO_FAULTS, kind: 1.0}})
    response = qbo.post("/vendor", {"DisplayName": f"Fault {kind}"})
    assert response.status_code == status
    if status != 503:
        assert "Fault" in response.json()
    assert qbo.http.get(f"{qbo.base}/_sandbox/requests").status_code == 200  # admin calls are never faulted
    qbo.admin("/config", {"fault_rates": NO_FAULTS})
    assert qbo.rows(f"select * from Vendor where DisplayName = 'Fault {kind}'", "Vendor") == []


def test_drop_after_commit_then_requestid_replay(qbo):
    qbo.admin("/config", {"fault_rates": {**NO_FAULTS, "drop_after_commit": 1.0}})
    with pytest.raises(httpx.TransportError):
        qbo.post("/vendor", {"DisplayName": "Dropped Reply"}, params={"requestid": "outbox-9"})
    qbo.admin("/config", {"fault_rates": NO_FAULTS})
    retry = qbo.post("/vendor", {"DisplayName": "Dropped Reply"}, params={"requestid": "outbox-9"})
    assert retry.status_code == 200
    assert len(qbo.rows("select * from Vendor where DisplayName = 'Dropped Reply'", "Vendor")) == 1
    without = qbo.post("/vendor", {"DisplayName": "Dropped Reply"})
    assert fault_of(without)["code"] == "6240"  # a blind retry without requestid collides


def test_request_counts(qbo):
    qbo.admin("/requests/reset", {"realm_id": qbo.realm})
    qbo.create("Vendor", {"DisplayName": "Counted"})
    qbo.query("select * from Vendor")
    qbo.get("/vendor/42")
    seen = qbo.requests()
    assert seen["total"] == 3
    assert seen["by_entity"] == {"Vendor": 3}
    assert seen["by_operation"] == {"create": 1, "query": 1, "read": 1}
    assert seen["by_path"] == {"POST /vendor": 1, "GET /query": 1, "GET /vendor": 1}

"""files_upload_v2 end to end, rate limiting with Retry-After, and fault injection."""

from __future__ import annotations

import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.sandbox.slack.conftest import BOT_TOKEN, channel_id


def test_files_upload_v2_round_trip(client, sandbox, admin):
    content = b"%PDF-1.4 owner invoice summary"
    resp = client.files_upload_v2(channel=channel_id(sandbox, "accounting"), filename="summary.pdf",
                                  title="Owner invoice summary", content=content, initial_comment="Attached")
    file = resp["file"]
    assert file["id"].startswith("F") and file["name"] == "summary.pdf" and file["size"] == len(content)
    assert file["title"] == "Owner invoice summary" and file["mimetype"] == "application/pdf"
    shared = admin.get("/_sandbox/messages", params={"channel": "#accounting"}).json()["messages"][-1]
    assert shared["text"] == "Attached" and shared["files"][0]["id"] == file["id"]
    download = httpx.get(file["url_private"], headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    assert download.content == content
    calls = [c["method"] for c in admin.get("/_sandbox/calls").json()["calls"]]
    assert calls == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_complete_upload_needs_the_bytes_first(client):
    url = client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as info:
        client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "a"}], channel_id="C0NOPE")
    assert info.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as info:
        client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "a"}])
    assert info.value.response["error"] == "file_not_found"


def test_ratelimited_with_retry_after_and_the_retry_handler_recovers(base_url, admin):
    admin.post("/_sandbox/config", json={"faults": [
        {"method": "chat.postMessage", "kind": "ratelimited", "times": 1, "retry_after": 1}]}).raise_for_status()
    raw = httpx.post(f"{base_url}/api/chat.postMessage", json={"channel": "#general", "text": "x"},
                     headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    assert raw.status_code == 429
    assert raw.headers["Retry-After"] == "1"
    assert raw.json() == {"ok": False, "error": "ratelimited"}

    admin.post("/_sandbox/config", json={"faults": [
        {"method": "chat.postMessage", "kind": "ratelimited", "times": 1, "retry_after": 1}]}).raise_for_status()
    plain = WebClient(token=BOT_TOKEN, base_url=f"{base_url}/api/")
    with pytest.raises(SlackApiError) as info:
        plain.chat_postMessage(channel="#general", text="x")
    assert info.value.response.status_code == 429 and info.value.response["error"] == "ratelimited"

    admin.post("/_sandbox/config", json={"faults": [
        {"method": "chat.postMessage", "kind": "ratelimited", "times": 1, "retry_after": 1}]}).raise_for_status()
    patient = WebClient(token=BOT_TOKEN, base_url=f"{base_url}/api/",
                        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    started = time.monotonic()
    assert patient.chat_postMessage(channel="#general", text="after a pause")["ok"] is True
    assert time.monotonic() - started >= 0.9


def test_real_rate_limits_per_minute(base_url, admin, client):
    admin.post("/_sandbox/config", json={"rate_limits": {"users.info": 2}}).raise_for_status()
    user = client.users_lookupByEmail(email="sam@summitbuilders.example")["user"]["id"]
    client.users_info(user=user)
    client.users_info(user=user)
    with pytest.raises(SlackApiError) as info:
        client.users_info(user=user)
    assert info.value.response.status_code == 429
    assert 1 <= int(info.value.response.headers["Retry-After"]) <= 60
    admin.post("/_sandbox/config", json={"rate_limits": "off"}).raise_for_status()
    assert client.users_info(user=user)["ok"] is True


def test_error_and_status_faults(base_url, admin, client):
    admin.post("/_sandbox/config", json={"faults": [
        {"method": "chat.update", "kind": "error", "error": "fatal_error", "times": 1},
        {"method": "auth.test", "kind": "status", "status": 503, "times": 1}]}).raise_for_status()
    with pytest.raises(SlackApiError) as info:
        client.chat_update(channel="C0X", ts="1.1", text="x")
    assert info.value.response["error"] == "fatal_error"
    assert httpx.post(f"{base_url}/api/auth.test", headers={"Authorization": f"Bearer {BOT_TOKEN}"}).status_code == 503
    assert client.auth_test()["ok"] is True
    bad = admin.post("/_sandbox/config", json={"nonsense": 1})
    assert bad.status_code == 400

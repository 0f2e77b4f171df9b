"""Delivery parsing (payload formats v2 and v4) and the shared-secret check, without a web server."""

from __future__ import annotations

import json

import pytest

from sync.procore.webhook_receiver import WebhookPayloadError, authorization_matches, parse_delivery


def test_parses_a_v2_delivery():
    d = parse_delivery(json.dumps({"id": 5, "ulid": "01J", "company_id": 4264, "project_id": 7, "resource_name":
                                   "Requisitions", "resource_id": 88, "event_type": "update", "api_version": "v2"}))
    assert (d.ulid, d.resource_name, d.resource_id, d.event_type, d.company_id, d.project_id) == \
        ("01J", "Requisitions", "88", "update", 4264, 7)


def test_parses_a_v4_delivery():
    d = parse_delivery(json.dumps({"id": "01JV4", "timestamp": "2026-11-25T12:00:00Z", "reason": "create",
                                   "company_id": "4264", "project_id": None, "user_id": "9",
                                   "resource_type": "Company Vendors", "resource_id": "31"}))
    assert (d.ulid, d.resource_name, d.resource_id, d.event_type, d.company_id, d.project_id) == \
        ("01JV4", "Company Vendors", "31", "create", 4264, None)


@pytest.mark.parametrize(("body", "words"), [
    ("", "not valid JSON"), ("null", "JSON object"), ('{"ulid": "x", "event_type": "update"}', "'resource_name'"),
    (json.dumps({"ulid": "x" * 200, "resource_name": "R", "event_type": "update"}), "longer than 128"),
])
def test_rejects_bad_bodies(body, words):
    with pytest.raises(WebhookPayloadError, match=words):
        parse_delivery(body)


def test_authorization_matches_bearer_or_bare_secret_only():
    assert authorization_matches("Bearer s3cret", "s3cret")
    assert authorization_matches("bearer  s3cret ", "s3cret")
    assert authorization_matches("s3cret", "s3cret")
    for forged in (None, "", "Bearer", "Bearer s3cre", "s3cret!", "Basic s3cret", "Token s3cret"):
        assert not authorization_matches(forged, "s3cret"), forged
    assert not authorization_matches("Bearer ", "")  # an unset secret matches nothing


@pytest.mark.parametrize(("extra", "user_id"), [
    ({"user_id": 562949953421321}, 562949953421321), ({"user_id": "9"}, 9),
    ({"metadata": {"source_user_id": 77}}, 77), ({"user_id": None, "metadata": {"source_user_id": "78"}}, 78),
    ({"user_id": "someone"}, None), ({}, None),
])
def test_the_user_who_made_the_change_is_kept_but_never_required(extra, user_id):
    body = {"ulid": "01J", "resource_name": "Requisitions", "resource_id": 88, "event_type": "update", **extra}
    assert parse_delivery(json.dumps(body)).user_id == user_id

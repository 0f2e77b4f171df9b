"""Issue 14, finding 5: crafted input gets a 400 or a sentence — never a 500, never a traceback in the log.

JSON nested 100,000 deep on /slack/events (as a JSON event and as an interaction's `payload`) and on both webhooks
(validly signed, so it reaches the parser); integers in query parameters and commands that `isdigit()` accepts but
`int()` or the database don't ("²", 20 digits); a reject modal whose private_metadata was altered, a link modal with
an unknown kind; a 100 KB reject reason.
"""

from __future__ import annotations

import logging

import httpx
from sqlmodel import Session

from blocks import ids
from core.models import Item
from sync.qbo.webhooks import signature as qbo_signature
from tests.reliability import tally
from tests.reliability.support_input import (
    PROCORE_SECRET,
    QBO_VERIFIER,
    json_body,
    payload_body,
    slack_headers,
)
from tests.reliability.support_input_slack import Who, event_callback, modal, reject_values, view_submission

pytest_plugins = ["tests.handlers.slack_harness", "tests.reliability.support_input_web"]

DEEP = 100_000


def _no_trace(caplog) -> None:
    traced = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage() or "unhandled error" in
              r.getMessage()]
    assert not traced, [f"{r.name}: {r.getMessage()[:200]}" for r in traced[:3]]


def test_deep_json_is_a_400_on_slack_and_both_webhooks(slack, hooks_web, caplog):
    caplog.set_level(logging.INFO)
    secret = slack.settings.slack_signing_secret.get_secret_value()
    deep = ("[" * DEEP + "]" * DEEP).encode()
    channel = slack.sandbox.store.conversation_by_name("accounting")["id"]
    who = Who(team=slack.sandbox.ws.team_id, user=slack.ids["dana"], channel=channel, response_url="")
    deep_event = json_body(event_callback(who, {"type": "app_home_opened", "user": who.user, "tab": "home"}))[0]
    bodies = {
        "event": (deep_event.replace(b'"tab": "home"', b'"tab": ' + deep), "application/json"),
        # percent-encoded it is 3 bytes a bracket: 40,000 deep stays under the route's body limit
        "payload": (b"payload=" + b"%5B" * 40_000 + b"%5D" * 40_000, "application/x-www-form-urlencoded"),
        "raw": (deep, "application/json"),
    }
    for name, (body, content_type) in bodies.items():
        r = httpx.post(f"{slack.app_url}/slack/events", content=body, timeout=60,
                       headers=slack_headers(body, secret=secret, content_type=content_type))
        assert r.status_code == 400, (name, r.status_code, r.text[:200])
    http, _ = hooks_web
    qbo = b'{"eventNotifications": ' + deep + b"}"
    r = http.post("/webhooks/qbo", content=qbo, headers={"intuit-signature": qbo_signature(QBO_VERIFIER, qbo),
                                                         "Content-Type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text[:200])
    r = http.post("/webhooks/procore", content=b'{"ulid": ' + deep + b"}",
                  headers={"Authorization": f"Bearer {PROCORE_SECRET}", "Content-Type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text[:200])
    _no_trace(caplog)
    tally.add("security probes", len(bodies) + 2)


def test_odd_integers_in_query_parameters_and_commands(slack_pg, hooks_web, caplog):
    caplog.set_level(logging.INFO)
    http, _ = hooks_web
    probes = 0
    for odd in ("%C2%B2", "99999999999999999999", "%D9%A3", "1_0", "-1", "0x1F", "%201"):
        for path in (f"/qbo/connect?tenant={odd}", f"/procore/connect?tenant={odd}",
                     f"/procore/connect?company={odd}", f"/procore/connect?tenant=1&company={odd}"):
            r = http.get(path)
            assert r.status_code in (400, 403), (path, r.status_code, r.text[:200])
            probes += 1
    slack = slack_pg
    slack.item("INV-1", procore_id="P-1")
    for text in ("team-channel ² #general", "team-channel 99999999999999999999 #general", "report job-costs ²",
                 "report job-costs 99999999999999999999", "send invoice #²", "send invoice #99999999999999999999",
                 "retrieve invoice #٣"):
        out = slack.command("alex", text)
        probes += 1
        assert out["ok"] and out["status"] == 200, (text, out)
        slack.idle()
    said = " ".join(slack.ephemerals("alex")) + " ".join(str(r) for r in [out])
    assert "went wrong" not in said, said[:500]
    _no_trace(caplog)
    tally.add("security probes", probes)


def test_tampered_private_metadata_and_a_huge_reason_get_a_sentence(slack, caplog):
    caplog.set_level(logging.INFO)
    item = slack.sent_item("INV-7", sender="sam")
    secret = slack.settings.slack_signing_secret.get_secret_value()
    channel = slack.sandbox.store.conversation_by_name("accounting")["id"]
    tampered = ["25 OR 1=1", {"item_id": "25 OR 1=1"}, {}, {"item_id": True}, {"item_id": 10**30},
                {"item_id": item.id, "channel": ["x"]}, "[" * 5000, '{"item_id": 1e999}']
    answers = []
    for meta in tampered:
        who = Who(team=slack.sandbox.ws.team_id, user=slack.ids["dana"], channel=channel,
                  response_url=slack.sandbox.new_hook("actions", user=slack.ids["dana"], channel=channel))
        view = modal(ids.REJECT_VIEW, meta=meta, values=reject_values("Looks wrong to me"), team=who.team)
        body, content_type = payload_body(view_submission(who, view))
        r = httpx.post(f"{slack.app_url}/slack/events", content=body, timeout=30,
                       headers=slack_headers(body, secret=secret, content_type=content_type))
        assert r.status_code == 200, (meta, r.status_code, r.text[:200])
        answers.append(r.json().get("errors", {}).get(ids.REASON_BLOCK, ""))
    assert all("out of date" in a for a in answers), answers
    for kind in ("nope", 5):
        who = Who(team=slack.sandbox.ws.team_id, user=slack.ids["alex"], channel=channel, response_url="")
        view = modal(ids.LINK_VIEW, meta={"kind": kind, "channel": channel}, values={}, team=who.team)
        body, content_type = payload_body(view_submission(who, view))
        r = httpx.post(f"{slack.app_url}/slack/events", content=body, timeout=30,
                       headers=slack_headers(body, secret=secret, content_type=content_type))
        assert r.status_code == 200, (kind, r.status_code, r.text[:200])
    slack.idle()
    told = slack.ephemerals("alex") + [m.get("text", "") for m in slack.dms("alex")]
    assert any("out of date" in t for t in told), told
    # a 100 KB reason (more than the modal allows): refused in words, nothing stored
    slack.click("dana", item, ids.REJECT)
    slack.idle()
    out = slack.submit("dana", {ids.REASON_BLOCK: {ids.REASON_INPUT: "x" * 100_000}})
    assert out.get("response_action") == "errors" and "at most" in out["errors"][ids.REASON_BLOCK], out
    with Session(slack.engine) as s:
        assert s.get(Item, item.id).state == "awaiting_acceptance" and s.get(Item, item.id).reject_reason is None
    _no_trace(caplog)
    tally.add("security probes", len(tampered) + 3)

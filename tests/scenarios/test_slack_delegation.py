"""Out of office through the Slack sandbox: `/ledgerlink away @erin until …` — Erin decides in Dana's place
within her own rights, the card and the audit trail say so, escalations go to Erin, `back` ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from core.domain import delegation
from core.models import AuditEvent, User

pytest_plugins = ["tests.handlers.slack_harness"]


def _said(out: dict) -> str:
    body = out["body"]
    return body.get("text", "") if isinstance(body, dict) else str(body)


def _today():
    return datetime.now(UTC).date()


def _now():
    return datetime.now(UTC)


def test_away_delegate_accepts_on_behalf_card_and_audit_say_so_then_back(slack):
    until = _today() + timedelta(days=3)
    out = slack.command("dana", f"away <@{slack.ids['erin']}> until {until.isoformat()}")
    assert "You're away until" in _said(out) and f"<@{slack.ids['erin']}>" in _said(out), _said(out)
    item = slack.sent_item("INV-104", sender="sam")
    slack.click("erin", item)
    slack.idle()
    updates = [c["args"].get("text", "") for c in slack.calls("chat.update")]
    assert any("accepted by @erin on behalf of" in t for t in updates), updates
    with Session(slack.engine) as s:
        dana = s.exec(select(User).where(User.slack_user_id == slack.ids["dana"])).one()
        accept = s.exec(select(AuditEvent).where(AuditEvent.action == "accept")).one()
        assert accept.detail["on_behalf_of"] == [dana.name]
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "away")).one().detail["until"] == until.isoformat()
        # escalations meant for Dana reach Erin instead (each person once)
        approvers = list(s.exec(select(User).where(User.can_push_to_accounting)))
        heard = {u.slack_user_id for u in delegation.recipients(s, dana.tenant_id, approvers, _now())}
        assert slack.ids["dana"] not in heard and slack.ids["erin"] in heard
    assert "Welcome back" in _said(slack.command("dana", "back"))
    assert "weren't marked as away" in _said(slack.command("dana", "back"))
    with Session(slack.engine) as s:
        assert delegation.active(s, dana.tenant_id, _now()) == []


def test_no_self_approval_through_a_delegate_and_the_rules_of_away(slack):
    until = (_today() + timedelta(days=2)).isoformat()
    slack.command("dana", f"away <@{slack.ids['erin']}> until {until}")
    own = slack.sent_item("INV-300", sender="erin")  # Erin may not accept her own item, delegate or not
    slack.click("erin", own)
    slack.idle()
    assert any("another approver must decide it" in t for t in slack.ephemerals("erin"))
    assert slack.get(own.id).state == "awaiting_acceptance"
    assert "Name someone else" in _said(slack.command("dana", f"away <@{slack.ids['dana']}> until {until}"))
    assert "has passed" in _said(slack.command("dana", f"away <@{slack.ids['erin']}> until 2020-01-01"))
    assert "isn't a date" in _said(slack.command("dana", f"away <@{slack.ids['erin']}> until soon"))

"""Approval cards through the Slack sandbox: send → card → accept → exporting → synced; reject, retrieve, resend."""

from __future__ import annotations

pytest_plugins = ["tests.handlers.slack_harness"]


def test_send_accept_synced(slack):
    item = slack.sent_item("INV-104", sender="sam")
    assert item.state == "awaiting_acceptance" and item.card_ts
    card = slack.card(item)
    text = slack.text(card)
    assert "Subcontractor invoice INV-104" in text and "$48,250.00" in text and "ACME Concrete" in text
    assert "Creates Bill INV-104 for ACME Concrete" in text
    assert slack.buttons(card)[:3] == ["item_accept", "item_reject", "item_details"]
    out = slack.click("dana", item)
    assert out["ok"], out
    slack.idle()
    done = slack.card(item)
    assert "Synced as" in slack.text(done) and "Bill 2024-" in slack.text(done)
    assert "item_accept" not in slack.buttons(done)
    assert slack.get(item.id).state == "synced"

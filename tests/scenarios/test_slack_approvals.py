"""Approval cards through the Slack sandbox over HTTP: send → card → accept → exporting → synced (or failed, retry),
two approvers, self-approval, second clicks, reject with a reason, retrieve and resend from the sender's DM."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from core.models import AuditEvent, Decision, OutboxEntry

pytest_plugins = ["tests.handlers.slack_harness"]


def _card_updates(slack) -> list[str]:
    return [c["args"].get("text", "") for c in slack.calls("chat.update")]


def test_send_accept_exporting_then_synced(slack):
    item = slack.sent_item("INV-104", sender="sam")
    assert item.state == "awaiting_acceptance" and item.card_ts
    card = slack.card(item)
    text = slack.text(card)
    assert "Subcontractor invoice INV-104" in text and "$48,250.00" in text and "ACME Concrete" in text
    assert "Creates Bill INV-104 for ACME Concrete, $48,250.00 across 3 cost codes" in text
    assert "Riverside Clinic" in text and "<@" + slack.ids["sam"] + ">" in text
    assert "app.procore.com/1001/project/commitments/work_order_contracts/77/requisitions/INV-104" in text
    assert slack.buttons(card) == ["item_accept", "item_reject", "item_details", "item_view_procore"]
    assert card["blocks"][-1]["elements"][0]["value"] == str(item.id)  # the button carries only the item id
    # the sender's DM receipt has Retrieve
    assert [slack.buttons(m) for m in slack.dms("sam")] == [["item_retrieve", "item_view_procore"]]

    out = slack.click("dana", item)
    assert out["ok"] and out["elapsed_ms"] < 1500, out
    slack.idle()
    assert any(t.startswith("Exporting Subcontractor invoice INV-104… accepted by @dana") for t in _card_updates(slack))
    done = slack.card(item)
    assert "Synced as" in slack.text(done) and f"Bill 2024-{item.id:03d}" in slack.text(done)
    assert "app.sandbox.qbo.intuit.com/app/bill?txnId=" in slack.text(done)
    assert "item_accept" not in slack.buttons(done) and "item_view_qbo" in slack.buttons(done)
    assert slack.get(item.id).state == "synced"
    assert slack.ephemerals("dana") == []
    # the synced card no longer says what it will create; the sender's receipt lost Retrieve and says what happened
    assert "In QuickBooks:" not in slack.text(done)
    [receipt] = slack.dms("sam")
    assert slack.buttons(receipt) == ["item_view_qbo", "item_view_procore"] and "Synced as" in slack.text(receipt)


def test_a_drain_that_runs_another_items_write_redraws_its_card(slack, monkeypatch):
    """Two accepts at once: one accept's drain runs both writes, while the other's own drain found its row taken
    and drew the card still exporting (here: the other's drain is skipped). The drain that ran it redraws it."""
    from bot.actions import finish as finishing

    first, second = slack.sent_item("INV-301", sender="sam"), slack.sent_item("INV-302", sender="sam")
    finish = finishing.finish_export_soon
    monkeypatch.setattr(finishing, "finish_export_soon", lambda svc, item_id: None)
    slack.click("dana", second)
    slack.idle()
    assert "Exporting…" in slack.text(slack.card(second)) and slack.get(second.id).state == "exporting"
    monkeypatch.setattr(finishing, "finish_export_soon", finish)
    slack.click("dana", first)
    slack.idle()
    for item in (first, second):
        assert slack.get(item.id).state == "synced" and "Synced as" in slack.text(slack.card(item))


def test_failed_export_is_red_with_retry_then_retry_syncs(slack):
    slack.qbo.fail_with = "Vendor 'ACME Concrete' is inactive in QuickBooks — reactivate it or relink the company."
    item = slack.sent_item("INV-200", sender="sam")
    slack.click("dana", item)
    slack.idle()
    card = slack.card(item)
    assert ":x: *Export failed:* Vendor 'ACME Concrete' is inactive" in slack.text(card)
    assert slack.buttons(card)[0] == "item_retry"
    threads = [m for m in slack.messages("#accounting") if m.get("thread_ts") == item.card_ts
               and m["ts"] != item.card_ts]
    assert len(threads) == 1 and f"<@{slack.ids['dana']}>" in threads[0]["text"] + slack.text(threads[0])
    # a non-approver can't retry; an approver can once it's fixed
    slack.click("sam", item, "item_retry")
    slack.idle()
    assert any("Only accounting approvers" in t for t in slack.ephemerals("sam"))
    slack.qbo.fail_with = None
    slack.click("dana", item, "item_retry")
    slack.idle()
    assert slack.get(item.id).state == "synced" and "Synced as" in slack.text(slack.card(item))
    # the worker's later notice for the same failure is not sent twice
    slack.svc.notifier.notify_failed(slack.world.tenant, slack.get(item.id), "again")
    assert len([m for m in slack.messages("#accounting") if m.get("thread_ts") == item.card_ts
                and m["ts"] != item.card_ts]) == 1


def test_second_click_stale_card_and_self_approval_change_nothing(slack):
    item = slack.sent_item("INV-300", sender="erin")  # erin is an admin and an approver
    slack.click("erin", item)
    slack.idle()
    assert any("You sent INV-300, so another approver must decide it" in t for t in slack.ephemerals("erin"))
    assert slack.get(item.id).state == "awaiting_acceptance"
    stale = slack.stale_copy(item)  # what a client that missed the update still shows
    slack.click("dana", item)
    slack.idle()
    slack.click("dana", None, "item_accept", channel=stale[0], ts=stale[1])
    slack.idle()
    assert any("INV-300 is synced" in t and "can't be accepted" in t for t in slack.ephemerals("dana"))
    with Session(slack.engine) as s:
        assert len(s.exec(select(Decision).where(Decision.item_id == item.id)).all()) == 1
        assert len(s.exec(select(OutboxEntry).where(OutboxEntry.item_id == item.id)).all()) == 1
    assert len(slack.qbo.calls) == 1


def test_two_approvers_show_progress(slack):
    slack.settings_row(two_approver_threshold=Decimal("10000"))
    item = slack.sent_item("INV-400", sender="sam")
    assert "*0 of 2 approvals*" in slack.text(slack.card(item))
    slack.click("dana", item)
    slack.idle()
    card = slack.card(item)
    assert "*1 of 2 approvals*" in slack.text(card) and "item_accept" in slack.buttons(card)
    assert any("1 of 2" in t for t in slack.ephemerals("dana"))
    slack.click("dana", item)
    slack.idle()
    assert any("You already approved INV-400" in t for t in slack.ephemerals("dana"))
    slack.click("erin", item)
    slack.idle()
    assert slack.get(item.id).state == "synced"


def test_confirm_dialog_only_above_the_configured_amount(slack):
    slack.settings_row(confirm_above_amount=Decimal("25000"))
    big = slack.sent_item("INV-500", sender="sam", amount="48250.00")
    small = slack.sent_item("INV-501", sender="sam", amount="1200.00")
    accept = [el for b in slack.card(big)["blocks"] if b["type"] == "actions" for el in b["elements"]][0]
    assert accept["confirm"]["confirm"]["text"] == "Accept" and "$48,250.00" in accept["confirm"]["text"]["text"]
    accept_small = [el for b in slack.card(small)["blocks"] if b["type"] == "actions" for el in b["elements"]][0]
    assert "confirm" not in accept_small


def test_reject_needs_a_reason_then_dm_and_resend(slack):
    item = slack.sent_item("INV-600", sender="sam")
    slack.click("dana", item, "item_reject")
    slack.idle()
    modal = slack.views("dana")["modals"][-1]
    assert modal["view"]["callback_id"] == "reject_reason"
    short = slack.submit("dana", {"reason": {"reason_text": "no"}})
    assert short["body"]["response_action"] == "errors" and "at least 5 characters" in short["body"]["errors"]["reason"]
    assert short["closed"] is False
    good = slack.submit("dana", {"reason": {"reason_text": "Retainage should be 5%, not 10%."}})
    assert good["closed"] is True, good
    slack.idle()
    card = slack.card(item)
    assert "Rejected by" in slack.text(card) and "Retainage should be 5%" in slack.text(card)
    assert slack.buttons(card) == ["item_details", "item_view_procore"]
    dm = [m for m in slack.dms("sam") if "item_resend" in slack.buttons(m)]
    assert len(dm) == 1 and "Retainage should be 5%, not 10%." in slack.text(dm[0])
    # the worker's pass over the audit log does not DM a second time
    slack.svc.notifier.notify_rejected(slack.world.tenant, slack.get(item.id), None, "x", "dana")
    assert len([m for m in slack.dms("sam") if "item_resend" in slack.buttons(m)]) == 1
    # resend from the DM: a new card, round 2, the DM says so
    slack.click("sam", None, "item_resend", channel=dm[0]["_sandbox"]["channel"], ts=dm[0]["ts"])
    slack.idle()
    again = slack.get(item.id)
    assert again.state == "awaiting_acceptance" and again.round == 2 and again.card_ts != item.card_ts
    assert any("You resent INV-600" in m["text"] for m in slack.dms("sam"))
    assert "round 2" in slack.text(slack.card(again))


def test_rejecting_a_commitment_tells_its_creator(slack):
    item = slack.item("SC-7", type="commitment", amount="120000.00")
    with Session(slack.engine) as s:
        from core.models import Item

        row = s.get(Item, item.id)
        row.creator_id = slack.world.users["alex"].id
        s.add(row)
        s.commit()
    slack.command("sam", "send commitment SC-7")
    slack.idle()
    slack.click("dana", item, "item_reject")
    slack.idle()
    slack.submit("dana", {"reason": {"reason_text": "Wrong cost codes on line 3."}})
    slack.idle()
    assert [m for m in slack.dms("alex") if "Wrong cost codes" in slack.text(m)]
    assert not [m for m in slack.dms("sam") if "Wrong cost codes" in slack.text(m)]


def test_retrieve_from_the_dm_before_a_decision(slack):
    item = slack.sent_item("INV-700", sender="sam")
    receipt = slack.dms("sam")[0]
    stale = slack.stale_copy(receipt)
    slack.click("sam", None, "item_retrieve", channel=receipt["_sandbox"]["channel"], ts=receipt["ts"])
    slack.idle()
    assert slack.get(item.id).state == "ready_to_export"
    assert "Retrieved by" in slack.text(slack.card(item)) and slack.buttons(slack.card(item))[0] == "item_details"
    assert "item_retrieve" not in slack.buttons(slack.dms("sam")[0])  # the receipt was redrawn
    assert any("You retrieved INV-700" in m["text"] for m in slack.dms("sam"))
    # a second Retrieve click on the same (now replaced) DM is explained, not acted on
    slack.click("sam", None, "item_retrieve", channel=stale[0], ts=stale[1])
    slack.idle()
    assert any("INV-700 was already retrieved by @sam" in t for t in slack.ephemerals("sam"))


def test_retrieve_after_a_first_approval_is_refused(slack):
    slack.settings_row(two_approver_threshold=Decimal("1000"))
    item = slack.sent_item("INV-800", sender="sam")
    slack.click("dana", item)
    slack.idle()
    out = slack.command("sam", "retrieve invoice INV-800")
    slack.idle()
    assert out["ok"]
    assert any("already has 1 approval(s)" in t for t in slack.ephemerals("sam"))
    assert slack.get(item.id).state == "awaiting_acceptance"


def test_details_modal_shows_every_line_and_the_history(slack):
    lines = [{"label": f"03-{i:03d}.Material", "amount": "100.00"} for i in range(60)]
    item = slack.sent_item("INV-900", sender="sam", detail={"vendor": "ACME", "lines": lines})
    assert "…and 52 more lines" in slack.text(slack.card(item))
    slack.click("riley", item, "item_details")
    slack.idle()
    modal = slack.views("riley")["modals"][-1]["view"]
    text = slack.text(modal)
    assert "03-059.Material" in text and "sent" in text
    with Session(slack.engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.item_id == item.id)).first() is not None


def test_slack_rate_limits_are_waited_out(slack):
    """chat.update answers 429 with Retry-After once: the client's retry handler waits and the card still updates."""
    item = slack.sent_item("INV-950", sender="sam")
    slack.post("config", faults=[{"method": "chat.update", "kind": "ratelimited", "times": 1, "retry_after": 1}])
    slack.click("dana", item)
    slack.idle()
    assert "Synced as" in slack.text(slack.card(item))
    assert any(not c["ok"] and c["error"] == "ratelimited" for c in slack.calls("chat.update"))

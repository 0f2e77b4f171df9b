"""App Home through the Slack sandbox: my queue, what I sent, connections, sync runs, settings; acting from Home."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from core.models import Connection, SyncCursor, User, utcnow

pytest_plugins = ["tests.handlers.slack_harness"]


def _home(slack, who: str) -> dict:
    out = slack.home(who)
    assert out["ok"], out
    slack.idle()
    home = slack.views(who)["home"]
    assert home is not None
    return home["view"]


def test_approver_home_shows_the_queue_connections_and_runs(slack):
    waiting = slack.sent_item("INV-10", sender="sam")
    slack.sent_item("INV-11", sender="dana")  # dana's own: not in her queue
    with Session(slack.engine) as s:
        s.add(Connection(tenant_id=slack.world.tenant.id, provider="qbo", external_id="9130357", status="active",
                         refresh_expires_at=utcnow() + timedelta(days=90)))
        s.add(Connection(tenant_id=slack.world.tenant.id, provider="procore", external_id="4321",
                         status="needs_reauth", status_detail="The refresh token was revoked."))
        s.add(SyncCursor(tenant_id=slack.world.tenant.id, job="vendors", last_run_at=utcnow(), last_status="ok",
                         last_stats={"create": 3}))
        s.add(SyncCursor(tenant_id=slack.world.tenant.id, job="paid", last_run_at=utcnow(), last_status="failed",
                         last_error="QuickBooks is not connected"))
        s.commit()
    view = _home(slack, "dana")
    text = slack.text(view)
    assert "Waiting for you" in text and "INV-10" in text.split("Sent by you")[0]
    assert "INV-11" not in text.split("Sent by you")[0] and "INV-11" in text.split("Sent by you")[1]
    assert "*QuickBooks* · :large_green_circle: connected · realm 9130357 · sign-in valid until" in text
    assert "*Procore* · :warning: needs re-authorising" in text and "The refresh token was revoked." in text
    assert "*vendors*" in text and "3 created" in text and "QuickBooks is not connected" in text
    assert "*paid* · every 24 h · last" in text  # the tenant's paid-sync schedule (daily), from the scheduler
    assert [el["action_id"] for b in view["blocks"] if b["type"] == "actions" for el in b["elements"]][:3] == \
        ["item_accept", "item_reject", "item_details"]
    assert "Turn daily digest off" in text and "Edit settings" not in text  # approver, not admin
    # accept from Home: the card updates and Home is published again without the item
    out = slack.click("dana", None, "item_accept", view_id=slack.views("dana")["home"]["id"],
                      block_id=f"queue-{waiting.id}")
    assert out["ok"], out
    slack.idle()
    assert slack.get(waiting.id).state == "synced"
    assert "INV-10" not in slack.text(slack.views("dana")["home"]["view"]).split("Sent by you")[0]


def test_admin_home_has_settings_and_the_digest_toggle_works(slack):
    view = _home(slack, "erin")
    text = slack.text(view)
    assert "*Direct exports:* disabled" in text and "Edit settings" in text
    home_id = slack.views("erin")["home"]["id"]
    slack.click("erin", None, "home_toggle_digest", view_id=home_id)
    slack.idle()
    with Session(slack.engine) as s:
        assert s.get(User, slack.world.users["erin"].id).digest_opt_out is True
    assert "Turn daily digest on" in slack.text(slack.views("erin")["home"]["view"])
    slack.click("erin", None, "home_settings", view_id=home_id)
    slack.idle()
    assert slack.views("erin")["modals"][-1]["view"]["callback_id"] == "tenant_settings"


def test_admin_home_shows_the_operations_checks_and_approvers_do_not(slack):
    with Session(slack.engine) as s:
        s.add(Connection(tenant_id=slack.world.tenant.id, provider="qbo", external_id="9130357",
                         status="needs_reauth", status_detail="invalid_grant"))
        s.commit()
    text = slack.text(_home(slack, "erin"))
    ops = text.split("Operations", 1)[1]
    assert ":x: *qbo · " in ops and "needs reauth" in ops  # the broken connection comes first
    assert ":x: *leader*" in ops and "thing(s) need a person" in ops  # no worker runs in this test
    assert ":white_check_mark: *database*" in ops
    assert "Operations" not in slack.text(_home(slack, "dana"))


def test_home_for_someone_ledgerlink_does_not_know(slack):
    slack.ids["stranger"] = slack.add_slack_user("stranger", None)
    text = slack.text(_home(slack, "stranger"))
    assert "doesn't know you yet" in text and "/ledgerlink grant @you standard" in text


def test_home_matches_by_email_and_remembers(slack):
    jordan = slack.add_slack_user("jordan", "jordan@summitbuilders.example")
    with Session(slack.engine) as s:
        s.add(User(tenant_id=slack.world.tenant.id, name="Jordan Lee", email="Jordan@SummitBuilders.example",
                   permission="standard", can_push_to_accounting=True))
        s.commit()
    slack.ids["jordan"] = jordan
    assert "Waiting for you" in slack.text(_home(slack, "jordan"))
    with Session(slack.engine) as s:
        from sqlmodel import select

        assert s.exec(select(User).where(User.slack_user_id == jordan)).one().name == "Jordan Lee"

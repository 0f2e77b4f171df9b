"""Out of office, the rest of it, through its callers against the Slack sandbox: away and back from App Home (button
and modal), a delegate's rejection said "on behalf of" on the card and in the audit trail, the away approver's
digest and channel reminders reaching the delegate (the scheduled tasks), and "until <date>" lasting through the
end of that day in the approver's own Slack time zone (users.info `tz`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.scheduler import SchedulerConfig
from bot.worker import Runtime
from core.domain import delegation
from core.models import AuditEvent, Delegation, Item, User, utcnow

pytest_plugins = ["tests.handlers.slack_harness"]


def _set_tz(slack, who: str, tz: str) -> None:
    user = slack.sandbox.store.user(slack.ids[who])
    slack.sandbox.store.put_user({**user, "tz": tz})


def _said(out: dict) -> str:
    body = out["body"]
    return body.get("text", "") if isinstance(body, dict) else str(body)


def _until(days: int = 2) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def test_until_means_the_end_of_that_day_in_the_approvers_own_time_zone(slack_pg):
    slack = slack_pg
    _set_tz(slack, "dana", "Asia/Tokyo")
    last = datetime.now(UTC).date() + timedelta(days=1)
    said = slack.command("dana", f"away <@{slack.ids['erin']}> until {last.isoformat()}")
    assert "until the end of" in _said(said) and "(Asia/Tokyo)" in _said(said), said
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), ZoneInfo("Asia/Tokyo"))
    with Session(slack.engine) as s:
        [row] = s.exec(select(Delegation)).all()
        assert row.ends_at == end.astimezone(UTC) and row.timezone == "Asia/Tokyo"
        assert delegation.active(s, row.tenant_id, end - timedelta(seconds=1)) == [row]  # 23:59:59 in Tokyo
        assert delegation.active(s, row.tenant_id, end) == []  # midnight in Tokyo: over, whatever UTC says
    # someone west of UTC is still away after UTC's midnight
    _set_tz(slack, "erin", "America/Los_Angeles")
    slack.command("erin", f"away <@{slack.ids['alex']}> until {last.isoformat()}")
    la_end = datetime.combine(last + timedelta(days=1), datetime.min.time(), ZoneInfo("America/Los_Angeles"))
    utc_midnight = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    with Session(slack.engine) as s:
        erin = s.exec(select(User).where(User.slack_user_id == slack.ids["erin"])).one()
        assert [d.user_id for d in delegation.active(s, erin.tenant_id, utc_midnight + timedelta(hours=1))] == [
            erin.id]
        assert delegation.active(s, erin.tenant_id, la_end) == []


def test_a_delegates_rejection_says_on_behalf_of_on_the_card_and_in_the_audit(slack_pg):
    slack = slack_pg
    slack.command("dana", f"away <@{slack.ids['erin']}> until {_until()}")
    item = slack.sent_item("INV-410", sender="sam")
    slack.click("erin", item, "item_reject")
    slack.idle()
    done = slack.submit("erin", {"reason": {"reason_text": "Retainage should be 5%, not 10%."}})
    assert done["closed"] is True, done
    slack.idle()
    with Session(slack.engine) as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "reject")).one()
        dana = s.exec(select(User).where(User.slack_user_id == slack.ids["dana"])).one()
        assert row.detail["on_behalf_of"] == [dana.name] and row.detail["reason"].startswith("Retainage")
    card = slack.text(slack.card(item))
    assert f"Rejected by <@{slack.ids['erin']}> on behalf of {dana.name}*" in card, card
    dm = [m for m in slack.dms("sam") if "was rejected by" in slack.text(m)]
    assert dm and f"on behalf of {dana.name}" in slack.text(dm[-1])


def test_the_away_approvers_digest_and_channel_reminders_reach_the_delegate(slack):
    slack.command("dana", f"away <@{slack.ids['alex']}> until {_until()}")  # Alex is no approver: reminders only
    item = slack.sent_item("INV-420", sender="sam")
    with Session(slack.engine) as s:
        s.get(Item, item.id).sent_at = utcnow() - timedelta(hours=4, minutes=5)  # crossed 4 h since the last check
        s.commit()
    slack.settings_row(reminder_after_hours=4, escalate_after_hours=0)
    runtime = Runtime(slack.engine, slack.settings, config=SchedulerConfig(), notifier=slack.svc.notifier)
    assert runtime.run(slack.world.tenant.id, "digest") is True
    slack.idle()
    digest = [m for m in slack.messages() if "waiting for your acceptance" in slack.text(m)]
    to = {slack._im_user(m["_sandbox"]["channel"]) for m in digest}
    assert slack.ids["alex"] in to and slack.ids["dana"] not in to, to  # Dana's digest went to Alex
    assert "INV-420" in slack.text(next(m for m in digest if slack._im_user(m["_sandbox"]["channel"])
                                        == slack.ids["alex"]))
    assert runtime.run(slack.world.tenant.id, "reminders") is True
    [reminder] = [m for m in slack.messages("#accounting") if "Still waiting for acceptance" in slack.text(m)]
    assert f"is away: <@{slack.ids['alex']}> decides in their place" in slack.text(reminder)
    slack.command("dana", "back")
    assert runtime.task_digest(slack.world.tenant.id) >= 1
    latest = [m for m in slack.messages() if "waiting for your acceptance" in slack.text(m)][len(digest):]
    assert slack.ids["dana"] in {slack._im_user(m["_sandbox"]["channel"]) for m in latest}


def test_away_and_back_from_app_home(slack_pg):
    slack = slack_pg
    slack.home("dana")
    slack.idle()
    home = slack.views("dana")["home"]
    assert "you're in" in slack.text(home["view"])
    slack.click("dana", action_id="home_away", view_id=home["id"], value="away", block_id="away")
    slack.idle()
    modal = slack.views("dana")["modals"][-1]
    assert modal["view"]["callback_id"] == "away_view"
    refused = slack.submit("dana", {"away_delegate": {"away_delegate_user": slack.ids["dana"]},
                                    "away_until": {"away_until_date": _until()}})
    assert refused["body"]["response_action"] == "errors"
    assert "someone else" in refused["body"]["errors"]["away_delegate"]
    past = slack.submit("dana", {"away_delegate": {"away_delegate_user": slack.ids["erin"]},
                                 "away_until": {"away_until_date": "2020-01-01"}})
    assert "has passed" in past["body"]["errors"]["away_until"]
    ok = slack.submit("dana", {"away_delegate": {"away_delegate_user": slack.ids["erin"]},
                               "away_until": {"away_until_date": _until(3)}})
    assert ok["closed"] is True, ok
    slack.idle()
    home = slack.views("dana")["home"]
    assert "You're away" in slack.text(home["view"]) and f"<@{slack.ids['erin']}>" in slack.text(home["view"])
    with Session(slack.engine) as s:
        assert len(delegation.active(s, slack.world.tenant.id, datetime.now(UTC))) == 1
    slack.click("dana", action_id="home_back", view_id=home["id"], value="back", block_id="away")
    slack.idle()
    assert "you're in" in slack.text(slack.views("dana")["home"]["view"])
    assert any("Welcome back" in t for t in slack.ephemerals("dana")) or any(
        "Welcome back" in slack.text(m) for m in slack.dms("dana"))
    with Session(slack.engine) as s:
        assert delegation.active(s, slack.world.tenant.id, datetime.now(UTC)) == []

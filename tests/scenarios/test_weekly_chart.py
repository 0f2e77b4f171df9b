"""The picture of the week through its callers, against the Slack sandbox on SQLite and PostgreSQL: the scheduled
`weekly-digest` task (Mondays at the digest hour) and `/ledgerlink week` upload the chart with files_upload_v2
(getUploadURLExternal → upload → completeUploadExternal), share it in the approvers' channel with the figures as
text, and App Home's "This week" shows the figures and that chart as a `slack_file` image block."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from PIL import Image
from sqlmodel import Session

from bot.scheduler import SchedulerConfig, tenant_jobs
from bot.services import weekly
from bot.worker import Runtime
from core.models import AuditEvent, Item, Tenant, TenantSettings, utcnow

pytest_plugins = ["tests.handlers.slack_harness"]


def _moved(slack, title: str, state: str, amount: str, project: str) -> None:
    """An item that reached `state` this week (as the paid sync and a rejection record it in the audit trail)."""
    item = slack.item(title, amount=amount, state=state, detail={"project": project, "vendor": "ACME"})
    with Session(slack.engine) as s:
        s.add(AuditEvent(tenant_id=item.tenant_id, action="mark_paid" if state == "paid" else "reject",
                         item_id=item.id, before_state="synced", after_state=state))
        s.commit()


def _week_world(slack) -> Item:
    waiting = slack.sent_item("INV-201", sender="sam", amount="48250.00")  # waits for acceptance
    exported = slack.sent_item("INV-202", sender="sam", amount="1250.50")
    assert slack.click("dana", exported)["ok"]
    slack.idle()
    slack.wait_for(lambda: slack.get(exported.id).state == "synced")
    _moved(slack, "INV-203", "paid", "153900.00", "北京建工 Tower")
    _moved(slack, "INV-204", "rejected", "9000.00", "Harbor Point")
    return waiting


def _shared_charts(slack) -> list[tuple[dict, dict]]:
    """(the figures' message, the chart's message right after it) in the approvers' channel."""
    said = slack.messages("#accounting")
    return [(said[i - 1], m) for i, m in enumerate(said) if any(f.get("mimetype") == "image/png"
                                                                for f in m.get("files") or [])]


def test_weekly_digest_by_schedule_shares_the_chart_with_its_figures_and_home_shows_it(slack_pg):
    slack = slack_pg
    tid = slack.world.tenant.id
    _week_world(slack)
    with Session(slack.engine) as s:
        tenant, ts = s.get(Tenant, tid), s.get(TenantSettings, tid)
        spec = {j.job: j for j in tenant_jobs(tenant, ts, set(), SchedulerConfig())}["weekly-digest"]
    assert spec.when == f"every Mon at {ts.digest_hour:02d}:00 {tenant.timezone}"
    fire = spec.trigger(datetime.now(UTC), previous_next=None, first_delay=30).get_next_fire_time(
        None, datetime.now(UTC))
    assert fire.weekday() == 0 and fire.hour == ts.digest_hour

    # next Monday's run: "last week" is this one
    runtime = Runtime(slack.engine, slack.settings, config=SchedulerConfig(), notifier=slack.svc.notifier,
                      clock=lambda: utcnow() + timedelta(days=7))
    assert runtime.run(tid, "weekly-digest") is True
    methods = [c["method"] for c in slack.calls() if c["method"].startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    [(figures_msg, message)] = _shared_charts(slack)
    text = slack.text(figures_msg)
    assert figures_msg["blocks"][1]["type"] == "section"  # the figures as text, beside the picture
    assert "Last week at Summit Builders" in text, text
    assert "*All projects:* waiting for acceptance 1 ($48,250.00) · exported 1 ($1,250.50) · paid 1 ($153,900.00) · " \
           "rejected 1 ($9,000.00)" in text, text
    assert "• *北京建工 Tower:* paid 1 ($153,900.00)" in text and "• *Harbor Point:* rejected 1 ($9,000.00)" in text
    [file] = message["files"]
    assert file["alt_txt"].startswith("Bar chart of the week of")
    png = httpx.get(f"{slack.sandbox_url}/_sandbox/files/{file['id']}").content
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size[0] == 900 and sum(1 for p in image.getdata() if p != (255, 255, 255)) > 5000
    page = httpx.get(f"{slack.sandbox_url}/", params={"as": slack.ids["dana"], "c": "accounting"}).text
    assert f'<img class="file-image" src="/_sandbox/files/{file["id"]}"' in page

    slack.home("dana")
    slack.idle()
    home = slack.views("dana")["home"]["view"]
    [picture] = [b for b in home["blocks"] if b["type"] == "image"]
    assert picture["slack_file"] == {"id": file["id"]} and picture["title"]["text"].startswith("Week of")
    figures = slack.text(home)
    assert "This week" in figures and "waiting for acceptance 1 ($48,250.00)" in figures
    assert "exported 1 ($1,250.50)" in figures
    home_page = httpx.get(f"{slack.sandbox_url}/", params={"as": slack.ids["dana"], "c": "app", "tab": "home"}).text
    assert f'<img class="slack-file" src="/_sandbox/files/{file["id"]}"' in home_page


def test_week_command_shares_this_week_now_for_approvers_only(slack_pg):
    slack = slack_pg
    _week_world(slack)
    said = slack.command("sam", "week")
    slack.idle()
    assert "for accounting approvers and admins" in str(said["body"]) + " ".join(slack.ephemerals("sam")), said
    assert _shared_charts(slack) == []

    slack.command("dana", "week")
    slack.idle()
    [(figures_msg, message)] = _shared_charts(slack)
    assert "This week so far at Summit Builders" in message["text"]
    assert "($153,900.00)" in slack.text(figures_msg)
    with Session(slack.engine) as s:
        shared = weekly.last_shared(s, slack.world.tenant.id)
    assert shared is not None and shared.file_id == message["files"][0]["id"]
    assert shared.week_start == weekly.week_start(datetime.now(UTC), slack.world.tenant.timezone)
    assert "exported 1 ($1,250.50)" in slack.text(figures_msg)


def test_home_still_shows_when_the_shared_chart_is_gone(slack):
    slack.command("dana", "week")
    slack.idle()
    with Session(slack.engine) as s:
        shared = weekly.last_shared(s, slack.world.tenant.id)
    meta, content = slack.sandbox.store.file(shared.file_id)
    slack.sandbox.store.put_file({**meta, "object": {**meta["object"], "channels": [], "shares": {}}}, content)
    slack.home("dana")
    slack.idle()
    home = slack.views("dana")["home"]["view"]
    assert not [b for b in home["blocks"] if b["type"] == "image"] and "This week" in slack.text(home)

"""`/ledgerlink` through the Slack sandbox: every subcommand with good and bad arguments. Bad arguments get that
subcommand's usage line (ephemeral), never an exception; long work says "Working…" and replaces that message."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.domain.permissions import Perm
from core.models import AuditEvent, SyncCursor, User
from sync.jobs.base import JOBS, JobReport

pytest_plugins = ["tests.handlers.slack_harness"]


def _said(out: dict) -> str:
    body = out["body"]
    if isinstance(body, dict):
        return body.get("text", "") + " ".join(str(b) for b in body.get("blocks") or [])
    return str(body)


BAD = [
    ("", "Ledgerlink commands"),  # no subcommand: help
    ("frobnicate", "I don't know `frobnicate`. Try"),
    ("hlep", "I don't know `hlep`. Did you mean `/ledgerlink help`?"),
    ("sned invoice 12", "Did you mean `/ledgerlink send`?"),
    ("<!channel>", "I don't know `&lt;!channel&gt;`"),
    ('send invoice "ACME', "a quote isn't closed"),
    ("help send extra", "Usage: `/ledgerlink help [command]`"),
    ("send widget 12", "'widget' isn't an item type"),
    ("send widget", "'widget' isn't an item type"),  # `send` and `send invoice` open the item picker
    ("retrieve invoice", "Usage: `/ledgerlink retrieve &lt;type&gt; &lt;Procore id&gt;`"),
    ("retrieve", "Usage: `/ledgerlink retrieve &lt;type&gt; &lt;Procore id&gt;`"),
    ("resend company", "Usage: `/ledgerlink resend"),
    ("export", "Usage: `/ledgerlink export"),
    ("link", "Usage: `/ledgerlink link company|project"),
    ("link vendor 1 2", "'vendor' isn't a kind of record"),
    ("link company 1", "Say the Procore id and then the QuickBooks id"),
    ("refresh", "Say which list"),
    ("refresh everything", "'everything' isn't a list"),
    ("refresh companies now", "isn't needed here"),
    ("sync", "Say which sync"),
    ("sync paid later", "Only `now` may follow `sync paid`"),
    ("sync bills now", "'bills' isn't a sync"),
    ("report", "Say which report"),
    ("report weekly", "'weekly' isn't a report"),
    ("report accountant 12", "Only the job-costs report takes a project id"),
    ("report job-costs abc", "'abc' isn't a Procore project id"),
    ("connect", "Say which service"),
    ("connect xero", "'xero' isn't a service"),
    ("disconnect", "Say which service"),
    ("disconnect xero now", "'xero' isn't a service"),
    ("send project 1001 for", "Name the QuickBooks customer after `for`"),
    ("settings now", "isn't needed here"),
    ("grant", "Say who and what to grant"),
    ("grant @riley boss", "'boss' isn't something I can grant"),
    # the seed's actions (handlers/seed_commands.py)
    ("unlink", "Say what to unlink: company, commitment"),
    ("unlink budget 12", "'budget' can't be unlinked"),
    ("archive vendor 42", "Only companies (QuickBooks vendors) are archived"),
    ("duplicates now", "isn't needed here"),
    ("add", "Say what to add: company or project"),
    ("add invoice 3", "'invoice' can't be added"),
    ("add company ACME Concrete", "Quote a name with spaces"),
    ("projects all", "isn't needed here"),
    ("import estimate 1", "'estimate' can't be imported"),
    ("import budget 1001 7", "where each account goes"),
    ("import budget 1001 7 80=abc", "isn't `&lt;account id&gt;=&lt;cost code id&gt;:&lt;cost type id&gt;`"),
    ("import prime-contract 1001", "Say the Procore project and the QuickBooks estimate id"),
    ("cost-codes purge 1", "isn't a cost-codes action"),
    ("cost-codes delete 1001", "Say the Procore project, then the cost code id"),
    ("sync job-costs on a b c", "Quote a project name with spaces"),
    ("sync job-costs maybe", "Only `now` may follow `sync job-costs`"),
    ("audit everything", "'everything' isn't a way to search the trail"),
    ("audit date yesterday", "isn't a date like 2026-12-07"),
    ("audit person", "Mention one person"),
]


@pytest.mark.parametrize("text,expected", BAD, ids=[b[0] or "(empty)" for b in BAD])
def test_bad_arguments_get_a_usage_line(slack, text, expected):
    out = slack.command("alex", text)
    assert out["ok"] and out["status"] == 200, out
    assert expected in _said(out), _said(out)
    assert out["shown"]["ephemeral"] is True


def test_help_lists_every_subcommand_and_explains_one(slack):
    out = slack.command("riley", "help")
    said = _said(out)
    for sub in ("send", "retrieve", "resend", "export", "link", "refresh", "sync", "report", "connect",
                "settings", "grant", "help", "unlink", "archive", "restore", "duplicates", "add", "projects",
                "import", "cost-codes", "audit"):
        assert f"/ledgerlink {sub}" in said, sub
    assert "<type>" not in said and "&lt;type&gt;" in said  # Slack would read <type> as a link
    one = _said(slack.command("riley", "help report"))
    assert "report accountant|job-costs" in one and "/ledgerlink report job-costs 1001" in one
    assert "sync job-costs on|off [project]" in said  # `sync` grew its switch
    assert "For admins" in _said(slack.command("riley", "help unlink"))


def test_send_retrieve_resend_by_command(slack):
    item = slack.item("INV-55")
    assert slack.command("sam", "send invoice INV-55")["ok"]
    slack.idle()
    assert slack.get(item.id).state == "awaiting_acceptance"
    assert any("Sent INV-55 ($48,250.00) to accounting" in t for t in slack.ephemerals("sam"))
    slack.command("sam", "retrieve invoice INV-55")
    slack.idle()
    assert slack.get(item.id).state == "ready_to_export"
    slack.command("sam", 'send invoice "inv-55"')  # by title, quoted, any case
    slack.idle()
    slack.click("dana", slack.get(item.id), "item_reject")
    slack.idle()  # the modal opens after the ack, from the listener's thread
    slack.submit("dana", {"reason": {"reason_text": "Missing lien waiver."}})
    slack.idle()
    slack.command("sam", f"resend invoice #{item.id}")  # by Ledgerlink item id
    slack.idle()
    assert slack.get(item.id).state == "awaiting_acceptance" and slack.get(item.id).round == 3
    slack.command("sam", "send invoice 999999")
    slack.idle()
    assert any("I can't find invoice '999999'" in t for t in slack.ephemerals("sam"))


def test_send_to_a_channel_the_bot_is_not_in_takes_the_item_back(slack):
    slack.settings_row(approvers_channel="#finance-leads")  # private, bot not a member
    item = slack.item("INV-56")
    slack.command("sam", "send invoice INV-56")
    slack.idle()
    assert slack.get(item.id).state == "ready_to_export"
    assert any("couldn't post the approval card" in t and "channel_not_found" in t for t in slack.ephemerals("sam"))


def test_direct_export(slack):
    item = slack.item("INV-57")
    slack.command("sam", "export invoice INV-57")
    slack.idle()
    assert any("Direct exports are disabled" in t for t in slack.ephemerals("sam"))
    slack.settings_row(direct_exports="enabled")
    slack.command("sam", "export invoice INV-57")
    slack.idle()
    assert slack.get(item.id).state == "synced"
    said = slack.ephemerals("sam")
    assert any(f"INV-57 is in QuickBooks: Bill 2024-{item.id:03d}" in t for t in said), said
    assert not any(t.startswith(":hourglass_flowing_sand: Exporting") for t in said)  # replaced, not added


def test_link_says_what_it_needs(slack):
    out = slack.command("sam", "link company 562949953421636 58")
    slack.idle()
    assert out["ok"]
    assert any("Linking needs the QuickBooks and Procore connections" in t for t in slack.ephemerals("sam"))


class _SlowJob:
    name = "test-refresh"
    description = "a job that takes a moment"

    def run(self, ctx, *, dry_run=False, progress=None):  # type: ignore[no-untyped-def]
        import time

        report = JobReport(self.name)
        for i in range(3):
            report.add("create", "QBO Vendor", f"Vendor {i}")
            if progress:
                progress(report.counts())
            time.sleep(0.25)
        return report


def test_refresh_and_sync_now_say_working_then_one_result(slack, monkeypatch):
    from bot.actions import refresh
    from handlers import commands
    from sync.context import TenantContext

    monkeypatch.setitem(JOBS, "test-refresh", _SlowJob)
    monkeypatch.setitem(refresh.REFRESH, "companies", (("test-refresh",), Perm.REFRESH_COMPANIES, "the test list"))
    monkeypatch.setitem(refresh.SYNC, "vendors", (("test-refresh",), Perm.REFRESH_COMPANIES, "the test list"))
    monkeypatch.setattr(commands.Progress, "BEATS", (0.3, 0.3))
    slack.svc.context_for = lambda tid: TenantContext(engine=slack.engine, tenant_id=tid)
    out = slack.command("sam", "refresh companies")
    assert out["ok"] and out["elapsed_ms"] < 1000
    slack.idle()
    mine = [m for m in slack.messages() if m["_sandbox"]["ephemeral_to"] == slack.ids["sam"]]
    assert len(mine) == 1, [m["text"] for m in mine]  # "Working…" replaced by progress, then by the result
    assert mine[0]["text"] == ":white_check_mark: Done — the test list: test-refresh: 3 create"
    hooks = [c for c in slack.calls() if c["method"] == "response_url:commands"]
    assert any("Still working on refreshing the test list" in c["args"].get("text", "") and "create" in
               c["args"]["text"] for c in hooks)
    with Session(slack.engine) as s:
        cur = s.exec(select(SyncCursor).where(SyncCursor.job == "test-refresh")).one()
        assert cur.last_status == "ok"
    # sync … without now: when it last ran; with now: runs it
    said = _said(slack.command("sam", "sync vendors"))
    slack.idle()
    assert "last run" in " ".join(slack.ephemerals("sam")) + said
    slack.command("riley", "sync vendors now")
    slack.idle()
    assert any("Standard permission" in t for t in slack.ephemerals("riley"))


def test_reports_in_blocks_and_long_ones_as_csv(slack):
    for n in range(30):
        slack.item(f"R-{n:02d}", amount=f"{100 + n}.00")
    out = slack.command("riley", "report accountant")
    assert out["ok"]
    slack.idle()
    shown = [m for m in slack.messages() if m["_sandbox"]["ephemeral_to"] == slack.ids["riley"]]
    assert len(shown) == 1 and shown[0]["text"].startswith("Accountant report: 30 rows")
    text = slack.text(shown[0])
    assert "…and 5 more rows" in text and "the full report is in the CSV file" in text
    uploads = [c for c in slack.calls() if c["method"] == "files.completeUploadExternal"]
    assert len(uploads) == 1
    files = [m for m in slack.dms("riley") if m.get("files")]
    assert files and files[0]["files"][0]["name"] == "accountant-report.csv"
    # a short one has no file; a report the person may not see says why
    slack.command("riley", "report archived")
    slack.idle()
    assert any(m["text"].startswith("Archived companies: 0 rows") for m in slack.messages()
               if m["_sandbox"]["ephemeral_to"] == slack.ids["riley"])
    slack.command("nora", "report accountant")
    slack.idle()
    assert any("You need Read only permission" in t for t in slack.ephemerals("nora"))
    slack.command("riley", "report job-costs")
    slack.idle()
    assert any("company-wide job costs report needs Admin" in t for t in slack.ephemerals("riley"))


def test_connect_posts_the_oauth_link_to_admins(slack):
    out = slack.command("alex", "connect qbo")
    said = _said(out)
    assert "https://ledgerlink.example/qbo/connect?link=" in said and "tenant=" not in said
    out = slack.command("alex", "connect procore")
    assert "/procore/connect?link=" in _said(out)
    assert "Admin permission" in _said(slack.command("dana", "connect qbo"))


def test_grant_by_mention_name_or_email_is_audited(slack):
    jordan = slack.add_slack_user("jordan", "jordan@summitbuilders.example")
    out = slack.command("alex", f"grant <@{jordan}|jordan> approver")
    assert f"<@{jordan}> is now Standard and an accounting approver" in _said(out), _said(out)
    slack.command("alex", "grant @riley standard")
    slack.command("alex", "grant nora@example.com read-only")
    with Session(slack.engine) as s:
        users = {u.slack_user_id: u for u in s.exec(select(User))}
        assert users[jordan].can_push_to_accounting and users[jordan].permission == "standard"
        assert users[jordan].email == "jordan@summitbuilders.example"
        assert users[slack.ids["riley"]].permission == "standard"
        assert users[slack.ids["nora"]].permission == "read_only"
        grants = s.exec(select(AuditEvent).where(AuditEvent.action == "grant")).all()
        assert len(grants) == 3 and grants[0].actor_label == "@alex"
    assert "I can't find a Slack user" in _said(slack.command("alex", "grant @nobody approver"))
    assert "can't lower your own level" in _said(slack.command("alex", "grant @alex read-only"))


def test_settings_modal_saves_audits_and_validates(slack):
    slack.command("alex", "settings")
    slack.idle()
    modal = slack.views("alex")["modals"][-1]
    assert modal["view"]["callback_id"] == "tenant_settings"
    bad = slack.submit("alex", {"confirm_above_amount": {"value": "lots"}})
    assert bad["body"]["response_action"] == "errors" and "confirm_above_amount" in bad["body"]["errors"]
    channel = slack.sandbox.store.conversation_by_name("general")["id"]
    good = slack.submit("alex", {"direct_exports": {"value": "enabled"}, "paid_sync_schedule": {"value": "hourly"},
                                 "notify_channel": {"value": channel}, "confirm_above_amount": {"value": "25,000"},
                                 "two_approver_threshold": {"value": ""}})
    assert good["closed"], good
    slack.idle()
    from core.models import TenantSettings

    with Session(slack.engine) as s:
        st = s.get(TenantSettings, slack.world.tenant.id)
        assert (st.direct_exports, st.paid_sync_schedule, st.notify_channel) == ("enabled", "hourly", channel)
        assert st.confirm_above_amount == Decimal("25000") and st.approvers_channel == "#accounting"
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "settings")).one()
        assert audit.detail["after"]["direct_exports"] == "enabled"
    assert slack.views("alex")["home"] is not None  # Home re-published with the new settings


def test_settings_modal_sets_reminder_and_escalation_hours(slack):
    from core.models import TenantSettings

    slack.command("alex", "settings")
    slack.idle()
    blocks = {b.get("block_id") for b in slack.views("alex")["modals"][-1]["view"]["blocks"]}
    assert {"reminder_after_hours", "escalate_after_hours"} <= blocks
    bad = slack.submit("alex", {"reminder_after_hours": {"value": "soon"}})
    assert bad["body"]["response_action"] == "errors" and "reminder_after_hours" in bad["body"]["errors"]
    good = slack.submit("alex", {"reminder_after_hours": {"value": "6"}, "escalate_after_hours": {"value": "0"}})
    assert good["closed"], good
    slack.idle()
    with Session(slack.engine) as s:
        st = s.get(TenantSettings, slack.world.tenant.id)
        assert (st.reminder_after_hours, st.escalate_after_hours) == (6, 0)
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "settings")).one()
        assert audit.detail["before"] == {"reminder_after_hours": 24, "escalate_after_hours": 48}

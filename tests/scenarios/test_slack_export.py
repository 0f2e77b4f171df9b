"""The whole spine through Slack with the real engine: a Procore company is sent with the slash command, accepted
on its card, exported by the real export hook and outbox operation to the QBO sandbox, and the card turns green."""

from __future__ import annotations

from sqlmodel import Session, select

from core.models import Item
from sync.jobs.base import run_job
from sync.qbo.query import select as qbo_select

pytest_plugins = ["tests.handlers.slack_harness"]


def test_company_sent_accepted_and_created_in_quickbooks(remote_world, slack_for):
    w = remote_world
    run_job(w.ctx, "vendors")
    pid = str(next(v.id for v in w.ctx.procore.list_vendors() if v.name == "Granite Peak Steel"))
    slack = slack_for(w, hooks=None, operations=None, context_for=lambda _tenant_id: w.ctx)

    out = slack.command("sam", f"send company {pid}")
    assert out["ok"], out
    slack.idle()
    assert any("Sent Granite Peak Steel to accounting" in t for t in slack.ephemerals("sam"))
    with Session(w.engine) as s:
        item = s.exec(select(Item).where(Item.type == "company", Item.procore_id == pid)).one()
    card = slack.card(item)
    assert "Creates Vendor “Granite Peak Steel” in QuickBooks" in slack.text(card)
    assert f"app.procore.com/{w.company_id}/company/directory/vendors/{pid}" in slack.text(card)

    assert slack.click("dana", item)["ok"]
    slack.idle(30)
    found = w.ctx.qbo.query(q=qbo_select("Vendor").where(DisplayName="Granite Peak Steel")).get("Vendor") or []
    assert len(found) == 1
    done = slack.card(item)
    assert slack.get(item.id).state == "synced" and "Synced as" in slack.text(done)
    assert f"vendordetail?nameId={found[0]['Id']}" in slack.text(done)


def test_link_company_by_command(remote_world, slack_for):
    from core.models import ExternalLink

    w = remote_world
    run_job(w.ctx, "vendors")
    pid = str(next(v.id for v in w.ctx.procore.list_vendors() if v.name == "Sawtooth Roofing"))
    qid = str(w.ctx.qbo.query(q=qbo_select("Vendor")).get("Vendor")[0]["Id"])
    slack = slack_for(w, hooks=None, operations=None, context_for=lambda _tenant_id: w.ctx)
    slack.command("riley", f"link company {pid} {qid}")
    slack.command("sam", f"link company {pid} {qid}")
    slack.idle()
    assert any("Standard permission" in t for t in slack.ephemerals("riley"))
    assert any(f"Linked Procore company Sawtooth Roofing ({pid}) to QuickBooks vendor" in t and t.endswith(f"({qid}).")
               for t in slack.ephemerals("sam"))
    with Session(w.engine) as s:
        link = s.exec(select(ExternalLink).where(ExternalLink.entity_type == "company",
                                                 ExternalLink.procore_id == pid)).one()
        assert link.qbo_id == qid

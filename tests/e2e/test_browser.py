"""Issue 8, browser end-to-end: real Chromium on the Slack sandbox's page, clicking the real Ledgerlink app.

Everything runs in-process over real HTTP on 127.0.0.1: the QBO and Procore sandboxes, the Slack sandbox (its app
URL pointed at our web app), bot.web's Flask app with the Bolt app (its WebClient on the Slack sandbox), and a tenant
wired to all three (tests/support/world_remote.RemoteWorld, its people mapped to Slack users by the Slack harness).
Exports use the real export hook and outbox operations (the app drains after an Accept). Each scenario saves a
screenshot per step under test-output/e2e/<scenario>/.

Skipped (with the reason) only when Chromium or Playwright is missing outside CI; under CI=true that fails.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.models import Item, OutboxEntry, Tenant
from sync import events
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from tests.e2e.browser import Steps, chromium_missing_reason, in_ci
from tests.support.world_remote import RemoteWorld
from tests.sync.writes.money_links import link_world

pytest_plugins = ["tests.handlers.slack_harness"]

MISSING = chromium_missing_reason()
if MISSING and not in_ci():
    pytest.skip(MISSING, allow_module_level=True)

D = Decimal
CHECKING = "35"  # the sample company's bank account in the QBO sandbox


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


class E2E:
    """The tenant (RemoteWorld `w`), its Slack (`slack`, a SlackWorld) and the page helpers."""

    def __init__(self, w: RemoteWorld, slack, page) -> None:  # type: ignore[no-untyped-def]
        self.w, self.slack, self.page = w, slack, page

    def item(self, invoice_number: str) -> Item:
        with Session(self.w.engine) as s:
            found = [i for i in s.exec(select(Item).where(Item.type == "sub_invoice"))
                     if i.detail.get("invoice_number") == invoice_number]
        assert found, f"no sub invoice {invoice_number}"
        return found[0]

    def send(self, item: Item, who: str = "sam") -> Item:
        out = self.slack.command(who, f"send sub-invoice {item.procore_id}")
        assert out["ok"], out
        self.slack.idle()
        sent = self.slack.get(item.id)
        assert sent.state == "awaiting_acceptance" and sent.card_ts, sent
        return sent

    def open(self, who: str, conversation: str, tab: str | None = None) -> None:
        url = f"{self.slack.sandbox_url}/?as={self.slack.ids[who]}&c={conversation}"
        self.page.goto(url + (f"&tab={tab}" if tab else ""))
        self.page.wait_for_selector("#messages")

    def card(self, item: Item):  # type: ignore[no-untyped-def]
        fresh = self.slack.get(item.id)
        return self.page.locator(f'.msg[data-ts="{fresh.card_ts}"][data-ephemeral="0"]')

    def press(self, scope, action_id: str) -> None:  # type: ignore[no-untyped-def]
        button = scope.locator(f'button[data-action-id="{action_id}"]')
        confirm = button.get_attribute("data-confirm")
        button.click()
        if confirm:
            self.page.locator("#confirm-accept").click()

    def qbo_creates(self) -> int:
        return self.w.sandboxes.qbo_requests(self.w.realm_id)["by_operation"].get("create", 0)

    def drain(self) -> int:
        return Outbox(self.w.engine, build_operations(lambda _tenant: self.w.ctx)).drain().done

    def announce_payments(self) -> int:
        """What the worker does for paid sync's events (bot/worker.py): the notifier's paid notice, once each."""
        notifier, sent = self.slack.svc.notifier, 0
        with Session(self.w.engine, expire_on_commit=False) as s:
            tenant = s.get(Tenant, self.w.tenant.id)
            pending = events.pending(s, tenant.id, consumer="slack")
            s.commit()  # like the worker: no write lock held while the notice redraws the card
        for event in pending:
            notifier.notify_paid(tenant, event)
            with Session(self.w.engine) as s:
                events.acknowledge(s, tenant.id, event.id, consumer="slack")
                s.commit()
            sent += 1
        return sent


@pytest.fixture
def e2e(sqlite_engine, sandboxes, slack_for, page):
    w = RemoteWorld(sqlite_engine, sandboxes)
    w.links = link_world(w)  # companies, projects and cost items linked: the invoices are exportable
    run_job(w.ctx, "sub-invoices")
    slack = slack_for(w, hooks=None, operations=None, context_for=lambda _tenant: w.ctx)
    return E2E(w, slack, page)


def test_accept_exports_the_bill_then_paid_in_quickbooks_shows_paid(e2e):
    from playwright.sync_api import expect

    w, slack, page = e2e.w, e2e.slack, e2e.page
    steps = Steps(page, "accept-then-paid")
    item = e2e.send(e2e.item("SC-2024-001-01-002"))
    run_job(w.ctx, "paid")  # the paid job's first run: nothing paid yet (later runs read QBO's change feed)

    e2e.open("dana", item.card_channel)
    card = e2e.card(item)
    expect(card).to_contain_text("Subcontractor invoice")
    expect(card).to_contain_text("$179,550.00")
    expect(card).to_contain_text("Awaiting acceptance")
    steps.shot("dana sees the card")

    e2e.press(card, "item_accept")
    expect(card).to_contain_text("Synced as Bill SC-2024-001-01-002")
    expect(card).to_contain_text("✅")  # the green check Slack shows for :white_check_mark:
    expect(card.locator('button[data-action-id="item_accept"]')).to_have_count(0)
    expect(card.locator('button[data-action-id="item_view_qbo"]')).to_have_count(1)
    steps.shot("card green with the bill number")  # docs/screenshot-accept.png is a copy of this one

    done = slack.get(item.id)
    assert done.state == "synced" and done.remote_id
    bill = w.ctx.qbo.read(entity="Bill", id=done.remote_id)
    assert bill["DocNumber"] == "SC-2024-001-01-002"
    assert bill["VendorRef"]["value"] == w.links.vendors[done.detail["vendor"]["id"]]
    assert D(str(bill["TotalAmt"])) == D("179550.00")
    assert [(x["DetailType"], D(str(x["Amount"]))) for x in bill["Line"]] == [
        ("ItemBasedExpenseLineDetail", D("199500.00")), ("AccountBasedExpenseLineDetail", D("-19950.00"))]
    line = bill["Line"][0]["ItemBasedExpenseLineDetail"]
    assert line["CustomerRef"]["value"] == w.links.projects[done.procore_project_id]
    assert bill["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]["name"] == "Retainage Payable"

    # the Bill is paid in QuickBooks (a BillPayment by check through the QBO API), then paid sync runs
    payment = w.ctx.qbo.create(entity="BillPayment", body={
        "VendorRef": bill["VendorRef"], "PayType": "Check", "TotalAmt": D("179550.00"), "DocNumber": "5150",
        "CheckPayment": {"BankAccountRef": {"value": CHECKING}}, "TxnDate": date.today().isoformat(),
        "Line": [{"Amount": D("179550.00"), "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})
    run_job(w.ctx, "paid")
    assert e2e.drain() == 1  # the Procore contract payment
    assert e2e.announce_payments() == 1
    slack.idle()

    notices = [m for m in slack.messages() if "*Paid*" in slack.text(m) and "SC-2024-001-01-002" in slack.text(m)
               and m["ts"] not in (done.card_ts, done.receipt_ts)]  # not the card, nor Sam's redrawn receipt
    assert len(notices) == 1, [slack.text(m) for m in slack.messages()]
    notice = page.locator(f'.msg[data-ts="{notices[0]["ts"]}"]')
    if notices[0]["_sandbox"]["channel"] != item.card_channel:
        e2e.open("dana", notices[0]["_sandbox"]["channel"])
    expect(notice).to_contain_text("Paid")
    expect(notice).to_contain_text("$179,550.00")
    expect(notice).to_contain_text("💰")
    if notices[0]["_sandbox"]["channel"] == item.card_channel:
        expect(e2e.card(item)).to_contain_text("💰 Paid · ")  # the card itself turns to paid too
        expect(e2e.card(item)).to_contain_text("Bill SC-2024-001-01-002")
    steps.shot("channel shows paid")
    assert slack.get(item.id).state == "paid"

    req = next(r for r in w.ctx.procore.list_requisitions(project_id=done.procore_project_id)
               if str(r.id) == done.procore_id)
    ours = [p for p in w.ctx.procore.list_contract_payments(project_id=done.procore_project_id,
                                                             contract_id=req.commitment_id)
            if p.origin_id and payment["Id"] in p.origin_id]
    assert [(p.amount, p.check_number, str(p.requisition_id)) for p in ours] == [
        (D("179550.00"), "5150", done.procore_id)]


def test_reject_with_a_reason_then_resend_then_accept(e2e):
    from playwright.sync_api import expect

    slack, page = e2e.slack, e2e.page
    steps = Steps(page, "reject-resend-accept")
    item = e2e.send(e2e.item("SC-2024-014-06-001"))

    e2e.open("dana", item.card_channel)
    card = e2e.card(item)
    e2e.press(card, "item_reject")
    modal = page.locator("#modal form.modal-view")
    expect(modal).to_be_visible()
    reason = modal.locator('[data-action-id="reason_text"]')
    reason.fill("no")
    steps.shot("reject modal with a short reason")
    modal.locator("[data-modal-submit]").click()
    expect(modal.locator(".field-error")).to_contain_text("at least 5 characters")
    steps.shot("field error")
    assert slack.get(item.id).state == "awaiting_acceptance"

    reason = page.locator('#modal [data-action-id="reason_text"]')
    reason.fill("Retainage should be 5%, not 10%.")
    page.locator("#modal [data-modal-submit]").click()
    expect(page.locator("#modal form.modal-view")).to_have_count(0)
    expect(card).to_contain_text("Rejected by")
    expect(card).to_contain_text("Retainage should be 5%, not 10%.")
    steps.shot("card rejected with the reason")
    slack.idle()
    assert slack.get(item.id).state == "rejected"

    # Sam's DM with the app shows the reason and a Resend button
    e2e.open("sam", "app", tab="messages")
    dm = page.locator(".msg[data-ephemeral='0']", has=page.locator('button[data-action-id="item_resend"]'))
    expect(dm).to_have_count(1)
    expect(dm).to_contain_text("Retainage should be 5%, not 10%.")
    steps.shot("sam's dm shows the reason")
    e2e.press(dm, "item_resend")
    expect(page.locator("#messages")).to_contain_text("You resent")
    steps.shot("sam resent")
    slack.idle()
    again = slack.get(item.id)
    assert again.state == "awaiting_acceptance" and again.round == 2 and again.card_ts != item.card_ts

    e2e.open("dana", again.card_channel)
    card = e2e.card(again)
    expect(card).to_contain_text("round 2")
    e2e.press(card, "item_accept")
    expect(card).to_contain_text("Synced as Bill")
    steps.shot("accepted and synced")
    slack.idle()
    assert slack.get(item.id).state == "synced"


def test_a_read_only_click_is_refused_and_changes_nothing(e2e):
    from playwright.sync_api import expect

    slack, page = e2e.slack, e2e.page
    steps = Steps(page, "read-only-refused")
    item = e2e.send(e2e.item("SC-2024-001-01-002"))
    creates = e2e.qbo_creates()

    e2e.open("riley", item.card_channel)
    card = e2e.card(item)
    steps.shot("riley sees the card")
    e2e.press(card, "item_accept")
    ephemeral = page.locator(".msg.ephemeral")
    expect(ephemeral).to_contain_text("You need Standard permission")
    expect(ephemeral).to_contain_text("you have Read only")
    expect(ephemeral).to_contain_text("Only visible to you")
    steps.shot("refused with an explanation")
    slack.idle()
    time.sleep(0.2)

    after = slack.get(item.id)
    assert after.state == "awaiting_acceptance" and after.version == item.version
    expect(card).to_contain_text("Awaiting acceptance")
    expect(card.locator('button[data-action-id="item_accept"]')).to_have_count(1)
    with Session(e2e.w.engine) as s:
        assert not s.exec(select(OutboxEntry)).all()
    assert e2e.qbo_creates() == creates


def test_delegate_accepts_in_the_browser_on_behalf_of_the_approver_away(e2e):
    from playwright.sync_api import expect

    slack, page = e2e.slack, e2e.page
    steps = Steps(page, "delegate-accepts")
    until = (date.today() + timedelta(days=5)).isoformat()
    out = slack.command("dana", f"away <@{slack.ids['erin']}> until {until}")
    assert out["ok"], out
    item = e2e.send(e2e.item("SC-2024-001-01-002"))
    e2e.open("erin", item.card_channel)
    card = e2e.card(item)
    expect(card).to_contain_text("Awaiting acceptance")
    e2e.press(card, "item_accept")
    expect(card).to_contain_text("Synced as Bill SC-2024-001-01-002")
    expect(card).to_contain_text("on behalf of")
    steps.shot("card says accepted on behalf of the approver away")
    assert slack.get(item.id).state == "synced"


def test_away_set_from_app_home_then_the_delegate_rejects_on_behalf_and_the_week_chart_shows(e2e):
    from playwright.sync_api import expect

    slack, page = e2e.slack, e2e.page
    steps = Steps(page, "away-from-app-home")
    slack.home("dana")
    slack.idle()
    page.goto(f"{slack.sandbox_url}/?as={slack.ids['dana']}&c=app&tab=home")
    home = page.locator("#home")
    expect(home).to_contain_text("you're in")
    home.locator('button[data-action-id="home_away"]').click()
    modal = page.locator("#modal form.modal-view")
    expect(modal).to_be_visible()
    modal.locator('[data-action-id="away_delegate_user"]').select_option(slack.ids["erin"])
    modal.locator('[data-action-id="away_until_date"]').fill((date.today() + timedelta(days=4)).isoformat())
    steps.shot("out of office form")
    modal.locator("[data-modal-submit]").click()
    expect(page.locator("#modal form.modal-view")).to_have_count(0)
    expect(page.locator("#home")).to_contain_text("You're away")
    steps.shot("home says away")

    item = e2e.send(e2e.item("SC-2024-014-06-001"))
    e2e.open("erin", item.card_channel)
    card = e2e.card(item)
    e2e.press(card, "item_reject")
    page.locator('#modal [data-action-id="reason_text"]').fill("Retainage should be 5%, not 10%.")
    page.locator("#modal [data-modal-submit]").click()
    expect(card).to_contain_text("on behalf of")
    steps.shot("card says rejected on behalf of the approver away")

    e2e.slack.command("erin", "week")  # the chart of the week, shared in the approvers' channel
    slack.idle()
    e2e.open("erin", item.card_channel)
    picture = page.locator("img.file-image")
    expect(picture).to_have_count(1)
    assert page.evaluate("img => img.naturalWidth", picture.element_handle()) == 900
    steps.shot("the chart of the week in the channel")

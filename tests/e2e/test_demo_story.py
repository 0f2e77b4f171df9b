"""Issue 19, the README's demo story in a real browser against a real `ledgerlink run` (sandboxes, web, worker):
open the start link (the suggested card in view), Accept, see the Bill on the QuickBooks side and the invoice on the
Procore side, Reject with a reason (a block quote), the sender's DM and Resend, App Home, `/ledgerlink help`.

Each step leaves a screenshot under test-output/e2e/demo-story/; the assertions check what the issue listed:
no raw emoji shortcodes or mrkdwn, one time zone, no "In QuickBooks: Creates …" on a synced card, no Retrieve on a
decided item's receipt, a reload drops an open modal, App Home opens at the top and lists each item once, words
instead of counter names, escaped help placeholders and "Did you mean".
"""

from __future__ import annotations

import re
import sys
from datetime import datetime

import httpx
import pytest

from tests.bot.test_demo import Demo, free_ports
from tests.e2e.browser import Steps, chromium_missing_reason, in_ci

MISSING = chromium_missing_reason()
if MISSING and not in_ci():
    pytest.skip(MISSING, allow_module_level=True)

RAW = re.compile(r":[a-z][a-z0-9_+\-]*:(?!\d)")  # a shortcode the page failed to turn into an emoji


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if sys.platform != "linux":
        pytest.skip("the demo supervisor is tested on Linux")
    run = Demo(tmp_path_factory.mktemp("demo"), free_ports(4))
    start = run.wait_for(r"Open (http://\S+) — you are Dana \(approver\)\. Try Accept on (.+)\.$", timeout=120)
    run.start_url, run.suggested = start.group(1), start.group(2)
    yield run
    assert run.stop() == 0


@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def _card(page, title: str):  # type: ignore[no-untyped-def]
    return page.locator('.msg[data-ephemeral="0"]', has_text=title).last


def _in_view(page, locator) -> bool:  # type: ignore[no-untyped-def]
    box, main = locator.bounding_box(), page.locator("#main").bounding_box()
    return box is not None and box["y"] >= main["y"] - 1 and box["y"] < main["y"] + main["height"]


def _no_raw_markup(page) -> None:  # type: ignore[no-untyped-def]
    text = page.locator("#main").inner_text()
    assert not RAW.findall(text), RAW.findall(text)
    assert "&gt;" not in text and "&lt;" not in text and "&amp;" not in text
    assert not re.search(r"(^|\s)\*[^*\n]+\*(\s|$)", text), "mrkdwn asterisks shown raw"


def _minutes(clock: str) -> int:
    moment = datetime.strptime(clock.strip(), "%I:%M %p")
    return moment.hour * 60 + moment.minute


def test_the_readme_demo_story(demo, page):  # noqa: PLR0915 - one story, step by step
    from playwright.sync_api import expect

    steps = Steps(page, "demo-story")
    slack = demo.slack
    users = {u["profile"]["email"].split("@")[0]: u["id"] for u in
             httpx.get(f"{slack}/_sandbox/info", timeout=10).json()["users"] if u.get("profile", {}).get("email")}

    # 1. the start link opens #accounting with the suggested card in view, highlighted
    page.goto(demo.start_url)
    card = page.locator(".msg.focused")
    expect(card).to_contain_text(demo.suggested.split(" invoice ")[-1])
    assert _in_view(page, card)
    _no_raw_markup(page)
    # one time zone: the card's "Sent … on today at 7:46 AM" and its header time agree (the card is posted as sent)
    header = card.locator(".msg-head .time").inner_text()
    sent = card.locator("time.date").first.inner_text()
    assert abs(_minutes(header) - _minutes(sent.split(" at ")[-1])) <= 1, (header, sent)
    steps.shot("start link: the suggested card in view")

    # 2. Accept: Exporting…, then Synced as Bill …, with no leftover "In QuickBooks: Creates …"
    card.locator('button[data-action-id="item_accept"]').click()
    if page.locator("#confirm-dialog[open]").count():
        page.locator("#confirm-accept").click()
    synced = _card(page, demo.suggested.split(" invoice ")[-1])
    expect(synced).to_contain_text("Synced as Bill", timeout=60_000)
    expect(synced).not_to_contain_text("In QuickBooks:")
    _no_raw_markup(page)
    steps.shot("accepted: synced as a Bill")

    # 3. the Bill on the QuickBooks side: the card's link lands on the QBO sandbox's page of that Bill
    qbo_url = synced.locator('button[data-action-id="item_view_qbo"]').get_attribute("data-url")
    assert qbo_url and qbo_url.startswith(demo.qbo + "/app/bill?txnId="), qbo_url
    page.goto(qbo_url)
    expect(page.get_by_test_id("title")).to_contain_text("Bill")
    expect(page.locator("main")).to_contain_text("ACME Concrete")
    expect(page.get_by_test_id("Lines")).to_be_visible()
    steps.shot("the Bill in QuickBooks")

    # 4. and the invoice on the Procore side
    page.goto(demo.start_url)
    synced = _card(page, demo.suggested.split(" invoice ")[-1])
    procore_url = synced.locator('button[data-action-id="item_view_procore"]').get_attribute("data-url")
    assert procore_url and procore_url.startswith(f"http://127.0.0.1:{demo.ports['procore']}/"), procore_url
    page.goto(procore_url)
    expect(page.get_by_test_id("title")).to_contain_text(demo.suggested.split(" invoice ")[-1])
    steps.shot("the invoice in Procore")

    # 5. Reject another card with a reason: the card quotes it as a block quote
    page.goto(f"{slack}/?as={users['dana']}&c=accounting")
    waiting = page.locator('.msg[data-ephemeral="0"]', has=page.locator('[data-action-id="item_reject"]'))
    target = waiting.first
    title = target.locator("h3").first.inner_text()
    target.locator('button[data-action-id="item_reject"]').click()
    modal = page.locator("#modal form.modal-view")
    expect(modal).to_be_visible()
    modal.locator("textarea, input[type=text]").first.fill("Retainage should be 5%, not 10%.")
    modal.locator("[data-modal-submit]").click()
    expect(modal).to_have_count(0)
    rejected = page.locator('.msg[data-ephemeral="0"]', has_text=title).last
    expect(rejected.locator("blockquote")).to_contain_text("Retainage should be 5%, not 10%.")
    _no_raw_markup(page)
    rejected.scroll_into_view_if_needed()
    steps.shot("rejected with a reason")

    # 6. a modal left open does not come back on reload
    page.locator('.msg[data-ephemeral="0"]', has=page.locator('[data-action-id="item_reject"]')).first.locator(
        'button[data-action-id="item_reject"]').click()
    expect(page.locator("#modal form.modal-view")).to_be_visible()
    page.reload()
    page.wait_for_selector("#messages")
    page.wait_for_timeout(1500)  # a poll or two
    assert page.locator("#modal form.modal-view").count() == 0
    steps.shot("reloaded: no modal")

    # 7. Sam's DMs: the rejection with the reason and Resend; receipts of decided items lost Retrieve
    page.goto(f"{slack}/?as={users['sam']}&c=app&tab=messages")
    dm = page.locator(".msg", has_text="was rejected by").last
    expect(dm.locator("blockquote")).to_contain_text("Retainage should be 5%")
    _no_raw_markup(page)
    for receipt in page.locator(".msg", has_text="You sent").all():
        text = receipt.inner_text()
        if "Synced as" in text or "Rejected by" in text:
            assert receipt.locator('[data-action-id="item_retrieve"]').count() == 0, text
    steps.shot("Sam's DM with the reason and Resend")
    dm.locator('button[data-action-id="item_resend"]').click()
    expect(page.locator("#toasts, #main").first).to_be_visible()
    page.goto(f"{slack}/?as={users['dana']}&c=accounting")
    again = page.locator('.msg[data-ephemeral="0"]', has_text=title).last
    expect(again.locator('[data-action-id="item_accept"]')).to_be_visible()
    steps.shot("resent: the card waits again")

    # 8. App Home: opens at the top, each ready item once, the sync report in words
    page.goto(f"{slack}/?as={users['sam']}&c=app&tab=home")
    home = page.locator("#home")
    expect(home).to_contain_text("Ready to export")
    page.wait_for_timeout(1500)
    assert page.evaluate("document.getElementById('main').scrollTop") == 0
    text = home.inner_text()
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text.split("Sync schedule")[-1]), "counter names on App Home"
    ready = text.split("Ready to export")[1].split("Send selected to accounting")[0]
    names = re.findall(r"invoice (SC-[\w-]+|\d{4})", ready)
    assert names and len(names) == len(set(names)), names
    _no_raw_markup(page)
    steps.shot("App Home at the top")
    home.get_by_text("Sync schedule and last runs").scroll_into_view_if_needed()
    steps.shot("App Home: the sync report in words")

    # 9. /ledgerlink help: placeholders shown as typed, not as links; a typo gets "Did you mean"
    page.goto(f"{slack}/?as={users['sam']}&c=accounting")
    composer = page.get_by_test_id("composer")
    composer.fill("/ledgerlink help")
    composer.press("Enter")
    help_msg = page.locator(".msg.ephemeral", has_text="Ledgerlink commands").last
    expect(help_msg).to_contain_text("<type>")
    assert help_msg.locator('a[href="type"]').count() == 0
    composer.fill("/ledgerlink hlep")
    composer.press("Enter")
    expect(page.locator(".msg.ephemeral", has_text="hlep").last).to_contain_text("Did you mean")
    steps.shot("help and a typo")

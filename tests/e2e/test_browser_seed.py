"""Issue 16 in the browser: the seed's subcommands typed into the Slack sandbox page's composer, their buttons
clicked in real Chromium — unlink (with its confirm step) and the duplicates review. Same in-process setup as
test_browser.py (the sandboxes over HTTP, the real web app); screenshots under test-output/e2e/<scenario>/."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.models import AuditEvent, ExternalLink
from sync.jobs.base import run_job
from tests.e2e.browser import Steps
from tests.e2e.test_browser import E2E, page  # noqa: F401  # the browser fixture is in tests/e2e/conftest.py
from tests.support.world_remote import RemoteWorld

pytest_plugins = ["tests.handlers.slack_harness"]


@pytest.fixture
def seed_e2e(sqlite_engine, sandboxes, slack_for, page):  # noqa: F811  # `page` is the imported fixture
    w = RemoteWorld(sqlite_engine, sandboxes)
    w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Alpine Insulation LLC"})
    run_job(w.ctx, "vendors")
    slack = slack_for(w, hooks=None, operations=None, context_for=lambda _tenant: w.ctx)
    return E2E(w, slack, page)


def _type(e2e: E2E, text: str) -> None:
    box = e2e.page.locator("#composer-input")
    box.fill(text)
    box.press("Enter")


def _start(e2e: E2E, scenario: str) -> tuple:
    """Sam looking at #accounting, and the scenario's screenshots."""
    channel = e2e.slack.sandbox.store.conversation_by_name("accounting")["id"]
    e2e.open("sam", channel)
    return e2e, e2e.page, Steps(e2e.page, scenario), channel


def _procore_id(w: RemoteWorld, name: str) -> str:
    return str(next(v.id for v in w.ctx.procore.list_vendors() if v.name == name))


def test_unlink_a_company_asks_then_unlinks(seed_e2e):
    from playwright.sync_api import expect

    e2e, page, steps, channel = _start(seed_e2e, "unlink-company")  # noqa: F811  # `page`: a fixture's name too
    _type(e2e, '/ledgerlink link company "Gem State Flooring" 42')
    expect(page.locator("#messages")).to_contain_text("Linked Procore company Gem State Flooring")
    pid = _procore_id(e2e.w, "Gem State Flooring")

    e2e.open("alex", channel)
    _type(e2e, '/ledgerlink unlink company "Gem State Flooring"')
    ask = page.locator(".msg.ephemeral", has=page.locator('button[data-action-id="command_confirm"]'))
    expect(ask).to_contain_text("Unlink Procore company Gem State Flooring")
    steps.shot("alex is asked first")
    with Session(e2e.w.engine) as s:
        assert s.exec(select(ExternalLink).where(ExternalLink.procore_id == pid)).first() is not None
    e2e.press(ask, "command_confirm")
    expect(page.locator("#messages")).to_contain_text("Unlinked Gem State Flooring from QuickBooks vendor 42")
    steps.shot("unlinked")
    e2e.slack.idle()
    with Session(e2e.w.engine) as s:
        assert s.exec(select(ExternalLink).where(ExternalLink.procore_id == pid)).first() is None
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "unlink_company")).one().actor_label == "@alex"


def test_duplicates_review_link_and_not_a_duplicate(seed_e2e):
    from playwright.sync_api import expect

    e2e, page, steps, channel = _start(seed_e2e, "duplicates-review")  # noqa: F811  # `page`: a fixture's name too
    _type(e2e, "/ledgerlink duplicates")
    review = page.locator(".msg.ephemeral", has_text="Likely duplicate companies")
    expect(review).to_contain_text("Procore company 'Alpine Insulation' and QuickBooks vendor 'Alpine Insulation LLC'")
    steps.shot("the review list")
    link_row = review.locator('.blk[data-block-type="actions"]',
                              has=page.locator('button[data-action-id="duplicate_link"]')).first
    e2e.press(link_row, "duplicate_link")
    expect(page.locator("#messages")).to_contain_text("Linked. Alpine Insulation to QuickBooks vendor")
    steps.shot("linked from the review")
    e2e.slack.idle()
    with Session(e2e.w.engine) as s:
        assert s.exec(select(ExternalLink).where(
            ExternalLink.procore_id == _procore_id(e2e.w, "Alpine Insulation"))).one()

    first_pair = review.locator('.blk[data-block-type="actions"]', has=page.locator(
        'button[data-action-id="duplicate_not_a_duplicate"]')).first
    e2e.press(first_pair, "duplicate_not_a_duplicate")
    expect(page.locator("#messages")).to_contain_text("are different companies")
    steps.shot("not a duplicate")
    e2e.slack.idle()
    with Session(e2e.w.engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "not_a_duplicate")).one().actor_label == "@sam"

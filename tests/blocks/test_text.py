"""Formatting: dates, mentions, escaping, truncation that says so, and Procore / QuickBooks links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from blocks.links import Links, qbo_app_for
from blocks.text import TRUNCATED, age, bounded_lines, escape, link, mention, truncate, when


def test_dates_in_the_tenant_zone_and_ages():
    ts = datetime(2025, 3, 5, 3, 30, tzinfo=UTC)
    assert when(ts, "America/Los_Angeles") == "Mar 4, 2025 at 19:30"
    assert when(ts, "Not/AZone") == "Mar 5, 2025 at 03:30"
    now = ts + timedelta(days=3, hours=2)
    assert (age(ts, now), age(now - timedelta(seconds=5), now), age(now - timedelta(minutes=7), now)) == \
        ("3 days", "just now", "7 min")
    from blocks.text import date as fmt_date

    assert fmt_date(date(2025, 1, 9)) == "Jan 9, 2025"


def test_mentions_links_and_escaping():
    assert mention("U1", "Dana") == "<@U1>" and mention(None, "A & B") == "A &amp; B"
    assert escape("<b>&") == "&lt;b&gt;&amp;"
    assert link("https://x.example/a", "A|B <c>") == "<https://x.example/a|A¦B &lt;c&gt;>"
    assert link(None, "plain") == "plain"


def test_truncation_cuts_at_a_word_and_says_so():
    text = "The vendor is inactive in QuickBooks and must be reactivated before export"
    out = truncate(text, 40)
    assert len(out) <= 40 and out.endswith(TRUNCATED) and out.startswith("The vendor is")
    assert out[: -len(TRUNCATED)].split()[-1] in text.split()  # whole words only
    assert truncate("short", 40) == "short"
    assert truncate("x" * 100, 30).endswith(TRUNCATED)  # one long word: cut, and it says so


@given(st.text(min_size=0, max_size=400), st.integers(min_value=20, max_value=300))
def test_truncate_always_fits(text, limit):
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith(TRUNCATED)


def test_bounded_lines_says_how_many_more():
    lines = [f"line {i}" for i in range(20)]
    assert bounded_lines(lines, limit=1000, max_lines=8).endswith("…and 12 more lines")
    out = bounded_lines(lines, limit=50)
    assert len(out) <= 50 and "more lines" in out
    assert bounded_lines(lines[:3], limit=1000) == "line 0\nline 1\nline 2"
    assert bounded_lines(lines[:2], limit=7) == "…and 2 more lines"


def test_procore_links_follow_procores_page_routes():
    links = Links()
    detail = {"commitment_id": 77, "contract_type": "PurchaseOrderContract"}
    assert links.procore("sub_invoice", "12", project_id=5, company_id=1, detail=detail) == \
        "https://app.procore.com/5/project/commitments/purchase_order_contracts/77/requisitions/12"
    assert links.procore("commitment", "77", project_id=5, company_id=1, detail={}) == \
        "https://app.procore.com/5/project/commitments/work_order_contracts/77"
    assert links.procore("cco", "9", project_id=5, company_id=1, detail={"commitment_id": 77}).endswith(
        "/5/project/commitments/work_order_contracts/77/change_orders/commitment_contract_change_orders/9")
    assert links.procore("owner_invoice", "3", project_id=5, company_id=1, detail={"prime_contract_id": 8}) == \
        "https://app.procore.com/5/project/prime_contracts/8/payment_applications/3"
    assert links.procore("pcco", "4", project_id=5, company_id=1, detail={"prime_contract_id": 8}).endswith(
        "/5/project/prime_contracts/8/change_orders/change_order_packages/4")
    assert links.procore("company", "562949953421636", project_id=None, company_id=1, detail={}) == \
        "https://app.procore.com/1/company/directory/vendors/562949953421636"
    assert links.procore("project", "5", project_id=5, company_id=1).endswith("/5/project/home")
    assert links.procore("budget", "5", project_id=5, company_id=1).endswith("/5/project/budgets/budget_details")
    assert links.procore("sub_invoice", "12", project_id=None, company_id=1) is None
    assert links.procore("sub_invoice", "12", project_id=5, company_id=1,
                         detail={"procore_url": "https://app.procore.com/x"}) == "https://app.procore.com/x"
    assert Links(procore_web="https://sandbox.procore.test/").procore("project", "5", project_id=5,
                                                                     company_id=1) == \
        "https://sandbox.procore.test/5/project/home"


def test_quickbooks_links():
    links = Links(qbo_app=qbo_app_for("production"))
    assert links.qbo("sub_invoice", "145") == "https://app.qbo.intuit.com/app/bill?txnId=145"
    assert links.qbo("company", "58") == "https://app.qbo.intuit.com/app/vendordetail?nameId=58"
    assert links.qbo("commitment", "7") == "https://app.qbo.intuit.com/app/purchaseorder?txnId=7"
    assert links.qbo("cost_code", "7") == "https://app.qbo.intuit.com/app/items"
    assert links.qbo("sub_invoice", None) is None
    assert qbo_app_for("sandbox") == "https://app.sandbox.qbo.intuit.com"


def test_slack_when_lets_each_reader_see_their_own_zone():
    from blocks.text import slack_when

    ts = datetime(2025, 3, 5, 3, 30, tzinfo=UTC)
    assert slack_when(ts, "America/Los_Angeles") == (
        f"<!date^{int(ts.timestamp())}^{{date_short_pretty}} at {{time}}|Mar 4, 2025 at 19:30>")
    assert slack_when(None) == "—"


def test_sync_counters_read_as_words_on_app_home():
    from blocks.sync_stats import stats_summary

    text = stats_summary({"items_skip": 3, "linked_projects": 2, "watched_bills": 14, "create": 1, "skip": 0,
                          "mode": "cdc", "vendor_records_read": 40, "odd_counter": 2})
    assert text == ("1 created, 2 linked projects, 14 bills watched, 3 budget lines not synced yet, "
                    "2 odd counter, 40 QuickBooks vendor records read")
    assert "_" not in text and stats_summary({"skip": 0}) is None and stats_summary(None) is None

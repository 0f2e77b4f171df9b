"""The Slack sandbox page renders mrkdwn as Slack does: emoji, quotes, links with formatting, mentions, dates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.slack.dates import format_date, viewer_zone
from sandbox.slack.emoji import EMOJI
from sandbox.slack.render import Renderer

ROOT = Path(__file__).resolve().parents[3]
# IPv6, log formats and outbox record keys (all-digit runs are times)
NOT_EMOJI = {"ffff", "entity", "operation", "deactivate", "procore-file"}
DEC_6_2024_1546_UTC = 1733500000  # Friday Dec 6, 2024 15:46:40 UTC


def renderer(tz: str = "America/Los_Angeles") -> Renderer:
    return Renderer({"U1": "Dana Whitfield", "C1": "accounting"}, [], [], tz=tz)


def test_every_shortcode_our_code_emits_has_an_emoji():
    used = set()
    for package in ("blocks", "bot", "handlers", "sync", "core"):
        for path in (ROOT / package).rglob("*.py"):
            used |= set(re.findall(r":([a-z0-9_+\-]{2,}):", path.read_text()))
    missing = sorted(u for u in used - NOT_EMOJI - set(EMOJI) if not u.isdigit())
    assert not missing, f"shortcodes the page would show raw: {missing}"
    html = renderer().mrkdwn(":large_blue_circle: Sent :arrow_right: QuickBooks :nope: at 10:30:00")
    assert "🔵" in html and "➡️" in html and ":nope:" in html and "10:30:00" in html


def test_block_quotes():
    html = str(renderer().mrkdwn(":no_entry: *ACME* was rejected\n>Wrong amount\n>see the *lien* <waiver>\nFix it"))
    assert "<blockquote>Wrong amount<br>see the <b>lien</b>" in html and "&gt;" not in html
    assert html.endswith("</blockquote>Fix it")
    assert str(renderer().mrkdwn(">>>all\nof this")) == "<blockquote>all<br>of this</blockquote>"
    assert "&gt; not a quote" in str(renderer().mrkdwn("a &gt; not a quote"))


def test_mrkdwn_around_and_inside_links():
    html = str(renderer().mrkdwn("*Synced as <https://q/app/bill?txnId=7&amp;x=1|Bill _7_ :receipt:>*"))
    assert html == ('<b>Synced as <a href="https://q/app/bill?txnId=7&amp;x=1" target="_blank" '
                    'rel="noopener noreferrer">Bill <i>7</i> 🧾</a></b>')
    assert "<s>old</s> <code>x</code>" in str(renderer().mrkdwn("<https://a|~old~ `x`>"))
    assert "&lt;script&gt;" in str(renderer().mrkdwn("<https://a|&lt;script&gt;>"))  # escaped labels stay text


def test_mentions():
    html = str(renderer().mrkdwn("<@U1> in <#C1|accounting> <!here> <!channel> <!subteam^S9|@ap-team>"))
    assert "@Dana Whitfield" in html and "#accounting" in html and "@here" in html and "@channel" in html
    assert "@ap-team" in html


@pytest.mark.parametrize(("fmt", "tz", "shown"), [
    ("{date_short} at {time}", "America/Los_Angeles", "Dec 6, 2024 at 7:46 AM"),
    ("{date_short} at {time}", "America/Denver", "Dec 6, 2024 at 8:46 AM"),
    ("{date_num} {time_secs}", "UTC", "2024-12-06 3:46:40 PM"),
    ("{date}", "UTC", "December 6th, 2024"),
    ("{date_long}", "UTC", "Friday, December 6th, 2024"),
    ("{date_short_pretty}", "UTC", "today"),
])
def test_dates_in_the_viewers_zone(fmt, tz, shown):
    now = DEC_6_2024_1546_UTC + 3600
    assert format_date(DEC_6_2024_1546_UTC, fmt, viewer_zone(tz), now=now) == shown


def test_a_date_token_and_the_message_header_use_one_zone():
    r = renderer("America/Denver")
    html = str(r.mrkdwn(f"Sent on <!date^{DEC_6_2024_1546_UTC}^{{date_short}} at {{time}}|Dec 6, 2024 at 15:46 UTC>"))
    assert "Dec 6, 2024 at 8:46 AM" in html and "UTC" not in html
    msg = {"ts": f"{DEC_6_2024_1546_UTC}.000100", "user": "U1", "text": "hi"}
    assert '<span class="time">8:46 AM</span>' in str(r.message(msg))
    assert "Fallback" in str(r.mrkdwn("<!date^nope^{date}|Fallback>"))

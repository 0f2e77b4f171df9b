"""Shared pieces of the bad-input and security suites: nasty strings, signed Slack requests, and the checks
"a person was told a sentence" and "no item is half-written"."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
import urllib.parse
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from core.domain.states import ItemState
from core.models import Item, OutboxEntry

QBO_VERIFIER, PROCORE_SECRET = "reliability-verifier", "reliability-hook-secret"  # see support_input_web.py

#: examples per property: enough to hit the odd shapes, few enough for `make test` on two cores
FEW, SOME, MANY = 25, 60, 150


def runs(max_examples: int) -> settings:
    """Hypothesis settings for these suites: bounded examples, no deadline, no example database on disk, and the
    same examples every run (so `make test` is repeatable); LEDGERLINK_HYPOTHESIS_RANDOM=1 explores new ones."""
    return settings(max_examples=max_examples, deadline=None, database=None, print_blob=True,
                    derandomize=os.environ.get("LEDGERLINK_HYPOTHESIS_RANDOM") != "1",
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])

# What a person must never see: a stack trace, a Python exception's class name, a file path of the code.
_LEAK = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|File \"|sqlalchemy|psycopg|\.py\b|"
                   r"\bline \d+, in\b")

# strings that have bitten parsers, databases and Slack before
SPECIALS = [
    "", " ", "\t\n", "'", '"', "\\", "\\'", "''", "%", "_", "%_%", "*", "#", "#0", "#-1", "#99999999999999999999",
    "' OR '1'='1", "'; DROP TABLE items; --", "\" OR 1=1 --", "1; DELETE FROM users", "') OR ('a'='a",
    "Robert'); DROP TABLE tenants;--", "\\'; SELECT * FROM connections; --", "%' OR Name LIKE '%",
    "<@U000>", "<!channel>", "<!here>", "<#C000|general>", "<https://evil.example|click>", "*bold* _it_ ~s~ `c`",
    "{{7*7}}", "${jndi:ldap://x}", "%s%s%s%n", "{0}{1}", "\x00", "a\x00b", "\u202eevil", "\u200b", "\ufeff",
    "🧾💸", "Ω" * 3, "ß", "İ", "ﬁ", "e\u0301", "\r\n\r\n", "NaN", "Infinity", "-0", "1e999", "0x10", "١٢٣",
    "99999999999999999999", "-1", "0", "1.005", "1,000,000.00", "$5", "null", "None", "true", "[]", "{}",
]


def _no_leak_words(text: str) -> bool:
    return not _LEAK.search(text)


def nasty_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Unicode (control characters, RTL marks, emoji, NUL), injection snippets and the odd huge string."""
    return st.one_of(
        st.sampled_from(SPECIALS),
        st.text(max_size=max_size),
        # every code point UTF-8 can carry (no surrogates); said by category, not codec="utf-8", whose table
        # costs each pytest process ~2.7 s of CPU to build
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=max_size),
        st.lists(st.sampled_from(SPECIALS), min_size=1, max_size=4).map(" ".join),
        st.integers(min_value=2_000, max_value=40_000).map(lambda n: "Ωx " * (n // 3)),
    ).filter(_no_leak_words)


def assert_sentence(text: Any, *, what: str = "answer") -> None:
    """Something written for a person: text, not a trace or an exception class name."""
    assert isinstance(text, str) and text.strip(), f"{what} is empty: {text!r}"
    leak = _LEAK.search(text)
    assert leak is None, f"{what} leaks {leak.group(0)!r}: {text[:500]!r}"


class Tried:
    """Counts the examples hypothesis really ran (the figure the tally reports)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> None:
        self.n += 1


# --- what a person was told in Slack -------------------------------------------------------------------------
def mark(slack, who: str) -> tuple[int, int]:
    """Where the person's ephemeral messages and DMs end now (see `told_since`)."""
    return len(slack.ephemerals(who)), len(slack.dms(who))


def told_since(slack, who: str, since: tuple[int, int]) -> list[str]:
    """Ephemeral messages and DMs the person got after `since` (a `mark`)."""
    return slack.ephemerals(who)[since[0]:] + [m["text"] for m in slack.dms(who)[since[1]:]]


# --- Slack requests signed by hand ----------------------------------------------------------------------------
def slack_headers(body: bytes, *, secret: str, ts: int | None = None, content_type: str) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig, "Content-Type": content_type}


def payload_body(payload: Any) -> tuple[bytes, str]:
    """An interaction payload as Slack posts it (form field `payload`)."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


def form_body(fields: dict[str, str]) -> tuple[bytes, str]:
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"


def json_body(envelope: Any) -> tuple[bytes, str]:
    return json.dumps(envelope).encode(), "application/json"


def post_signed(url: str, body: bytes, content_type: str, *, secret: str, ts: int | None = None) -> httpx.Response:
    return httpx.post(url, content=body, headers=slack_headers(body, secret=secret, ts=ts, content_type=content_type),
                      timeout=30)


# --- database checks ------------------------------------------------------------------------------------------
def item_rows(engine: Engine) -> dict[int, tuple]:
    """Every item's state, version and decision fields (to say "nothing changed")."""
    with Session(engine) as s:
        return {i.id: (i.tenant_id, i.state, i.version, i.round, i.reject_reason, i.remote_id, i.decided_by_id)
                for i in s.execute(select(Item)).scalars()}


def assert_items_whole(engine: Engine) -> None:
    """Every item is in a real state with the fields that state needs (no half-written item)."""
    states = {s.value for s in ItemState}
    with Session(engine) as s:
        for i in s.execute(select(Item)).scalars():
            where = f"item {i.id} ({i.state})"
            assert i.state in states, where
            assert i.title and i.procore_id and i.type, where
            if i.state == ItemState.AWAITING_ACCEPTANCE:
                assert i.sender_id and i.sent_at and i.card_channel and i.card_ts and i.round >= 1, where
            if i.state == ItemState.REJECTED:
                assert i.reject_reason and i.reject_reason.strip() and i.decided_by_id and i.decided_at, where
            if i.state in (ItemState.SYNCED, ItemState.PAID):
                assert i.remote_id, where
            if i.state == ItemState.FAILED_TO_EXPORT:
                assert i.last_error, where


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table: an injection that dropped or emptied a table shows here."""
    with Session(engine) as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def tally_lost_and_duplicated(engine: Engine, before: dict[int, tuple]) -> tuple[int, int]:
    """Measure, and add to the tally, items that were there before (`item_rows`) and are gone, and items written
    to QuickBooks more than once (two finished outbox writes of one operation for one item)."""
    from tests.reliability import tally

    with Session(engine) as s:
        now = set(s.execute(select(Item.id)).scalars())
        done = s.execute(select(OutboxEntry.item_id, OutboxEntry.operation, func.count())
                         .where(OutboxEntry.status == "done", OutboxEntry.item_id.is_not(None))
                         .group_by(OutboxEntry.item_id, OutboxEntry.operation)).all()
    lost, duplicates = len(set(before) - now), sum(n - 1 for *_, n in done if n > 1)
    tally.add("items lost", lost)
    tally.add("duplicates found", duplicates)
    return lost, duplicates

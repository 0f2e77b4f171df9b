"""Database outages: the test's PostgreSQL is restarted (`pg_ctl restart -m fast`) and then stopped hard
(`pg_ctl stop -m immediate`, started again a few seconds later) while a real `ledgerlink worker` exports — QuickBooks
slowed by its latency fault so that a /batch of Bills is in flight — and a real `ledgerlink web` takes Dana's
clicks. Afterwards: every accepted invoice is one Bill (none lost, none twice), synced within 15 s of the
database's return (not after the 300 s claim timeout); the clicks refused during the outage were told so in a
sentence (and work when clicked again); the cards in flight said they were waiting for the database; and each process
logged a handful of lines per outage, not a traceback every few seconds.

Skipped only when LEDGERLINK_TEST_POSTGRES_URL names an external server (this test must not restart it).
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from core.models import Item, OutboxEntry
from sync.http.base import StaticToken
from sync.jobs.base import run_job
from sync.qbo.client import QboClient
from sync.qbo.query import select as qbo_select
from tests.reliability import tally
from tests.reliability.support_cards import all_say
from tests.reliability.support_procs import (
    FAST_SCHEDULER,
    START_TIMEOUT,
    Procs,
    app_env,
    connect,
    free_port,
    healthy,
    no_paid_sync,
)
from tests.reliability.support_world import own_sandboxes, plant_requisitions
from tests.support.world_remote import RemoteWorld
from tests.sync.writes.money_links import link_world

pytest_plugins = ["tests.handlers.slack_harness"]

IN_FLIGHT = 5  # invoices accepted just before each outage: their /batch is what QuickBooks is slowly answering
REFUSED = 3  # Accept clicks during the hard stop
SLOW = 1.5  # seconds QuickBooks takes for each request while the outages happen
DOWN = 4.0  # seconds the database stays stopped (longer than SLOW: the batch's answer arrives while it is down)
RECOVERY_LIMIT = 15.0  # every accepted invoice synced this soon after the database is back
HANDFUL = 10  # log lines per process per outage (refused clicks' own lines aside)
DB_SENTENCE = "can't reach its database right now"
WAITING = "waiting for Ledgerlink's database"


def items(engine, ids: list[int]) -> list[Item]:
    with Session(engine) as s:
        return list(s.exec(select(Item).where(Item.id.in_(ids)).order_by(Item.id)))


def progress(engine, ids: list[int]) -> str:
    with Session(engine) as s:
        rows = Counter((r.status, r.attempts, r.claimed_by) for r in s.exec(
            select(OutboxEntry).where(OutboxEntry.item_id.in_(ids))))
    return f"items {Counter(i.state for i in items(engine, ids))}; outbox (status, attempts, claimant) {rows}"


WORK_LINES = (" INFO httpx: ", " INFO sync.outbox: ", " INFO sync.writes.batching: ")


class LogWindow:
    """The lines each process logged since `open()`; a refused click's own line is counted apart."""

    def __init__(self, procs: Procs) -> None:
        self.procs = procs
        self.start: dict[str, int] = {}

    def open(self) -> None:
        self.start = {n: len(self.procs.log(n).splitlines()) for n in self.procs.procs}

    def lines(self) -> dict[str, list[str]]:
        return {n: self.procs.log(n).splitlines()[k:] for n, k in self.start.items()}

    def counts(self) -> dict[str, int]:
        """Lines per process, but not the refused clicks' own lines nor the work that went on (httpx's one line
        per request to QuickBooks or Slack, the outbox's line per row queued or exported)."""
        return {n: sum(1 for line in lines if "refused (" not in line and not any(w in line for w in WORK_LINES))
                for n, lines in self.lines().items()}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_database_restarted_and_stopped_hard_while_exporting(engine, postgres_server, slack_for, db_url, tmp_path):
    if postgres_server is None:
        pytest.skip("LEDGERLINK_TEST_POSTGRES_URL names an external PostgreSQL: this test must not restart it")
    with own_sandboxes() as sb:
        world = RemoteWorld(engine, sb)
        link_world(world)
        total = 2 * IN_FLIGHT + REFUSED
        plant_requisitions(sb, world.company_id, total + 5)
        run_job(world.ctx, "sub-invoices")
        no_paid_sync(engine, world.tenant.id)
        connect(world)
        with Session(engine) as s:
            ready = [i for i in s.exec(select(Item).where(Item.type == "sub_invoice",
                                                          Item.state == "ready_to_export").order_by(Item.id))
                     if not (i.detail or {}).get("blocked")]
        chosen = ready[:total]
        assert len(chosen) == total
        slack = slack_for(world)  # the Slack sandbox and its people; the app is the web process below
        port = free_port()
        # a claim is taken over only after the production timeout: recovery must not wait for it
        procs = Procs(tmp_path, app_env(db_url, sb, slack.sandbox_url,
                                        scheduler={**FAST_SCHEDULER, "outbox_claim_timeout": 300}))
        window = LogWindow(procs)
        try:
            slack.post("config", app_url=f"http://127.0.0.1:{port}/slack/events", ack_timeout=3)
            procs.web("web", port)
            procs.worker("worker")
            procs.wait_for(lambda: healthy(port), "the web process", timeout=START_TIMEOUT)
            with ThreadPoolExecutor(4) as pool:
                sent = list(pool.map(lambda i: slack.command("sam", f"send sub-invoice {i.procore_id}"), chosen))
            assert all(r["ok"] for r in sent), [r for r in sent if not r["ok"]][:3]
            ids = [i.id for i in chosen]
            procs.wait_for(lambda: all(i.state == "awaiting_acceptance" and i.card_ts for i in items(engine, ids)),
                           "the cards in #accounting", explain=lambda: progress(engine, ids))

            def batches() -> int:
                return sb.qbo_requests(world.realm_id)["by_path"].get("POST /batch", 0)

            cards = {i.id: (i.card_channel, i.card_ts) for i in items(engine, ids)}  # clicked with the database gone

            def accept(group: list[Item]) -> list[dict]:
                with ThreadPoolExecutor(len(group)) as pool:
                    return list(pool.map(lambda i: slack.click("dana", None, channel=cards[i.id][0],
                                                               ts=cards[i.id][1]), group))

            def recorded(group: list[Item]) -> None:
                """The clicks are acked first and decided after: wait until every decision is in."""
                group_ids = [i.id for i in group]
                procs.wait_for(lambda: "awaiting_acceptance" not in {i.state for i in items(engine, group_ids)},
                               "the Accept clicks to be recorded", explain=lambda: progress(engine, group_ids))

            def synced_within(group: list[Item], back: float, what: str) -> float:
                group_ids = [i.id for i in group]
                procs.wait_for(lambda: all(i.state == "synced" for i in items(engine, group_ids)), what,
                               timeout=RECOVERY_LIMIT + 5, explain=lambda: progress(engine, group_ids))
                took = time.monotonic() - back
                procs.wait_for(lambda: all_say(slack, group, "Synced as"),
                               f"the cards of {what} to say Synced", timeout=10)
                return took

            sb.qbo_admin("config", fault_rates={"slow": 1.0}, slow_seconds=SLOW)
            recoveries: dict[str, float] = {}
            lines: dict[str, dict[str, int]] = {}

            def accepted_in_flight(group: list[Item]) -> None:
                """Dana accepts `group`; returns once the decisions are in and their /batch is in QuickBooks' hands
                (the log window opens before)."""
                seen = batches()
                window.open()
                assert all(r["ok"] for r in accept(group))
                recorded(group)
                procs.wait_for(lambda: batches() > seen, "the Bills' /batch to reach QuickBooks")

            # 1. a fast restart while a /batch of Bills is in flight: every connection is cut
            first = chosen[:IN_FLIGHT]
            accepted_in_flight(first)
            postgres_server.restart("fast")
            back = time.monotonic()
            recoveries["restart -m fast"] = synced_within(first, back, "the invoices accepted before the restart")
            time.sleep(0.5)  # the lines that follow a recovery (the scheduler taken back) are part of it
            lines["restart -m fast"] = window.counts()
            tally.add("database outages survived")

            # 2. a hard stop while a /batch is in flight; Dana clicks Accept on three more cards meanwhile
            second, refused = chosen[IN_FLIGHT:2 * IN_FLIGHT], chosen[2 * IN_FLIGHT:]
            accepted_in_flight(second)
            postgres_server.halt("immediate")
            stopped = time.monotonic()
            clicked = accept(refused)  # each acked in time (Slack's 3 s), the database being gone
            command = slack.command("sam", f"send sub-invoice {ready[total].procore_id}")
            time.sleep(max(0.0, SLOW + 1.0 - (time.monotonic() - stopped)))  # QuickBooks has answered the batch
            waiting = [slack.text(m) for m in slack.messages(cards[second[0].id][0])
                       if m["ts"] in {cards[i.id][1] for i in second} and not m["_sandbox"]["ephemeral_to"]]
            assert not healthy(port), "/healthz said 200 with the database stopped"
            time.sleep(max(0.0, DOWN - (time.monotonic() - stopped)))
            postgres_server.start_again()
            back = time.monotonic()
            recoveries["stop -m immediate"] = synced_within(second, back, "the invoices in flight at the stop")
            procs.wait_for(lambda: healthy(port), "/healthz to say 200 again", timeout=5)
            time.sleep(0.5)
            lines["stop -m immediate"] = window.counts()
            outage_lines = window.lines()
            tally.add("database outages survived")

            # the refused clicks recorded nothing and said so; clicked again, they export
            assert all(c["ok"] for c in clicked) and command["ok"], (clicked, command)
            assert {i.state for i in items(engine, [i.id for i in refused])} == {"awaiting_acceptance"}
            sb.qbo_admin("config", fault_rates={"slow": 0.0})
            assert all(r["ok"] for r in accept(refused))
            synced_within(refused, time.monotonic(), "the refused invoices, accepted again")
        finally:
            sb.qbo_admin("config", fault_rates={"slow": 0.0})
            procs.stop_all()
            if not postgres_server.running():
                postgres_server.start_again()

        logs = procs.logs()
        told = slack.ephemerals("dana")
        assert sum(DB_SENTENCE in t for t in told) == REFUSED, told
        assert any(DB_SENTENCE in t for t in slack.ephemerals("sam")), slack.ephemerals("sam")
        assert not any("went wrong" in t for t in told + slack.ephemerals("sam")), told
        # the cards whose outcome waited for the database said so (not "Exporting…" with no word)
        assert any(WAITING in text for text in waiting), waiting

        # exactly once: one Bill per accepted invoice, every one synced and its outbox row done
        token = sb.qbo_admin("tokens", realm_id=world.realm_id)["access_token"]
        qbo = QboClient(realm_id=world.realm_id, tokens=StaticToken(token), base_url=sb.qbo_url)
        bills = Counter(b.get("PrivateNote") for b in qbo.query_all(select_=qbo_select("Bill")))
        made = {i.id: bills[f"Procore requisition {i.procore_id}"] for i in chosen}
        tally.add("duplicates found", sum(max(0, n - 1) for n in made.values()))
        tally.add("items lost", sum(1 for n in made.values() if n == 0))
        assert made == {i.id: 1 for i in chosen}, made
        assert {i.state for i in items(engine, ids)} == {"synced"}
        print(f"\nrecovered (all synced) after {recoveries}; log lines per outage {lines}")
        assert all(took <= RECOVERY_LIMIT for took in recoveries.values()), recoveries
        assert "claim lost" not in logs

        # a handful of lines per process per outage, no traceback; one line per refused click
        for outage, counts in lines.items():
            assert all(n <= HANDFUL for n in counts.values()), (outage, counts, outage_lines)
        assert not any("Traceback" in line for got in outage_lines.values() for line in got), outage_lines
        assert any("database unavailable since" in line for line in outage_lines["worker"]), outage_lines
        assert any("database back after" in line for line in outage_lines["worker"]), outage_lines
        assert sum("refused (" in line for line in outage_lines["web"]) == REFUSED + 1, outage_lines["web"]

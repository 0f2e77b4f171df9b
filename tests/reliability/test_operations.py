"""Operations, in real processes: one `ledgerlink web` and `ledgerlink worker`s on PostgreSQL with JSON logs.

Sam sends invoices, Dana accepts them while QuickBooks answers slowly. Meanwhile the worker's and the web's
/metrics are scraped and show the exports moving; the worker is stopped with SIGTERM mid-load (it finishes its
claims, gives up the leadership, exits 0) and a new one carries on; the web is stopped with SIGTERM while clicks
arrive (it answers what it received, exits 0) and a new one takes the clicks Slack could not deliver. In the end
every invoice is one Bill, every outbox row is done, nothing is stuck — and one Accept is followed through both
processes' JSON logs by its ids, down to QuickBooks' intuit_tid, with no token in any log.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select

from bot.status import current_leader
from core.models import Decision, Item, OutboxEntry, utcnow
from sync.qbo.query import select as qbo_select
from tests.reliability import tally
from tests.reliability.support_procs import FAST_SCHEDULER, START_TIMEOUT, Procs, app_env, connect, free_port
from tests.reliability.support_world import invoice_world, own_sandboxes

pytest_plugins = ["tests.handlers.slack_harness"]

CARDS = 10


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def metric(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def items(engine, ids: list[int]) -> list[Item]:
    with Session(engine) as s:
        return list(s.exec(select(Item).where(Item.id.in_(ids)).order_by(Item.id)))


def outbox(engine) -> list[OutboxEntry]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxEntry)))


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.timeout(300)
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_metrics_move_logs_trace_an_accept_and_sigterm_loses_nothing(engine, slack_for, db_url, tmp_path):
    with own_sandboxes() as sb:
        world = invoice_world(engine, sb, CARDS)
        grants = connect(world)
        with Session(engine) as s:
            chosen = [i for i in s.exec(select(Item).where(Item.type == "sub_invoice", Item.state == "ready_to_export")
                                        .order_by(Item.id)) if not (i.detail or {}).get("blocked")][:CARDS]
        assert len(chosen) == CARDS
        ids = [i.id for i in chosen]
        slack = slack_for(world)
        web_port, ports = free_port(), iter([free_port(), free_port()])
        procs = Procs(tmp_path, app_env(db_url, sb, slack.sandbox_url, LEDGERLINK_LOG_FORMAT="json",
                                        scheduler={**FAST_SCHEDULER, "outbox_batch": 2}))
        try:
            slack.post("config", app_url=f"http://127.0.0.1:{web_port}/slack/events", ack_timeout=30)
            # web-0 cannot reach QuickBooks: its own drain after an Accept keeps failing and leaves each export
            # to the worker — so every Accept of the first half crosses from one process's log to the other's
            procs.web("web-0", web_port, QBO_API_URL="http://127.0.0.1:9")
            procs.wait_for(lambda: healthy(web_port), "the web role", timeout=START_TIMEOUT)
            for item in chosen:
                assert slack.command("sam", f"send sub-invoice {item.procore_id}")["ok"]
            procs.wait_for(lambda: all(i.card_ts for i in items(engine, ids)), "the cards in #accounting")

            undelivered: list[Item] = []

            def accept(item: Item) -> None:
                out = slack.click("dana", item)
                if not out["ok"]:
                    assert out["status"] is None, out  # not delivered (the web is stopping): Dana clicks again
                    undelivered.append(item)

            # the first half is accepted in web-0, whose own exports fail: they wait for a worker
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(accept, chosen[: CARDS // 2]))
            procs.wait_for(lambda: sum(r.status == "pending" and r.attempts > 0 for r in outbox(engine)) == CARDS // 2,
                           "web-0's exports to be tried and left for a worker", timeout=60)
            before = scrape(web_port)
            assert metric(before, "ledgerlink_outbox_rows", status="pending") == CARDS // 2
            assert metric(before, "ledgerlink_outbox_oldest_pending_age_seconds") > 0
            assert metric(before, "ledgerlink_remote_requests_total", provider="qbo", status="error") >= 1

            # QuickBooks answers slowly; SIGTERM reaches worker-0 while its /batch is at QuickBooks: it finishes
            # (or releases) its claims, hands over the lead and exits 0
            sb.qbo_admin("config", fault_rates={"slow": 1.0}, slow_seconds=1.5)
            batches = sb.qbo_requests(world.realm_id)["by_path"].get("POST /batch", 0)
            metrics_port = next(ports)
            procs.start("worker-0", "worker", "--metrics-port", str(metrics_port))
            procs.wait_for(lambda: current_leader_now(engine), "worker-0 to lead", timeout=START_TIMEOUT)
            procs.wait_for(lambda: sb.qbo_requests(world.realm_id)["by_path"].get("POST /batch", 0) > batches,
                           "worker-0's /batch to reach QuickBooks")
            during = scrape(metrics_port)  # scraped while the export runs
            assert metric(during, "ledgerlink_outbox_rows", status="claimed") >= 1
            assert procs.stop("worker-0") == 0
            assert [r.id for r in outbox(engine) if r.status == "claimed"] == []
            assert current_leader_now(engine) is None
            after = scrape(web_port)
            moved = metric(after, "ledgerlink_outbox_rows", status="done")
            assert moved >= 1 and metric(after, "ledgerlink_outbox_rows", status="pending") == CARDS // 2 - moved
            sb.qbo_admin("config", fault_rates={"slow": 0.0})
            metrics_port = next(ports)
            procs.start("worker-1", "worker", "--metrics-port", str(metrics_port))

            # SIGTERM to web-0 while the other half of the clicks arrive: it answers what it received, finishes
            # the work those clicks started and exits 0; the clicks Slack could not deliver are made again
            with ThreadPoolExecutor(2) as pool:
                clicks = [pool.submit(accept, i) for i in chosen[CARDS // 2:]]
                procs.wait_for(lambda: len(decided(engine, ids)) >= CARDS // 2 + 2, "some clicks to land")
                assert procs.stop("web-0", timeout=60) == 0
                for f in clicks:
                    f.result()
            procs.web("web-1", web_port)
            procs.wait_for(lambda: healthy(web_port), "the new web role", timeout=START_TIMEOUT)
            for item in undelivered:
                assert slack.click("dana", item)["ok"]
            procs.wait_for(lambda: all(i.state == "synced" for i in items(engine, ids)), "every invoice synced",
                           timeout=120, explain=lambda: Counter(i.state for i in items(engine, ids)))
            web_metrics, worker_metrics = scrape(web_port), scrape(metrics_port)
            codes = {name: procs.stop(name) for name in ("worker-1", "web-1")}
        finally:
            procs.stop_all()
        logs = {name: procs.log(name) for name in procs.procs}

        # nothing lost, nothing twice, nothing stuck
        assert codes == {"worker-1": 0, "web-1": 0}
        with Session(engine) as s:
            decisions = Counter(d.item_id for d in s.exec(select(Decision).where(Decision.item_id.in_(ids))))
        rows = [r for r in outbox(engine) if r.item_id in ids]
        assert decisions == dict.fromkeys(ids, 1)
        assert sorted(r.item_id for r in rows) == sorted(ids) and {r.status for r in rows} == {"done"}
        bills = Counter(b.get("PrivateNote") for b in world.ctx.qbo.query_all(select_=qbo_select("Bill")))
        made = [bills[f"Procore requisition {i.procore_id}"] for i in chosen]
        tally.add("duplicates found", sum(max(0, n - 1) for n in made))
        tally.add("items lost", sum(1 for n in made if n == 0))
        assert made == [1] * CARDS

        # the metrics moved with the exports
        assert metric(web_metrics, "ledgerlink_outbox_rows", status="done") == CARDS
        assert metric(web_metrics, "ledgerlink_outbox_oldest_pending_age_seconds") == 0
        assert metric(web_metrics, "ledgerlink_slack_ack_seconds_count") >= len(undelivered)  # web-1's clicks
        assert metric(worker_metrics, "ledgerlink_remote_requests_total", provider="qbo", status="200") >= 1
        assert metric(worker_metrics, "ledgerlink_click_to_remote_seconds_count", operation="qbo.create_bill") >= 1
        assert metric(worker_metrics, "ledgerlink_remote_requests_total", provider="slack", status="200") >= 1

        # one Accept followed through both processes' JSON logs by its ids: the click and its queued export in
        # web-0's log, the QuickBooks answer (intuit_tid) and the done line in the worker's
        web_lines = json_lines(logs["web-0"])
        worker_lines = [line for name in ("worker-0", "worker-1") for line in json_lines(logs[name])]
        item = chosen[0]
        rid = next(r.requestid for r in rows if r.item_id == item.id)
        queued = [line for line in web_lines if line.get("requestid") == rid and "queued" in line["message"]]
        assert all(line.get("requestid") == rid for line in web_lines if line.get("item") == item.id)
        assert len(queued) == 1, [line for line in web_lines if line.get("item") == item.id]
        assert (queued[0]["item"], queued[0]["tenant"]) == (item.id, world.tenant.id) and queued[0]["outbox"]
        tried = [line for line in web_lines if line.get("requestid") == rid and "will retry" in line["message"]]
        assert tried and tried[0]["outbox"] == queued[0]["outbox"]  # web-0's own attempt, same ids
        done = [line for line in worker_lines if line.get("requestid") == rid and " done" in line["message"]]
        assert len(done) == 1 and done[0]["item"] == item.id and done[0]["outbox"] == queued[0]["outbox"], done
        assert done[0]["intuit_tid"] and done[0]["tenant"] == world.tenant.id
        everything = "\n".join(logs.values())
        for grant in grants.values():
            for key in ("access_token", "refresh_token"):
                if grant.get(key):
                    assert grant[key] not in everything, f"a {key} reached the logs"
        tally.add("concurrent actors", 4)


def decided(engine, ids: list[int]) -> list[int]:
    with Session(engine) as s:
        return list(s.exec(select(Decision.item_id).where(Decision.item_id.in_(ids))))


def current_leader_now(engine) -> str | None:
    with Session(engine) as s:
        return current_leader(s, engine, utcnow())

"""Concurrency: two `ledgerlink web` processes behind a load balancer and two `ledgerlink worker` processes on one
PostgreSQL. Sam sends 100 invoices through Slack while Procore's tokens expire under him; then 100 approvers'
double-clicks on the cards hit both web processes at once while QuickBooks' tokens expire again and again, and
the web processes and the workers all export. Afterwards: one decision, one outbox row run once and one Bill per
invoice, every card green; each token storm cost one refresh (the refresh token never lost: the stored one still
works); every scheduled tick ran in one worker only.

Existing tests cover the parts alone (tests/scenarios/test_slack_races.py: 50 clicks on one card in-process;
tests/sync/test_tokens.py: refresh storms on the token store; tests/bot/test_worker_processes.py: leader
failover); this is them together, in real processes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.config import load_settings
from core.models import Connection, Decision, Item, OutboxEntry, utcnow
from sync.context import TenantContext, token_store
from sync.http.base import StaticToken
from sync.jobs.base import run_job
from sync.qbo.client import QboClient
from sync.qbo.query import select as qbo_select
from sync.services import invoices
from tests.bot.test_worker_processes import probes
from tests.reliability import tally
from tests.reliability.support_cards import all_say, cards
from tests.reliability.support_procs import (
    FAST_SCHEDULER,
    START_TIMEOUT,
    Procs,
    RoundRobin,
    app_env,
    connect,
    free_port,
    healthy,
)
from tests.reliability.support_world import invoice_world, outbox_for, own_sandboxes
from tests.support import decide
from tests.support.servers import running_wsgi
from tests.sync.writes.money_links import link_world

pytest_plugins = ["tests.handlers.slack_harness"]

CARDS = 100
TICK = 1.0  # the probe job's interval (tests/bot/test_worker_processes.py's ProbeJob): only the leader runs it
QBO_STORMS, PROCORE_STORMS = 3, 1


@pytest.fixture(scope="module")
def strict_sandboxes():
    """Sandboxes of our own where every refresh rotates and a superseded refresh token is refused at once."""
    with own_sandboxes() as sb:
        sb.qbo_admin("config", oauth={"rotate_after": 0, "grace": 0})
        yield sb


def items(engine, **where) -> list[Item]:
    with Session(engine) as s:
        q = select(Item).where(Item.type == "sub_invoice")
        for key, value in where.items():
            q = q.where(getattr(Item, key) == value)
        return list(s.exec(q.order_by(Item.id)))


def progress(engine) -> str:
    """Where the invoices and their exports are (for a time-out's message)."""
    with Session(engine) as s:
        rows = Counter((r.status, r.attempts, r.claimed_by) for r in s.exec(select(OutboxEntry)))
    return f"items {Counter(i.state for i in items(engine))}; outbox rows (status, attempts, claimant) {rows}"


def connection_versions(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {c.provider: c.version for c in s.exec(select(Connection))}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_webs_two_workers_100_double_clicks_and_token_storms(engine, strict_sandboxes, slack_for, db_url,
                                                                   tmp_path):
    sb = strict_sandboxes
    world = invoice_world(engine, sb, CARDS)
    connect(world)
    before = connection_versions(engine)
    chosen = [i for i in items(engine, state="ready_to_export") if not (i.detail or {}).get("blocked")][:CARDS]
    assert len(chosen) == CARDS

    slack = slack_for(world)  # the Slack sandbox and its people; the app is in the processes below
    ports = [free_port(), free_port()]
    # nobody dies here: a claim is taken over only after the production timeout
    scheduler = {**FAST_SCHEDULER, "intervals": {"probe": TICK, "vendors": 2.0}, "outbox_claim_timeout": 300}
    procs = Procs(tmp_path, app_env(db_url, sb, slack.sandbox_url, scheduler=scheduler,
                                    LEDGERLINK_EXTRA_JOBS="tests.bot.test_worker_processes:ProbeJob"))
    balancer = RoundRobin([f"http://127.0.0.1:{p}" for p in ports])
    storms, retried = Counter(), Counter()

    def again(deliver):
        """What a person does when Slack says the app did not answer: the same again (the app may have acted)."""
        for _ in range(3):
            out = deliver()
            if out["ok"] or out.get("status") not in (404, None):  # Bolt's "no ack in 3 s", or our deadline
                return out
            retried[out.get("error")] += 1
        return out

    try:
        with running_wsgi(balancer) as lb_url:
            # Slack's 3 s ack deadline is test_slack_races' question; here 4 processes share 2 busy cores
            slack.post("config", app_url=f"{lb_url}/slack/events", ack_timeout=30)
            for n, port in enumerate(ports):
                procs.web(f"web-{n}", port)
            worker_pids = [procs.worker(f"worker-{n}").pid for n in range(2)]
            for port in ports:
                procs.wait_for(lambda port=port: healthy(port), f"web on port {port}", timeout=START_TIMEOUT)

            # Sam sends the 100 invoices (4 at a time); half-way, Procore's access tokens expire
            def send(item: Item) -> dict:
                if item.id == chosen[CARDS // 2].id:
                    sb.procore_admin("clock", advance=3 * 3600)  # every Procore access token is now expired
                    storms["Procore"] += 1
                return again(lambda: slack.command("sam", f"send sub-invoice {item.procore_id}"))

            with ThreadPoolExecutor(4) as pool:
                sent = list(pool.map(send, chosen))
            assert all(r["ok"] for r in sent), [r for r in sent if not r["ok"]][:3]
            procs.wait_for(lambda: len(items(engine, state="awaiting_acceptance")) == CARDS
                           and all(i.card_ts for i in items(engine, state="awaiting_acceptance")),
                           "100 cards in #accounting", timeout=60)

            # 100 double-clicks: Dana and Erin each double-click Accept on the cards as their Slack shows them
            # (a copy with the buttons: the update has not reached them yet); QuickBooks tokens expire meanwhile
            stale = {item_id: slack.stale_copy(card) for item_id, card in cards(slack, chosen).items()}
            clicks = [(who, i.id) for n, i in enumerate(chosen) for who in [("dana", "erin")[n % 2]] * 2]
            stop_storms = threading.Event()

            def storm() -> None:
                for _ in range(QBO_STORMS):
                    if stop_storms.wait(1.0):
                        return
                    sb.qbo_admin(f"realms/{world.realm_id}/expire-access-tokens")
                    storms["QuickBooks"] += 1

            stormer = threading.Thread(target=storm)
            stormer.start()
            with ThreadPoolExecutor(50) as pool:
                outcomes = list(pool.map(
                    lambda c: again(lambda: slack.click(c[0], None, "item_accept", channel=stale[c[1]][0],
                                                        ts=stale[c[1]][1])),
                    clicks))
            assert all(o["ok"] for o in outcomes), [o for o in outcomes if not o["ok"]][:3]
            procs.wait_for(lambda: len(items(engine, state="synced")) == CARDS, "100 invoices synced", timeout=120,
                           explain=lambda: progress(engine))
            procs.wait_for(lambda: all_say(slack, chosen, "Synced as"),
                           "100 green cards", timeout=60, explain=lambda: [
                               (i.id, i.state, i.version, i.card_version) for i in items(engine)
                               if i.id in stale and "Synced as" not in slack.text(slack.card(i))])
            stormer.join(10)
            stop_storms.set()
            time.sleep(2 * TICK)  # a few more scheduled ticks with both workers up
            stopping_at = time.time()  # from here the leader's stop hands the scheduler to the other worker
            codes = {name: procs.stop(name) for name in list(procs.procs)}
    finally:
        procs.stop_all()
    tally.add("concurrent actors", len(clicks) // 2 + len(ports) + 2)
    logs = procs.logs()
    # every process stops cleanly on SIGTERM (the web role: bot/graceful.py)
    assert codes == {"web-0": 0, "web-1": 0, "worker-0": 0, "worker-1": 0}, logs

    # exactly once, per invoice: one decision, one outbox row run by one claimant, one Bill, the card green
    with Session(engine) as s:
        decisions = Counter(d.item_id for d in s.exec(select(Decision)))
        rows = list(s.exec(select(OutboxEntry).where(OutboxEntry.item_id.in_([i.id for i in chosen]))))
    assert {i.id: decisions[i.id] for i in chosen} == {i.id: 1 for i in chosen}
    assert sorted(r.item_id for r in rows) == sorted(i.id for i in chosen)
    assert {r.status for r in rows} == {"done"}
    assert "claim lost" not in logs, "a row was taken from a live claimant: its export ran twice"
    token = sb.qbo_admin("tokens", realm_id=world.realm_id)["access_token"]
    qbo = QboClient(realm_id=world.realm_id, tokens=StaticToken(token), base_url=sb.qbo_url)
    bills = Counter(b.get("PrivateNote") for b in qbo.query_all(select_=qbo_select("Bill")))
    made = {i.id: bills[f"Procore requisition {i.procore_id}"] for i in chosen}
    tally.add("duplicates found", sum(max(0, n - 1) for n in made.values()))
    tally.add("items lost", sum(1 for n in made.values() if n == 0))
    assert made == {i.id: 1 for i in chosen}
    assert sum(n for note, n in bills.items() if (note or "").startswith("Procore requisition")) == CARDS
    synced = {i.id: i for i in items(engine, state="synced")}
    for item_id, card in cards(slack, chosen).items():
        assert "item_accept" not in slack.buttons(card) and synced[item_id].remote_id in slack.text(card)
    told = slack.ephemerals("dana") + slack.ephemerals("erin")
    assert len(told) >= CARDS  # the second click of every double-click was told why nothing happened

    # token storms: one refresh per storm at most (≥ 1 in all), every connection active, the stored refresh
    # tokens still the newest (a forced refresh with them works)
    after = connection_versions(engine)
    refreshes = {p: after[p] - before[p] for p in before}
    print(f"\n{CARDS} cards, {len(clicks)} clicks; requests via each web {balancer.sent}; token storms "
          f"{dict(storms)}, refreshes {refreshes}; deliveries the app did not ack in time, sent again {dict(retried)}; "
          f"QBO {sb.qbo_requests(world.realm_id)['by_path']}")
    assert 1 <= refreshes["qbo"] <= storms["QuickBooks"] and 1 <= refreshes["procore"] <= storms["Procore"]
    assert "invalid_grant" not in logs and "needs re-authorisation" not in logs
    store = token_store(engine, load_settings(_env_file=None, **_settings_env(procs.env)))
    with Session(engine) as s:
        connections = list(s.exec(select(Connection)))
    for conn in connections:
        assert conn.status == "active", (conn.provider, conn.status_detail)
        stale_token = store.current_tokens(conn.id).access_token
        assert store.access_token(conn.id, rejected=stale_token) != stale_token  # refreshed with what we hold

    # scheduled jobs ran in the leader only (both workers lived throughout: the follower never ran one), on time
    runs = [(pid, at) for tenant, pid, at in probes(engine) if tenant == world.tenant.id and at < stopping_at]
    assert len(runs) >= 5 and {pid for pid, _at in runs} < set(worker_pids), (runs, worker_pids)
    assert len({pid for pid, _at in runs}) == 1, runs


def _settings_env(env: dict[str, str]) -> dict[str, str]:
    keys = ("DATABASE_URL", "LEDGERLINK_SECRET_KEY", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "QBO_ENVIRONMENT",
            "QBO_API_URL", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET", "PROCORE_API_URL", "PROCORE_LOGIN_URL")
    return {k: env[k] for k in keys}


def test_a_token_superseded_while_in_flight_retries_the_export(remote_world):
    """The storm above, distilled: a 401, a refresh, and the fresh token expired again before the resend (another
    process's storm). The export waits and retries — it is not failed with "an admin must reconnect"."""
    world = remote_world
    link_world(world)
    run_job(world.ctx, "sub-invoices")
    connect(world)
    item = next(i for i in items(world.engine, state="ready_to_export") if not (i.detail or {}).get("blocked"))
    invoices.send(world.ctx, world.actor("sam"), item.id)
    decide.accept(world.ctx, world.actor("dana"), item.id)
    env = app_env(str(world.engine.url.render_as_string(hide_password=False)), world.sandboxes, "http://127.0.0.1:9")
    store = token_store(world.engine, load_settings(_env_file=None, **_settings_env(env)))
    handed = store.access_token

    def storm_after_refresh(connection_id: int, *, rejected: str | None = None) -> str:
        token = handed(connection_id, rejected=rejected)
        if rejected is not None and not storms:  # the token just handed out dies before it is used
            storms.append(world.sandboxes.qbo_admin(f"realms/{world.realm_id}/expire-access-tokens"))
        return token

    storms: list[dict] = []
    store.access_token = storm_after_refresh  # type: ignore[method-assign]
    qbo = QboClient.for_connection(store, store.find(tenant_id=world.tenant.id, provider="qbo").id,
                                   base_url=world.sandboxes.qbo_url)
    ctx = TenantContext(engine=world.engine, tenant_id=world.tenant.id, tokens=store, qbo_client=qbo)
    now = [utcnow()]
    outbox = outbox_for(ctx, "storm-worker", clock=lambda: now[0])
    world.sandboxes.qbo_admin(f"realms/{world.realm_id}/expire-access-tokens")

    first = outbox.drain()
    assert (first.done, first.failed, first.retried) == (0, 0, 1) and storms
    assert items(world.engine, id=item.id)[0].state == "exporting"
    now[0] += timedelta(hours=1)  # the retry is due
    assert outbox.drain().done == 1
    done = items(world.engine, id=item.id)[0]
    bills = ctx.qbo.query(q=qbo_select("Bill").where(PrivateNote=f"Procore requisition {item.procore_id}"))["Bill"]
    assert done.state == "synced" and [b["Id"] for b in bills] == [done.remote_id]

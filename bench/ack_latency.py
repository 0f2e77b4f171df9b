"""Benchmark: how fast Slack gets its ack when 50 approvers press Accept on 50 cards at once, and how long until
each card shows the Bill.

    python -m bench.ack_latency [--clicks 50] [--bursts 3] [--singles 5] [--results bench/RESULTS.md]

What runs, each in its own process: the Slack sandbox (64 server threads, so every click is in flight at once, as
with Slack), the QBO sandbox (limits off), and Ledgerlink's web role as `ledgerlink web` serves it (waitress, 8
threads; Bolt behind `POST /slack/events`, signatures checked; SQLite file; QBO reached with the tenant's stored,
encrypted tokens). Set-up, in this process: a tenant whose realm has the vendor, project and cost item linked
(bench.bulk_export.Tenantry), two approvers and a sender in Slack and in the database, and one sub invoice per card
sent for acceptance, its card posted to #accounting the way `/ledgerlink send` posts it.

Measured: one warm-up click (not counted); `--singles` clicks one after another, each on its own card once the
last card shows its Bill (the un-contended baseline); then `--bursts` times, once the cards of the last burst
show their Bills, `--clicks` Accept clicks on `--clicks` different cards at the same moment (a barrier releases
them); percentiles are over all bursts' clicks. Each click is `POST /_sandbox/actions/click`: the Slack sandbox
builds the block_actions payload, signs it and POSTs it to the app; the **ack time** is the app's HTTP answer as
the sandbox times it (what Slack holds to its 3 s limit). **Card-result time**: from the click until the card's
`chat.update` shows "Exporting…" (accepted) and "Synced as Bill …" (written to QBO through the outbox), read
from the timestamps of the card's revisions in the sandbox. Target: p99 ack < 300 ms.
Target too: the card shows the acceptance within 1 s (p99). Ends with `BENCH name=ack_latency value=<p99 ack ms>
unit=ms bound=300 baseline=<single-click ack ms> ratio=<p99 / baseline> accepted_p99=<ms> accepted_bound=1000`.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func
from sqlmodel import Session, select

from bench.bulk_export import PROJECT, Sandbox, Tenantry, invoice_detail, machine, start_sandbox, update_section
from bot.actions import send
from bot.notify import Notifier
from bot.services.runtime import Services
from bot.slack_clients import links_for, make_web_client
from core.config import Settings, load_settings
from core.db import make_engine
from core.domain.workflow import Workflow, actor_for_user
from core.migrate import upgrade
from core.models import Item, Tenant, TenantSettings, User
from sync.context import token_store
from sync.tokens import TokenSet

ROOT = Path(__file__).resolve().parents[1]
BOUND_MS = 300
ACCEPTED_BOUND_MS = 1000  # the card shows the acceptance within a second (p99)
APPROVERS, SENDER = ("dana", "erin"), "sam"
CHANNEL = "accounting"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(proc: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s; see {log}")


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """`python -m bot <args>` (the `ledgerlink` command) with its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    ranked = sorted(values)
    return ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)]


class Bench:
    """The three processes, the tenant and its cards."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen] = []
        web_port, slack_port = free_port(), free_port()
        self.web_url, self.slack_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{slack_port}"
        self.db_url = f"sqlite:///{workdir}/bench.db"
        self.config = {  # what the web role reads from its environment (and this process's Settings)
            "DATABASE_URL": self.db_url, "LEDGERLINK_SECRET_KEY": Fernet.generate_key().decode(),
            "SLACK_BOT_TOKEN": f"xoxb-{secrets.randbelow(10**12)}-{secrets.randbelow(10**12)}-{secrets.token_hex(12)}",
            "SLACK_SIGNING_SECRET": secrets.token_hex(16), "SLACK_API_URL": f"{self.slack_url}/api/",
            "LEDGERLINK_PUBLIC_URL": self.web_url,
        }
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")}
        self.env.update(self.config, PYTHONUNBUFFERED="1")
        upgrade(self.db_url)
        self.engine = make_engine(self.db_url)
        self.slack = self._start(["sandbox", "slack", "--port", str(slack_port), "--users", "none",
                                  "--threads", "64", "--app-url", f"{self.web_url}/slack/events",
                                  "--public-url", self.slack_url], "slack", f"{self.slack_url}/_sandbox/info")
        self.qbo: Sandbox = start_sandbox()
        self.config.update({
            "QBO_CLIENT_ID": "ledgerlink-bench", "QBO_CLIENT_SECRET": "ledgerlink-bench-secret",
            "QBO_ENVIRONMENT": f"{self.qbo.url}/.well-known/openid-configuration", "QBO_API_URL": self.qbo.url,
        })
        self.env.update(self.config)
        self.settings: Settings = load_settings(_env_file=None, **self.config)
        self.http = httpx.Client(base_url=self.slack_url, timeout=60)
        self.channel = next(c["id"] for c in self.http.get("/_sandbox/info").json()["channels"]
                            if c["name"] == CHANNEL)

    def _start(self, args: list[str], name: str, ready: str) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        proc = spawn(args, self.env, log)
        self.procs.append(proc)
        wait_http(proc, ready, log)
        return proc

    def start_web(self) -> None:
        self._start(["web", "--port", self.web_url.rsplit(":", 1)[1], "--threads", "8"], "web",
                    f"{self.web_url}/healthz")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.qbo.stop()
        self.engine.dispose()

    # --- the tenant, people, cards ---------------------------------------------------------------------------
    def tenant(self) -> None:
        """Tenant linked in QBO (vendor, project, cost item), QBO tokens stored, people in Slack and the DB."""
        tenantry = Tenantry(self.engine, self.qbo, time_scale=1.0, limits=False)
        tenantry.link()
        self.tenantry, self.tenant_id = tenantry, tenantry.tenant_id
        team = self.http.get("/_sandbox/info").json()["team"]["id"]
        self.slack_ids: dict[str, str] = {}
        with Session(self.engine) as s:
            tenant = s.get(Tenant, self.tenant_id)
            tenant.slack_team_id = team
            s.add(tenant)
            st = s.get(TenantSettings, self.tenant_id)
            st.approvers_channel = f"#{CHANNEL}"
            s.add(st)
            for name in (*APPROVERS, SENDER):
                user = self.http.post("/_sandbox/users", json={"name": name, "real_name": f"{name.title()} Bench",
                                                               "email": f"{name}@bench.example"}).json()["user"]
                self.slack_ids[name] = user["id"]
                s.add(User(tenant_id=self.tenant_id, slack_user_id=user["id"], email=f"{name}@bench.example",
                           name=f"{name.title()} Bench", permission="standard",
                           can_push_to_accounting=name in APPROVERS))
            s.commit()
        minted = self.qbo.admin("tokens", realm_id=tenantry.realm, client_id=self.settings.qbo_client_id)
        token_store(self.engine, self.settings).save(
            tenant_id=self.tenant_id, provider="qbo", external_id=tenantry.realm,
            tokens=TokenSet.from_expires_in(access_token=minted["access_token"],
                                            refresh_token=minted["refresh_token"],
                                            expires_in=minted.get("expires_in"),
                                            refresh_expires_in=minted.get("x_refresh_token_expires_in")))

    def send_cards(self, count: int) -> list[Item]:
        """`count` sub invoices sent by the sender: workflow send, card posted, receipt DM (as `/ledgerlink send`)."""
        client, links = make_web_client(self.settings), links_for(self.settings)
        svc = Services(engine=self.engine, settings=self.settings, links=links, workflow=Workflow(self.engine),
                       notifier=Notifier(self.engine, lambda _t: client, links=links,
                                         public_url=self.settings.public_url))
        run = time.strftime("%H%M%S")
        with Session(self.engine, expire_on_commit=False) as s:
            sender = s.exec(select(User).where(User.tenant_id == self.tenant_id,
                                               User.slack_user_id == self.slack_ids[SENDER])).one()
            items = []
            for n in range(1, count + 1):
                detail = invoice_detail(n, run)
                items.append(Item(tenant_id=self.tenant_id, type="sub_invoice", state="ready_to_export",
                                  procore_id=str(detail["requisition_id"]), procore_project_id=PROJECT,
                                  amount=Decimal(detail["due"]), detail=detail,
                                  title=f"ACME Concrete (bench) invoice {detail['invoice_number']}"))
            s.add_all(items)
            s.commit()
        for item in items:
            send.send(svc, item.id, actor_for_user(sender))
        svc.idle(30)
        with Session(self.engine, expire_on_commit=False) as s:
            return [s.get(Item, item.id) for item in items]

    # --- clicking and watching -------------------------------------------------------------------------------
    def click(self, http: httpx.Client, who: str, item: Item) -> dict[str, Any]:
        started = time.time()
        out = http.post("/_sandbox/actions/click", json={"user": self.slack_ids[who], "channel": item.card_channel,
                                                         "ts": item.card_ts, "action_id": "item_accept"}).json()
        return {"item": item.id, "ts": item.card_ts, "started": started, "ok": out.get("ok"),
                "status": out.get("status"), "error": out.get("error"), "ack_ms": out.get("elapsed_ms")}

    def card_times(self, clicks: list[dict], timeout: float = 180) -> None:
        """Add to each click when its card first showed the acceptance and the Bill (ms after the click)."""
        deadline = time.monotonic() + timeout
        want = {c["ts"]: c for c in clicks}
        while True:
            cards = {m["ts"]: m for m in self.http.get("/_sandbox/messages", params={"channel": self.channel})
                     .json()["messages"] if m["ts"] in want and not m["_sandbox"]["ephemeral_to"]}
            if all("Synced as" in json.dumps(m.get("blocks")) for m in cards.values()) and len(cards) == len(want):
                break
            if time.monotonic() > deadline:
                seen = [json.dumps(m.get("blocks"))[:300] for m in cards.values()][:2]
                raise RuntimeError(f"cards not synced within {timeout:.0f} s ({len(cards)} of {len(want)}: {seen})")
            time.sleep(0.25)
        for ts, card in cards.items():
            versions = [*card["_sandbox"]["revisions"], card]
            click = want[ts]
            for key, shown in (("accepted_ms", ("Exporting", "Synced as")), ("synced_ms", ("Synced as",))):
                first = next(v for v in versions if any(word in json.dumps(v.get("blocks")) for word in shown))
                at = float((first.get("edited") or {}).get("ts") or first["ts"])
                click[key] = (at - click["started"]) * 1000

    def singles(self, items: list[Item]) -> list[dict]:
        out = []
        for n, item in enumerate(items):
            out.append(self.click(self.http, APPROVERS[n % 2], item))
            self.card_times(out[-1:])
        return out

    def burst(self, items: list[Item]) -> list[dict]:
        gate = threading.Barrier(len(items))
        local = threading.local()

        def one(n: int) -> dict:
            http = getattr(local, "http", None)
            if http is None:
                http = local.http = httpx.Client(base_url=self.slack_url, timeout=60)
            gate.wait()
            return self.click(http, APPROVERS[n % 2], items[n])

        with ThreadPoolExecutor(len(items)) as pool:
            clicks = list(pool.map(one, range(len(items))))
        self.card_times(clicks)
        return clicks

    def bills(self) -> int:
        with Session(self.engine) as s:
            synced = int(s.exec(select(func.count()).select_from(Item).where(Item.tenant_id == self.tenant_id,
                                                                            Item.state == "synced")).one())
        return synced


def summary(clicks: list[dict], key: str) -> dict[str, float]:
    values = [float(c[key]) for c in clicks]
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "p99": percentile(values, 99),
            "max": max(values), "median": statistics.median(values)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ack_latency", description=__doc__.splitlines()[0])
    p.add_argument("--clicks", type=int, default=50, help="concurrent Accept clicks, each on its own card")
    p.add_argument("--bursts", type=int, default=3, help="bursts of --clicks clicks, one after another")
    p.add_argument("--singles", type=int, default=5, help="un-contended clicks, one after another (baseline)")
    p.add_argument("--results", help="write the figures to this Markdown file (e.g. bench/RESULTS.md)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    workdir = Path(tempfile.mkdtemp(prefix="ledgerlink-bench-"))
    bench = Bench(workdir)
    try:
        bench.tenant()
        items = bench.send_cards(1 + args.singles + args.bursts * args.clicks)
        bench.start_web()
        warm = bench.singles(items[:1])
        singles = bench.singles(items[1:1 + args.singles])
        burst: list[dict] = []
        for n in range(args.bursts):
            first = 1 + args.singles + n * args.clicks
            burst += bench.burst(items[first:first + args.clicks])
        synced = bench.bills()
        bills = bench.tenantry.qbo.count(entity="Bill") - 3  # the sample company's 3 Bills
    finally:
        bench.stop()
    failed = [c for c in warm + singles + burst if not c["ok"]]
    ack, accepted, shown = (summary(burst, k) for k in ("ack_ms", "accepted_ms", "synced_ms"))
    base = {k: summary(singles, k)["median"] for k in ("ack_ms", "accepted_ms", "synced_ms")}
    ratio = ack["p99"] / base["ack_ms"] if base["ack_ms"] else float("inf")
    ok = (ack["p99"] < BOUND_MS and accepted["p99"] < ACCEPTED_BOUND_MS and not failed
          and synced == bills == len(items))
    print(f"ack_latency: web role = waitress 8 threads, Bolt listener pool; warm-up click ack "
          f"{warm[0]['ack_ms']} ms", flush=True)
    print(f"single click (median of {len(singles)}): ack {base['ack_ms']:.0f} ms, card accepted "
          f"{base['accepted_ms']:.0f} ms, card shows the Bill {base['synced_ms']:.0f} ms", flush=True)
    pcts = {name: " / ".join(f"{k} {v[k]:.0f}" for k in ("p50", "p95", "p99"))
            for name, v in (("ack", ack), ("accepted", accepted), ("bill", shown))}
    print(f"{args.bursts} x {args.clicks} concurrent clicks, each on its own card: ack {pcts['ack']} ms; card "
          f"accepted {pcts['accepted']} ms; card shows the Bill {pcts['bill']} ms", flush=True)
    print(f"{synced} items synced, {bills} Bills in QBO for {len(items)} cards; {len(failed)} clicks not acked "
          f"{[(c['status'], c['error']) for c in failed][:3]}; targets p99 ack < {BOUND_MS} ms and p99 card "
          f"accepted < {ACCEPTED_BOUND_MS} ms {'met' if ok else 'MISSED'}", flush=True)
    line = (f"BENCH name=ack_latency value={ack['p99']:.0f} unit=ms bound={BOUND_MS} baseline={base['ack_ms']:.0f} "
            f"ratio={ratio:.2f} accepted_p99={accepted['p99']:.0f} accepted_bound={ACCEPTED_BOUND_MS}")
    print(line, flush=True)
    if args.results:
        write_results(Path(args.results), ack=ack, accepted=accepted, shown=shown, base=base, burst=args.clicks,
                      bursts=args.bursts, singles=len(singles), synced=synced, bills=bills, cards=len(items),
                      failed=len(failed), ok=ok, ratio=ratio, line=line)
    return 0 if ok else 1


def write_results(path: Path, *, ack: dict, accepted: dict, shown: dict, base: dict, burst: int, bursts: int,
                  singles: int, synced: int, bills: int, cards: int, failed: int, ok: bool, ratio: float,
                  line: str) -> None:
    def row(label: str, s: dict, single: float) -> str:
        return f"| {label} | {s['p50']:.0f} | {s['p95']:.0f} | **{s['p99']:.0f}** | {single:.0f} |"

    update_section(path, "ack_latency", f"""## ack_latency — Slack ack under {burst} concurrent Accept clicks

`python -m bench.ack_latency --results bench/RESULTS.md` (in `make bench`), last run {time.strftime('%Y-%m-%d %H:%M')}.

| {bursts} bursts of {burst} clicks, each on its own card (ms) | p50 | p95 | p99 | single click (median of {singles}) |
|---|---:|---:|---:|---:|
{row("ack (the app's HTTP answer to the block_actions POST)", ack, base["ack_ms"])}
{row("card shows the acceptance (chat.update)", accepted, base["accepted_ms"])}
{row("card shows the Bill (QBO write through the outbox)", shown, base["synced_ms"])}

    {line}

- Targets p99 ack < {BOUND_MS} ms and p99 card shows the acceptance < {ACCEPTED_BOUND_MS} ms:
  {'met' if ok else '**missed**'}; ratio p99 ack / single click = {ratio:.2f}x.
  Percentiles over all {bursts * burst} clicks (nearest rank); each burst starts once the last one's cards show
  their Bills.
- Checked: {synced} items synced and {bills} Bills in QBO for {cards} cards; {failed} clicks not acked.
- What was slow, and fixed: Accept's decision (its transaction, the card update) ran on Bolt's 16 listener threads
  right after the ack, so from the 17th simultaneous click on a click waited for a free thread before it could
  even ack: p99 1127 ms, p50 463 ms for one burst of 50 in this bench. Now Bolt's threads only ack and the
  decision runs on the app's background pool (`after_ack` in handlers/errors.py, used by Accept, Retry, Retrieve
  and Resend). Also fixed on the way: with several accepts at once, one accept's outbox drain could export
  another item while that item's own drain found nothing left and drew its card "Exporting…" for good; the
  drain now redraws every card whose write it ran (`finish.finish_export`).
- What the clicks wait for first: the background pool has two lanes (bot/services/lanes.py). A click's decision
  and its card's `chat.update` run on the urgent lane; the export (`finish.finish_export_soon`), the sender's
  receipt DM and the card's version bookkeeping on the later lane, which starts nothing while a decision runs or
  waits (a later task waits 1.5 s at most), two at a time. Before, one FIFO pool let a burst's last decisions
  queue behind the first clicks' exports, which share the interpreter (one GIL) and SQLite's write lock. Exports
  are coalesced: one drain per company at a time in the web process, the clicks meanwhile joining its next round
  (so 50 accepts make one or two drains, up to 30 Bills per /batch, not 50 drains fighting over the rows); a
  drain yields to pending decisions between rounds. An accept that queues an export redraws only its card at
  once; the export's round redraws card and receipt DM.
- What remains in an ack: up to 10 ms of Bolt's wait loop (with `process_before_response=False` the HTTP thread
  checks every 10 ms whether the listener has acked), and, under a burst, waiting for one of the web role's 8
  waitress threads and for the interpreter, shared with the decisions running meanwhile. What remains in the
  card's acceptance: each decision's own work — its transaction (about a dozen statements, the export's mapping
  inside it), the card's nine reads, one `chat.update` (slack_sdk opens a new connection per call; it has no
  keep-alive option) — done one after another on SQLite's write lock and the GIL.
- Processes: Slack sandbox (signs block_actions with the app's secret, times the app's answer, keeps every
  revision of a card with its time), QBO sandbox (limits off), Ledgerlink's web role as `ledgerlink web` runs it
  (waitress, 8 threads; SQLite file). Clicks go through `POST /_sandbox/actions/click`, {burst} threads released
  by one barrier; the first click of the run (warm-up) is not counted.
- Machine: {machine()}; database sqlite.
""")


if __name__ == "__main__":
    sys.exit(main())

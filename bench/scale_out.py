"""Benchmark: several processes, several companies, QuickBooks' limits held by all of them together.

    python -m bench.scale_out [--workers 3] [--webs 2] [--tenants 6] [--bills 3000] [--singles 30]
                              [--time-scale 2] [--threads 2] [--baseline-workers 1] [--results bench/RESULTS.md]

What runs: one PostgreSQL (a private server, or `--db`), the QBO sandbox in its own process with Intuit's limits on
(500 requests/min, 10 concurrent, 40 batch requests/min per realm), **time-scaled** (`--time-scale 2`: a limiter
minute lasts 30 s real, on the sandbox and in every client), and `--tenants` tenants, each with its own realm.
`--webs` accept processes and `--workers` worker processes share the database and nothing else:
- a worker process is the outbox drain of `ledgerlink worker` (`BatchingOutbox`, `--threads` threads, a look every
  0.1 s) with the shared limiter of `ledgerlink worker` / `ledgerlink web` (`SharedLimiterRegistry`: every
  process's requests counted in the database). Its QBO clients use the tenants' tokens directly (no OAuth round);
- an accept process commits Accepts the way an accept click does (the item `exporting` and its outbox row, by the
  export hook, in one transaction) at scheduled moments, then runs that write on a pool of 8 threads as the web
  role does after the click (`drain(tenant_id=…)`: only the clicked company's rows, so never A's batches); it is
  not the Slack/waitress front (ack_latency measures that one). The workers drain A's bulk export (and anything
  a click left).
Tenant A has `--bills` invoices accepted at the start (a bulk export); tenants B… accept `--singles` invoices each,
one at a time, spread over the time A's export should take. The same run is repeated with `--baseline-workers`
worker processes (fresh database and realms) as the baseline.

Measured, per run: for every realm what the sandbox counted — requests refused for overrunning a limit (429s not
injected: there are no injected faults here) and the peak of concurrent requests; A's steady rate (Bills per QBO
minute from the end of its first full window of 1,200 to the end of the second, as bulk_export measures it) against
the bound of 1,200/min; B…'s click-to-Bill times (the Accept's commit to the item's `synced` commit); and exactly
one Bill in QBO per invoice (Bills counted in each realm, links, distinct numbers).
Targets: 0 overrun refusals and ≤ 10 concurrent in every realm; A ≥ 90 % of its bound; B… p99 < 3 s real; exactly
one Bill each. Exits 1 on a miss.
Ends with `BENCH name=scale_out value=<A share %> unit=%_of_bound bound=90 baseline=<1-worker share> …`.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from bench.bulk_export import Sandbox, Tenantry, machine, queue_accepted, start_sandbox, update_section
from bench.trickle import percentile
from core.db import make_engine
from core.migrate import upgrade
from core.models import ExternalLink, Item
from sync.context import TenantContext
from sync.http.base import StaticToken
from sync.http.retry import RetryPolicy
from sync.http.shared_limits import SharedLimiterRegistry
from sync.operations import build_operations
from sync.qbo.client import QBO_POLICY, QboClient
from sync.writes.batching import BatchingOutbox
from tests.support.postgres import PrivatePostgres, create_database

ROOT = Path(__file__).resolve().parents[1]
WINDOW_BILLS = 1200  # one QBO minute of batched creates: 40 batch calls x 30
P99_BOUND_S, SHARE_BOUND = 3.0, 0.90


# --- the processes ---------------------------------------------------------------------------------------
def process_contexts(spec: dict, name: str) -> tuple[Any, Callable[[int], TenantContext]]:
    """The database engine and tenant contexts of one process, its QBO clients' limits shared through the
    database."""
    engine = make_engine(spec["db"])
    registry = SharedLimiterRegistry(engine, holder=name)
    scale = spec["scale"]
    ctxs = {int(tid): TenantContext(engine=engine, tenant_id=int(tid), qbo_client=QboClient(
        realm_id=t["realm"], tokens=StaticToken(t["token"]), base_url=spec["qbo"], policy=QBO_POLICY.scaled(scale),
        registry=registry, rate_limited_pause=60.0 / scale,
        retry=RetryPolicy(max_attempts=6, initial_wait=0.05, max_wait=2.0, jitter=0.05)))
        for tid, t in spec["tenants"].items()}

    def context_for(tenant_id: int) -> TenantContext:
        return ctxs[int(tenant_id)]

    return engine, context_for


def outbox_of(engine: Any, context_for: Callable[[int], TenantContext], name: str) -> BatchingOutbox:
    return BatchingOutbox(engine, build_operations(context_for), context_for=context_for, worker_id=name)


def worker_main(spec: dict, name: str) -> int:
    """One worker process: the outbox drain with limits shared through the database, until SIGTERM."""
    engine, context_for = process_contexts(spec, name)
    outbox = outbox_of(engine, context_for, name)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        stats = outbox.drain(threads=spec["threads"])
        if not (stats.done + stats.failed + stats.retried):
            stop.wait(0.1)
    engine.dispose()
    return 0


def accept_main(spec: dict, index: int) -> int:
    """One accept process: commits its share of the single Accepts at their scheduled moments, then runs each
    one's write on a background pool as `ledgerlink web` does after an Accept click (bot/actions/finish.py:
    `drain_outbox(tenant_id=…)`, only the clicked company's rows, 5 rounds at most)."""
    engine, context_for = process_contexts(spec, f"web-{index}")
    local = threading.local()

    def drain(tenant_id: int) -> None:
        if not hasattr(local, "outbox"):  # one outbox per pool thread: its claims carry the thread's worker id
            local.outbox = outbox_of(engine, context_for, f"web-{index}-{threading.get_ident()}")
        local.outbox.drain(max_rounds=5, tenant_id=tenant_id)

    with ThreadPoolExecutor(8) as pool:  # the web role's background pool
        for at, tenant_id, n in spec["schedule"][index]:
            time.sleep(max(0.0, spec["t0"] + at - time.time()))
            queue_accepted(engine, tenant_id, n, 1, f"{spec['run']}t{tenant_id}")
            pool.submit(drain, tenant_id)
    engine.dispose()
    return 0


def queue_bulk(engine: Any, tenant_id: int, count: int, run: str, *, threads: int = 4) -> None:
    """`count` accepted invoices of one tenant, queued by the export hook in `threads` parallel transactions."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda first: queue_accepted(engine, tenant_id, first, min(250, count - first + 1), run),
                      range(1, count + 1, 250)))


def spawn(role: str, spec_path: Path, arg: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench.scale_out", "--role", role, "--spec", str(spec_path),
                             "--name", arg], cwd=ROOT)


# --- one run ---------------------------------------------------------------------------------------------
def one_run(db_url: str, sandbox: Sandbox, *, workers: int, args: Any, run: str) -> dict:
    upgrade(db_url)
    engine = make_engine(db_url)
    sandbox.admin("config", limits=False)
    tenants = [Tenantry(engine, sandbox, time_scale=args.time_scale, limits=True) for _ in range(args.tenants)]
    for t in tenants:
        t.link()
    a, others = tenants[0], tenants[1:]
    queue_bulk(engine, a.tenant_id, args.bills, f"{run}A")
    spread = 0.8 * args.bills / WINDOW_BILLS * 60.0 / args.time_scale  # real seconds A's export should take, 80 %
    singles = sorted((spread * (k + 0.5) / args.singles + 0.013 * j, t.tenant_id, k + 1)
                     for j, t in enumerate(others) for k in range(args.singles))
    spec = {"db": db_url, "qbo": sandbox.url, "scale": args.time_scale, "threads": args.threads, "run": run,
            "tenants": {str(t.tenant_id): {"realm": t.realm, "token": t.token} for t in tenants},
            "schedule": [singles[k::args.webs] for k in range(args.webs)], "t0": time.time() + 1.0}
    spec_path = Path(tempfile.mkdtemp(prefix="ledgerlink-scale-")) / "spec.json"
    spec_path.write_text(json.dumps(spec))
    sandbox.admin("config", limits=True, time_scale=args.time_scale, reset_windows=True)
    total = args.bills + len(singles)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [spawn("worker", spec_path, f"worker-{n}") for n in range(workers)]
    procs += [spawn("accept", spec_path, str(k)) for k in range(args.webs)]
    samples: list[tuple[float, int]] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            done_a, done_all = synced_counts(engine, a.tenant_id)
            samples.append((time.monotonic(), done_a))
            if done_all >= total:
                break
            time.sleep(0.05)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return measure(engine, sandbox, tenants, samples, args=args, workers=workers, total=total) | {
        "cpu_ms": 1000 * cpu / total}


def synced_counts(engine, tenant_a: int) -> tuple[int, int]:
    with Session(engine) as s:
        rows = dict(s.exec(select(Item.tenant_id, func.count()).where(Item.state == "synced")
                           .group_by(Item.tenant_id)).all())
    return int(rows.get(tenant_a, 0)), int(sum(rows.values()))


def measure(engine, sandbox: Sandbox, tenants: list[Tenantry], samples: list[tuple[float, int]], *, args: Any,
            workers: int, total: int) -> dict:
    first = next((t for t, n in samples if n >= WINDOW_BILLS), None)
    second = next((t for t, n in samples if n >= 2 * WINDOW_BILLS), None)
    per_min = (WINDOW_BILLS / ((second - first) * args.time_scale / 60.0)) if first and second else 0.0
    realms, once, lat_all = [], True, []
    with Session(engine) as s:
        for t in tenants:
            items = s.exec(select(Item).where(Item.tenant_id == t.tenant_id)).all()
            links = int(s.exec(select(func.count()).select_from(ExternalLink).where(
                ExternalLink.tenant_id == t.tenant_id, ExternalLink.entity_type == "bill")).one())
            bills = [b for b in t.qbo.query_all(entity="Bill") if str(b.get("DocNumber", "")).startswith("B")]
            exact = (len(bills) == len({b["DocNumber"] for b in bills}) == links == len(items)
                     and all(i.state == "synced" for i in items))
            once = once and exact
            lat = [(i.updated_at - i.created_at).total_seconds() for i in items if i.state == "synced"]
            if realms:  # B…: single Accepts
                lat_all += lat
            seen = sandbox.limits(t.realm)
            realms.append({"tenant": "ABCDEFGHIJ"[len(realms)], "items": len(items), "bills": len(bills),
                           "exact": exact, "throttled": seen["throttled"], "peak": seen["peak_in_flight"],
                           "statuses": sandbox.requests(t.realm)["by_status"], "p99": percentile(lat, 0.99),
                           "p50": percentile(lat, 0.5)})
    engine.dispose()
    return {"workers": workers, "per_min": per_min, "share": per_min / WINDOW_BILLS, "realms": realms,
            "singles_p99": percentile(lat_all, 0.99), "singles_p50": percentile(lat_all, 0.5),
            "singles": len(lat_all), "expected_singles": total - args.bills, "exactly_once": once,
            "overrun": sum(r["throttled"] for r in realms), "peak": max(r["peak"] for r in realms),
            "slowest_tenant_p99": max((r["p99"] for r in realms[1:]), default=float("nan"))}


def verdict(got: dict) -> bool:
    return (got["overrun"] == 0 and got["peak"] <= 10 and got["share"] >= SHARE_BOUND
            and got["singles_p99"] < P99_BOUND_S and got["exactly_once"]
            and got["singles"] == got["expected_singles"])


def show(got: dict) -> str:
    realms = "; ".join(f"{r['tenant']}: {r['bills']} Bills/{r['items']} items, {r['throttled']} overrun 429s, peak "
                       f"{r['peak']} concurrent" for r in got["realms"])
    return (f"{got['workers']} worker process(es): A {got['per_min']:.0f} Bills/QBO-min ({got['share']:.0%} of "
            f"{WINDOW_BILLS}); {got['cpu_ms']:.1f} ms of CPU per Bill in the worker and accept processes; "
            f"B… click-to-Bill p50 {got['singles_p50']:.2f} s, p99 {got['singles_p99']:.2f} s over "
            f"{got['singles']} Accepts; exactly one Bill each: {got['exactly_once']}; {realms}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--webs", type=int, default=2, help="accept processes")
    p.add_argument("--tenants", type=int, default=6)
    p.add_argument("--bills", type=int, default=3000, help="tenant A's bulk export")
    p.add_argument("--singles", type=int, default=30, help="single Accepts of each other tenant")
    p.add_argument("--time-scale", type=float, default=2.0)
    p.add_argument("--threads", type=int, default=2, help="outbox threads per worker process")
    p.add_argument("--baseline-workers", type=int, default=1)
    p.add_argument("--db", help="a PostgreSQL server URL (default: a private server)")
    p.add_argument("--results")
    p.add_argument("--role", choices=["main", "worker", "accept"], default="main", help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    p.add_argument("--name", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.role == "worker":
        return worker_main(json.loads(Path(args.spec).read_text()), args.name)
    if args.role == "accept":
        return accept_main(json.loads(Path(args.spec).read_text()), int(args.name))
    server = None
    if args.db:
        server_url = args.db
    else:
        server = PrivatePostgres()
        server_url = server.start()
        if server_url is None:
            print("scale_out: no PostgreSQL server (install Debian's postgresql or pass --db)", flush=True)
            return 1
    sandbox = start_sandbox()
    run = time.strftime("%H%M%S")
    try:
        print(f"scale_out: {args.webs} accept + {args.workers} worker processes on PostgreSQL, {args.tenants} "
              f"tenants each with its own realm, limits ON, time-scaled x{args.time_scale:g} (a limiter minute "
              f"lasts {60 / args.time_scale:g} s); A exports {args.bills} Bills, the others accept {args.singles} "
              "single invoices each over the run", flush=True)
        ours = one_run(create_database(server_url, f"scale_{run}_m"), sandbox, workers=args.workers, args=args,
                       run=f"{run}m")
        print(show(ours), flush=True)
        base = one_run(create_database(server_url, f"scale_{run}_b"), sandbox, workers=args.baseline_workers,
                       args=args, run=f"{run}b")
        print(f"baseline: {show(base)}", flush=True)
        ok = verdict(ours)
        line = (f"BENCH name=scale_out value={100 * ours['share']:.0f} unit=%_of_bound bound={100 * SHARE_BOUND:.0f} "
                f"baseline={100 * base['share']:.0f} ratio={ours['share'] / base['share'] if base['share'] else 0:.2f}"
                f" singles_p99_s={ours['singles_p99']:.2f} baseline_singles_p99_s={base['singles_p99']:.2f} "
                f"overrun_429s={ours['overrun']} peak_concurrent={ours['peak']} "
                f"exactly_once={int(ours['exactly_once'])} {'met' if ok else 'MISSED'}")
        print(line, flush=True)
        if args.results:
            write_results(Path(args.results), ours, base, args, line, ok)
        return 0 if ok else 1
    finally:
        sandbox.stop()
        if server is not None:
            server.stop()


def write_results(path: Path, ours: dict, base: dict, args: Any, line: str, ok: bool) -> None:
    def rows(got: dict) -> str:
        return "\n".join(
            f"| {got['workers']} | {r['tenant']} | {r['items']} | {r['bills']} | {'yes' if r['exact'] else '**no**'} "
            f"| {r['throttled']} | {r['peak']} | {r['p50']:.2f} | {r['p99']:.2f} |" for r in got["realms"])

    update_section(path, "scale_out", f"""## scale_out — {args.webs} accept + {args.workers} worker processes, \
{args.tenants} realms, limits shared

`python -m bench.scale_out --results bench/RESULTS.md` (in `make bench`), last run {time.strftime('%Y-%m-%d %H:%M')}.
PostgreSQL, QBO sandbox limits on, **time-scaled x{args.time_scale:g}** (a limiter minute lasts
{60 / args.time_scale:g} s real). Targets (0 overrun 429s, ≤ 10 concurrent per realm, A ≥ {SHARE_BOUND:.0%} of its
bound, B… click-to-Bill p99 < {P99_BOUND_S:g} s, exactly one Bill each): **{'met' if ok else 'MISSED'}**.

| | {args.workers} workers | baseline: {base['workers']} worker |
|---|---:|---:|
| A: Bills per QBO minute (bound {WINDOW_BILLS}) | **{ours['per_min']:.0f}** ({ours['share']:.0%}) | \
{base['per_min']:.0f} ({base['share']:.0%}) |
| B…: click-to-Bill p50 / p99, s | {ours['singles_p50']:.2f} / **{ours['singles_p99']:.2f}** | \
{base['singles_p50']:.2f} / {base['singles_p99']:.2f} |
| 429s from overrun, all realms (sandbox) | **{ours['overrun']}** | {base['overrun']} |
| most concurrent requests in one realm (sandbox) | {ours['peak']} | {base['peak']} |
| exactly one Bill per invoice | {ours['exactly_once']} | {base['exactly_once']} |
| CPU per Bill, worker + accept processes, ms | {ours['cpu_ms']:.1f} | {base['cpu_ms']:.1f} |

| workers | tenant | invoices | Bills in QBO | exactly once | overrun 429s | peak concurrent | p50 s | p99 s |
|---:|---|---:|---:|---|---:|---:|---:|---:|
{rows(ours)}
{rows(base)}

    {line}

- Worker processes run `BatchingOutbox` with `SharedLimiterRegistry` ({args.threads} threads each, a look every
  0.1 s); accept processes commit Accepts as the click does (not through Slack) and run each one's write at once
  on a pool of 8 threads, only that company's rows, as the web role does after an Accept. A's rate is measured from its
  1,200th Bill to its 2,400th (one whole window after the first), as bulk_export does.
- Machine: {machine()}; shared with other work while it ran.
""")


if __name__ == "__main__":
    sys.exit(main())

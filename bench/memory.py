"""Benchmark: peak RSS of the three first runs (vendor refresh, paid sync, job-cost sync) over 50,000 records each.

    python -m bench.memory [--records 50000] [--results bench/RESULTS.md]

What runs: the QBO sandbox in its own process (limits off); planted by this process through the sandbox's admin
bulk route, a day back: `--records` Vendors, `--records` BillPayments (on records/50 Bills, 10 of them watched by
paid sync) and `--records` expenses (2,000 on a QBO project linked to a Procore project with job-cost sync on).
Then a *fresh* Python process
(so planting does not count towards its peak) imports Ledgerlink, wires a tenant to the realm (and to an empty
Procore company, which the vendor refresh also reads) and runs the three first, full runs one after another: before
each it records its RSS (the baseline) and resets its peak. Peak RSS is that process's own high-water mark (`VmHWM`
in /proc/self/status); not `ru_maxrss`, which on Linux also counts the parent's resident memory at the fork.
Target: every peak < 200 MB, and every run read all `--records` records (streamed page by page, never a list).
Ends with one `BENCH name=memory_<job> value=<peak MB> unit=MB bound=200 baseline=<RSS before MB> …` line per job.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
from sqlmodel import Session

from bench._world import plant, start_procore, start_sandbox
from bench.bulk_export import machine, update_section
from bench.incremental_cost import (
    CHECKING,
    COST_CODE,
    COST_TYPE,
    PROCORE_VENDOR,
    PROJECT,
    World,
    item_line,
    pay_body,
)
from core.db import make_engine
from core.migrate import upgrade
from core.models import ExternalLink, Item, ProjectSettings
from sync import binder
from sync.jobs.base import run_job

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (`VmRSS`) or its high-water mark (`VmHWM`), MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: writing 5 to /proc/self/clear_refs)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


JOBS = (("vendors", "vendor refresh", "vendor_records_read", "QBO Vendors"),
        ("paid", "paid sync", "payments_seen", "QBO BillPayments"),
        ("job-costs", "job-cost sync", "transactions_seen", "QBO expenses"))
WATCHED = 10  # Bills watched by paid sync (synced sub invoices); the payments of all the others are read and skipped
PLACED = 2_000  # expenses on the QBO project linked to a Procore project with job-cost sync on; the rest elsewhere


def child(qbo_url: str, procore_url: str, realm: str, plan_path: str) -> None:
    """Runs in the fresh process: per job, RSS before, then its first run, then its peak (JSON on stdout)."""
    plan = json.loads(Path(plan_path).read_text())
    url = f"sqlite:///{tempfile.mkdtemp(prefix='ledgerlink-bench-')}/bench.db"
    upgrade(url)
    engine = make_engine(url)
    world = World(engine, qbo_url, procore_url, realm=realm)
    with Session(engine) as s:
        for n, bill_id in enumerate(plan["watched"]):
            s.add(Item(tenant_id=world.tenant_id, type="sub_invoice", procore_id=str(800_000 + n),
                       procore_project_id=PROJECT, title=f"Bench invoice {n}", state="synced", remote_id=bill_id,
                       detail={"invoice_number": f"M-{n}"}))
            s.add(ExternalLink(tenant_id=world.tenant_id, entity_type="bill", procore_id=str(800_000 + n),
                               qbo_id=bill_id))
        s.commit()
        binder.bind(s, world.tenant_id, "project", PROJECT, plan["customer"])
        binder.bind(s, world.tenant_id, "company", PROCORE_VENDOR, plan["payee"])
        binder.bind(s, world.tenant_id, "cost_item", f"{PROJECT}:{COST_CODE}:{COST_TYPE}", plan["item"])
        s.add(ProjectSettings(tenant_id=world.tenant_id, procore_project_id=PROJECT, job_cost_sync_enabled=True))
        s.commit()
    out = {}
    for job, _label, stat, _what in JOBS:
        gc.collect()
        before = rss_mb()
        reset_peak()
        t0 = time.monotonic()
        report = run_job(world.ctx, job)
        out[job] = {"before": before, "peak": rss_mb("VmHWM"), "after": rss_mb(),
                    "seconds": time.monotonic() - t0, "read": int(report.stats.get(stat) or 0),
                    "stats": {k: v for k, v in report.stats.items() if isinstance(v, int | str)}}
    print(json.dumps(out))


def plant_all(qbo, realm: str, token: str, n: int) -> dict:
    """`n` Vendors, `n` BillPayments (on n/50 Bills, WATCHED of them watched), `n` expenses (PLACED on the linked
    project), planted a day back so they predate the first runs."""
    httpx.post(f"{qbo.url}/_sandbox/clock", json={"offset_seconds": -86400}, timeout=60).raise_for_status()
    try:
        vs = plant(qbo.url, realm, token, "Vendor", [{"DisplayName": f"Bench Vendor {k:05d}",
                                                      "CompanyName": f"Bench Vendor {k:05d} LLC",
                                                      "PrimaryEmailAddr": {"Address": f"ap{k}@vendor.example"}}
                                                     for k in range(n)])
        payee = vs[0]["Id"]
        customers = plant(qbo.url, realm, token, "Customer", [
            {"DisplayName": name, "ParentRef": {"value": "1"}, "IsProject": True}
            for name in ("Bench Tower", "Bench Elsewhere")])
        item = plant(qbo.url, realm, token, "Item", [{"Name": "B-001-03-300.M", "Type": "Service",
                                                     "IncomeAccountRef": {"value": "1"},
                                                     "ExpenseAccountRef": {"value": "58"}}])[0]["Id"]
        today = time.strftime("%Y-%m-%d")
        bills = plant(qbo.url, realm, token, "Bill", [{
            "VendorRef": {"value": payee}, "DocNumber": f"M-{k:06d}", "TxnDate": today,
            "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 1000.00,
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}}]} for k in range(n // 50)])
        plant(qbo.url, realm, token, "BillPayment", [pay_body(payee, bills[k // 50]["Id"], "10.00", f"P{k:06d}")
                                                     for k in range(n)])
        plant(qbo.url, realm, token, "Purchase", [{
            "PaymentType": "Check", "AccountRef": {"value": CHECKING}, "TxnDate": today,
            "EntityRef": {"value": payee, "type": "Vendor"},
            "Line": [item_line(Decimal(100 + k % 900), item, customers[0 if k < PLACED else 1]["Id"])]}
            for k in range(n)])
    finally:
        httpx.post(f"{qbo.url}/_sandbox/clock", json={"offset_seconds": 0}, timeout=60).raise_for_status()
    return {"watched": [b["Id"] for b in bills[:WATCHED]], "payee": payee, "customer": customers[0]["Id"],
            "item": item}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=50_000, help="records per job's first run")
    p.add_argument("--results", default=None)
    p.add_argument("--child", nargs=4, metavar=("QBO_URL", "PROCORE_URL", "REALM", "PLAN"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.child:
        child(*args.child)
        return 0
    qbo = start_sandbox()
    procore_url, procore = start_procore()
    try:
        realm = qbo.admin("realms")["realm_id"]
        token = qbo.admin("tokens", realm_id=realm)["access_token"]
        t0 = time.monotonic()
        plan = plant_all(qbo, realm, token, args.records)
        planted = time.monotonic() - t0
        plan_path = Path(tempfile.mkdtemp(prefix="ledgerlink-bench-")) / "plan.json"
        plan_path.write_text(json.dumps(plan))
        print(f"memory: planted {args.records} Vendors, {args.records} BillPayments and {args.records} expenses "
              f"through the sandbox bulk route in {planted:.1f} s; syncing them in a fresh process", flush=True)
        out = subprocess.run([sys.executable, "-m", "bench.memory", "--child", qbo.url, procore_url, realm,
                              str(plan_path)], cwd=ROOT, capture_output=True, text=True, timeout=900)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return 1
        got = json.loads(out.stdout.strip().splitlines()[-1])
        ok, rows, lines = True, [], []
        for job, label, _stat, what in JOBS:
            g = got[job]
            met = g["peak"] < 200 and g["read"] >= args.records
            ok = ok and met
            ratio = g["peak"] / g["before"]
            print(f"{label}: read {g['read']} {what} in {g['seconds']:.1f} s; RSS before {g['before']:.1f} MB, peak "
                  f"{g['peak']:.1f} MB ({ratio:.2f}x); target < 200 MB {'met' if met else 'MISSED'} ({g['stats']})",
                  flush=True)
            lines.append(f"BENCH name=memory_{job.replace('-', '_')} value={g['peak']:.1f} unit=MB bound=200 "
                         f"baseline={g['before']:.1f} ratio={ratio:.2f} read={g['read']}")
            rows.append(f"| {label} | {g['read']} {what} | {g['before']:.1f} MB | **{g['peak']:.1f} MB** | "
                        f"{g['seconds']:.1f} s | {'met' if met else '**missed**'} |")
        print("\n".join(lines), flush=True)
        if args.results:
            table, bench = "\n".join(rows), "\n".join(f"    {x}" for x in lines)
            update_section(Path(args.results), "memory", f"""## memory — peak RSS of three first runs over \
{args.records:,} QBO records each

`python -m bench.memory --results bench/RESULTS.md` (in `make bench`), last run {time.strftime('%Y-%m-%d %H:%M')}.
Target: each first run's peak < 200 MB: **{'met' if ok else 'MISSED'}**.

| first run | records read | RSS before (baseline) | peak | time | target |
|---|---|---:|---:|---:|---|
{table}

{bench}

- Planted through the QBO sandbox's admin bulk route in {planted:.0f} s (a day back, so they predate the runs):
  {args.records} Vendors;
  {args.records} BillPayments on {args.records // 50} Bills, {WATCHED} of them watched by paid sync (synced sub
  invoices), so its first run streams every payment since the earliest watched Bill and applies those of the
  watched ones; {args.records} expenses, {PLACED} on the QBO project linked to a Procore project with job-cost sync
  on (each becomes a direct cost in the outbox and the cache), the rest on another project.
- The three first runs run one after another in one fresh process (planting does not count); each peak is that
  process's `VmHWM`, reset just before the run; the baseline is its VmRSS just before the run.
- Machine: {machine()}; database sqlite; the QBO sandbox in its own process.
""")
        return 0 if ok else 1
    finally:
        qbo.stop()
        procore.terminate()
        procore.wait(10)


if __name__ == "__main__":
    sys.exit(main())

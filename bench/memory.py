"""Benchmark: peak RSS of the vendor refresh (a streamed full scan) over 50,000 QBO Vendors.

    python -m bench.memory [--vendors 50000] [--results bench/RESULTS.md]

What runs: the QBO sandbox in its own process (limits off); `--vendors` Vendors planted through /batch by this
process; then a *fresh* Python process (so planting does not count towards its peak) imports Ledgerlink, wires a
tenant to the realm (and to an empty Procore company, which the vendor refresh also reads), records its RSS —
the baseline: interpreter + Ledgerlink imported, nothing synced — and runs the vendor refresh's first, full run:
QBO pages of 1,000 streamed, 200 records per database transaction, every vendor cached in SQLite. Peak RSS is
that process's own high-water mark (`VmHWM` in /proc/self/status, reset just before the run); not `ru_maxrss`,
which on Linux also counts the parent's resident memory at the fork (here: the 50,000 planted bodies).
Target: peak < 200 MB.
Ends with `BENCH name=memory value=<peak MB> unit=MB bound=200 baseline=<RSS before MB> ratio=<peak/baseline>`.
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
from pathlib import Path

from sqlmodel import Session, func, select

from bench._world import plant, start_procore, start_sandbox
from bench.bulk_export import machine, update_section
from bench.incremental_cost import World
from core.db import make_engine
from core.migrate import upgrade
from core.models import RemoteRecord
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


def child(qbo_url: str, procore_url: str, realm: str) -> None:
    """Runs in the fresh process: baseline RSS, then the vendor refresh, then the peak (JSON on stdout)."""
    url = f"sqlite:///{tempfile.mkdtemp(prefix='ledgerlink-bench-')}/bench.db"
    upgrade(url)
    engine = make_engine(url)
    world = World(engine, qbo_url, procore_url, realm=realm)

    gc.collect()
    before = rss_mb()
    peak_before = rss_mb("VmHWM")
    reset_peak()
    t0 = time.monotonic()
    report = run_job(world.ctx, "vendors")
    seconds = time.monotonic() - t0
    peak = rss_mb("VmHWM")
    with Session(engine) as s:
        cached = s.exec(select(func.count()).select_from(RemoteRecord).where(RemoteRecord.entity == "Vendor")).one()
    print(json.dumps({"before": before, "peak_before": peak_before, "peak": peak, "after": rss_mb(),
                      "seconds": seconds, "cached": int(cached), "stats": report.stats}))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vendors", type=int, default=50_000)
    p.add_argument("--results", default=None)
    p.add_argument("--child", nargs=3, metavar=("QBO_URL", "PROCORE_URL", "REALM"), help=argparse.SUPPRESS)
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
        plant(qbo.url, realm, token, "Vendor", [{"DisplayName": f"Bench Vendor {n:05d}",
                                                 "CompanyName": f"Bench Vendor {n:05d} LLC",
                                                 "PrimaryEmailAddr": {"Address": f"ap{n}@vendor.example"}}
                                                for n in range(args.vendors)])
        planted = time.monotonic() - t0
        print(f"memory: planted {args.vendors} QBO Vendors through /batch in {planted:.1f} s; syncing them in a "
              "fresh process", flush=True)
        out = subprocess.run([sys.executable, "-m", "bench.memory", "--child", qbo.url, procore_url, realm],
                             cwd=ROOT, capture_output=True, text=True, timeout=600)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return 1
        got = json.loads(out.stdout.strip().splitlines()[-1])
        ok = got["peak"] < 200
        ratio = got["peak"] / got["before"]
        print(f"RSS before the sync (interpreter + Ledgerlink imported, tenant wired): {got['before']:.1f} MB; "
              f"peak during the vendor refresh of {got['stats'].get('vendor_records_read')} vendors "
              f"({got['stats'].get('vendor_mode')} scan, {got['cached']} cached, {got['seconds']:.1f} s): "
              f"{got['peak']:.1f} MB ({got['peak'] - got['before']:+.1f} MB, {ratio:.2f}x); target < 200 MB "
              f"{'met' if ok else 'MISSED'}", flush=True)
        line = (f"BENCH name=memory value={got['peak']:.1f} unit=MB bound=200 baseline={got['before']:.1f} "
                f"ratio={ratio:.2f}")
        print(line, flush=True)
        verdict = "met" if ok else "**missed**"
        if args.results:
            update_section(Path(args.results), "memory", f"""## memory — peak RSS syncing 50,000 QBO records

`python -m bench.memory --results bench/RESULTS.md` (in `make bench`), last run {time.strftime('%Y-%m-%d %H:%M')}.

| | RSS |
|---|---:|
| before the sync (interpreter + Ledgerlink imported, tenant wired) — baseline | {got['before']:.1f} MB |
| **peak during the vendor refresh of {got['stats'].get('vendor_records_read')} QBO Vendors** |\
 **{got['peak']:.1f} MB** |
| growth | {got['peak'] - got['before']:+.1f} MB ({ratio:.2f}x) |
| target | < 200 MB: {verdict} |

    {line}

- {args.vendors} Vendors planted through QBO /batch ({planted:.0f} s), then synced by the vendor refresh's first run
  ({got['stats'].get('vendor_mode')} scan: QBO pages of 1,000 streamed, 200 records per transaction, all
  {got['cached']} cached in SQLite) in {got['seconds']:.1f} s, in a fresh process so planting does not count.
- Peak = that process's `VmHWM` (its own high-water mark, reset just before the run); baseline = its VmRSS
  just before the run. (`ru_maxrss` is not used: on Linux a child started with fork+exec reports the parent's
  resident memory at the fork as its own maximum — here the 50,000 planted bodies, ~215 MB.)
- Only the vendor refresh is measured here. Paid sync and job-cost sync hold a full scan's rows in a list
  (`list(query_all(...))` in `sync/jobs/paid.py` and `sync/jobs/job_costs.py`), so their first run is not
  streamed and is not covered by this figure.
- Machine: {machine()}; database sqlite; the QBO sandbox in its own process.
""")
        return 0 if ok else 1
    finally:
        qbo.stop()
        procore.terminate()
        procore.wait(10)


if __name__ == "__main__":
    sys.exit(main())

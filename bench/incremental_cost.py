"""Benchmark: QBO requests per sync job once 50,000 records are cached and 10 of them change (CDC), vs the full scan.

    python -m bench.incremental_cost [--vendors 30000] [--bills 5000] [--purchases 10000] [--results bench/RESULTS.md]

What runs: the QBO sandbox (limits off) and the Procore sandbox, each in its own process. One realm is planted
through the QBO sandbox's admin bulk route: `--vendors` Vendors, `--bills` Bills each with one partial BillPayment
(watched by paid sync: a `synced` sub invoice item per Bill, its `bill` link bound), and `--purchases` expenses
(Purchase) whose item line sits on a QBO project linked to a Procore project with job-cost sync on. Default:
30,000 + 5,000 + 5,000 + 10,000 = 50,000 records. Then vendor refresh, paid sync and job-cost sync each run once
(first run: full scan), 10 records change (4 vendors renamed, 3 new bill payments, 3 expenses re-priced) and each
job runs again. Requests are counted per job by the sandbox (`GET /_sandbox/requests`, the realm's total before and
after the run). Baseline: the same job's full-scan count in the same run. Target: ≤ 3 requests per incremental run.
Ends with one `BENCH name=incremental_<job> value=<incremental> unit=requests bound=3 baseline=<full> ratio=<x>`
line per job.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
from sqlmodel import Session

from bench._world import plant, start_procore, start_sandbox
from bench.bulk_export import machine, update_section
from core.db import make_engine
from core.migrate import upgrade
from core.models import ExternalLink, Item, ProjectSettings, Tenant, TenantSettings
from sync import binder
from sync.context import TenantContext
from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry
from sync.jobs.base import run_job
from sync.procore.client import ProcoreClient
from sync.qbo.client import QBO_POLICY, QboClient

CHECKING, EXPENSE_ACCOUNT, PROJECT, COST_CODE, COST_TYPE = "35", "63", 2001, 3001, 4001
PROCORE_VENDOR = 5001  # the Procore company the expenses' payee is linked to
TODAY = date.today().isoformat()
JOBS = (("vendors", "vendor refresh"), ("paid", "paid sync"), ("job-costs", "job-cost sync"))
#: per job: the report stat counting the QBO records it read, and how many of the 10 changes are its own
READ_STAT = {"vendors": ("vendor_records_read", 4), "paid": ("payments_seen", 3),
             "job-costs": ("transactions_seen", 3)}
UNSYNCABLE, LOCAL_BOUND_S = 10_000, 1.0


class World:
    def __init__(self, engine, qbo_url: str, procore_url: str, *, realm: str | None = None) -> None:
        self.engine, self.qbo_url = engine, qbo_url
        self.realm = realm or httpx.post(f"{qbo_url}/_sandbox/realms", json={}, timeout=60).json()["realm_id"]
        self.token = httpx.post(f"{qbo_url}/_sandbox/tokens", json={"realm_id": self.realm},
                                timeout=60).json()["access_token"]
        company = httpx.post(f"{procore_url}/_sandbox/companies", json={"name": "Bench Builders", "seed": "basic"},
                             timeout=60).json()
        ptoken = httpx.post(f"{procore_url}/_sandbox/tokens", json={"company_ids": [int(company["id"])]},
                            timeout=60).json()["access_token"]
        with Session(engine, expire_on_commit=False) as s:
            tenant = Tenant(name="Bench Builders", qbo_realm_id=self.realm, procore_company_id=int(company["id"]))
            s.add(tenant)
            s.flush()
            s.add(TenantSettings(tenant_id=tenant.id))
            s.commit()
            self.tenant_id = tenant.id
        registry = LimiterRegistry()
        self.qbo = QboClient(realm_id=self.realm, tokens=StaticToken(self.token), base_url=qbo_url,
                             policy=QBO_POLICY.scaled(1e6), registry=registry)
        self.ctx = TenantContext(engine=engine, tenant_id=self.tenant_id, qbo_client=self.qbo,
                                 procore_client=ProcoreClient(base_url=procore_url, tokens=StaticToken(ptoken),
                                                              company_id=int(company["id"]), registry=registry))

    def total(self) -> int:
        return int(httpx.get(f"{self.qbo_url}/_sandbox/requests", params={"realm_id": self.realm},
                             timeout=60).json()["total"])

    def plant(self, entity: str, bodies: list[dict]) -> list[dict]:
        return plant(self.qbo_url, self.realm, self.token, entity, bodies)


def seed(world: World, *, vendors: int, bills: int, purchases: int) -> dict:
    """Plant the records as if they were a day old (the sandbox clock set back a day while planting): a realm's
    history predates the first sync, so CDC after the first run sees only what changed since."""
    t0 = time.monotonic()
    httpx.post(f"{world.qbo_url}/_sandbox/clock", json={"offset_seconds": -86400}, timeout=60).raise_for_status()
    try:
        return _seed(world, vendors=vendors, bills=bills, purchases=purchases, t0=t0)
    finally:
        httpx.post(f"{world.qbo_url}/_sandbox/clock", json={"offset_seconds": 0}, timeout=60).raise_for_status()


def _seed(world: World, *, vendors: int, bills: int, purchases: int, t0: float) -> dict:
    vs = world.plant("Vendor", [{"DisplayName": f"Bench Vendor {n:05d}"} for n in range(vendors)])
    payee = vs[0]["Id"]
    customer = world.qbo.create(entity="Customer", body={"DisplayName": "Bench Tower", "ParentRef": {"value": "1"},
                                                         "IsProject": True})["Id"]
    item = world.qbo.create(entity="Item", body={"Name": "B-001-03-300.M", "Type": "Service",
                                                 "IncomeAccountRef": {"value": "1"},
                                                 "ExpenseAccountRef": {"value": "58"}})["Id"]
    bs = world.plant("Bill", [{
        "VendorRef": {"value": payee}, "DocNumber": f"R-{n:06d}", "TxnDate": TODAY,
        "PrivateNote": f"Procore requisition {800_000 + n}",
        "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 1000.00,
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": EXPENSE_ACCOUNT}}}]}
        for n in range(bills)])
    world.plant("BillPayment", [pay_body(payee, b["Id"], "400.00", f"C{n:06d}") for n, b in enumerate(bs)])
    ps = world.plant("Purchase", [{
        "PaymentType": "Check", "AccountRef": {"value": CHECKING}, "TxnDate": TODAY,
        "EntityRef": {"value": payee, "type": "Vendor"},
        "Line": [item_line(Decimal(100 + n % 900), item, customer)]} for n in range(purchases)])
    with Session(world.engine) as s:
        s.add_all([Item(tenant_id=world.tenant_id, type="sub_invoice", procore_id=str(800_000 + n),
                        procore_project_id=PROJECT, title=f"Bench invoice R-{n:06d}", amount=Decimal("1000.00"),
                        state="synced", remote_id=b["Id"], detail={"invoice_number": f"R-{n:06d}"})
                   for n, b in enumerate(bs)])
        s.add_all([ExternalLink(tenant_id=world.tenant_id, entity_type="bill", procore_id=str(800_000 + n),
                                qbo_id=b["Id"]) for n, b in enumerate(bs)])
        s.commit()
        binder.bind(s, world.tenant_id, "project", PROJECT, customer)
        binder.bind(s, world.tenant_id, "company", PROCORE_VENDOR, payee)  # else every expense is unsyncable
        binder.bind(s, world.tenant_id, "cost_item", f"{PROJECT}:{COST_CODE}:{COST_TYPE}", item)
        s.add(ProjectSettings(tenant_id=world.tenant_id, procore_project_id=PROJECT, job_cost_sync_enabled=True))
        s.commit()
    return {"vendors": vs, "bills": bs, "purchases": ps, "payee": payee, "item": item, "customer": customer,
            "records": vendors + 2 * bills + purchases, "seconds": time.monotonic() - t0}


def pay_body(vendor: str, bill_id: str, amount: str, check: str) -> dict:
    return {"VendorRef": {"value": vendor}, "PayType": "Check", "TotalAmt": float(amount), "DocNumber": check,
            "CheckPayment": {"BankAccountRef": {"value": CHECKING}}, "TxnDate": TODAY,
            "Line": [{"Amount": float(amount), "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}]}


def item_line(amount: Decimal, item: str, customer: str) -> dict:
    return {"DetailType": "ItemBasedExpenseLineDetail", "Amount": float(amount), "Description": "bench",
            "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item}, "CustomerRef": {"value": customer},
                                           "Qty": 1, "UnitPrice": float(amount)}}


def change_ten(world: World, planted: dict) -> list[str]:
    """4 vendors renamed, 3 new payments on watched Bills, 3 expenses re-priced (sandbox writes, not counted)."""
    done = []
    for v in planted["vendors"][100:104]:
        world.qbo.update(entity="Vendor", body={"Id": v["Id"], "SyncToken": v["SyncToken"],
                                                "DisplayName": v["DisplayName"] + " (renamed)"})
        done.append(f"Vendor {v['Id']}")
    for n, b in enumerate(planted["bills"][200:203]):
        world.qbo.create(entity="BillPayment", body=pay_body(planted["payee"], b["Id"], "600.00", f"X{n}"))
        done.append(f"BillPayment on Bill {b['Id']}")
    for p in planted["purchases"][300:303]:
        world.qbo.update(entity="Purchase", body={
            "Id": p["Id"], "SyncToken": p["SyncToken"], "PaymentType": "Check", "AccountRef": {"value": CHECKING},
            "EntityRef": {"value": planted["payee"], "type": "Vendor"}, "TxnDate": TODAY,
            "Line": [item_line(Decimal("4321.00"), planted["item"], planted["customer"])]}, )
        done.append(f"Purchase {p['Id']}")
    return done


def unsyncable_run(engine, qbo_url: str, procore_url: str, *, count: int) -> dict:
    """A second realm whose `count` expenses all have an unlinked payee: after the first run they sit in the cache
    as unsyncable. One expense changes; the next run must read just it and re-place nothing else (< 1 s). The
    baseline is the first run, which places every one of them (what every run cost before: each re-placed all)."""
    world = World(engine, qbo_url, procore_url)
    httpx.post(f"{qbo_url}/_sandbox/clock", json={"offset_seconds": -86400}, timeout=60).raise_for_status()
    try:
        payee = world.plant("Vendor", [{"DisplayName": "Unlinked Payee"}])[0]["Id"]
        customer = world.qbo.create(entity="Customer", body={"DisplayName": "Bench Annex",
                                                             "ParentRef": {"value": "1"}, "IsProject": True})["Id"]
        item = world.qbo.create(entity="Item", body={"Name": "B-002-03-300.M", "Type": "Service",
                                                     "IncomeAccountRef": {"value": "1"},
                                                     "ExpenseAccountRef": {"value": "58"}})["Id"]
        ps = world.plant("Purchase", [{
            "PaymentType": "Check", "AccountRef": {"value": CHECKING}, "TxnDate": TODAY,
            "EntityRef": {"value": payee, "type": "Vendor"},
            "Line": [item_line(Decimal(100 + n % 900), item, customer)]} for n in range(count)])
    finally:
        httpx.post(f"{qbo_url}/_sandbox/clock", json={"offset_seconds": 0}, timeout=60).raise_for_status()
    with Session(engine) as s:
        binder.bind(s, world.tenant_id, "project", PROJECT, customer)
        binder.bind(s, world.tenant_id, "cost_item", f"{PROJECT}:{COST_CODE}:{COST_TYPE}", item)
        s.add(ProjectSettings(tenant_id=world.tenant_id, procore_project_id=PROJECT, job_cost_sync_enabled=True))
        s.commit()
    _n, first, _stats = counted(world, "job-costs")  # the first run: every expense cached as unsyncable
    p = ps[7]
    world.qbo.update(entity="Purchase", body={
        "Id": p["Id"], "SyncToken": p["SyncToken"], "PaymentType": "Check", "AccountRef": {"value": CHECKING},
        "EntityRef": {"value": payee, "type": "Vendor"}, "TxnDate": TODAY,
        "Line": [item_line(Decimal("1234.00"), item, customer)]})
    time.sleep(1.1)
    _n, seconds, stats = counted(world, "job-costs")
    read, replaced = int(stats.get("transactions_seen") or 0), int(stats.get("unsyncable_replaced") or 0)
    return {"seconds": seconds, "read": read, "replaced": replaced, "first_seconds": first, "count": count,
            "ratio": first / seconds if seconds else float("inf"),
            "ok": seconds < LOCAL_BOUND_S and read == 1 and replaced == 0}


def counted(world: World, job: str) -> tuple[int, float, dict]:
    before, t0 = world.total(), time.monotonic()
    report = run_job(world.ctx, job)
    return world.total() - before, time.monotonic() - t0, dict(report.stats)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vendors", type=int, default=30_000)
    p.add_argument("--bills", type=int, default=5_000)
    p.add_argument("--purchases", type=int, default=10_000)
    p.add_argument("--unsyncable", type=int, default=UNSYNCABLE,
                   help="expenses whose payee is linked to no Procore company (cached as unsyncable)")
    p.add_argument("--db", default=None)
    p.add_argument("--results", default=None)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='ledgerlink-bench-')}/bench.db"
    upgrade(url)
    engine = make_engine(url)
    qbo = start_sandbox()
    procore_url, procore = start_procore()
    try:
        world = World(engine, qbo.url, procore_url)
        planted = seed(world, vendors=args.vendors, bills=args.bills, purchases=args.purchases)
        print(f"incremental_cost: planted {planted['records']} QBO records ({args.vendors} vendors, {args.bills} "
              f"bills + {args.bills} bill payments, {args.purchases} expenses on a linked project) through the sandbox "
              f"bulk route in {planted['seconds']:.1f} s", flush=True)
        full = {job: counted(world, job) for job, _ in JOBS}
        changed = change_ten(world, planted)
        time.sleep(1.1)
        inc = {job: counted(world, job) for job, _ in JOBS}
        print(f"changed {len(changed)} records: {', '.join(changed)}", flush=True)
        rows = []
        for job, label in JOBS:
            (f_n, f_s, f_stats), (i_n, i_s, i_stats) = full[job], inc[job]
            ratio = f_n / i_n if i_n else float("inf")
            stat, expected = READ_STAT[job]
            read = int(i_stats.get(stat) or 0)
            ok = i_n <= 3 and read == expected  # read exactly what changed: a job that saw nothing fails
            print(f"{label}: full scan {f_n} requests ({f_s:.1f} s, {f_stats}); incremental {i_n} requests "
                  f"({i_s:.2f} s, {i_stats}) — {ratio:.0f}x fewer; read {read} records, {expected} of them "
                  f"changed; target <= 3 requests and exactly the changed records {'met' if ok else 'MISSED'}",
                  flush=True)
            rows.append((job, label, f_n, f_s, i_n, i_s, ratio, ok, f_stats, i_stats))
        lines = [f"BENCH name=incremental_{job.replace('-', '_')} value={i_n} unit=requests bound=3 "
                 f"baseline={f_n} ratio={ratio:.1f} read={int(i_stats.get(READ_STAT[job][0]) or 0)} "
                 f"changed={READ_STAT[job][1]}"
                 for job, _label, f_n, _f_s, i_n, _i_s, ratio, _ok, _f, i_stats in rows]
        unsync = unsyncable_run(engine, qbo.url, procore_url, count=args.unsyncable)
        lines.append(f"BENCH name=incremental_unsyncable value={unsync['seconds']:.2f} unit=s bound={LOCAL_BOUND_S:g} "
                     f"baseline={unsync['first_seconds']:.2f} ratio={unsync['ratio']:.1f} read={unsync['read']} "
                     f"replaced={unsync['replaced']}")
        print(f"job-cost sync with {args.unsyncable} unsyncable cached transactions, 1 changed: "
              f"{unsync['seconds']:.2f} s (read {unsync['read']}, re-placed {unsync['replaced']}); the first run, "
              f"placing every one (as every run used to): {unsync['first_seconds']:.2f} s; "
              f"target < {LOCAL_BOUND_S:g} s {'met' if unsync['ok'] else 'MISSED'}", flush=True)
        print("\n".join(lines), flush=True)
        if args.results:
            write_results(Path(args.results), rows, planted, changed, args, engine.dialect.name, lines, unsync)
        return 0 if all(r[7] for r in rows) and unsync["ok"] else 1
    finally:
        qbo.stop()
        procore.terminate()
        procore.wait(10)
        engine.dispose()


def write_results(path: Path, rows: list, planted: dict, changed: list[str], args, db: str,
                  lines: list[str], unsync: dict) -> None:
    table = "\n".join(
        f"| {label} | **{i_n}** | {f_n} | {ratio:.0f}x | {'met' if ok else '**missed**'} | "
        f"{i_stats.get('mode') or i_stats.get('vendor_mode')}; full {f_s:.1f} s, incremental {i_s:.2f} s |"
        for _job, label, f_n, f_s, i_n, i_s, ratio, ok, _f_stats, i_stats in rows)
    title = "## incremental_cost — QBO requests per sync job, 10 of 50,000 records changed"
    when = time.strftime("%Y-%m-%d %H:%M")
    bench = "\n".join(f"    {line}" for line in lines)
    update_section(path, "incremental_cost", f"""{title}

`python -m bench.incremental_cost --results bench/RESULTS.md` (in `make bench`), last run {when}.

| job | incremental requests | full-scan requests (baseline) | ratio | target ≤ 3 | mode; time |
|---|---:|---:|---:|---|---|
{table}

{bench}

- Planted through the QBO sandbox's admin bulk route in {planted['seconds']:.0f} s: **{planted['records']} QBO records**
  ({args.vendors} Vendors, {args.bills} Bills each with a partial BillPayment — every Bill watched by paid
  sync as a `synced` sub invoice —
  and {args.purchases} expenses with an item line on a QBO project linked to a Procore project with job-cost
  sync on, paid to a vendor linked to a Procore company, so each becomes a Procore direct cost).
- Changed between the runs (10): {', '.join(changed)}.
- Planted with the sandbox clock set back a day (then restored), so the records are older than the first sync, as
  a real company's history is; otherwise CDC after the first run would see all of them as changed.
- Counted by the QBO sandbox (`/_sandbox/requests`, the realm's total before/after each job); limits off so no
  request is a retry. The vendor refresh also reads the Procore directory (not counted: Procore has no change feed).
- Full scan = each job's first run (no cursor): vendors page 1,000 at a time; paid sync reads the watched Bills
  200 Ids per query, then the payments dated on or after the earliest; job-cost sync queries Bill, Purchase and
  VendorCredit in full. Incremental = one CDC call, plus (paid sync) one query for the touched Bills.
- Each incremental run must also read exactly the changed records (vendors 4, payments 3, expenses 3, from the
  jobs' own counts): a job that saw nothing fails the run.
- Unsyncable cache ({unsync['count']} expenses on a second realm, payee linked to no Procore company, all cached as
  unsyncable by the first run; then 1 changed): the next job-cost run took **{unsync['seconds']:.2f} s** (target
  < {LOCAL_BOUND_S:g} s: {'met' if unsync['ok'] else '**missed**'}), read {unsync['read']} transaction and re-placed
  {unsync['replaced']} cached ones (they are placed again only after a link changes). Baseline in the same run: the
  first run, placing all of them, as every run used to: {unsync['first_seconds']:.2f} s.
- Planting is fast since the QBO sandbox keeps indexes (names, doc numbers, payments by Bill, open items by
  vendor/customer, jobs by parent): before, each Bill or BillPayment create recomputed every balance and each
  Vendor create compared every name, O(n²): 9,000 Vendors + 1,800 Bills + 1,800 payments took 62 s to plant
  in-process, now 2 s.
- Machine: {machine()}; database {db}; each sandbox in its own process.
""")


if __name__ == "__main__":
    sys.exit(main())

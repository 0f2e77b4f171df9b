"""A demo-sized tenant for the reliability suite: the demo seed's engine path (bot/demo_seed.py) against sandboxes
of the test's own, grown to a few hundred approvals, and the counts that tell whether every item reached its remote
record exactly once.

`fast_context` gives the world clients with the production retry logic on test timings (waits of tens of
milliseconds instead of seconds, a short read timeout so the sandboxes' slow answers become timeouts);
`demo_sync` runs the jobs the demo seed runs, `plant_requisitions` adds approved sub invoices to the Procore company,
`RemoteCensus` counts what QuickBooks and Procore hold per item.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import Session, select

import sandbox.procore
import sandbox.qbo
from bot import demo_seed
from core.models import Item, OutboxEntry
from sync.context import TenantContext
from sync.http.limits import LimiterRegistry
from sync.http.retry import RetryPolicy
from sync.jobs.base import run_job
from sync.procore.client import ProcoreClient
from sync.qbo.client import QBO_POLICY, QboClient
from sync.qbo.query import select as qbo_select
from sync.writes.batching import BatchingOutbox
from tests.support.servers import running_wsgi
from tests.support.world_remote import Sandboxes

logger = logging.getLogger(__name__)

#: Intuit's per-minute limits, kept by the client, on a clock this much faster (40 /batch requests a minute
#: would otherwise hold a test up for most of a minute)
TIME_SCALE = 20
#: the production retry logic on test timings: 8 attempts, waits of a few tens of milliseconds
FAST_RETRY = RetryPolicy(max_attempts=8, initial_wait=0.02, max_wait=0.25, jitter=0.02, rate_limit_jitter=0.02)


@contextmanager
def own_sandboxes(**procore_config: Any) -> Iterator[Sandboxes]:
    """A QBO and a Procore sandbox of the caller's own (faults and limits are switches global to a sandbox)."""
    with running_wsgi(sandbox.qbo.create_app()) as qbo_url, \
            running_wsgi(sandbox.procore.create_app(seed="none", config=procore_config or None)) as procore_url:
        yield Sandboxes(qbo_url=qbo_url, procore_url=procore_url)


def fast_context(world: Any, *, read_timeout: float = 2.0) -> TenantContext:
    """The world's TenantContext with clients that retry and limit themselves like production, on test timings."""
    registry = LimiterRegistry()
    timeout = httpx.Timeout(connect=2.0, read=read_timeout, write=5.0, pool=30.0)
    old = world.ctx
    qbo = QboClient(realm_id=world.realm_id, tokens=old.qbo.tokens, base_url=world.sandboxes.qbo_url,
                    registry=registry, retry=FAST_RETRY, rate_limited_pause=0.05, timeout=timeout,
                    policy=QBO_POLICY.scaled(TIME_SCALE))
    procore = ProcoreClient(base_url=world.sandboxes.procore_url, tokens=old.procore.tokens,
                            company_id=world.company_id, registry=registry, retry=FAST_RETRY,
                            rate_limited_pause=0.05, timeout=timeout)
    return TenantContext(engine=world.engine, tenant_id=world.tenant.id, qbo_client=qbo, procore_client=procore)


def invoice_world(engine: Any, sandboxes: Sandboxes, count: int) -> Any:
    """A linked RemoteWorld with `count` more subcontractor invoices synced in, and no scheduled paid sync (the
    processes under test export; nothing else writes)."""
    from tests.reliability.support_procs import no_paid_sync
    from tests.support.world_remote import RemoteWorld
    from tests.sync.writes.money_links import link_world

    world = RemoteWorld(engine, sandboxes)
    link_world(world)
    plant_requisitions(sandboxes, world.company_id, count)
    run_job(world.ctx, "sub-invoices")
    no_paid_sync(engine, world.tenant.id)
    return world


def plant_requisitions(sandboxes: Sandboxes, company_id: int, count: int, *, first: int = 1) -> list[str]:
    """`count` approved sub invoices on the company's approved commitments (small amounts, one period each);
    returns their invoice numbers."""
    base = sandboxes.procore_url + "/_sandbox/records"
    contracts = [c for table in ("work_order_contracts", "purchase_order_contracts")
                 for c in httpx.get(f"{base}/{table}", timeout=30).json()
                 if c["company_id"] == company_id and c["status"] == "Approved"]
    records, numbers = [], []
    for n in range(first, first + count):
        contract = contracts[n % len(contracts)]
        number = f"RL-{contract['id'] % 10000:04d}-{n:04d}"
        numbers.append(number)
        records.append({
            "commitment_id": contract["id"], "status": "approved", "invoice_number": number,
            "requisition_start": "2024-09-01", "requisition_end": "2024-09-30", "billing_date": "2024-09-30",
            "items": [{"line_item_id": li["id"], "cost_code_id": li["cost_code_id"],
                       "description_of_work": li["description"],
                       "work_completed_this_period": f"{100 + n}.{n % 100:02d}" if i == 0 else "0.00",
                       "materials_presently_stored": "0.00"}
                      for i, li in enumerate(contract["line_items"])]})
    r = httpx.post(f"{base}/requisitions", params={"emit": 0}, json={"records": records}, timeout=60)
    r.raise_for_status()
    return numbers


def settle(fn: Callable[[], Any], what: str, *, attempts: int = 20, failures: Counter | None = None) -> Any:
    """Run `fn` until it succeeds, as a person (or the next scheduled run) would try again; counts the failures."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - counted, retried, and re-raised on the last attempt
            if failures is not None:
                failures[what] += 1
            logger.info("%s failed (attempt %d): %s", what, attempt, exc)
            if attempt == attempts:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def demo_sync(ctx: TenantContext, scenery: demo_seed.Scenery, admin: Any, failures: Counter) -> None:
    """The demo seed's sync: vendors, projects, links, cost codes, the invoices — each job run again until it
    completes, as the scheduler would."""
    def job(name: str) -> None:
        settle(lambda: run_job(ctx, name), f"job {name}", failures=failures)

    job("vendors")
    job("projects")
    demo_seed._link(ctx, scenery, admin, lambda line: logger.info("%s", line))
    job("cost-codes")
    demo_seed._cost_items(ctx, scenery, lambda line: logger.info("%s", line))
    job("sub-invoices")
    job("owner-invoices")


def outbox_for(ctx: TenantContext, worker_id: str, clock: Callable | None = None) -> BatchingOutbox:
    """The worker's outbox (bulk Bills 30 to a /batch) for one tenant context."""
    from blocks.pdf import render_summary_sheet
    from sync.operations import build_operations
    from sync.writes.invoices import use_sheet_renderer

    use_sheet_renderer(render_summary_sheet)
    kwargs = {"clock": clock} if clock else {}
    return BatchingOutbox(ctx.engine, build_operations(lambda _t: ctx), context_for=lambda _t: ctx,
                          worker_id=worker_id, **kwargs)


def outbox_rows(engine) -> Counter:
    with Session(engine) as s:
        return Counter(e.status for e in s.exec(select(OutboxEntry)))


def item_states(engine, tenant_id: int) -> Counter:
    with Session(engine) as s:
        return Counter((i.type, i.state) for i in s.exec(select(Item).where(Item.tenant_id == tenant_id)))


#: the QBO entities Ledgerlink creates, and how a record names what it was made for
QBO_ENTITIES = ("Bill", "Invoice", "Attachable", "Vendor", "Item", "Customer")
#: outbox operation → (entity, payload path of the record's key, the key field on the remote record)
CREATES = {
    "qbo.create_bill": ("Bill", ("bill", "PrivateNote"), "PrivateNote"),
    "qbo.create_invoice": ("Invoice", ("invoice", "PrivateNote"), "PrivateNote"),
    "qbo.attach_pdf": ("Attachable", ("invoice_id",), "invoice_id"),
    "qbo.create_vendor": ("Vendor", ("body", "DisplayName"), "DisplayName"),
    "qbo.create_item": ("Item", ("body", "Name"), "Name"),
    "procore.create_vendor": ("Procore vendor", ("body", "origin_id"), "origin_id"),
}

#: entities only the outbox creates in these scenarios (the demo seed writes vendors and items directly, as scenery)
ONLY_THROUGH_OUTBOX = ("Bill", "Invoice", "Attachable", "Procore vendor")


def _qbo_all(qbo: QboClient, entity: str) -> list[dict]:
    query = qbo_select(entity)
    if entity in ("Vendor", "Item", "Customer"):
        query = query.where_in("Active", [True, False])
    return list(qbo.query_all(select_=query))


def _key_of(entity: str, record: dict) -> str | None:
    if entity == "Attachable":
        refs = record.get("AttachableRef") or []
        return str(refs[0]["EntityRef"]["value"]) if refs else None
    field_name = next(c[2] for c in CREATES.values() if c[0] == entity)
    value = record.get(field_name)
    return None if value is None else _name_key(entity, str(value))


def _name_key(entity: str, value: str) -> str:
    """Names are unique in QBO: a second record made for one name is "Name (2)", so count it under "Name"."""
    return re.sub(r" \(\d+\)$", "", value).casefold() if entity in ("Vendor", "Item") else value


@dataclass
class RemoteSnapshot:
    """What QuickBooks and Procore hold for one tenant, by entity: the records' keys (see CREATES)."""

    keys: dict[str, Counter] = field(default_factory=dict)

    @classmethod
    def take(cls, world: Any, qbo: QboClient) -> RemoteSnapshot:
        keys = {e: Counter(_key_of(e, r) for r in _qbo_all(qbo, e)) for e in QBO_ENTITIES if e != "Customer"}
        vendors = httpx.get(f"{world.sandboxes.procore_url}/_sandbox/records/vendors", timeout=30).json()
        keys["Procore vendor"] = Counter(str(v.get("origin_id")) for v in vendors
                                         if v["company_id"] == world.company_id)
        return cls(keys)


@dataclass
class Census:
    """Each create the outbox did, matched with the records that carry its key: one each, or a duplicate or a
    loss. `expected` counts the creates per entity, `new` the records that appeared since `before`."""

    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    expected: Counter = field(default_factory=Counter)
    new: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, engine, before: RemoteSnapshot, after: RemoteSnapshot) -> Census:
        census = cls()
        with Session(engine) as s:
            rows = [e for e in s.exec(select(OutboxEntry)) if e.operation in CREATES]
        for row in rows:
            entity, path, _field = CREATES[row.operation]
            key: Any = row.payload
            for part in path:
                key = key.get(part) if isinstance(key, dict) else None
            key = _name_key(entity, str(key))
            census.expected[entity] += 1
            found = after.keys[entity][key] - before.keys[entity][key]
            if found == 0 and row.status == "done":
                census.lost.append(f"{row.operation} {key}: no {entity}")
            elif found > 1:
                census.duplicates.append(f"{row.operation} {key}: {found} of them")
        for entity, counts in after.keys.items():
            census.new[entity] = sum(counts.values()) - sum(before.keys[entity].values())
            if entity in ONLY_THROUGH_OUTBOX and census.new[entity] > census.expected[entity]:
                census.duplicates.append(f"{census.new[entity] - census.expected[entity]} {entity} more than the "
                                         f"{census.expected[entity]} created")
        return census

"""Crash: a real `python -m bot worker` is killed with SIGKILL at each step of an export — right after it claimed
the outbox row, after QuickBooks created the record but before our commit, just before the commit, after the commit
but before the card was redrawn, and (no hook) from outside while QuickBooks is still answering the create — then a
worker starts again. Every time: exactly one QuickBooks record, the item synced, its card in Slack says so.

The kill comes from the outbox's test-only LEDGERLINK_CRASH_AT (sync/outbox.py). Bills go 30 to a /batch request
(BatchingOutbox.run_batch), vendors one by one (Outbox.run): the rounds alternate so both paths die at every point
over the two databases.
"""

from __future__ import annotations

from sqlmodel import Session, select

from core.models import OutboxEntry, TenantSettings
from sync.jobs.base import run_job
from sync.qbo.query import select as qbo_select
from sync.services import companies
from tests.reliability import tally
from tests.reliability.support_procs import START_TIMEOUT, Procs, app_env, connect
from tests.sync.writes.money_links import link_world

pytest_plugins = ["tests.handlers.slack_harness"]

POINTS = ("before_call", "after_call", "before_commit", "after_commit")
IN_FLIGHT = "in_flight"  # no hook: SIGKILL from outside while QuickBooks is still answering (slowly) the create


def kill_in_flight(procs: Procs, name: str, sandboxes, realm_id: str) -> None:
    """Start a worker and SIGKILL it once its create reached QuickBooks (which answers in 2 s)."""
    def writes() -> int:
        paths = sandboxes.qbo_requests(realm_id)["by_path"]
        return sum(paths.get(f"POST /{path}", 0) for path in ("batch", "bill", "vendor"))  # a lone Bill: a plain create

    seen = writes()
    sandboxes.qbo_admin("config", fault_rates={"slow": 1.0}, slow_seconds=2.0)
    try:
        proc = procs.worker(name)
        procs.wait_for(lambda: writes() > seen, "the worker's create to reach QuickBooks")
        proc.kill()
        assert procs.wait_exit(name) == -9
    finally:
        sandboxes.qbo_admin("config", fault_rates={"slow": 0.0})


class Exports:
    """Items sent by Sam and accepted by Dana through Slack, whose export is left to the worker processes."""

    def __init__(self, world, slack) -> None:
        self.world, self.slack, self.ctx = world, slack, world.ctx
        with Session(world.engine) as s:
            rows = s.get(TenantSettings, world.tenant.id)
            rows.paid_sync_schedule = "never"
            s.add(rows)
            s.commit()
        run_job(self.ctx, "sub-invoices")
        run_job(self.ctx, "vendors")
        alex = world.actor("alex")
        qbo_names = {c.name.lower() for c in companies.list_erp_companies(self.ctx, alex)}
        self.vendors = [c.remote_id for c in companies.list_procore_companies(self.ctx, alex)
                        if not c.linked_to and c.name.lower() not in qbo_names]
        self.bills = [i.procore_id for i in slack_items(world, "sub_invoice") if not (i.detail or {}).get("blocked")]

    def accept(self, kind: str):
        """Send and accept the next item of this kind (a Bill or a Vendor); the card says Exporting…"""
        if kind == "bill":
            pid, what = self.bills.pop(0), "sub-invoice"
        else:
            pid, what = self.vendors.pop(0), "company"
            companies.company_item(self.ctx, procore_vendor_id=pid)
        assert self.slack.command("sam", f"send {what} {pid}")["ok"]
        self.slack.idle()
        item = next(i for i in slack_items(self.world, what.replace("-", "_")) if i.procore_id == pid)
        assert self.slack.click("dana", item)["ok"]
        self.slack.idle()
        assert self.slack.get(item.id).state == "exporting"
        assert "Exporting" in self.slack.text(self.slack.card(item))
        return item

    def remote(self, item) -> list[dict]:
        """The QuickBooks records made for the item (by the key the exports write)."""
        if item.type == "sub_invoice":
            query = qbo_select("Bill").where(PrivateNote=f"Procore requisition {item.procore_id}")
            return self.ctx.qbo.query(q=query).get("Bill") or []
        name = item.detail["qbo_body"]["DisplayName"]
        return self.ctx.qbo.query(q=qbo_select("Vendor").where(DisplayName=name)).get("Vendor") or []

    def row(self, item) -> OutboxEntry:
        with Session(self.world.engine) as s:
            return s.exec(select(OutboxEntry).where(OutboxEntry.item_id == item.id)).one()


def slack_items(world, kind: str):
    from core.models import Item

    with Session(world.engine) as s:
        return list(s.exec(select(Item).where(Item.tenant_id == world.tenant.id, Item.type == kind)
                           .order_by(Item.id)))


def test_worker_killed_at_every_step_of_an_export(remote_world, slack_for, db_url, tmp_path):
    world = remote_world
    link_world(world)
    connect(world)
    slack = slack_for(world, hooks=None, operations=None, context_for=None)  # the worker processes export
    exports = Exports(world, slack)
    procs = Procs(tmp_path, app_env(db_url, world.sandboxes, slack.sandbox_url))
    first = "bill" if world.engine.dialect.name == "sqlite" else "vendor"
    kinds = [first, "vendor" if first == "bill" else "bill"] * 3
    try:
        for n, (point, kind) in enumerate(zip((*POINTS, IN_FLIGHT), kinds[:5], strict=True)):
            item = exports.accept(kind)
            if point == IN_FLIGHT:
                kill_in_flight(procs, f"crash-{n}", world.sandboxes, world.realm_id)
                # QuickBooks commits the create nobody waits for any more (a claim outlives it in production)
                procs.wait_for(lambda item=item: exports.remote(item), "QuickBooks to finish the create")
            else:
                procs.worker(f"crash-{n}", LEDGERLINK_CRASH_AT=point)
                assert procs.wait_exit(f"crash-{n}") == -9, procs.logs()  # SIGKILL, at that point
            tally.add("crashes (SIGKILL)")
            row, now = exports.row(item), slack.get(item.id)
            made = len(exports.remote(item))
            where = f"{kind} killed at {point}"
            if point == "before_call":
                assert (made, row.status, now.state) == (0, "claimed", "exporting"), where
            elif point in ("after_call", "before_commit", IN_FLIGHT):  # QuickBooks has it, we don't know yet
                assert (made, row.status, now.state) == (1, "claimed", "exporting"), where
            else:  # committed, the card not redrawn
                assert (made, row.status, now.state) == (1, "done", "synced"), where
                assert "Exporting" in slack.text(slack.card(item)), where

            procs.worker(f"restart-{n}")
            procs.wait_for(lambda item=item: "Synced as" in slack.text(slack.card(item)),
                           f"the card of the {kind} killed at {point} to say Synced", timeout=START_TIMEOUT)
            assert procs.stop(f"restart-{n}") == 0

            records = exports.remote(item)
            done = slack.get(item.id)
            card = slack.card(item)
            tally.add("duplicates found", max(0, len(records) - 1))
            tally.add("items lost", 1 if not records else 0)
            assert len(records) == 1, where
            assert (done.state, done.remote_id) == ("synced", records[0]["Id"]), where
            assert exports.row(item).status == "done"
            assert "item_accept" not in slack.buttons(card) and records[0]["Id"] in slack.text(card), where
    finally:
        procs.stop_all()

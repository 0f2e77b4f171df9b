"""`ledgerlink sync prime-contracts`: approved prime contracts and prime contract change orders on QBO-linked
projects become `pcco` items to send for acceptance (→ a QBO Estimate to the project, and its amendments).

ItemType has no prime contract, and the seed's permission table has no row for accepting one; a prime contract
rides as a `pcco` item whose Procore id is "prime_contract:<id>" (its detail says kind "prime_contract"), so the
same approvers ("Accept or Reject a PCCO") decide it. Its change orders are ordinary `pcco` items.
"""

from __future__ import annotations

from decimal import Decimal

from sync.context import TenantContext
from sync.jobs.base import JobReport, register
from sync.jobs.commitments import change_order_snapshot, ingest, known_parent, project_facts
from sync.jobs.linked_projects import changed_projects
from sync.mappers.commitments import EXPORTABLE_PRIME_STATUSES
from sync.mappers.money import cents

PCCO = "pcco"


def prime_contract_item_id(prime_contract_id: int | str) -> str:
    return f"prime_contract:{prime_contract_id}"


@register
class PrimeContractsJob:
    name = "prime-contracts"
    description = ("Approved prime contracts and prime contract change orders on QBO-linked projects as items to "
                   "send for acceptance (→ a QBO estimate per project and its amendments)")

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        """Incremental: only the prime contracts and change orders updated since the last run are read in full."""
        report = JobReport(self.name, dry_run=dry_run)
        for project, customer_id, changed in changed_projects(ctx, report, dry_run=dry_run):
            project_id, facts = project.id, project_facts(project, customer_id)
            primes = {}
            for compact in list(ctx.procore.list_prime_contracts(project_id=project_id, filters=changed)):
                title = f"Prime contract {compact.number or compact.id} {compact.title or ''}".strip()
                if (compact.status or "") not in EXPORTABLE_PRIME_STATUSES:
                    report.add("skip", "prime contract", title,
                               f"'{compact.status}' in Procore; only approved prime contracts are exported")
                    continue
                full = ctx.procore.get_prime_contract(project_id=project_id, prime_contract_id=compact.id)
                lines = [x.snapshot() for x in full.lines]
                snap = {"id": full.id, "kind": "prime_contract", "number": full.number, "title": full.title,
                        "status": full.status, "owner": full.owner, "contract_date": full.contract_date,
                        "lines": lines, "total": str(cents(sum((x.amount for x in full.lines), Decimal(0)))), **facts}
                primes[full.id] = snap
                ingest(ctx, report, item_type=PCCO, procore_id=prime_contract_item_id(full.id),
                       title=title + (f" — {full.owner}" if full.owner else ""), snapshot=snap,
                       project_id=project_id, dry_run=dry_run)
            for compact in list(ctx.procore.list_change_orders(project_id=project_id, kind="prime",
                                                               filters=changed)):
                label = f"Prime change order {compact.number or compact.id} {compact.title or ''}".strip()
                if not compact.approved:
                    report.add("skip", "prime contract change order", label,
                               f"'{compact.status}' in Procore; only approved change orders amend QuickBooks")
                    continue
                parent = primes.get(compact.contract_id or -1) or known_parent(
                    ctx, PCCO, prime_contract_item_id(compact.contract_id or -1), EXPORTABLE_PRIME_STATUSES)
                if parent is None:
                    report.add("skip", "prime contract change order", label,
                               "its prime contract is not an approved prime contract on this project")
                    continue
                co = ctx.procore.get_change_order(project_id=project_id, kind="prime", change_order_id=compact.id)
                snap = change_order_snapshot(co, facts, kind="pcco", parent={
                    "id": parent["id"], "kind": "prime_contract", "number": parent["number"]})
                ingest(ctx, report, item_type=PCCO, procore_id=str(co.id), title=label, snapshot=snap,
                       project_id=project_id, dry_run=dry_run, changed_at=co.raw.get("updated_at"))
        return report

"""QBO job-cost transactions (Bill, Purchase = expense, VendorCredit) → Procore direct costs (pure).

A transaction's lines are placed by their project (`CustomerRef` = a QBO project linked to a Procore project
whose job-cost sync is on) and their item (the `[project]-[cost code].[cost type]` Service item bound to a
budget line). One Procore direct cost is made per transaction and project, with one line per placed QBO line.
Vendor credits, and credit-card credits (`Purchase.Credit`), are negative. A line that can't be placed — no
project, no matching cost code, unknown vendor — comes back as `Unplaceable` with the reason and the fix, for
the unsyncable direct costs report.

Account-based lines carry no cost code (QBO accounts are company-wide, cost codes are per project), so they
are reported as unplaceable with a fix rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sync.mappers.money import cents

ENTITIES = ("Bill", "Purchase", "VendorCredit")
LABELS = {"Bill": "Bill", "Purchase": "Expense", "VendorCredit": "Vendor credit"}
DIRECT_COST_TYPES = {"Bill": "invoice", "Purchase": "expense", "VendorCredit": "invoice"}
READ_ONLY_NOTE = ("Synced from QuickBooks by Ledgerlink; read-only: edits made here in Procore are overwritten "
                  "on the next sync, so change it in QuickBooks.")
ITEM_LINE, ACCOUNT_LINE = "ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail"


@dataclass(frozen=True)
class Lookups:
    """What the binder knows, as plain maps (the job builds them once per run)."""

    enabled_projects: Mapping[str, int]  # QBO project (Customer) Id → Procore project id, job-cost sync on
    linked_projects: Mapping[str, int]  # every QBO project linked to a Procore project
    cost_items: Mapping[str, tuple[int, int, int]]  # QBO Item Id → (project id, cost code id, cost type id)
    vendors: Mapping[str, int]  # QBO Vendor Id → Procore vendor (company) id


@dataclass(frozen=True)
class CostLine:
    line_id: str
    amount: Decimal
    cost_code_id: int
    line_item_type_id: int
    description: str


@dataclass(frozen=True)
class DirectCostPlan:
    """One Procore direct cost: the lines of one QBO transaction on one project."""

    entity: str
    txn_id: str
    project_id: int
    sync_token: str
    txn_date: date
    vendor_id: int | None
    number: str | None
    lines: tuple[CostLine, ...]

    @property
    def key(self) -> str:
        """Binder `direct_cost` QBO side and Procore `origin_id`: `{entity}:{Id}:{Procore project id}`."""
        return direct_cost_key(self.entity, self.txn_id, self.project_id)

    @property
    def total(self) -> Decimal:
        return cents(sum((x.amount for x in self.lines), Decimal(0)))

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for `create_direct_cost` / `update_direct_cost` (money as Decimal)."""
        label = LABELS[self.entity]
        number = self.number or f"QBO {self.txn_id}"
        return {
            "direct_cost_type": DIRECT_COST_TYPES[self.entity],
            "direct_cost_date": self.txn_date,
            "vendor_id": self.vendor_id,
            "invoice_number": number[:255],
            "description": f"QuickBooks {label.lower()} {number}. {READ_ONLY_NOTE}",
            "status": "approved",
            "origin_id": self.key,
            "line_items": [{"amount": x.amount, "cost_code_id": x.cost_code_id,
                            "line_item_type_id": x.line_item_type_id, "description": x.description[:255],
                            "origin_id": f"{self.key}:{x.line_id}"} for x in self.lines],
        }


@dataclass(frozen=True)
class Unplaceable:
    entity: str
    txn_id: str
    line_id: str
    txn_date: date | None
    vendor_name: str | None
    amount: Decimal
    reason: str
    fix: str


@dataclass(frozen=True)
class Placement:
    relevant: bool  # some line is on a project whose job-cost sync is on
    costs: tuple[DirectCostPlan, ...] = ()
    unplaceable: tuple[Unplaceable, ...] = ()


def direct_cost_key(entity: str, txn_id: str, project_id: int) -> str:
    return f"{entity}:{txn_id}:{project_id}"


def _ref(obj: Mapping[str, Any] | None) -> tuple[str | None, str]:
    if not obj:
        return None, ""
    value = obj.get("value")
    return (str(value) if value not in (None, "") else None), str(obj.get("name") or "")


def _vendor_ref(entity: str, txn: Mapping[str, Any]) -> tuple[str | None, str, bool]:
    """(QBO vendor id, name, is_vendor). A Purchase's payee may be a customer or an employee, or absent."""
    if entity == "Purchase":
        ref = txn.get("EntityRef") or {}
        vid, name = _ref(ref)
        return vid, name, vid is not None and (ref.get("type") or "Vendor") == "Vendor"
    vid, name = _ref(txn.get("VendorRef"))
    return vid, name, vid is not None


def _sign(entity: str, txn: Mapping[str, Any]) -> int:
    if entity == "VendorCredit" or (entity == "Purchase" and txn.get("Credit") in (True, "true")):
        return -1
    return 1


def _txn_date(txn: Mapping[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(txn.get("TxnDate"))[:10])
    except ValueError:
        return None


def qbo_txn_to_direct_costs(entity: str, txn: Mapping[str, Any], lookups: Lookups) -> Placement:
    """Place each line of one QBO transaction; see the module docstring for the rules."""
    if entity not in ENTITIES:
        raise ValueError(f"not a job-cost transaction type: {entity}")
    lines = [x for x in txn.get("Line") or [] if x.get("DetailType") in (ITEM_LINE, ACCOUNT_LINE)]
    customers = [_ref((x.get(x["DetailType"]) or {}).get("CustomerRef"))[0] for x in lines]
    if not any(c in lookups.enabled_projects for c in customers):
        return Placement(relevant=False)
    txn_id, label = str(txn["Id"]), LABELS[entity]
    number = str(txn.get("DocNumber") or "").strip() or None
    when = _txn_date(txn)
    vendor_qbo, vendor_name, is_vendor = _vendor_ref(entity, txn)
    vendor_id = lookups.vendors.get(vendor_qbo) if is_vendor and vendor_qbo else None
    sign = _sign(entity, txn)
    what = f"{label} {number or txn_id}"
    per_project: dict[int, list[CostLine]] = {}
    bad: list[Unplaceable] = []

    def unplaceable(line_id: str, amount: Decimal, reason: str, fix: str) -> None:
        bad.append(Unplaceable(entity, txn_id, line_id, when, vendor_name or None, amount, reason, fix))

    for line, customer in zip(lines, customers, strict=True):
        kind = line["DetailType"]
        detail = line.get(kind) or {}
        line_id = str(line.get("Id") or line.get("LineNum") or "")
        amount = cents(line.get("Amount")) * sign
        if amount == 0:
            continue
        _, customer_name = _ref(detail.get("CustomerRef"))
        if customer is None:
            unplaceable(line_id, amount, f"{what}, line {line_id}: no project on the line.",
                        "In QuickBooks, choose the project in the line's Customer/Project column.")
            continue
        project_id = lookups.enabled_projects.get(customer)
        if project_id is None:
            if customer in lookups.linked_projects:
                continue  # another project's cost, and that project did not turn job-cost sync on
            unplaceable(line_id, amount,
                        f"{what}, line {line_id}: '{customer_name or customer}' is not a project linked to Procore.",
                        "Put the line on the right project in QuickBooks, or link that QuickBooks project to its "
                        "Procore project (`/ledgerlink link project`) and turn on job-cost sync for it "
                        "(`/ledgerlink sync job-costs on <project>`).")
            continue
        if kind == ACCOUNT_LINE:
            _, account_name = _ref(detail.get("AccountRef"))
            unplaceable(line_id, amount,
                        f"{what}, line {line_id}: booked to account '{account_name or '?'}' with no cost code.",
                        "In QuickBooks, use the project's cost-code item ([project number]-[cost code].[cost type]) "
                        "on this line instead of an account alone.")
            continue
        item_id, item_name = _ref(detail.get("ItemRef"))
        placed = lookups.cost_items.get(item_id or "")
        if placed is None or placed[0] != project_id:
            elsewhere = " (it belongs to another project)" if placed is not None else ""
            unplaceable(line_id, amount,
                        f"{what}, line {line_id}: item '{item_name or item_id}' matches no cost code on this "
                        f"project{elsewhere}.",
                        "In QuickBooks, pick this project's cost-code item for the line; if it is missing, add the "
                        "cost code and cost type to the Procore budget so Ledgerlink creates the item.")
            continue
        if is_vendor and vendor_id is None:
            unplaceable(line_id, amount,
                        f"{what}, line {line_id}: vendor '{vendor_name or vendor_qbo}' is not linked to a Procore "
                        "company.",
                        f"Link the QuickBooks vendor '{vendor_name or vendor_qbo}' to its Procore company "
                        "(`/ledgerlink link company`), or add it to the Procore directory "
                        f"(`/ledgerlink add company {vendor_qbo}`).")
            continue
        description = str(line.get("Description") or item_name or label)
        per_project.setdefault(project_id, []).append(
            CostLine(line_id, amount, placed[1], placed[2], description))
    costs = tuple(
        DirectCostPlan(entity=entity, txn_id=txn_id, project_id=pid, sync_token=str(txn.get("SyncToken", "0")),
                       txn_date=when or date.today(), vendor_id=vendor_id, number=number, lines=tuple(found))
        for pid, found in sorted(per_project.items()))
    return Placement(relevant=True, costs=costs, unplaceable=tuple(bad))


def jsonable(value: Any) -> Any:
    """For JSON columns: Decimal → "12.50", dates → ISO, recursively (never a float)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value

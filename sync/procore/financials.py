"""Typed Procore money records: commitments (+SOV), subcontractor invoices (requisitions), owner invoices
(payment applications), contract payments and direct costs (+lines). Every amount is Decimal.

Procore sends money on these as strings ("1250.00") and sometimes as numbers; both parse the same.
Field names vary a little between API versions, so each reader accepts the documented name first and the
known alternatives after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Self

from sync.mappers.money import cents
from sync.procore._parse import Fields

# Requisition statuses Ledgerlink may export (domain.md); the rest stay in Procore.
EXPORTABLE_REQUISITION_STATUSES = frozenset({"approved", "approved_as_noted", "pending_owner_approval"})


@dataclass(frozen=True, slots=True)
class CostLine:
    """A line with a cost code and a cost type: a commitment's schedule of values, a direct cost's line items."""

    id: int | None
    amount: Decimal | None = None
    description: str | None = None
    cost_code_id: int | None = None
    cost_code: str | None = None  # full code, when Procore embeds the cost code
    line_item_type_id: int | None = None
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None
    uom: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, what: str, data: Mapping[str, Any], *, id_required: bool) -> Self:
        f = Fields(what, data)
        return cls(id=f.req_int("id") if id_required else f.opt_int("id"), amount=f.money("amount", "total_amount"),
                   description=f.text("description"), cost_code_id=f.ref_id("cost_code"),
                   cost_code=f.ref_field("cost_code", "full_code"), line_item_type_id=f.ref_id("line_item_type"),
                   quantity=f.money("quantity"), unit_cost=f.money("unit_cost"), uom=f.text("uom"), raw=data)


class CommitmentLine(CostLine):
    """One schedule-of-values line of a commitment (its id is always there)."""

    __slots__ = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        return cls.parse("commitment line item", data, id_required=True)


@dataclass(frozen=True, slots=True)
class Commitment:
    """A subcontract (`work_order_contract`) or purchase order (`purchase_order_contract`).

    The list endpoints send the compact view; `lines` (the schedule of values) come with the single GET.
    """

    id: int
    kind: str  # "work_order_contract" | "purchase_order_contract"
    number: str | None = None
    title: str | None = None
    status: str | None = None
    executed: bool | None = None
    project_id: int | None = None
    vendor_id: int | None = None
    vendor_name: str | None = None
    grand_total: Decimal | None = None
    retainage_percent: Decimal | None = None
    origin_id: str | None = None
    lines: tuple[CommitmentLine, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, kind: str = "work_order_contract") -> Self:
        f = Fields(kind.replace("_", " "), data)
        lines = f.items("line_items", "sov_line_items", "schedule_of_values")
        return cls(
            id=f.req_int("id"), kind=kind, number=f.text("number"), title=f.text("title"), status=f.text("status"),
            executed=f.flag("executed"), project_id=f.ref_id("project"), vendor_id=f.ref_id("vendor"),
            vendor_name=f.ref_field("vendor", "name") or f.ref_field("vendor", "company") or f.text("vendor_name"),
            grand_total=f.money("grand_total", "total_amount", "amount"),
            retainage_percent=f.money("retainage_percent", "default_retainage_percent"),
            origin_id=f.text("origin_id"), lines=tuple(CommitmentLine.from_api(x) for x in lines), raw=data,
        )

    def line(self, line_id: int | None) -> CommitmentLine | None:
        return next((x for x in self.lines if line_id is not None and x.id == line_id), None)


def _sum(*values: Decimal | None) -> Decimal | None:
    """The sum of the values present; None when none is."""
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _either(first: Decimal | None, second: Decimal | None) -> Decimal | None:
    return first if first is not None else second


@dataclass(frozen=True, slots=True)
class RequisitionLine:
    """One line of a subcontractor invoice (a G703 row, per SOV line / cost code), this period's figures."""

    id: int | None
    amount: Decimal | None = None  # billed this period, gross: work completed + materials presently stored
    description: str | None = None
    cost_code_id: int | None = None
    cost_code: str | None = None  # full code, when known
    line_item_type_id: int | None = None  # not on Procore's invoice lines: `with_commitment()` fills it
    commitment_line_id: int | None = None
    retainage_withheld: Decimal | None = None  # this period
    retainage_released: Decimal | None = None  # this period
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("requisition line item", data)
        amount = f.money("amount", "gross_amount", "total_amount", "this_period")
        if amount is None:
            amount = _sum(f.money("work_completed_this_period"), f.money("materials_presently_stored"))
        withheld = f.money("retainage_withheld")
        if withheld is None:
            withheld = _sum(f.money("work_completed_retainage_retained_this_period"),
                            f.money("materials_stored_retainage_retained_this_period"))
        released = f.money("retainage_released")
        if released is None:
            released = _sum(f.money("work_completed_retainage_released_this_period"),
                            f.money("materials_stored_retainage_released_this_period"))
        return cls(
            id=f.opt_int("id"), amount=amount, description=f.text("description", "description_of_work"),
            cost_code_id=f.ref_id("cost_code"), cost_code=f.ref_field("cost_code", "full_code"),
            line_item_type_id=f.ref_id("line_item_type"),
            commitment_line_id=f.ref_id("line_item", "commitment_line_item_id", "contract_line_item_id"),
            retainage_withheld=withheld, retainage_released=released, raw=data,
        )


def _period(f: Fields) -> tuple[date | None, date | None]:
    period = f.obj("period", "billing_period")
    if period:
        p = Fields("billing period", period)
        start, end = p.day("start_date", "start"), p.day("end_date", "end")
        if start or end:
            return start, end
    return (f.day("period_start", "requisition_start", "period_start_date"),
            f.day("period_end", "requisition_end", "period_end_date"))


@dataclass(frozen=True, slots=True)
class Requisition:
    """A subcontractor invoice (Procore "requisition") against a commitment.

    `total_amount` is the payment due this period (G702 "current payment due": gross less retainage);
    `total_claimed_amount` the gross billed this period. `retainage_withheld`/`_released` are this period's,
    from the invoice's lines — so they are None on list results, which carry no lines (use `get_requisition`).
    """

    id: int
    status: str | None = None
    number: str | None = None
    invoice_number: str | None = None
    project_id: int | None = None
    commitment_id: int | None = None
    commitment_type: str | None = None  # "WorkOrderContract" | "PurchaseOrderContract"
    vendor_id: int | None = None
    vendor_name: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    billing_date: date | None = None
    total_amount: Decimal | None = None
    total_claimed_amount: Decimal | None = None
    retainage_withheld: Decimal | None = None
    retainage_released: Decimal | None = None
    origin_id: str | None = None
    lines: tuple[RequisitionLine, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def exportable(self) -> bool:
        return (self.status or "") in EXPORTABLE_REQUISITION_STATUSES

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("requisition", data)
        start, end = _period(f)
        summary = Fields("requisition summary", f.obj("summary"))
        lines = tuple(RequisitionLine.from_api(x) for x in f.items("line_items", "items", "requisition_items"))
        withheld = f.money("retainage_withheld", "retainage_withheld_this_period")
        released = f.money("retainage_released", "retainage_released_this_period")
        if lines:
            withheld = _either(withheld, _sum(*(x.retainage_withheld for x in lines)))
            released = _either(released, _sum(*(x.retainage_released for x in lines)))
        return cls(
            id=f.req_int("id"), status=f.text("status"), number=f.text("number"),
            invoice_number=f.text("invoice_number"), project_id=f.ref_id("project"),
            commitment_id=f.ref_id("commitment", "contract", "contract_id"), commitment_type=f.text("commitment_type"),
            vendor_id=f.ref_id("vendor"), vendor_name=f.ref_field("vendor", "name") or f.text("vendor_name"),
            period_start=start, period_end=end, billing_date=f.day("billing_date"),
            total_amount=_either(f.money("total_amount"), summary.money("current_payment_due")),
            total_claimed_amount=f.money("total_claimed_amount"),
            retainage_withheld=withheld, retainage_released=released, origin_id=f.text("origin_id"),
            lines=lines, raw=data,
        )

    def with_commitment(self, commitment: Commitment) -> Requisition:
        """Fill what invoice lines lack (cost type, full cost code, vendor) from the commitment's SOV lines."""
        lines = []
        for x in self.lines:
            sov = commitment.line(x.commitment_line_id) or next(
                (c for c in commitment.lines if x.cost_code_id is not None and c.cost_code_id == x.cost_code_id),
                None)
            if sov is not None:
                x = replace(x, line_item_type_id=x.line_item_type_id or sov.line_item_type_id,
                            cost_code_id=x.cost_code_id or sov.cost_code_id, cost_code=x.cost_code or sov.cost_code,
                            description=x.description or sov.description)
            lines.append(x)
        return replace(self, lines=tuple(lines), vendor_id=self.vendor_id or commitment.vendor_id,
                       vendor_name=self.vendor_name or commitment.vendor_name,
                       commitment_id=self.commitment_id or commitment.id)


@dataclass(frozen=True, slots=True)
class PaymentApplication:
    """An owner invoice (prime contract payment application); this period's figures come from its G703 lines,
    which the single GET carries (list results have only the G702 totals)."""

    id: int
    status: str | None = None
    number: str | None = None
    invoice_number: str | None = None
    project_id: int | None = None
    prime_contract_id: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    billing_date: date | None = None
    work_completed_this_period: Decimal | None = None
    materials_presently_stored: Decimal | None = None
    retainage_held: Decimal | None = None  # this period
    retainage_released: Decimal | None = None  # this period
    total_amount: Decimal | None = None  # current payment due
    origin_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("payment application", data)
        start, end = _period(f)
        g702 = Fields("payment application G702", f.obj("g702", "summary"))
        rows = [Fields("payment application line", x) for x in f.items("g703", "line_items")]

        def this_period(*keys: str) -> Decimal | None:
            return _sum(*(row.money(k) for row in rows for k in keys)) if rows else None

        return cls(
            id=f.req_int("id"), status=f.text("status"), number=f.text("number"),
            invoice_number=f.text("invoice_number"), project_id=f.ref_id("project"),
            prime_contract_id=f.ref_id("prime_contract", "contract"), period_start=start, period_end=end,
            billing_date=f.day("billing_date"),
            work_completed_this_period=_either(f.money("work_completed_this_period"),
                                               this_period("work_completed_this_period")),
            materials_presently_stored=_either(f.money("materials_presently_stored"),
                                               this_period("materials_presently_stored")),
            retainage_held=_either(f.money("retainage_held", "retainage_withheld"),
                                   this_period("work_completed_retainage_retained_this_period",
                                               "materials_stored_retainage_retained_this_period")),
            retainage_released=_either(f.money("retainage_released"),
                                       this_period("work_completed_retainage_released_this_period",
                                                   "materials_stored_retainage_released_this_period")),
            total_amount=_either(f.money("total_amount"), g702.money("current_payment_due")),
            origin_id=f.text("origin_id"), raw=data,
        )


@dataclass(frozen=True, slots=True)
class ContractPayment:
    """A payment issued against a commitment (and optionally one of its invoices), or received on a prime
    contract against one of its owner invoices (then `commitment_id` is the prime contract, `requisition_id`
    the payment application)."""

    id: int
    amount: Decimal
    project_id: int | None = None
    commitment_id: int | None = None
    requisition_id: int | None = None
    payment_date: date | None = None
    payment_number: str | None = None
    check_number: str | None = None
    invoice_number: str | None = None
    notes: str | None = None
    origin_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("contract payment", data)
        return cls(
            id=f.req_int("id"), amount=f.req_money("amount"), project_id=f.ref_id("project"),
            commitment_id=f.ref_id("commitment", "contract", "commitment_id", "contract_id", "prime_contract_id"),
            requisition_id=f.ref_id("requisition", "requisition_id", "invoice_id", "payment_application_id"),
            payment_date=f.day("date", "payment_date"), payment_number=f.text("payment_number"),
            check_number=f.text("check_number"), invoice_number=f.text("invoice_number"),
            notes=f.text("notes"), origin_id=f.text("origin_id"), raw=data,
        )


class DirectCostLine(CostLine):
    """One line item of a direct cost."""

    __slots__ = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        return cls.parse("direct cost line item", data, id_required=False)


@dataclass(frozen=True, slots=True)
class DirectCost:
    """A direct cost (invoice, expense, payroll) on a project, with its lines."""

    id: int
    project_id: int | None = None
    direct_cost_type: str | None = None
    status: str | None = None
    invoice_number: str | None = None
    description: str | None = None
    direct_cost_date: date | None = None
    received_date: date | None = None
    paid_date: date | None = None
    vendor_id: int | None = None
    vendor_name: str | None = None
    grand_total: Decimal | None = None
    origin_id: str | None = None
    lines: tuple[DirectCostLine, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("direct cost", data)
        lines = tuple(DirectCostLine.from_api(x) for x in f.items("line_items"))
        total = f.money("grand_total", "total_amount", "amount")
        if total is None and lines and all(x.amount is not None for x in lines):
            total = sum((x.amount for x in lines if x.amount is not None), Decimal(0))
        return cls(
            id=f.req_int("id"), project_id=f.ref_id("project"), direct_cost_type=f.text("direct_cost_type"),
            status=f.text("status"), invoice_number=f.text("invoice_number"), description=f.text("description"),
            direct_cost_date=f.day("direct_cost_date", "date"), received_date=f.day("received_date"),
            paid_date=f.day("paid_date"), vendor_id=f.ref_id("vendor"),
            vendor_name=f.ref_field("vendor", "name") or f.text("vendor_name"), grand_total=total,
            origin_id=f.text("origin_id"), lines=lines, raw=data,
        )


APPROVED_CHANGE_ORDER = "approved"


# --- contracts and change orders (read by sync/jobs/commitments.py) ------------------------------------------
@dataclass(frozen=True)
class ContractLine:
    """A schedule-of-values line of a contract or change order."""

    id: int
    amount: Decimal
    description: str | None = None
    cost_code_id: int | None = None
    cost_code: str | None = None  # full code
    cost_code_name: str | None = None
    line_item_type_id: int | None = None
    cost_type: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("contract line item", data)
        return cls(id=f.req_int("id"), amount=f.money("amount", "total_amount", "extended_amount") or Decimal(0),
                   description=f.text("description"), cost_code_id=f.ref_id("cost_code"),
                   cost_code=f.ref_field("cost_code", "full_code"), cost_code_name=f.ref_field("cost_code", "name"),
                   line_item_type_id=f.ref_id("line_item_type"), cost_type=f.ref_field("line_item_type", "name"))

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "amount": str(cents(self.amount)), "description": self.description,
                "cost_code_id": self.cost_code_id, "cost_code": self.cost_code, "cost_code_name": self.cost_code_name,
                "line_item_type_id": self.line_item_type_id, "cost_type": self.cost_type}


@dataclass(frozen=True)
class ChangeOrder:
    """A commitment or prime contract change order (v1.0 `/projects/{id}/…_change_orders`)."""

    id: int
    contract_id: int | None
    number: str | None = None
    title: str | None = None
    status: str | None = None
    executed: bool | None = None
    grand_total: Decimal | None = None
    lines: tuple[ContractLine, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("change order", data)
        return cls(id=f.req_int("id"), contract_id=f.ref_id("contract"), number=f.text("number"),
                   title=f.text("title"), status=f.text("status"), executed=f.flag("executed"),
                   grand_total=f.money("grand_total"),
                   lines=tuple(ContractLine.from_api(x) for x in f.items("line_items")), raw=data)

    @property
    def approved(self) -> bool:
        return (self.status or "").lower() == APPROVED_CHANGE_ORDER


@dataclass(frozen=True)
class PrimeContract:
    id: int
    number: str | None = None
    title: str | None = None
    status: str | None = None
    executed: bool | None = None
    owner: str | None = None
    grand_total: Decimal | None = None
    contract_date: str | None = None
    origin_id: str | None = None
    lines: tuple[ContractLine, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("prime contract", data)
        return cls(id=f.req_int("id"), number=f.text("number"), title=f.text("title"), status=f.text("status"),
                   executed=f.flag("executed"), owner=f.ref_field("vendor", "company") or f.text("owner_name"),
                   grand_total=f.money("grand_total"), contract_date=f.text("contract_date"),
                   origin_id=f.text("origin_id"),
                   lines=tuple(ContractLine.from_api(x) for x in f.items("line_items")), raw=data)

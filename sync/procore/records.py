"""Typed Procore records Ledgerlink reads: directory, cost structure, webhooks, bulk-sync results.

Each class has `from_api(data)`; only `id` (and what a record is meaningless without) is required, every other
field may be absent. `raw` keeps the whole JSON for fields not modelled here. Money is Decimal.
Financial records (commitments, invoices, payments, direct costs) are in `sync/procore/financials.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Self, TypeVar

from sync.procore._parse import Fields
from sync.procore.errors import describe_field_errors

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    name: str
    is_active: bool | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("company", data)
        return cls(id=f.req_int("id"), name=f.text("name") or "", is_active=f.flag("is_active"), raw=data)


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    project_number: str | None = None
    display_name: str | None = None
    active: bool | None = None
    company_id: int | None = None
    origin_id: str | None = None
    origin_code: str | None = None
    origin_data: str | None = None
    address: str | None = None
    city: str | None = None
    state_code: str | None = None
    zip: str | None = None
    start_date: date | None = None
    completion_date: date | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("project", data)
        return cls(
            id=f.req_int("id"), name=str(f.req("name", "display_name")), project_number=f.text("project_number"),
            display_name=f.text("display_name"), active=f.flag("active", "is_active"),
            company_id=f.ref_id("company"), origin_id=f.text("origin_id"), origin_code=f.text("origin_code"),
            origin_data=f.text("origin_data"), address=f.text("address"), city=f.text("city"),
            state_code=f.text("state_code"), zip=f.text("zip"), start_date=f.day("start_date"),
            completion_date=f.day("completion_date"), updated_at=f.timestamp("updated_at"), raw=data,
        )


@dataclass(frozen=True, slots=True)
class Vendor:
    """A company in the Procore company directory (Procore calls them vendors)."""

    id: int
    name: str
    abbreviated_name: str | None = None
    is_active: bool | None = None
    email_address: str | None = None
    business_phone: str | None = None
    address: str | None = None
    city: str | None = None
    state_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    origin_id: str | None = None
    origin_code: str | None = None
    origin_data: str | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("vendor", data)
        return cls(
            id=f.req_int("id"), name=str(f.req("name")), abbreviated_name=f.text("abbreviated_name"),
            is_active=f.flag("is_active", "active"), email_address=f.text("email_address", "email"),
            business_phone=f.text("business_phone"), address=f.text("address"), city=f.text("city"),
            state_code=f.text("state_code"), zip=f.text("zip"), country_code=f.text("country_code"),
            origin_id=f.text("origin_id"), origin_code=f.text("origin_code"), origin_data=f.text("origin_data"),
            updated_at=f.timestamp("updated_at"), raw=data,
        )


@dataclass(frozen=True, slots=True)
class CompanyUser:
    id: int
    name: str
    email_address: str | None = None
    is_active: bool | None = None
    job_title: str | None = None
    vendor_id: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("user", data)
        name = f.text("name") or " ".join(p for p in (f.text("first_name"), f.text("last_name")) if p)
        return cls(id=f.req_int("id"), name=name, email_address=f.text("email_address", "email"),
                   is_active=f.flag("is_active"), job_title=f.text("job_title"), vendor_id=f.ref_id("vendor"),
                   raw=data)


@dataclass(frozen=True, slots=True)
class StandardCostCodeList:
    id: int
    name: str
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("standard cost code list", data)
        return cls(id=f.req_int("id"), name=f.text("name") or "", raw=data)


@dataclass(frozen=True, slots=True)
class CostCode:
    """A cost code: a company standard code (`standard_cost_code_list_id` set) or a project's (`project_id`)."""

    id: int
    code: str | None = None
    name: str | None = None
    full_code: str | None = None
    parent_id: int | None = None
    standard_cost_code_id: int | None = None
    standard_cost_code_list_id: int | None = None
    project_id: int | None = None
    origin_id: str | None = None
    line_item_type_ids: tuple[int, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("cost code", data)
        lit_ids = []
        for lit in f.items("line_item_types"):
            lit_id = lit.get("id") if isinstance(lit, Mapping) else lit
            if lit_id is not None:
                lit_ids.append(int(lit_id))
        return cls(
            id=f.req_int("id"), code=f.text("code"), name=f.text("name"),
            full_code=f.text("full_code", "code"), parent_id=f.ref_id("parent"),
            standard_cost_code_id=f.ref_id("standard_cost_code"),
            standard_cost_code_list_id=f.ref_id("standard_cost_code_list"),
            project_id=f.ref_id("project", "biller_id") if f.opt("biller_type", default="Project") == "Project"
            else f.ref_id("project"),
            origin_id=f.text("origin_id"), line_item_type_ids=tuple(lit_ids), raw=data,
        )


@dataclass(frozen=True, slots=True)
class LineItemType:
    """A cost type (Labor, Material, Equipment, Subcontract, Other, …)."""

    id: int
    name: str
    code: str | None = None
    base_type: str | None = None
    origin_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("line item type", data)
        return cls(id=f.req_int("id"), name=str(f.req("name")), code=f.text("code"),
                   base_type=f.text("base_type"), origin_id=f.text("origin_id"), raw=data)


@dataclass(frozen=True, slots=True)
class BudgetLineItem:
    id: int
    amount: Decimal | None = None
    project_id: int | None = None
    cost_code_id: int | None = None
    cost_code: str | None = None  # full code, when Procore embeds the cost code
    line_item_type_id: int | None = None
    line_item_type: str | None = None
    description: str | None = None
    origin_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("budget line item", data)
        return cls(
            id=f.req_int("id"), amount=f.money("amount", "original_budget_amount"), project_id=f.ref_id("project"),
            cost_code_id=f.ref_id("cost_code"), cost_code=f.ref_field("cost_code", "full_code"),
            line_item_type_id=f.ref_id("line_item_type"), line_item_type=f.ref_field("line_item_type", "name"),
            description=f.text("description", "name"), origin_id=f.text("origin_id"), raw=data,
        )


@dataclass(frozen=True, slots=True)
class Hook:
    """A webhook subscription (company- or project-scoped)."""

    id: int
    destination_url: str | None = None
    namespace: str | None = None
    api_version: str | None = None
    company_id: int | None = None
    project_id: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("webhook hook", data)
        return cls(id=f.req_int("id"), destination_url=f.text("destination_url"), namespace=f.text("namespace"),
                   api_version=f.text("api_version"), company_id=f.ref_id("company", "owned_by_company_id"),
                   project_id=f.ref_id("project", "owned_by_project_id"), raw=data)


@dataclass(frozen=True, slots=True)
class Trigger:
    id: int
    resource_name: str
    event_type: str
    hook_id: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("webhook trigger", data)
        return cls(id=f.req_int("id"), resource_name=str(f.req("resource_name")),
                   event_type=str(f.req("event_type")), hook_id=f.ref_id("hook", "webhook_hook_id"), raw=data)


@dataclass(frozen=True, slots=True)
class SyncFailure:
    """One update a bulk `/sync` call refused: which record (by id and/or origin_id) and why, per field."""

    id: int | None
    origin_id: str | None
    field_errors: Mapping[str, list[str]]
    update: Mapping[str, Any] | None = None  # the update we sent, when it can be matched

    @property
    def message(self) -> str:
        who = (f"id {self.id}" if self.id is not None else f"origin_id {self.origin_id!r}"
               if self.origin_id is not None else "a record")
        return f"{who}: {describe_field_errors(self.field_errors) or 'rejected'}"


@dataclass(frozen=True, slots=True)
class SyncResult(Generic[T]):
    """What a bulk `/sync` returned across all the calls it took: saved entities and per-record failures."""

    entities: tuple[T, ...]
    failures: tuple[SyncFailure, ...]
    calls: int = 1

    @property
    def ok(self) -> bool:
        return not self.failures

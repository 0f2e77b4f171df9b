"""Who may do what: the seed's permission table, one row per action, plus Ledgerlink's extra rules.

The seed page (shared/docs/seed-procore-qbo-help-page.txt) lists every action of Procore's ERP Integrations
tool; the copy we have lost its check marks, so each row's lowest level follows domain.md's summary
(Read only: view items and reports; Standard: send, retrieve, resend, link, refresh; Admin: everything
else — settings, schedule, archive, unlink, grants). Rows marked `approver` also need the *Can push to
accounting* grant. Ledgerlink adds: no self-approval, and an optional amount above which two distinct
approvers must accept (see workflow.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from core.domain.errors import PermissionDenied
from core.domain.states import Action, ItemType


class Level(IntEnum):
    NONE = 0
    READ_ONLY = 1
    STANDARD = 2
    ADMIN = 3

    @classmethod
    def parse(cls, value: str) -> Level:
        return _LEVEL_BY_NAME[value.strip().lower().replace("-", "_").replace(" ", "_")]

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def db_value(self) -> str:
        return self.name.lower()


_LEVEL_BY_NAME = {lvl.name.lower(): lvl for lvl in Level}


class Perm(StrEnum):
    """Every action of the seed's permission table (same wording), plus Ledgerlink's own."""

    ACCEPT_REJECT_COST_CODES = "Accept or Reject Cost Codes for Export to ERP"
    ACCEPT_REJECT_OWNER_INVOICES = "Accept or Reject Owner Invoices for Export to ERP"
    ACCEPT_REJECT_SUB_INVOICES = "Accept or Reject Subcontractor Invoices for Export to ERP"
    ACCEPT_REJECT_BUDGET = "Accept or Reject a Budget for Export to ERP"
    ACCEPT_REJECT_CCO = "Accept or Reject a CCO for Export to ERP"
    ACCEPT_REJECT_COMMITMENT = "Accept or Reject a Commitment for Export to ERP"
    ACCEPT_REJECT_COMPANY = "Accept or Reject a Company for Export to ERP"
    ACCEPT_REJECT_PCCO = "Accept or Reject a PCCO for Export to ERP"
    ACCEPT_REJECT_PROJECT = "Accept or Reject a Project for Export to ERP"
    ACCEPT_REJECT_SUB_JOB = "Accept or Reject a Sub Job for Export to ERP"
    ADD_PROJECT_TO_ERP = "Add a Procore Project to your ERP System"
    ADD_ERP_COMPANY_TO_DIRECTORY = "Add an ERP Company to the Procore Company Directory"
    ADD_ERP_JOB = "Add an ERP Job to Procore"
    ARCHIVE_ERP_COMPANY = "Archive an ERP Company in Procore"
    ASSIGN_DEFAULT_COST_TYPES = "Assign Default Cost Types To ERP Standard Cost Codes"
    CONFIGURE_ADVANCED_SETTINGS = "Configure Advanced Settings: ERP Integrations"
    CONFIGURE_SYNC_SCHEDULE = "Configure the Sync Schedule for your ERP Integration"
    ENABLE_DIRECT_EXPORTS = "Enable or Disable ERP Direct Exports"
    IMPORT_BUDGET = "Import a Budget from ERP"
    IMPORT_PRIME_CONTRACT = "Import a Prime Contract from an Integrated ERP System into Procore"
    IMPORT_SUB_JOB = "Import an ERP Sub Job to a Procore Project"
    LINK_COMPANIES = "Link ERP Companies to Procore Companies"
    REFRESH_COMPANIES = "Refresh the Companies List for ERP"
    REFRESH_COST_CODES = "Refresh the Cost Codes on an ERP Integrated Project"
    SEND_RETRIEVE_RESEND = "Send, Retrieve, or Resend Items to ERP Integrations for Accounting Acceptance"
    SYNC_JOB_COSTS = "Sync Job Cost Transactions from an Integrated ERP into Procore"
    SYNC_PAID_INVOICES = "Sync Paid Invoice Notifications from ERP into Procore"
    UNLINK_CCO = "Unlink CCOs Synced with ERP"
    UNLINK_COMMITMENT = "Unlink Commitments Synced with ERP"
    UNLINK_OWNER_INVOICE = "Unlink Owner Invoices Synced with ERP"
    UNLINK_PCCO = "Unlink PCCOs Synced with ERP"
    UNLINK_SUB_INVOICE = "Unlink Subcontractor Invoices Synced with ERP"
    UNLINK_COMPANY = "Unlink a Company Synced with ERP"
    VIEW_SYNCED_SUB_JOBS = "View a List of Synced Sub Jobs"
    VIEW_ACCOUNTANT_REPORT = "View an Accountant Report for ERP"
    VIEW_JOB_COSTS_REPORT = "View an ERP Job Costs Report"
    VIEW_UNSYNCABLE_REPORT = "View an ERP Unsyncable Direct Costs Report"
    VIEW_ARCHIVED_COMPANIES = "View the Archived Companies List for ERP"
    # Ledgerlink's own
    VIEW_ITEMS = "View items and their states"
    DIRECT_EXPORT = "Export an item directly (when direct exports are enabled)"
    RETRY_EXPORT = "Retry a failed export"
    GRANT_PERMISSIONS = "Grant Accounting Approver privileges and permission levels"


@dataclass(frozen=True)
class Rule:
    level: Level
    approver: bool = False  # also needs Can push to accounting
    note: str = ""


_L = Level
PERMISSIONS: dict[Perm, Rule] = {
    **{p: Rule(_L.STANDARD, approver=True) for p in (
        Perm.ACCEPT_REJECT_COST_CODES, Perm.ACCEPT_REJECT_OWNER_INVOICES, Perm.ACCEPT_REJECT_SUB_INVOICES,
        Perm.ACCEPT_REJECT_BUDGET, Perm.ACCEPT_REJECT_CCO, Perm.ACCEPT_REJECT_COMMITMENT,
        Perm.ACCEPT_REJECT_COMPANY, Perm.ACCEPT_REJECT_PCCO, Perm.ACCEPT_REJECT_PROJECT,
        Perm.ACCEPT_REJECT_SUB_JOB, Perm.RETRY_EXPORT)},
    Perm.ADD_PROJECT_TO_ERP: Rule(_L.STANDARD, note="sent for acceptance like any item"),
    Perm.ADD_ERP_COMPANY_TO_DIRECTORY: Rule(_L.STANDARD),
    Perm.ADD_ERP_JOB: Rule(_L.ADMIN, note="also needs Company Directory Admin or 'Create New Project' in Procore"),
    Perm.ARCHIVE_ERP_COMPANY: Rule(_L.ADMIN),
    Perm.ASSIGN_DEFAULT_COST_TYPES: Rule(_L.ADMIN),
    Perm.CONFIGURE_ADVANCED_SETTINGS: Rule(_L.ADMIN),
    Perm.CONFIGURE_SYNC_SCHEDULE: Rule(_L.ADMIN),
    Perm.ENABLE_DIRECT_EXPORTS: Rule(_L.ADMIN),
    Perm.IMPORT_BUDGET: Rule(_L.STANDARD),
    Perm.IMPORT_PRIME_CONTRACT: Rule(_L.STANDARD),
    Perm.IMPORT_SUB_JOB: Rule(_L.ADMIN, note="also needs 'Create New Project' in Procore"),
    Perm.LINK_COMPANIES: Rule(_L.STANDARD),
    Perm.REFRESH_COMPANIES: Rule(_L.STANDARD),
    Perm.REFRESH_COST_CODES: Rule(_L.STANDARD),
    Perm.SEND_RETRIEVE_RESEND: Rule(_L.STANDARD),
    Perm.SYNC_JOB_COSTS: Rule(_L.ADMIN),
    Perm.SYNC_PAID_INVOICES: Rule(_L.ADMIN),
    Perm.UNLINK_CCO: Rule(_L.ADMIN),
    Perm.UNLINK_COMMITMENT: Rule(_L.ADMIN),
    Perm.UNLINK_OWNER_INVOICE: Rule(_L.ADMIN),
    Perm.UNLINK_PCCO: Rule(_L.ADMIN),
    Perm.UNLINK_SUB_INVOICE: Rule(_L.ADMIN),
    Perm.UNLINK_COMPANY: Rule(_L.ADMIN),
    Perm.VIEW_SYNCED_SUB_JOBS: Rule(_L.READ_ONLY),
    Perm.VIEW_ACCOUNTANT_REPORT: Rule(_L.READ_ONLY),
    Perm.VIEW_JOB_COSTS_REPORT: Rule(_L.READ_ONLY, note="company level needs Admin"),
    Perm.VIEW_UNSYNCABLE_REPORT: Rule(_L.NONE, note="needs Direct Costs access in Procore, not the ERP tool"),
    Perm.VIEW_ARCHIVED_COMPANIES: Rule(_L.READ_ONLY),
    Perm.VIEW_ITEMS: Rule(_L.READ_ONLY),
    Perm.DIRECT_EXPORT: Rule(_L.STANDARD, note="only when direct exports are enabled"),
    Perm.GRANT_PERMISSIONS: Rule(_L.ADMIN),
}

_ACCEPT_REJECT_BY_TYPE = {
    ItemType.COST_CODE: Perm.ACCEPT_REJECT_COST_CODES, ItemType.OWNER_INVOICE: Perm.ACCEPT_REJECT_OWNER_INVOICES,
    ItemType.SUB_INVOICE: Perm.ACCEPT_REJECT_SUB_INVOICES, ItemType.BUDGET: Perm.ACCEPT_REJECT_BUDGET,
    ItemType.CCO: Perm.ACCEPT_REJECT_CCO, ItemType.COMMITMENT: Perm.ACCEPT_REJECT_COMMITMENT,
    ItemType.COMPANY: Perm.ACCEPT_REJECT_COMPANY, ItemType.PCCO: Perm.ACCEPT_REJECT_PCCO,
    ItemType.PROJECT: Perm.ACCEPT_REJECT_PROJECT, ItemType.SUB_JOB: Perm.ACCEPT_REJECT_SUB_JOB,
}
_UNLINK_BY_TYPE = {
    ItemType.CCO: Perm.UNLINK_CCO, ItemType.COMMITMENT: Perm.UNLINK_COMMITMENT,
    ItemType.OWNER_INVOICE: Perm.UNLINK_OWNER_INVOICE, ItemType.PCCO: Perm.UNLINK_PCCO,
    ItemType.SUB_INVOICE: Perm.UNLINK_SUB_INVOICE, ItemType.COMPANY: Perm.UNLINK_COMPANY,
}


def perm_for(action: Action, item_type: ItemType) -> Perm | None:
    """The seed row that governs a workflow action on an item type; None = system-only action."""
    match action:
        case Action.ACCEPT | Action.REJECT:
            return _ACCEPT_REJECT_BY_TYPE[item_type]
        case Action.SEND | Action.RETRIEVE | Action.RESEND:
            return Perm.SEND_RETRIEVE_RESEND
        case Action.EXPORT:
            return Perm.DIRECT_EXPORT
        case Action.RETRY:
            return Perm.RETRY_EXPORT
        case Action.UNLINK:
            return _UNLINK_BY_TYPE.get(item_type, Perm.CONFIGURE_ADVANCED_SETTINGS)
        case Action.ARCHIVE | Action.RESTORE:
            return Perm.ARCHIVE_ERP_COMPANY
        case Action.IMPORT:
            return Perm.ADD_ERP_COMPANY_TO_DIRECTORY if item_type is ItemType.COMPANY else Perm.ADD_ERP_JOB
        case _:
            return None  # mark_synced, mark_failed, mark_paid, ...: jobs only


@dataclass(frozen=True)
class Actor:
    """Who is acting. `user_id=None` is the system (a scheduled job or the outbox worker)."""

    user_id: int | None
    name: str
    level: Level = Level.NONE
    can_push_to_accounting: bool = False
    tenant_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    @property
    def is_approver(self) -> bool:
        return self.can_push_to_accounting and self.level >= Level.STANDARD


SYSTEM = Actor(user_id=None, name="Ledgerlink", level=Level.ADMIN)


def check(actor: Actor, perm: Perm) -> None:
    """Raise PermissionDenied with a sentence naming what is missing."""
    if actor.is_system:
        return
    rule = PERMISSIONS[perm]
    if actor.level < rule.level:
        raise PermissionDenied(
            f"You need {rule.level.label} permission on the ERP Integrations tool to do this "
            f"({perm.value}); you have {actor.level.label}. Ask an admin to run "
            f"`/ledgerlink grant @you {rule.level.name.lower().replace('_', '-')}`.")
    if rule.approver and not actor.can_push_to_accounting:
        raise PermissionDenied(
            "Only accounting approvers can do this: you need the 'Can push to accounting' grant. "
            "Ask an admin to run `/ledgerlink grant @you approver`.")


def allowed(actor: Actor, perm: Perm) -> bool:
    try:
        check(actor, perm)
    except PermissionDenied:
        return False
    return True

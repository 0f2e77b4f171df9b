"""Ledgerlink's tables (SQLModel). Enum-valued columns are stored as short strings; the enums live in
`core/domain/` so the rules and the schema stay separate. Money is `Numeric(14, 2)` / `Decimal`, never float.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig


class _Table(SQLModel):
    """The base of every table. Rows are made by SQLAlchemy (loads) or by keyword (SQLModel constructs a table model
    without validating), and never dumped through pydantic: pydantic's validator and serializer of a table would
    only be built to go unused, so `defer_build` leaves them until a first use (~60 ms of every process start).
    Not a table itself: the schema is the models' fields, unchanged (tests/core/test_migrations.py)."""

    model_config = SQLModelConfig(from_attributes=True, defer_build=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _procore_id(*, nullable: bool = True, index: bool = False) -> Any:
    """Procore ids are 64-bit (e.g. 562949953421636): BIGINT, not INTEGER."""
    return Field(default=None, sa_column=Column(BigInteger, nullable=nullable, index=index))


def _money(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Numeric(14, 2), nullable=nullable))


class Tenant(_Table, table=True):
    """One customer: a Slack workspace tied to one Procore company and one QBO realm."""

    __tablename__ = "tenants"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slack_team_id: str | None = Field(default=None, max_length=32, unique=True)
    procore_company_id: int | None = _procore_id(index=True)
    qbo_realm_id: str | None = Field(default=None, max_length=32, index=True)
    timezone: str = Field(default="America/Los_Angeles", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Connection(_Table, table=True):
    """OAuth credentials for one provider of one tenant; tokens are Fernet-encrypted (see core/crypto.py).

    `version` is bumped on every token rotation so concurrent refreshers can compare-and-set.
    """

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", name="uq_connection_tenant_provider"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    provider: str = Field(max_length=16)  # "qbo" | "procore"
    external_id: str | None = Field(default=None, max_length=64)  # QBO realm id / Procore company id
    access_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    refresh_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    refresh_token_issued_at: datetime | None = None
    status: str = Field(default="active", max_length=24)  # active | needs_reauth | revoked
    status_detail: str | None = Field(default=None, max_length=500)
    version: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow)


class User(_Table, table=True):
    """A person: Slack id ⇄ Procore id, with the ERP-tool permission level and the approver grant."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "slack_user_id", name="uq_user_tenant_slack"),
        UniqueConstraint("tenant_id", "procore_user_id", name="uq_user_tenant_procore"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    slack_user_id: str | None = Field(default=None, max_length=32)
    procore_user_id: int | None = _procore_id()
    email: str | None = Field(default=None, max_length=254, index=True)
    name: str = Field(default="", max_length=200)
    permission: str = Field(default="none", max_length=16)  # none | read_only | standard | admin
    can_push_to_accounting: bool = False
    digest_opt_out: bool = False


class Item(_Table, table=True):
    """Something sent (or to be sent) to accounting, with its state in the workflow of domain.md.

    `version` is the compare-and-set counter: every state change is
    `UPDATE items SET … , version = version + 1 WHERE id = :id AND version = :seen`.
    """

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "type", "procore_id", name="uq_item_tenant_type_procore"),
        Index("ix_items_tenant_state", "tenant_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    type: str = Field(max_length=24)  # see core.domain.states.ItemType
    procore_id: str = Field(max_length=64)
    procore_project_id: int | None = _procore_id()
    title: str = Field(default="", max_length=300)
    amount: Decimal | None = _money()
    state: str = Field(default="ready_to_export", max_length=32)
    sender_id: int | None = Field(default=None, foreign_key="users.id")
    creator_id: int | None = Field(default=None, foreign_key="users.id")
    round: int = Field(default=0)  # how many times it has been sent; decisions belong to one round
    reject_reason: str | None = Field(default=None, sa_column=Column(Text))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    card_channel: str | None = Field(default=None, max_length=32)
    card_ts: str | None = Field(default=None, max_length=32)
    card_version: int | None = None  # the `version` the card was last drawn at; behind it, the card is stale
    # the sender's "You sent…" DM (redrawn as the item moves on: no Retrieve once it is decided)
    receipt_channel: str | None = Field(default=None, max_length=32)
    receipt_ts: str | None = Field(default=None, max_length=32)
    state_before_archive: str | None = Field(default=None, max_length=32)
    # what the card and the export need to know (vendor, project, lines, QBO summary…), refreshed on each ingest
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # hash of the Procore record when it was sent: a later change while locked is detected, not exported silently
    source_hash: str | None = Field(default=None, max_length=64)
    remote_id: str | None = Field(default=None, max_length=64)  # the QBO record once synced
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    # sent together with others on one grouped approval card (None: the item has a card of its own)
    group_id: int | None = Field(default=None, foreign_key="item_groups.id", index=True)


class Decision(_Table, table=True):
    """One approver's accept or reject of one round of an item (two-approver threshold counts these)."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("item_id", "round", "user_id", name="uq_decision_item_round_user"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True)
    round: int
    user_id: int = Field(foreign_key="users.id")
    decision: str = Field(max_length=8)  # accept | reject
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class ExternalLink(_Table, table=True):
    """The binder: one Procore record ⇄ one QBO record, per tenant and entity type."""

    __tablename__ = "external_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "entity_type", "procore_id", name="uq_link_procore"),
        UniqueConstraint("tenant_id", "entity_type", "qbo_id", name="uq_link_qbo"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    entity_type: str = Field(max_length=32)  # company, project, cost_item, bill, invoice, ...
    procore_id: str = Field(max_length=64)
    qbo_id: str = Field(max_length=64)
    sync_token: str | None = Field(default=None, max_length=32)
    last_synced_at: datetime | None = None


class OutboxEntry(_Table, table=True):
    """One remote write. `requestid` is made once and reused on every retry (QBO idempotency key)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # at most one live write per (item, operation): a double click cannot queue a second export
        Index(
            "uq_outbox_item_operation_live", "item_id", "operation", unique=True,
            sqlite_where=text("status IN ('pending', 'claimed')"),
            postgresql_where=text("status IN ('pending', 'claimed')"),
        ),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="items.id")
    target: str = Field(max_length=16)  # qbo | procore
    operation: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    requestid: str = Field(max_length=50, unique=True)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    remote_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEvent(_Table, table=True):
    """Append-only record of who did what to which item, written in the same transaction as the change."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")  # None = the system (a job)
    actor_label: str = Field(default="system", max_length=200)
    action: str = Field(max_length=32)
    item_id: int | None = Field(default=None, foreign_key="items.id", index=True)
    before_state: str | None = Field(default=None, max_length=32)
    after_state: str | None = Field(default=None, max_length=32)
    request_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class TenantSettings(_Table, table=True):
    """Per-tenant ERP settings (what Procore's 'Configure Advanced Settings' page holds)."""

    __tablename__ = "tenant_settings"
    tenant_id: int = Field(foreign_key="tenants.id", primary_key=True)
    direct_exports: str = Field(default="disabled", max_length=24)  # disabled | enabled | enabled_with_workflow
    paid_sync_schedule: str = Field(default="daily", max_length=16)  # hourly | every_2h | every_4h | daily | never
    approvers_channel: str = Field(default="#accounting", max_length=80)
    notify_channel: str | None = Field(default=None, max_length=80)
    confirm_above_amount: Decimal | None = _money()
    two_approver_threshold: Decimal | None = _money()
    digest_hour: int = Field(default=9)
    # reminders (bot/scheduler.py): items awaiting acceptance are re-announced every N hours (0 = off) and
    # escalated once, after M hours, to a second channel (unset: DMs to the approvers; M = 0: off)
    reminder_after_hours: int = Field(default=24, sa_column_kwargs={"server_default": text("24")})
    escalate_after_hours: int = Field(default=48, sa_column_kwargs={"server_default": text("48")})
    escalation_channel: str | None = Field(default=None, max_length=80)
    # auto-send (core/domain/autosend.py): item type → when an admin turned it on (ISO time); absent = off
    autosend: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    # the daily "ready to export" channel post (bot/services/ready_post.py): "HH:MM" in the tenant's time zone
    ready_post_time: str | None = Field(default=None, max_length=5)
    # scheduled sync job → minutes between runs, only where the tenant changed it (core/domain/settings.py)
    sync_intervals: dict[str, int] | None = Field(default=None, sa_column=Column(JSON))


class ProjectSettings(_Table, table=True):
    """Per-project switches (job-cost transaction sync is enabled project by project)."""

    __tablename__ = "project_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "procore_project_id", name="uq_project_settings"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    procore_project_id: int = _procore_id(nullable=False)
    job_cost_sync_enabled: bool = False
    last_job_cost_sync_at: datetime | None = None
    team_channel: str | None = Field(default=None, max_length=80)  # the project team's channel (ready post)


class ProcessedWebhook(_Table, table=True):
    """Dedupe keys of webhook deliveries already accepted (Procore `ulid`, QBO event hash)."""

    __tablename__ = "processed_webhooks"
    __table_args__ = (UniqueConstraint("source", "dedupe_key", name="uq_webhook_source_key"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    dedupe_key: str = Field(max_length=128)
    received_at: datetime = Field(default_factory=utcnow)


class SyncRequest(_Table, table=True):
    """Work a webhook (or a person's "sync now") asked for; the worker drains these, never the web request."""

    __tablename__ = "sync_requests"
    __table_args__ = (Index("ix_sync_requests_status", "status", "created_at"),
                      Index("ix_sync_requests_record", "source", "entity_id"))  # who changed a record (auto-send)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenants.id", index=True)
    source: str = Field(max_length=16)  # qbo | procore | slack | schedule
    entity: str = Field(max_length=48)  # e.g. Bill, Vendor, Requisitions
    entity_id: str | None = Field(default=None, max_length=64)
    operation: str = Field(default="update", max_length=16)
    external_account: str | None = Field(default=None, max_length=64)  # QBO realm id / Procore company id
    procore_user_id: int | None = _procore_id()  # who made the change, as a Procore webhook says (`user_id`)
    status: str = Field(default="pending", max_length=16)  # pending | done | failed
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


class AutoSend(_Table, table=True):
    """One send for acceptance that a Procore status change asked for (core/domain/autosend.py decides which).

    Unique per record, status and the Procore change (the record's `updated_at`), so however often a webhook is
    delivered or a poll sees the change, it is sent once; a later genuine re-approval is another row. Ingesting
    jobs add rows (`pending`); the worker sends them (bot/actions/autosend.py) and records who the sender was."""

    __tablename__ = "auto_sends"
    __table_args__ = (
        UniqueConstraint("tenant_id", "item_type", "procore_id", "to_status", "change_key", name="uq_auto_send"),
        Index("ix_auto_sends_state", "tenant_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    item_type: str = Field(max_length=24)
    procore_id: str = Field(max_length=64)
    item_id: int | None = Field(default=None, foreign_key="items.id", index=True)  # None: company not an item yet
    from_status: str | None = Field(default=None, max_length=48)
    to_status: str = Field(max_length=48)
    change_key: str = Field(max_length=64)  # the record's updated_at (or created_at), as Procore wrote it
    procore_user_id: int | None = _procore_id()  # who changed it (from the webhook), when known
    state: str = Field(default="pending", max_length=16)  # pending | sending | sent | skipped | failed
    note: str | None = Field(default=None, sa_column=Column(Text))  # why skipped / failed
    sender_id: int | None = Field(default=None, foreign_key="users.id")
    sender_label: str | None = Field(default=None, max_length=200)  # "(Procore) Jane Roe" when not in Slack
    round: int | None = None  # the item's round this send started
    attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    done_at: datetime | None = None


class ReadyPost(_Table, table=True):
    """The daily channel post of items that became ready to export: one message per channel and day, kept
    up to date in place (chat.update) as its items move on; `signature` is what it showed last."""

    __tablename__ = "ready_posts"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", "period", name="uq_ready_post"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    channel: str = Field(max_length=80)  # as configured (#name or id)
    period: str = Field(max_length=16)  # the tenant's local date, e.g. 2026-11-26
    since: datetime  # items that became ready after this are listed
    item_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    slack_channel: str | None = Field(default=None, max_length=32)  # where Slack put it (channel id)
    ts: str | None = Field(default=None, max_length=32)
    signature: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RemoteRecord(_Table, table=True):
    """A local copy of a QBO or Procore list record (vendors, projects, items…): pickers, duplicate detection,
    the archived list and 'ready to import' states read it, never the remote API inside a Slack request."""

    __tablename__ = "remote_records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "system", "entity", "remote_id", name="uq_remote_record"),
        Index("ix_remote_records_lookup", "tenant_id", "system", "entity", "name"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    system: str = Field(max_length=8)  # qbo | procore
    entity: str = Field(max_length=32)  # Vendor, Customer, Item, Account / vendor, project, requisition…
    remote_id: str = Field(max_length=64)
    name: str = Field(default="", max_length=500)
    parent_id: str | None = Field(default=None, max_length=64)  # QBO ParentRef / Procore project id
    active: bool = True
    archived: bool = False  # hidden from Ledgerlink's lists by a person (restorable)
    sync_token: str | None = Field(default=None, max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    remote_updated_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow)


class SyncCursor(_Table, table=True):
    """Where an incremental sync got to (e.g. the CDC changedSince of the vendor refresh) and how it went."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "job", name="uq_sync_cursor"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    job: str = Field(max_length=48)
    cursor: str | None = Field(default=None, max_length=64)
    last_run_at: datetime | None = None
    last_status: str | None = Field(default=None, max_length=16)  # ok | failed
    last_stats: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class UnsyncableCost(_Table, table=True):
    """A QBO job-cost line that could not become a Procore direct cost, with the reason and the fix."""

    __tablename__ = "unsyncable_costs"
    __table_args__ = (UniqueConstraint("tenant_id", "qbo_entity", "qbo_id", "line_id", name="uq_unsyncable"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    qbo_entity: str = Field(max_length=24)  # Bill | Purchase | VendorCredit
    qbo_id: str = Field(max_length=64)
    line_id: str = Field(default="", max_length=32)
    txn_date: datetime | None = None
    vendor_name: str | None = Field(default=None, max_length=500)
    amount: Decimal | None = _money()
    reason: str = Field(max_length=500)
    fix: str = Field(max_length=500)
    first_seen_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None


class CostCodePreference(_Table, table=True):
    """Per-tenant cost-code settings ("Configure Cost Code Preferences for ERP", "Assign Default Cost Types To
    ERP Standard Cost Codes"): whether a standard cost code or a cost type is synced to QuickBooks, the default
    cost types of a standard cost code, and which QBO accounts/items new cost items use. No row = the default
    (synced, no default cost types, accounts picked from the chart of accounts)."""

    __tablename__ = "cost_code_preferences"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "key", name="uq_cost_code_preference"),)
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    kind: str = Field(max_length=24)  # standard_cost_code | cost_type | qbo_setting
    key: str = Field(max_length=64)  # Procore id, or the setting's name (income_account, expense_account, ...)
    synced: bool = True
    default_cost_type_ids: list[int] | None = Field(default=None, sa_column=Column(JSON))
    value: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")


class SchedulerLease(_Table, table=True):
    """Who leads the scheduler (bot/leader.py) where there are no advisory locks (SQLite): a lease that the
    holder renews; a follower takes it over once `expires_at` has passed."""

    __tablename__ = "scheduler_leases"
    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    acquired_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ItemGroup(_Table, table=True):
    """Items a sender sent together ("Send N to accounting" in App Home): one grouped approval card for all of
    them. Each member keeps its own state, decisions and outbox row; the group only says where the card is."""

    __tablename__ = "item_groups"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    sender_id: int | None = Field(default=None, foreign_key="users.id")
    card_channel: str | None = Field(default=None, max_length=32)
    card_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)



class RateLimitKey(_Table, table=True):
    """One remote account's shared limiter state (sync/http/shared_limits.py): every process locks this row for the
    few milliseconds of deciding whether a request may start; `paused_until` is the pause after a 429 (epoch s)."""

    __tablename__ = "rate_limit_keys"
    key: str = Field(primary_key=True, max_length=160)  # "qbo:<realm>", "procore:<company>"
    paused_until: float = Field(default=0.0, sa_column=Column(Float(53), nullable=False, server_default="0"))
    touched: float = Field(default=0.0, sa_column=Column(Float(53), nullable=False, server_default="0"))


class RateLimitSlot(_Table, table=True):
    """One request against a shared limit: in flight while `done` is null (until `lease_until`, should its process
    die), then counted in the window from `done` on. Times are epoch seconds."""

    __tablename__ = "rate_limit_slots"
    __table_args__ = (Index("ix_rate_limit_slots_key_done", "key", "done"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160)
    cost: int = 1
    batch: bool = False
    started: float = Field(sa_column=Column(Float(53), nullable=False))
    done: float | None = Field(default=None, sa_column=Column(Float(53), nullable=True))
    lease_until: float = Field(sa_column=Column(Float(53), nullable=False))
    holder: str = Field(default="", max_length=128)

# APScheduler's SQLAlchemyJobStore table, exactly as apscheduler/jobstores/sqlalchemy.py defines it, declared here
# so the migrations create it and the schema comparison knows it (the job store's own create() then does nothing).
apscheduler_jobs = Table(
    "apscheduler_jobs", SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class ConnectLink(_Table, table=True):
    """A `/ledgerlink connect` link handed to one admin: single-use (`opened_at` is set, conditionally, by the first
    open; `completed_at` in the same transaction as the connection it produced) and valid for 10 minutes.

    When the grant is for another QuickBooks realm / Procore company than the tenant's, the new tokens wait here
    (encrypted, `pending_*`) until an admin confirms in Slack; the old connection keeps working meanwhile.
    """

    __tablename__ = "connect_links"
    id: int | None = Field(default=None, primary_key=True)
    jti: str = Field(max_length=64, unique=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    provider: str = Field(max_length=16)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    slack_user_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    opened_at: datetime | None = None
    completed_at: datetime | None = None
    previous_external_id: str | None = Field(default=None, max_length=64)
    pending_external_id: str | None = Field(default=None, max_length=64)
    pending_tokens_enc: str | None = Field(default=None, sa_column=Column(Text))  # TokenSet as encrypted JSON
    decision: str | None = Field(default=None, max_length=16)  # None | "confirmed" | "cancelled"
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")


# slack_sdk's SQLAlchemy installation and OAuth-state stores' tables (multi-workspace installs), as its builders
# define them and under their default names, declared here so the migrations own them (the stores find them in
# place; core imports no Slack library). Token columns are TEXT: they hold Fernet ciphertext
# (bot/slack_install.py), longer than slack_sdk's String(200).
def _slack_columns(*, user: bool) -> list[Column]:
    cols = [Column("id", Integer, primary_key=True, autoincrement=True),
            Column("client_id", String(32), nullable=False), Column("app_id", String(32), nullable=False),
            Column("enterprise_id", String(32)), Column("enterprise_name", String(200))]
    if user:
        cols.append(Column("enterprise_url", String(200)))
    cols += [Column("team_id", String(32)), Column("team_name", String(200)), Column("bot_token", Text),
             Column("bot_id", String(32)), Column("bot_user_id", String(32)), Column("bot_scopes", String(1000)),
             Column("bot_refresh_token", Text), Column("bot_token_expires_at", DateTime)]
    if user:
        cols += [Column("user_id", String(32), nullable=False), Column("user_token", Text),
                 Column("user_scopes", String(1000)), Column("user_refresh_token", Text),
                 Column("user_token_expires_at", DateTime)]
        cols += [Column(name, String(200)) for name in ("incoming_webhook_url", "incoming_webhook_channel",
                                                        "incoming_webhook_channel_id",
                                                        "incoming_webhook_configuration_url")]
    cols.append(Column("is_enterprise_install", Boolean, nullable=False))
    if user:
        cols.append(Column("token_type", String(32)))
    cols.append(Column("installed_at", DateTime, nullable=False))
    return cols


slack_installations = Table(
    "slack_installations", SQLModel.metadata, *_slack_columns(user=True),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"))
slack_bots = Table("slack_bots", SQLModel.metadata, *_slack_columns(user=False),
                   Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"))
slack_oauth_states = Table(
    "slack_oauth_states", SQLModel.metadata, Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False), Column("expire_at", DateTime, nullable=False))


class Delegation(_Table, table=True):
    """An approver away: until the end of `until` in their own time zone (`ends_at`, that instant in UTC) or
    `/ledgerlink back`, reminders and escalations meant for `user_id` go to `delegate_id`, whose decisions are
    recorded on their behalf."""

    __tablename__ = "delegations"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    delegate_id: int = Field(foreign_key="users.id")
    until: date
    ends_at: datetime | None = None  # the end of `until` in `timezone`; NULL on rows from before: `until` in UTC
    timezone: str | None = Field(default=None, max_length=64)  # the approver's (Slack profile), else the tenant's
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None  # `back` before the date

"""Admin actions from Slack: grant permission levels, save settings, hand out connect links.

Each checks the actor's permission and writes an audit row in the same transaction as the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from blocks.modals import READY_POST_OFF, SettingsForm
from bot.services.connect_links import mint
from core.domain import audit
from core.domain.autosend import CHOICES as AUTOSEND_CHOICES
from core.domain.autosend import enabled_types, with_types
from core.domain.errors import InvalidInput, PermissionDenied
from core.domain.permissions import Actor, Level, Perm, allowed, check
from core.domain.settings import (
    SYNC_JOBS,
    DirectExports,
    PaidSyncSchedule,
    stored_sync_intervals,
    sync_minutes,
    tenant_settings,
)
from core.models import ExternalLink, ProjectSettings, RemoteRecord, Tenant, User, utcnow
from sync.services import schedule

GRANTS = ("approver", "not-approver", "admin", "standard", "read-only", "none")


@dataclass(frozen=True)
class Granted:
    user: User
    before: str
    after: str

    def describe(self) -> str:
        approver = " and an accounting approver" if self.user.can_push_to_accounting else ""
        return f"{Level[self.user.permission.upper()].label}{approver}"


def grant(engine: Engine, actor: Actor, tenant_id: int, *, slack_user_id: str, what: str,
          name: str | None = None, email: str | None = None) -> Granted:
    """Set a person's permission level, or give/take the approver grant; creates the user when new."""
    check(actor, Perm.GRANT_PERMISSIONS)
    what = what.strip().lower()
    if what not in GRANTS:
        raise InvalidInput(f"'{what}' isn't something I can grant; choose one of: {', '.join(GRANTS)}.")
    with Session(engine, expire_on_commit=False) as s:
        user = s.exec(select(User).where(User.tenant_id == tenant_id, User.slack_user_id == slack_user_id)).first()
        if user is None and email:
            user = s.exec(select(User).where(User.tenant_id == tenant_id, User.email == email,
                                             User.slack_user_id.is_(None))).first()
            if user is not None:
                user.slack_user_id = slack_user_id
        if user is None:
            user = User(tenant_id=tenant_id, slack_user_id=slack_user_id, name=name or "", email=email)
        if user.id is not None and user.id == actor.user_id and what in ("standard", "read-only", "none"):
            raise PermissionDenied("You can't lower your own level; ask another admin.")
        before = _label(user)
        if what == "approver":
            user.can_push_to_accounting = True
            if Level[user.permission.upper()] < Level.STANDARD:
                user.permission = Level.STANDARD.db_value  # approvers need at least Standard on the ERP tool
        elif what == "not-approver":
            user.can_push_to_accounting = False
        else:
            user.permission = Level.parse(what).db_value
        if not user.name and name:
            user.name = name
        s.add(user)
        s.flush()
        after = _label(user)
        audit.record(s, tenant_id=tenant_id, actor=actor, action="grant",
                     detail={"user_id": user.id, "slack_user_id": slack_user_id, "grant": what,
                             "before": before, "after": after})
        s.commit()
        return Granted(user=user, before=before, after=after)


def _label(user: User) -> str:
    return f"{user.permission}{'+approver' if user.can_push_to_accounting else ''}"


def settings_form(engine: Engine, actor: Actor, tenant_id: int) -> SettingsForm:
    """What the settings modal shows this person (admins: the company's; approvers: their digest)."""
    is_admin = allowed(actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    if not is_admin and not actor.is_approver:
        raise PermissionDenied("Only admins can change Ledgerlink's settings (ask one to run `/ledgerlink "
                               "settings`); approvers can set their own daily digest here.")
    with Session(engine) as s:
        tenant = s.get(Tenant, tenant_id)
        st = tenant_settings(s, tenant_id)
        me = s.get(User, actor.user_id) if actor.user_id else None
        return SettingsForm(tenant_name=tenant.name if tenant else "", is_admin=is_admin,
                            is_approver=actor.is_approver, direct_exports=st.direct_exports,
                            paid_sync_schedule=st.paid_sync_schedule, approvers_channel=st.approvers_channel,
                            notify_channel=st.notify_channel, confirm_above=st.confirm_above_amount,
                            two_approver_threshold=st.two_approver_threshold,
                            digest_opt_out=bool(me and me.digest_opt_out),
                            autosend=tuple(enabled_types(st.autosend)), ready_post_time=st.ready_post_time,
                            reminder_after_hours=st.reminder_after_hours,
                            escalate_after_hours=st.escalate_after_hours,
                            job_cost_choices=_linked_projects(s, tenant_id) if is_admin else (),
                            job_cost_on=tuple(str(p) for p in schedule.job_cost_projects(engine, tenant_id)),
                            sync_every=tuple((job, label, sync_minutes(st.sync_intervals, job))
                                             for job, (label, _default) in SYNC_JOBS.items()) if is_admin else ())


def _linked_projects(s: Session, tenant_id: int) -> tuple[tuple[str, str], ...]:
    """Procore projects linked to QuickBooks (id, name), for the job-cost sync choice."""
    linked = [lk.procore_id for lk in s.exec(select(ExternalLink).where(ExternalLink.tenant_id == tenant_id,
                                                                      ExternalLink.entity_type == "project"))]
    names = {r.remote_id: r.name for r in s.exec(select(RemoteRecord).where(
        RemoteRecord.tenant_id == tenant_id, RemoteRecord.system == "procore", RemoteRecord.entity == "project",
        RemoteRecord.remote_id.in_(linked)))}  # type: ignore[attr-defined]
    return tuple(sorted(((p, names.get(p, f"Procore project {p}")) for p in linked), key=lambda x: x[1]))


def _save_job_costs(engine: Engine, actor: Actor, tenant_id: int, wanted: list[str]) -> list[str]:
    """Turn job-cost sync on or off where the form changed it (the engine checks Admin and audits each)."""
    now_on = {str(p) for p in schedule.job_cost_projects(engine, tenant_id)}
    with Session(engine) as s:
        offered = {p for p, _ in _linked_projects(s, tenant_id)}
    changed = []
    for pid in sorted(offered & (set(wanted) ^ now_on)):
        schedule.set_job_cost_sync(engine, actor, tenant_id=tenant_id, procore_project_id=int(pid),
                                   enabled=pid in wanted)
        changed.append(f"job-cost sync {pid}")
    return changed


_TENANT_FIELDS = {"direct_exports": Perm.ENABLE_DIRECT_EXPORTS, "paid_sync_schedule": Perm.CONFIGURE_SYNC_SCHEDULE,
                  "approvers_channel": Perm.CONFIGURE_ADVANCED_SETTINGS,
                  "notify_channel": Perm.CONFIGURE_ADVANCED_SETTINGS,
                  "confirm_above_amount": Perm.CONFIGURE_ADVANCED_SETTINGS,
                  "two_approver_threshold": Perm.CONFIGURE_ADVANCED_SETTINGS,
                  "autosend": Perm.CONFIGURE_ADVANCED_SETTINGS, "ready_post_time": Perm.CONFIGURE_ADVANCED_SETTINGS,
                  "reminder_after_hours": Perm.CONFIGURE_ADVANCED_SETTINGS,
                  "escalate_after_hours": Perm.CONFIGURE_ADVANCED_SETTINGS,
                  "sync_intervals": Perm.CONFIGURE_SYNC_SCHEDULE}


def save_settings(engine: Engine, actor: Actor, tenant_id: int, changes: dict[str, Any]) -> list[str]:
    """Apply the changed settings (each field needs its own permission); returns the names that changed."""
    changed: list[str] = []
    changes = dict(changes)
    job_costs = changes.pop("job_cost_projects", None)
    with Session(engine) as s:
        st = tenant_settings(s, tenant_id)
        before: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "digest_opt_out":
                continue
            perm = _TENANT_FIELDS.get(name)
            if perm is None:
                raise InvalidInput(f"There is no setting called {name}.")
            check(actor, perm)
            value = _stored(name, value, st)
            if getattr(st, name) != value:
                before[name] = _jsonable(getattr(st, name))
                setattr(st, name, value)
                changed.append(name)
        if "digest_opt_out" in changes and actor.user_id is not None:
            me = s.get(User, actor.user_id)
            if me is not None and me.digest_opt_out != bool(changes["digest_opt_out"]):
                me.digest_opt_out = bool(changes["digest_opt_out"])
                s.add(me)
                before["digest_opt_out"] = not me.digest_opt_out
                changed.append("digest_opt_out")
        if changed:
            s.add(st)
            audit.record(s, tenant_id=tenant_id, actor=actor, action="settings",
                         detail={"before": before, "after": {k: _jsonable(getattr(st, k, None) if k in
                                                                          _TENANT_FIELDS else changes[k])
                                                             for k in changed}})
        s.commit()
    if job_costs is not None:
        changed += _save_job_costs(engine, actor, tenant_id, job_costs)
    return changed


def _stored(name: str, value: Any, st: Any) -> Any:
    """The form's value as the settings row keeps it (checked; InvalidInput says what is wrong)."""
    if name == "direct_exports":
        DirectExports(value)
    elif name == "paid_sync_schedule":
        PaidSyncSchedule(value)
    elif name in ("approvers_channel", "notify_channel") and value is not None and len(str(value)) > 80:
        raise InvalidInput("A channel name has at most 80 characters; pick the channel from the list.")
    elif name == "sync_intervals":
        return stored_sync_intervals(st.sync_intervals, value)
    elif name == "autosend":
        unknown = set(value) - {kind.value for kind, *_ in AUTOSEND_CHOICES}
        if unknown:
            raise InvalidInput(f"Auto-send can't be turned on for {', '.join(sorted(unknown))}.")
        return with_types(st.autosend, set(value), utcnow()) or None
    elif name == "ready_post_time":
        if value in (None, "", READY_POST_OFF):
            return None
        hour, _, minute = str(value).partition(":")
        if not (re.fullmatch(r"[0-9]{1,2}", hour) and re.fullmatch(r"[0-9]{2}", minute)
                and int(hour) < 24 and int(minute) < 60):
            raise InvalidInput(f"'{value}' isn't a time of day; use HH:MM, like 09:00.")
        return f"{int(hour):02d}:{minute}"
    return value


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def set_team_channel(engine: Engine, actor: Actor, tenant_id: int, *, project_id: int,
                     channel: str | None) -> None:
    """Where a project's daily ready post goes (None: the company's notices channel); admins only, audited."""
    check(actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    with Session(engine) as s:
        row = s.exec(select(ProjectSettings).where(ProjectSettings.tenant_id == tenant_id,
                                                   ProjectSettings.procore_project_id == project_id)).first()
        row = row or ProjectSettings(tenant_id=tenant_id, procore_project_id=project_id)
        before, row.team_channel = row.team_channel, channel
        s.add(row)
        audit.record(s, tenant_id=tenant_id, actor=actor, action="settings",
                     detail={"project_id": project_id, "before": {"team_channel": before},
                             "after": {"team_channel": channel}})
        s.commit()


def connect_url(engine: Engine, actor: Actor, user: User, provider: str, *, key: str, public_url: str) -> str:
    """A single-use, 10-minute OAuth start link for QuickBooks or Procore, bound to this admin (admins only)."""
    check(actor, Perm.CONFIGURE_ADVANCED_SETTINGS)
    return mint(engine, key, tenant_id=user.tenant_id, provider=provider, slack_user_id=user.slack_user_id or "",
                user_id=user.id, public_url=public_url)

"""Who is clicking: a Slack user in a Slack team → our Tenant, User and domain Actor.

Lookup order: the tenant by `slack_team_id` (a single-workspace install claims the only tenant on first use);
the user by `slack_user_id`, else by e-mail (users.info) — remembered on the user row so it is asked once.
The reverse, for DMs to people we only know by e-mail, is `slack_id_for` (users.lookupByEmail, remembered too).
Someone we can't place gets `NotSetUp` with a sentence saying how to get set up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, bindparam, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.domain.errors import DomainError
from core.domain.permissions import Actor
from core.domain.workflow import actor_for_user
from core.models import Tenant, User

logger = logging.getLogger(__name__)


class NotSetUp(DomainError):
    """The workspace or the person is not known to Ledgerlink yet; `sentence` says what to do."""


@dataclass(frozen=True)
class Identity:
    tenant: Tenant
    user: User
    actor: Actor

    @property
    def tenant_id(self) -> int:
        return self.tenant.id  # type: ignore[return-value]


#: built once (building a statement costs more than running it): the user of a Slack id in a Slack team's tenant
MEMBER = select(User, Tenant).join(Tenant, User.tenant_id == Tenant.id).where(  # type: ignore[arg-type]
    Tenant.slack_team_id == bindparam("team_id"), User.slack_user_id == bindparam("slack_user_id"))


def tenant_for_team(session: Session, team_id: str | None, *, claim_single: bool) -> Tenant | None:
    """The tenant of a Slack team. With `claim_single` (one bot token = one workspace) the only tenant,
    not yet tied to any team, is tied to this one."""
    if team_id:
        tenant = session.exec(select(Tenant).where(Tenant.slack_team_id == team_id)).first()
        if tenant is not None:
            return tenant
    if not claim_single:
        return None
    tenants = session.exec(select(Tenant).limit(2)).all()
    if len(tenants) != 1 or (tenants[0].slack_team_id and tenants[0].slack_team_id != team_id):
        return None
    tenant = tenants[0]
    if team_id and tenant.slack_team_id is None:
        session.execute(update(Tenant).where(Tenant.id == tenant.id, Tenant.slack_team_id.is_(None))
                        .values(slack_team_id=team_id))
        session.commit()
        logger.info("tenant %s is now tied to Slack team %s", tenant.id, team_id)
    return tenant


def _email_of(client: WebClient, slack_user_id: str) -> str | None:
    try:
        resp = client.users_info(user=slack_user_id)
    except SlackApiError as exc:
        logger.warning("users.info %s failed: %s", slack_user_id, exc.response.get("error"))
        return None
    profile = (resp.get("user") or {}).get("profile") or {}
    return profile.get("email")


def slack_tz(client: WebClient, slack_user_id: str | None) -> str | None:
    """The person's time zone from their Slack profile (users.info `tz`), None when Slack does not say."""
    if not slack_user_id:
        return None
    try:
        return (client.users_info(user=slack_user_id).get("user") or {}).get("tz") or None
    except SlackApiError as exc:
        logger.warning("users.info %s failed: %s", slack_user_id, exc.response.get("error"))
        return None


def resolve(engine: Engine, client: WebClient | None, *, team_id: str | None, slack_user_id: str,
            claim_single: bool = True) -> Identity:
    """The person behind a Slack user id, or NotSetUp."""
    with Session(engine, expire_on_commit=False) as s:
        if team_id:  # every click: the known person of a known team in one read
            known = s.exec(MEMBER, params={"team_id": team_id, "slack_user_id": slack_user_id}).first()  # type: ignore[call-overload]
            if known is not None:
                user, tenant = known
                return Identity(tenant=tenant, user=user, actor=actor_for_user(user))
        tenant = tenant_for_team(s, team_id, claim_single=claim_single)
        if tenant is None:
            raise NotSetUp("This Slack workspace is not connected to Ledgerlink yet. Ask whoever runs Ledgerlink "
                           "for your company to install it here.")
        user = user_for_slack(s, tenant.id, slack_user_id)
        if user is None and client is not None:
            email = _email_of(client, slack_user_id)
            if email:
                user = s.exec(select(User).where(User.tenant_id == tenant.id,
                                                 func.lower(User.email) == email.lower(),
                                                 User.slack_user_id.is_(None))).first()
                if user is not None:
                    s.execute(update(User).where(User.id == user.id, User.slack_user_id.is_(None))
                              .values(slack_user_id=slack_user_id))
                    s.commit()
                    user.slack_user_id = slack_user_id
        if user is None:
            admins = s.exec(select(User).where(User.tenant_id == tenant.id, User.permission == "admin")
                            .order_by(User.id).limit(3)).all()
            who = ", ".join(f"<@{a.slack_user_id}>" if a.slack_user_id else (a.name or a.email or "an admin")
                            for a in admins) or "a Ledgerlink admin"
            raise NotSetUp(f"Ledgerlink doesn't know you yet: no Ledgerlink user has your Slack account or your "
                           f"e-mail address. Ask {who} to run `/ledgerlink grant @you standard` (or `approver`).")
        return Identity(tenant=tenant, user=user, actor=actor_for_user(user))


def user_for_slack(session: Session, tenant_id: int, slack_user_id: str) -> User | None:
    return session.exec(select(User).where(User.tenant_id == tenant_id, User.slack_user_id == slack_user_id)).first()


def slack_id_for(engine: Engine, client: WebClient, user_id: int) -> str | None:
    """The Slack id of one of our users: stored, else looked up by e-mail and remembered."""
    with Session(engine) as s:
        user = s.get(User, user_id)
        if user is None:
            return None
        if user.slack_user_id:
            return user.slack_user_id
        if not user.email:
            return None
        try:
            resp = client.users_lookupByEmail(email=user.email)
        except SlackApiError as exc:
            logger.info("no Slack user for %s: %s", user.email, exc.response.get("error"))
            return None
        slack_id = (resp.get("user") or {}).get("id")
        if slack_id:
            s.execute(update(User).where(User.id == user.id, User.slack_user_id.is_(None))
                      .values(slack_user_id=slack_id))
            s.commit()
        return slack_id


def user_for_procore(engine: Engine, client: WebClient | None, tenant_id: int, *, procore_user_id: int,
                     name: str, email: str | None) -> User | None:
    """Our user for a Procore person (e.g. who approved an invoice): by Procore id, else by e-mail — ours, then
    Slack's (users.lookupByEmail; remembered as a user with no ERP permission). None: nobody we can reach."""
    with Session(engine, expire_on_commit=False) as s:
        user = s.exec(select(User).where(User.tenant_id == tenant_id, User.procore_user_id == procore_user_id)).first()
        if user is not None or not email:
            return user
        user = s.exec(select(User).where(User.tenant_id == tenant_id, func.lower(User.email) == email.lower(),
                                         User.procore_user_id.is_(None)).order_by(User.id)).first()
        if user is None and client is not None:
            try:
                slack_id = ((client.users_lookupByEmail(email=email).get("user") or {}).get("id"))
            except SlackApiError as exc:
                logger.info("no Slack user for %s: %s", email, exc.response.get("error"))
                slack_id = None
            if slack_id:
                user = user_for_slack(s, tenant_id, slack_id) or User(
                    tenant_id=tenant_id, slack_user_id=slack_id, email=email, name=name)
        if user is None:
            return None
        if user.procore_user_id is None:
            user.procore_user_id = procore_user_id
        s.add(user)
        try:
            s.commit()
        except IntegrityError:  # a concurrent lookup remembered the same person first
            s.rollback()
            return s.exec(select(User).where(User.tenant_id == tenant_id,
                                             User.procore_user_id == procore_user_id)).first()
        return user

"""A connect link as an admin gets it from `/ledgerlink connect qbo|procore` (for tests of the OAuth routes)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import Session, select

from bot.services.connect_links import mint
from core.models import User


def admin_link(engine, settings, tenant_id: int, provider: str, *, slack_user_id: str = "U0LINKADMIN") -> str:
    """A fresh single-use link (absolute, on settings.public_url) minted for the tenant's admin `slack_user_id`,
    who is created when the tenant doesn't have them yet."""
    with Session(engine, expire_on_commit=False) as s:
        user = s.exec(select(User).where(User.tenant_id == tenant_id, User.slack_user_id == slack_user_id)).first()
        if user is None:
            user = User(tenant_id=tenant_id, slack_user_id=slack_user_id, name="Alex Admin", permission="admin")
            s.add(user)
            s.commit()
    return mint(engine, settings.require_secret_key(), tenant_id=tenant_id, provider=provider,
                slack_user_id=slack_user_id, user_id=user.id, public_url=settings.public_url)


def path_of(url: str) -> str:
    """'/qbo/connect?link=…' of an absolute link (for Flask's test client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"

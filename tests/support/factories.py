"""Small builders for rows the tests need (a tenant with its people, items)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from core.domain.permissions import Actor
from core.domain.workflow import actor_for_user
from core.models import Item, Tenant, TenantSettings, User

PEOPLE = {
    # name: (level, approver)
    "dana": ("standard", True),
    "erin": ("admin", True),
    "sam": ("standard", False),
    "alex": ("admin", False),
    "riley": ("read_only", False),
    "nora": ("none", False),
}


class World:
    """A tenant with the people above; `actor(name)` gives their Actor."""

    def __init__(self, engine, *, name: str = "Summit Builders", threshold: Decimal | None = None,
                 direct_exports: str = "disabled", timezone: str = "UTC") -> None:
        self.engine = engine
        with Session(engine, expire_on_commit=False) as s:
            self.tenant = Tenant(name=name, timezone=timezone)
            s.add(self.tenant)
            s.flush()
            s.add(TenantSettings(tenant_id=self.tenant.id, two_approver_threshold=threshold,
                                 direct_exports=direct_exports))
            self.users: dict[str, User] = {}
            for who, (level, approver) in PEOPLE.items():
                u = User(tenant_id=self.tenant.id, name=f"@{who}", email=f"{who}@example.com",
                         slack_user_id=f"U{who.upper()}{self.tenant.id}", permission=level,
                         can_push_to_accounting=approver)
                s.add(u)
                self.users[who] = u
            s.commit()

    def actor(self, name: str) -> Actor:
        return actor_for_user(self.users[name])

    def item(self, title: str = "INV-104", *, type: str = "sub_invoice", state: str = "ready_to_export",
             amount: str = "48250.00", sender: str | None = None) -> Item:
        with Session(self.engine, expire_on_commit=False) as s:
            item = Item(tenant_id=self.tenant.id, type=type, procore_id=f"{title}-{type}", title=title,
                        amount=Decimal(amount), state=state,
                        sender_id=self.users[sender].id if sender else None)
            s.add(item)
            s.commit()
            return item

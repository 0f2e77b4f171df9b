"""The demo workspace: Summit Builders, its people, its channels and the Ledgerlink app's bot user.

Users and conversations are built as Slack returns them from users.info / conversations.info.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sandbox.slack import ids
from sandbox.slack.store import Store

# name, real name, title (Ledgerlink role in brackets), Slack admin?, timezone, offset, label
DEMO_USERS = [
    ("dana", "Dana Whitfield", "Project Accountant (approver)", False,
     "America/Los_Angeles", -28800, "Pacific Standard Time"),
    ("sam", "Sam Ortiz", "Project Manager (sender)", False, "America/Denver", -25200, "Mountain Standard Time"),
    ("alex", "Alex Chen", "Controller (admin)", True, "America/Chicago", -21600, "Central Standard Time"),
    ("riley", "Riley Park", "Site Engineer (read-only)", False, "America/New_York", -18000, "Eastern Standard Time"),
    ("jordan", "Jordan Lee", "AP Specialist (approver)", False, "America/Los_Angeles", -28800,
     "Pacific Standard Time"),
    ("morgan", "Morgan Blake", "Superintendent (standard)", False, "America/Denver", -25200,
     "Mountain Standard Time"),
]

# name, purpose, private?, bot is a member?, member user names (None = everybody)
DEMO_CHANNELS = [
    ("general", "Company-wide announcements", False, True, None),
    ("accounting", "Approvals for QuickBooks exports (Ledgerlink's default approvers' channel)", False, True, None),
    ("project-riverside-clinic", "Riverside Clinic renovation", False, True, ["dana", "sam", "riley", "morgan"]),
    ("project-harbor-lofts", "Harbor Lofts new build", False, True, ["sam", "alex", "jordan", "morgan"]),
    ("random", "Non-work banter (the app is not a member)", False, False, None),
    ("finance-leads", "Private: controllers and approvers", True, False, ["dana", "alex", "jordan"]),
]

COLORS = ["9f69e7", "4bbe2e", "e7392d", "3c989f", "e96699", "e0a729"]


@dataclass
class Workspace:
    """Identity of the team and of the installed app (kept in `meta`, so a `--db` file keeps its ids)."""

    team_id: str
    team_name: str
    team_domain: str
    app_id: str
    app_name: str
    bot_id: str
    bot_user_id: str
    enterprise_id: str | None = None

    @property
    def url(self) -> str:
        return f"https://{self.team_domain}.slack.com/"


def load_or_create_workspace(store: Store, *, team_name: str, app_name: str) -> Workspace:
    keys = ("team_id", "team_name", "team_domain", "app_id", "app_name", "bot_id", "bot_user_id")
    if store.meta("team_id"):
        return Workspace(**{k: store.meta(k) for k in keys})
    ws = Workspace(team_id=ids.object_id("T"), team_name=team_name,
                   team_domain="".join(c for c in team_name.lower() if c.isalnum()) or "sandbox",
                   app_id=ids.object_id("A"), app_name=app_name, bot_id=ids.object_id("B"),
                   bot_user_id=ids.object_id("U"))
    for k in keys:
        store.set_meta(k, getattr(ws, k))
    store.put_user(bot_user(ws))
    return ws


def make_user(ws: Workspace, *, name: str, real_name: str, email: str | None = None, title: str = "",
              is_admin: bool = False, tz: str = "America/Los_Angeles", tz_offset: int = -28800,
              tz_label: str = "Pacific Standard Time", user_id: str | None = None, color: str = "9f69e7") -> dict:
    """A user object shaped like users.info's `user`."""
    first, _, last = real_name.partition(" ")
    avatar = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:12]
    images = {f"image_{n}": f"https://secure.gravatar.com/avatar/{avatar}.jpg?s={n}" for n in
              (24, 32, 48, 72, 192, 512)}
    profile = {"title": title, "phone": "", "skype": "", "real_name": real_name,
               "real_name_normalized": real_name, "display_name": name, "display_name_normalized": name,
               "fields": None, "status_text": "", "status_emoji": "", "status_emoji_display_info": [],
               "status_expiration": 0, "avatar_hash": avatar, "email": email, "first_name": first,
               "last_name": last, **images, "status_text_canonical": "", "team": ws.team_id}
    if email is None:
        profile.pop("email")
    return {"id": user_id or ids.object_id("U"), "team_id": ws.team_id, "name": name, "deleted": False,
            "color": color, "real_name": real_name, "tz": tz, "tz_label": tz_label, "tz_offset": tz_offset,
            "profile": profile, "is_admin": is_admin, "is_owner": is_admin, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": False, "is_app_user": False,
            "updated": int(time.time()), "is_email_confirmed": email is not None,
            "who_can_share_contact_card": "EVERYONE"}


def bot_user(ws: Workspace) -> dict:
    user = make_user(ws, name=ws.app_name.lower(), real_name=ws.app_name, user_id=ws.bot_user_id)
    user["is_bot"] = True
    user["is_email_confirmed"] = False
    user["profile"].update({"bot_id": ws.bot_id, "api_app_id": ws.app_id, "always_active": False})
    return user


def make_channel(ws: Workspace, *, name: str, purpose: str = "", private: bool = False,
                 creator: str = "") -> dict:
    now = int(time.time())
    return {"id": ids.object_id("C"), "name": name, "is_channel": True,
            "is_group": False, "is_im": False, "is_mpim": False, "is_private": private, "created": now,
            "is_archived": False, "is_general": name == "general", "unlinked": 0, "name_normalized": name,
            "is_shared": False, "is_org_shared": False, "is_pending_ext_shared": False, "pending_shared": [],
            "context_team_id": ws.team_id, "updated": now * 1000, "parent_conversation": None,
            "creator": creator, "is_ext_shared": False, "shared_team_ids": [ws.team_id],
            "pending_connected_team_ids": [], "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": purpose, "creator": creator, "last_set": now if purpose else 0},
            "previous_names": []}


def make_im(ws: Workspace, user_id: str) -> dict:
    now = int(time.time())
    return {"id": ids.object_id("D"), "created": now, "is_archived": False, "is_im": True, "is_org_shared": False,
            "context_team_id": ws.team_id, "updated": now * 1000, "user": user_id, "is_user_deleted": False,
            "priority": 0}


def seed_demo(store: Store, ws: Workspace, users: str = "demo") -> None:
    """Create the demo people and channels once (an existing `--db` keeps what it has)."""
    if store.meta("seeded"):
        return
    by_name: dict[str, str] = {}
    if users == "demo":
        for i, (name, real, title, admin, tz, offset, label) in enumerate(DEMO_USERS):
            user = make_user(ws, name=name, real_name=real, email=f"{name}@summitbuilders.example", title=title,
                             is_admin=admin, tz=tz, tz_offset=offset, tz_label=label,
                             color=COLORS[i % len(COLORS)])
            store.put_user(user)
            by_name[name] = user["id"]
    creator = next(iter(by_name.values()), ws.bot_user_id)
    for name, purpose, private, bot_member, member_names in DEMO_CHANNELS:
        channel = make_channel(ws, name=name, purpose=purpose, private=private, creator=creator)
        store.put_conversation(channel)
        wanted = by_name.values() if member_names is None else [by_name[n] for n in member_names if n in by_name]
        for user_id in wanted:
            store.add_member(channel["id"], user_id)
        if bot_member:
            store.add_member(channel["id"], ws.bot_user_id)
    store.set_meta("seeded", "1")

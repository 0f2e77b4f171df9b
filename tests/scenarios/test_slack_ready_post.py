"""The daily "ready to export" channel post through the Slack sandbox: one message per channel and day, its buttons
(Send to accounting / Export now / View in Procore), kept current in place with chat.update as items move on; and
the admin settings that turn it and auto-send on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.notify_tasks import pump_events
from bot.scheduler import SchedulerConfig
from bot.worker import Runtime
from core.models import ProjectSettings, ReadyPost, SyncRequest, TenantSettings, utcnow
from tests.handlers.slack_harness import buttons, card_text

pytest_plugins = ["tests.handlers.slack_harness"]


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self):
        return utcnow() + self.offset


@pytest.fixture
def runtime(slack):
    clock = Clock()
    rt = Runtime(slack.engine, slack.settings, config=SchedulerConfig(event_settle=0), notifier=slack.svc.notifier,
                 clock=clock)
    rt.clock_offset = clock
    pump_events(rt, slack.world.tenant.id)  # the event loop's first round only marks where it starts
    return rt


def _posts(slack) -> list[dict]:
    return [m for m in slack.messages()
            if m["text"].startswith("Ready to export") and not m["_sandbox"]["ephemeral_to"]]


def _calls(slack, method: str, ts: str | None = None) -> list[dict]:
    return [c for c in slack.calls(method) if c["ok"] and "Ready to export" in str(c["args"].get("text"))
            and (ts is None or c["args"].get("ts") == ts)]


def _click(slack, who: str, post: dict, action_id: str, item) -> dict:
    return slack.click(who, None, action_id, channel=post["_sandbox"]["channel"], ts=post["ts"],
                       block_id=f"ready-{item.id}")


def _fresh(slack, post: dict) -> dict:
    return next(m for m in _posts(slack) if m["ts"] == post["ts"])


def test_one_message_a_day_updated_in_place_as_items_move_on(slack, runtime):
    slack.settings_row(direct_exports="enabled", ready_post_time="09:00")
    tid = slack.world.tenant.id
    first, second = slack.item("SC-101"), slack.item("SC-102")
    slack.item("SC-099", state="synced")  # not ready: never listed

    assert runtime.task_ready_post(tid) == 1
    [post] = _posts(slack)
    text = card_text(post)
    assert "SC-101" in text and "SC-102" in text and "SC-099" not in text and "2 still waiting" in text
    assert buttons(post) == ["item_send", "item_export", "item_view_procore"] * 2

    # Send to accounting: the approval card goes out, the post says so and loses that item's buttons
    _click(slack, "sam", post, "item_send", first)
    slack.idle()
    assert slack.get(first.id).state == "awaiting_acceptance" and slack.get(first.id).card_ts
    post = _fresh(slack, post)
    assert buttons(post) == ["item_send", "item_export", "item_view_procore"]
    assert "sent for acceptance by <@" in card_text(post)
    assert len(_calls(slack, "chat.update", post["ts"])) == 1

    # Export now: straight to QuickBooks (the fake), and the post says it is there
    _click(slack, "sam", post, "item_export", second)
    slack.idle()
    assert slack.get(second.id).state == "synced"
    post = _fresh(slack, post)
    assert buttons(post) == [] and "in QuickBooks" in card_text(post) and "all have moved on" in card_text(post)

    # an approver accepts the first on its card: the worker's event loop redraws the post, once
    updates = len(_calls(slack, "chat.update", post["ts"]))
    slack.click("dana", first, "item_accept")
    slack.idle()
    assert slack.get(first.id).state == "synced"
    pump_events(runtime, tid)
    pump_events(runtime, tid)  # nothing moved since: no update
    assert len(_calls(slack, "chat.update", post["ts"])) == updates + 1

    # later the same day: a new ready item extends the same message; the next day starts a new one
    slack.item("SC-103")
    assert runtime.task_ready_post(tid) == 1
    assert len(_posts(slack)) == 1 and "SC-103" in card_text(_fresh(slack, post))
    runtime.clock_offset.offset = timedelta(days=1)
    slack.item("SC-104")
    assert runtime.task_ready_post(tid) == 1
    posts = _posts(slack)
    assert len(posts) == 2 and len(_calls(slack, "chat.postMessage")) == 2
    assert "SC-104" in card_text(posts[-1]) and "SC-103" not in card_text(posts[-1])
    assert runtime.task_ready_post(tid) == 0  # nothing new since: no post at all
    with Session(slack.engine) as s:
        assert len(s.exec(select(ReadyPost)).all()) == 2


def test_project_team_channels_and_refusals(slack, runtime):
    general = slack.sandbox.store.conversation_by_name("general")["id"]
    refused = slack.command("riley", f"team-channel 2002 <#{general}|general>")
    assert "Admin" in str(refused["body"]), refused
    said = slack.command("alex", f"team-channel 2002 <#{general}|general>")
    assert f"now goes to <#{general}>" in str(said["body"]), said
    with Session(slack.engine) as s:
        [row] = s.exec(select(ProjectSettings)).all()
        assert (row.procore_project_id, row.team_channel) == (2002, general)
    ours, theirs = slack.item("SC-201", project_id=1001), slack.item("SC-202", project_id=2002)
    blocked = slack.item("SC-203", project_id=1001, detail={"blocked": "Link company ACME to a vendor first."})
    assert runtime.task_ready_post(slack.world.tenant.id) == 2
    by_channel = {m["_sandbox"]["channel"]: m for m in _posts(slack)}
    accounting = slack.sandbox.store.conversation_by_name("accounting")["id"]
    assert set(by_channel) == {accounting, general}
    assert "SC-202" in card_text(by_channel[general]) and "SC-202" not in card_text(by_channel[accounting])
    post = by_channel[accounting]
    assert "Link company ACME" in card_text(post)
    # direct exports are off: Send and View only (a blocked item's send is judged when clicked, as on App Home)
    assert buttons(post) == ["item_send", "item_view_procore"] * 2
    assert "ready-" + str(ours.id) in [b.get("block_id") for b in post["blocks"]]

    # a read-only person can't send: told privately, nothing changes
    _click(slack, "riley", post, "item_send", ours)
    slack.idle()
    assert slack.get(ours.id).state == "ready_to_export"
    assert any("Standard" in t for t in slack.ephemerals("riley"))
    assert slack.get(theirs.id).state == slack.get(blocked.id).state == "ready_to_export"


def test_admins_turn_on_auto_send_and_the_daily_post_in_settings(slack):
    slack.command("alex", "settings")
    slack.idle()
    modal = slack.views("alex")["modals"][-1]["view"]
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    assert blocks["autosend"]["element"]["type"] == "checkboxes" and "initial_options" not in blocks["autosend"][
        "element"]  # off by default
    assert blocks["ready_post_time"]["element"]["initial_option"]["value"] == "off"
    done = slack.submit("alex", {"autosend": {"value": ["sub_invoice", "company"]},
                                 "ready_post_time": {"value": "08:00"}})
    assert done["closed"], done
    slack.idle()
    with Session(slack.engine) as s:
        st = s.get(TenantSettings, slack.world.tenant.id)
        assert set(st.autosend) == {"sub_invoice", "company"} and st.ready_post_time == "08:00"
        since = st.autosend["sub_invoice"]
        assert s.exec(select(SyncRequest).where(SyncRequest.entity == "schedule")).first()  # rescheduled

    # shown as saved; unticking one keeps the other's start
    slack.command("alex", "settings")
    slack.idle()
    modal = slack.views("alex")["modals"][-1]["view"]
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    assert {o["value"] for o in blocks["autosend"]["element"]["initial_options"]} == {"sub_invoice", "company"}
    assert blocks["ready_post_time"]["element"]["initial_option"]["value"] == "08:00"
    assert slack.submit("alex", {"autosend": {"value": ["sub_invoice"]}, "ready_post_time": {"value": "off"}})[
        "closed"]
    slack.idle()
    with Session(slack.engine) as s:
        st = s.get(TenantSettings, slack.world.tenant.id)
        assert st.autosend == {"sub_invoice": since} and st.ready_post_time is None

    # approvers who aren't admins see only their digest
    slack.command("dana", "settings")
    slack.idle()
    modal = slack.views("dana")["modals"][-1]["view"]
    assert {b.get("block_id") for b in modal["blocks"]} == {"digest"}

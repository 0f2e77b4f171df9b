"""The authorisation matrix through Slack: each permission level × each action, clicked or typed for real.

People (tests/support/factories.py): dana Standard + approver, erin Admin + approver, sam Standard, alex Admin,
riley Read only, nora None, and "stranger", a Slack user Ledgerlink doesn't know. A refusal is an ephemeral
sentence and the item does not change.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.handlers.slack_harness"]

EVERYONE = ("dana", "erin", "sam", "alex", "riley", "nora", "stranger")
APPROVERS = {"dana", "erin"}
STANDARD_UP = {"dana", "erin", "sam", "alex"}
ADMINS = {"erin", "alex"}


@pytest.fixture
def world(slack):
    slack.ids["stranger"] = slack.add_slack_user("stranger", "stranger@elsewhere.example")
    return slack


def _refused(slack, who: str) -> str:
    said = slack.ephemerals(who)
    assert said, f"{who} was told nothing"
    return said[-1]


@pytest.mark.parametrize("action", ["item_accept", "item_reject", "item_retry"])
def test_decisions_need_an_approver(world, action):
    slack = world
    for n, who in enumerate(EVERYONE):
        item = slack.sent_item(f"INV-{n}", sender="sam")
        if action == "item_retry":
            slack.qbo.fail_with = "QuickBooks said no."
            slack.click("erin", item)
            slack.idle()
            slack.qbo.fail_with = None
            item = slack.get(item.id)
            assert item.state == "failed_to_export"
        before = slack.get(item.id).state
        slack.click(who, item, action)
        slack.idle()
        after = slack.get(item.id)
        if who in APPROVERS:
            if action == "item_reject":
                assert slack.views(who)["modals"], f"{who} should see the reject modal"
                slack.post("views/close", user=slack.ids[who])
            else:
                assert after.state != before, f"{who} should be able to {action}"
        else:
            assert after.state == before and after.version == slack.get(item.id).version
            sentence = _refused(slack, who)
            if who == "stranger":
                assert "doesn't know you yet" in sentence and "grant @you" in sentence
            else:
                assert "approver" in sentence.lower() or "permission" in sentence.lower(), sentence
            assert not slack.views(who)["modals"]


def test_details_need_read_only(world):
    slack = world
    item = slack.sent_item("INV-1", sender="sam")
    for who in EVERYONE:
        slack.click(who, item, "item_details")
        slack.idle()
        modals = slack.views(who)["modals"]
        assert bool(modals) is (who not in ("nora", "stranger")), who


@pytest.mark.parametrize("verb", ["send", "retrieve", "resend", "export"])
def test_item_commands_need_standard(world, verb):
    slack = world
    if verb == "export":
        slack.settings_row(direct_exports="enabled")
    for n, who in enumerate(EVERYONE):
        state = {"send": "ready_to_export", "export": "ready_to_export", "retrieve": "awaiting_acceptance",
                 "resend": "rejected"}[verb]
        item = slack.item(f"CO-{n}", state=state)
        if verb == "retrieve":  # only the sender (or an admin) may retrieve: each person sent their own
            from sqlmodel import Session

            from core.models import Item

            with Session(slack.engine) as s:
                row = s.get(Item, item.id)
                row.sender_id = slack.world.users[who].id if who in slack.world.users else None
                s.add(row)
                s.commit()
        out = slack.command(who, f"{verb} invoice CO-{n}")
        slack.idle()
        assert out["ok"], out
        moved = slack.get(item.id).state != state
        assert moved is (who in STANDARD_UP), (who, verb, slack.ephemerals(who))


@pytest.mark.parametrize("text", ["grant @riley approver", "connect qbo", "sync paid now"])
def test_admin_commands(world, text):
    slack = world
    for who in EVERYONE:
        out = slack.command(who, text)
        slack.idle()
        said = " ".join(slack.ephemerals(who))
        refused = ("Admin permission" in said or "doesn't know you" in said)
        assert refused is (who not in ADMINS), (who, said)
        assert out["ok"]


def test_settings_modal_by_role(world):
    slack = world
    for who in EVERYONE:
        slack.command(who, "settings")
        slack.idle()
        modals = slack.views(who)["modals"]
        if who in ADMINS:
            assert "Direct exports" in slack.text(modals[-1]["view"])
        elif who in APPROVERS:
            view = slack.text(modals[-1]["view"])
            assert "daily digest" in view and "Direct exports" not in view
        else:
            assert not modals and slack.ephemerals(who), who

"""Issue 14, finding 4: a name from Procore or QuickBooks, or text a person typed, never acts as Slack markup.

A vendor, an item title, a sender's name, a reject reason and a failure message made of `<!here>` and a disguised
link go through every surface that posts: the approval card (text and blocks), the sender's DM, the rejection DM,
the failure notice, the digest list, the replies to commands and clicks, App Home and the details modal. Every
mrkdwn text Slack received (messages, ephemerals, response_url replies, views) shows them as typed — escaped.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from blocks import ids
from core.models import User
from tests.reliability import tally

pytest_plugins = ["tests.handlers.slack_harness"]

HOSTILE = "<!here> <https://evil.example|click> & <!channel>"
RAW = ("<!here>", "<!channel>", "<https://evil.example")


def _mrkdwn_texts(node: Any, plain: bool = False) -> list[str]:
    """Every text Slack would read as mrkdwn in a message, block tree or view (plain_text objects excluded)."""
    found: list[str] = []
    if isinstance(node, dict):
        is_plain = node.get("type") == "plain_text"
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                if not is_plain:
                    found.append(value)
            else:
                found += _mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += _mrkdwn_texts(value)
    return found


def test_hostile_names_are_escaped_on_every_surface(slack):
    with Session(slack.engine) as s:  # a person whose Slack/Procore name is hostile
        sam = s.get(User, slack.world.users["sam"].id)
        sam.name = f"Sam {HOSTILE}"
        s.add(sam)
        s.commit()
    detail = {"vendor": f"ACME {HOSTILE}", "project": f"Clinic {HOSTILE}", "summary": f"Creates Bill for {HOSTILE}",
              "lines": [{"label": f"03-100 {HOSTILE}", "amount": "10.00"}]}
    card_item = slack.sent_item(f"INV {HOSTILE}", sender="sam", detail=detail)
    slack.home("sam")
    slack.click("dana", card_item, ids.DETAILS)
    slack.click("dana", card_item, ids.REJECT)
    slack.idle()
    slack.submit("dana", {ids.REASON_BLOCK: {ids.REASON_INPUT: f"Wrong total {HOSTILE}"}})
    slack.idle()
    replies = [slack.command("sam", f"send invoice '{HOSTILE}'"),  # not found: the reply repeats what was typed
               slack.command("sam", f"frobnicate {HOSTILE}"), slack.command("sam", f"resend invoice '{HOSTILE}'")]

    failing = slack.sent_item("INV-FAIL", sender="sam", detail=detail)
    slack.qbo.fail_with = f"QuickBooks says: {HOSTILE}"
    slack.click("erin", failing, ids.ACCEPT)
    slack.idle()
    slack.wait_for(lambda: slack.get(failing.id).state == "failed_to_export")
    slack.idle()
    with Session(slack.engine) as s:
        slack.svc.notifier.notify_digest(slack.world.tenant, s.get(User, slack.world.users["dana"].id),
                                         [slack.get(card_item.id), slack.get(failing.id)])
    slack.home("sam")
    slack.click("dana", failing, ids.DETAILS)  # the details modal, left open to be read
    slack.idle()

    surfaces: dict[str, list[str]] = {}
    for m in slack.messages():
        where = "ephemeral" if m["_sandbox"]["ephemeral_to"] else m["_sandbox"]["channel"][:1]
        surfaces.setdefault(f"message {where}", []).extend(_mrkdwn_texts({"text": m.get("text"),
                                                                           "blocks": m.get("blocks")}))
    for who in ("sam", "dana"):
        views = slack.views(slack.ids[who])
        for v in views["modals"]:
            surfaces.setdefault("modal", []).extend(_mrkdwn_texts(v["view"]))
        if views["home"]:
            surfaces.setdefault("app home", []).extend(_mrkdwn_texts(views["home"]["view"]))
    surfaces["command replies"] = _mrkdwn_texts([r.get("shown") for r in replies])
    texts = [t for ts in surfaces.values() for t in ts]
    shown = [t for t in texts if "&lt;!here&gt;" in t]
    raw = {name: [t for t in ts if any(r in t for r in RAW)] for name, ts in surfaces.items()}
    raw = {k: v[:2] for k, v in raw.items() if v}
    assert not raw, raw
    # the hostile text did reach each surface (escaped), so the check above had something to check
    for name in ("message C", "message D", "message ephemeral", "app home", "modal"):
        assert any("&lt;!here&gt;" in t for t in surfaces.get(name, [])), (name, sorted(surfaces))
    assert any(m.get("text", "").startswith("Sub invoice INV &lt;!here&gt;") or "INV &lt;!here&gt;" in m.get("text", "")
               for m in slack.messages() if m["_sandbox"]["channel"].startswith("C")), "card text"
    tally.add("security probes", len(shown))

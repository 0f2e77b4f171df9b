"""The page that plays the Slack client: rendered HTML and its JSON polling endpoint."""

from __future__ import annotations

import httpx

from sandbox.slack.cli import parse_args
from tests.sandbox.slack.conftest import user_id

CARD = [{"type": "header", "text": {"type": "plain_text", "text": "Invoice 42"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*ACME* <https://example.com|View in Procore> "
                                                               ":white_check_mark: <script>x</script>"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Accept"}, "style": "primary",
             "action_id": "accept", "value": "42"},
            {"type": "button", "text": {"type": "plain_text", "text": "Reject"}, "style": "danger",
             "action_id": "reject", "value": "42",
             "confirm": {"title": {"type": "plain_text", "text": "Reject?"},
                         "text": {"type": "plain_text", "text": "This opens a reason form."},
                         "confirm": {"type": "plain_text", "text": "Reject"},
                         "deny": {"type": "plain_text", "text": "Keep"}}}]}]


def test_page_renders_the_channel_and_its_buttons(base_url, client, sandbox):
    posted = client.chat_postMessage(channel="#accounting", text="Invoice 42", blocks=CARD)
    dana = user_id(sandbox, "dana")
    resp = httpx.get(f"{base_url}/", params={"as": dana, "c": "accounting"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert "# accounting" in html and 'data-conversation-id="' in html
    assert f'data-ts="{posted["ts"]}"' in html
    assert 'data-action-id="accept"' in html and 'data-block-id="decide"' in html
    assert 'class="btn btn-primary"' in html and 'class="btn btn-danger"' in html
    assert "data-confirm=" in html and "This opens a reason form." in html
    assert "<b>ACME</b>" in html and "✅" in html and "<script>x</script>" not in html
    assert 'href="https://example.com"' in html
    assert "http://" not in html.split("<body")[0] or "cdn" not in html.lower()
    assert "Dana Whitfield" in html  # the user picker


def test_ephemeral_messages_show_only_to_their_user(base_url, client, sandbox):
    dana, sam = user_id(sandbox, "dana"), user_id(sandbox, "sam")
    client.chat_postEphemeral(channel="#accounting", user=dana, text="Only for Dana")
    assert "Only for Dana" in httpx.get(f"{base_url}/", params={"as": dana}).text
    assert "Only for Dana" not in httpx.get(f"{base_url}/", params={"as": sam}).text


def test_state_endpoint_carries_fragments_and_the_open_modal(base_url, client, sandbox):
    dana = user_id(sandbox, "dana")
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Queue: 3"}}]}
    client.views_publish(user_id=dana, view=home)
    state = httpx.get(f"{base_url}/_sandbox/ui/state", params={"as": dana, "conversation": "app",
                                                               "tab": "home"}).json()
    assert "Queue: 3" in state["main"] and state["modal"] == "" and state["modal_key"] == ""
    assert '<div id="home" class="home" data-view-id="V' in state["main"]
    page = httpx.get(f"{base_url}/", params={"as": dana, "c": "app", "tab": "home"}).text
    assert '<div id="home" class="home" data-view-id="V' in page and "Queue: 3" in page
    trigger = sandbox.new_trigger(dana)
    client.views_open(trigger_id=trigger, view={
        "type": "modal", "title": {"type": "plain_text", "text": "Reject"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [{"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
                    "element": {"type": "plain_text_input", "action_id": "text"}}]})
    state = httpx.get(f"{base_url}/_sandbox/ui/state", params={"as": dana, "conversation": "accounting"}).json()
    assert 'data-action-id="text"' in state["modal"] and "data-modal-submit" in state["modal"]
    assert state["modal_key"]


def test_cli_defaults():
    args = parse_args([])
    assert (args.host, args.port, args.db, args.users) == ("127.0.0.1", 8083, None, "demo")
    assert args.app_url.endswith("/slack/events")

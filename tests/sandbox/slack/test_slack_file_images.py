"""Uploaded images: the page shows them inline (a message's file, and an image block naming a `slack_file`), and
image blocks refuse a `slack_file` Slack would refuse (not an image, not shared, both id and url, unknown)."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from slack_sdk.errors import SlackApiError

from tests.sandbox.slack.conftest import channel_id, user_id


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "#2f7ed8").save(out, format="PNG")
    return out.getvalue()


def _image_block(ref: dict) -> dict:
    return {"type": "image", "slack_file": ref, "alt_text": "the week", "block_id": "pic"}


def test_a_shared_image_shows_inline_and_in_an_image_block(base_url, client, sandbox):
    dana = user_id(sandbox, "dana")
    resp = client.files_upload_v2(channel=channel_id(sandbox, "accounting"), content=_png(), filename="week.png",
                                  title="Week", alt_txt="Bar chart", initial_comment="Figures: $1.01")
    file = resp["file"]
    assert file["mimetype"] == "image/png" and file["filetype"] == "png"
    info = client.files_info(file=file["id"])["file"]
    assert info["channels"] == [channel_id(sandbox, "accounting")] and info["shares"]["public"]
    page = httpx.get(f"{base_url}/", params={"as": dana, "c": "accounting"}).text
    assert f'<img class="file-image" src="/_sandbox/files/{file["id"]}" alt="Bar chart">' in page
    assert "Figures: $1.01" in page
    served = httpx.get(f"{base_url}/_sandbox/files/{file['id']}")
    assert served.headers["content-type"] == "image/png" and Image.open(io.BytesIO(served.content)).size == (40, 20)

    for ref in ({"id": file["id"]}, {"url": info["url_private"]}, {"url": info["permalink"]}):
        client.views_publish(user_id=dana, view={"type": "home", "blocks": [_image_block(ref)]})
        home = httpx.get(f"{base_url}/", params={"as": dana, "c": "app", "tab": "home"}).text
        assert f'<img class="slack-file" src="/_sandbox/files/{file["id"]}"' in home
    posted = client.chat_postMessage(channel="#accounting", text="again", blocks=[_image_block({"id": file["id"]})])
    assert posted["ok"]


def test_slack_file_refusals_as_slack_words_them(client, sandbox):
    dana = user_id(sandbox, "dana")
    unshared = client.files_upload_v2(content=_png(), filename="mine.png", title="Mine")["file"]  # no channel
    pdf = client.files_upload_v2(channel=channel_id(sandbox, "accounting"), content=b"%PDF-1.4",
                                 filename="a.pdf", title="A")["file"]
    cases = [({"id": unshared["id"]}, "invalid slack file [json-pointer:/view/blocks/0/slack_file]"),
             ({"id": pdf["id"]}, "invalid slack file [json-pointer:/view/blocks/0/slack_file]"),
             ({"id": "F0NOPE0000"}, "invalid slack file [json-pointer:/view/blocks/0/slack_file]"),
             ({"id": pdf["id"], "url": pdf["url_private"]},
              "must provide exactly one of id or url [json-pointer:/view/blocks/0/slack_file]")]
    for ref, said in cases:
        with pytest.raises(SlackApiError) as info:
            client.views_publish(user_id=dana, view={"type": "home", "blocks": [_image_block(ref)]})
        assert info.value.response["error"] == "invalid_arguments"
        assert info.value.response["response_metadata"]["messages"] == [f"[ERROR] {said}"], ref
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="#accounting", text="x", blocks=[_image_block({"id": unshared["id"]})])
    assert info.value.response["errors"] == ["invalid slack file [json-pointer:/blocks/0/slack_file]"]

"""Image blocks that show an uploaded Slack file (`"slack_file": {"id": …}` or `{"url": …}`).

Slack's rules (https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object): the file must be
an image (png, jpg, jpeg or gif), given by either its id or its `url_private` / `permalink` (not both), and the
poster must have access to it. A file uploaded without being shared anywhere is only the uploader's, and Slack
refuses it with `invalid slack file [json-pointer:…/slack_file]` (python-slack-sdk / bolt-python #1251).
"""

from __future__ import annotations

IMAGE_TYPES = {"png", "jpg", "jpeg", "gif"}


def _refs(blocks, base: str):
    """(pointer, slack_file object) of each image block and image element in `blocks`."""
    for i, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict):
            continue
        ptr = f"{base}/{i}"
        if block.get("type") == "image" and "slack_file" in block:
            yield ptr + "/slack_file", block["slack_file"]
        for key, el in (("accessory", block.get("accessory")),
                        *((f"elements/{j}", e) for j, e in enumerate(block.get("elements") or []))):
            if isinstance(el, dict) and el.get("type") == "image" and "slack_file" in el:
                yield f"{ptr}/{key}/slack_file", el["slack_file"]


def shape_problems(obj, ptr: str) -> list[str]:
    """Exactly one of `id` / `url`, a string."""
    if not isinstance(obj, dict):
        return [f"must provide an object [json-pointer:{ptr}]"]
    given = [k for k in ("id", "url") if k in obj]
    if len(given) != 1 or not isinstance(obj[given[0]], str) or not obj[given[0]]:
        return [f"must provide exactly one of id or url [json-pointer:{ptr}]"]
    return []


def find(sandbox, obj: dict) -> dict | None:
    """The completed file object an id or url names, if any."""
    if "id" in obj:
        found = sandbox.store.file(obj["id"])
        return (found[0].get("object") if found else None)
    file_id = file_id_of(str(obj.get("url", "")))
    found = sandbox.store.file(file_id) if file_id else None
    meta = found[0].get("object") if found else None
    return meta if meta and obj["url"] in (meta.get("url_private"), meta.get("permalink")) else None


def problems(sandbox, blocks, base: str) -> list[str]:
    """Slack's complaints about the slack_file images among `blocks` ([] when all are fine)."""
    out: list[str] = []
    for ptr, obj in _refs(blocks, base):
        shape = shape_problems(obj, ptr)
        if shape:
            out += shape
            continue
        meta = find(sandbox, obj)
        shared = meta is not None and (meta.get("channels") or meta.get("groups") or meta.get("ims"))
        if meta is None or not shared or meta.get("filetype") not in IMAGE_TYPES:
            out.append(f"invalid slack file [json-pointer:{ptr}]")
    return out


def file_id_of(url: str) -> str | None:
    """The file id in a `url_private` (…/files-pri/T…-F…/name) or `permalink` (…/files/U…/F…/name)."""
    for part in url.replace("-", "/").split("/"):
        if len(part) > 1 and part[0] == "F" and part.isupper() and part.isalnum():
            return part
    return None

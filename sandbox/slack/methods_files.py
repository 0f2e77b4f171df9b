"""files.getUploadURLExternal + files.completeUploadExternal (the v2 upload slack_sdk's `files_upload_v2` uses).

Step 1 returns an `upload_url` on this sandbox, step 2 POSTs the bytes there (raw or multipart), step 3 shares
the file into a channel as a message from the bot.
https://docs.slack.dev/messaging/working-with-files#upload
"""

from __future__ import annotations

import mimetypes
import time

from sandbox.slack import ids
from sandbox.slack.api import ApiError, Args, method

PRETTY = {"pdf": "PDF", "text": "Plain Text", "csv": "CSV", "png": "PNG", "jpg": "JPEG", "json": "JSON",
          "xlsx": "Excel Spreadsheet", "zip": "Zip"}


def file_object(sandbox, file_id: str, name: str, title: str, size: int) -> dict:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
    filetype = {"txt": "text", "jpeg": "jpg"}.get(ext, ext)
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    base = sandbox.base_url()
    now = int(time.time())
    return {"id": file_id, "created": now, "timestamp": now, "name": name, "title": title or name,
            "mimetype": mimetype, "filetype": filetype, "pretty_type": PRETTY.get(filetype, filetype.upper()),
            "user": sandbox.ws.bot_user_id, "user_team": sandbox.ws.team_id, "editable": False, "size": size,
            "mode": "hosted", "is_external": False, "external_type": "", "is_public": False,
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": f"{base}/files-pri/{sandbox.ws.team_id}-{file_id}/{name}",
            "url_private_download": f"{base}/files-pri/{sandbox.ws.team_id}-{file_id}/download/{name}",
            "permalink": f"{sandbox.ws.url}files/{sandbox.ws.bot_user_id}/{file_id}/{name}",
            "permalink_public": f"https://slack-files.com/{sandbox.ws.team_id}-{file_id}-{ids.short_id(10)}",
            "comments_count": 0, "is_starred": False, "shares": {}, "channels": [], "groups": [], "ims": [],
            "has_more_shares": False, "has_rich_preview": False, "file_access": "visible"}


@method("files.getUploadURLExternal")
def get_upload_url(sandbox, args: Args) -> dict:
    filename = args.str("filename")
    try:
        length = int(args.get("length"))
    except (TypeError, ValueError):
        length = -1
    if not filename or length < 0:
        raise ApiError("invalid_arguments", response_metadata={"messages": [
            "[ERROR] missing required field: " + ("filename" if not filename else "length")]})
    file_id = ids.object_id("F")
    meta = {"id": file_id, "name": filename, "declared_length": length, "alt_txt": args.str("alt_txt"),
            "upload_key": ids.hook_secret()}
    sandbox.store.put_file(meta)
    return {"upload_url": f"{sandbox.base_url()}/upload/v1/{file_id}.{meta['upload_key']}", "file_id": file_id}


@method("files.completeUploadExternal")
def complete_upload(sandbox, args: Args) -> dict:
    wanted = args.json("files")
    if not isinstance(wanted, list) or not wanted:
        raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: files"]})
    channel_ref = args.str("channel_id") or (args.str("channels") or "").split(",")[0] or None
    conv = None
    if channel_ref:
        conv = sandbox.resolve_channel(channel_ref)
        if conv is None or not sandbox.bot_can_see(conv):
            raise ApiError("channel_not_found")
        if not conv.get("is_im") and not sandbox.bot_is_member(conv):
            raise ApiError("not_in_channel")
    done = []
    for item in wanted:
        found = sandbox.store.file(str((item or {}).get("id")))
        if found is None or found[1] is None:
            raise ApiError("file_not_found")
        meta, content = found
        obj = file_object(sandbox, meta["id"], meta["name"], item.get("title") or meta["name"], len(content))
        if meta.get("alt_txt"):
            obj["alt_txt"] = meta["alt_txt"]
        done.append((meta, obj))
    msg = None
    if conv is not None:
        msg = sandbox.bot_message(text=args.str("initial_comment") or "", files=[o for _, o in done], upload=True,
                                  display_as_bot=False)
        thread_ts = args.str("thread_ts")
        if thread_ts:
            msg["thread_ts"] = thread_ts
        for _, obj in done:  # shared: where it is, as files.info tells (and who may see it in an image block)
            kind = "ims" if conv.get("is_im") else "groups" if conv.get("is_private") else "channels"
            obj[kind] = [conv["id"]]
            obj["shares"] = {"private" if kind != "channels" else "public": {conv["id"]: [{
                "ts": msg["ts"], "channel_name": conv.get("name", ""), "team_id": sandbox.ws.team_id}]}}
        msg["files"] = [o for _, o in done]
    for meta, obj in done:
        sandbox.store.put_file({**meta, "object": obj})
    if msg is not None:
        sandbox.store.add_message(conv["id"], msg)
    return {"files": [{"id": f["id"], "title": f["title"]} | f for _, f in done]}


@method("files.info")
def files_info(sandbox, args: Args) -> dict:
    found = sandbox.store.file(args.str("file") or "")
    if found is None or "object" not in found[0]:
        raise ApiError("file_not_found")
    return {"file": found[0]["object"], "comments": [], "response_metadata": {"next_cursor": ""}}

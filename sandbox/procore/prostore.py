"""Files attached to records, as Procore serves them: each attachment on a record is `{"id", "name", "filename",
"url", "content_type", "size"}`, and `url` is a signed link to Procore's file store (no bearer token: the
signature is the permission) that answers with the bytes.

- `POST /_sandbox/requisitions/<id>/attachments` `{"name", "content_type"?, "content_b64"?, "size"?}` adds one to
  a subcontractor invoice, as a Procore user does on its page: the bytes given, or `size` bytes of a repeating
  pattern (big files without holding them: they are made while they are served) -> the attachment
- `PATCH /rest/v1.x/requisitions/<id>` as multipart/form-data (Procore's way to upload): `requisition[<field>]`
  form fields and `attachments[]` files add to the invoice's attachments (resources/requisitions.py)
- `GET /prostore/files/<file_id>/<name>?sig=` -> the bytes, streamed in 64 KB chunks (404 for a wrong signature)
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request

from . import errors
from .errors import json_response
from .state import current
from .store import Record

bp = Blueprint("procore_prostore", __name__)
FILES = "prostore_files"
CHUNK = 64 * 1024
PATTERN = bytes(range(256)) * (CHUNK // 256)


def public(attachment: Record) -> dict[str, Any]:
    """An attachment as a record's `attachments` list shows it, with a signed URL on this host."""
    url = (f"{request.host_url.rstrip('/')}/prostore/files/{attachment['file_id']}/{quote(attachment['name'])}"
           f"?sig={attachment['sig']}")
    return {"id": attachment["id"], "name": attachment["name"], "filename": attachment["name"], "url": url,
            "content_type": attachment.get("content_type"), "size": attachment.get("size")}


def add(req_id: int, name: str, content_type: str | None, data: bytes | None, size: int = 0) -> Record:
    """Attach a file to a requisition: `data`, or `size` pattern bytes made as they are served."""
    store = current().store
    req = store.get("requisitions", req_id) or {}
    file = store.insert(FILES, {"data": base64.b64encode(data).decode() if data is not None else None,
                                "size": len(data) if data is not None else size}, emit=False)
    attachment = {"id": store.new_id(), "file_id": file["id"], "name": name, "size": file["size"],
                  "content_type": content_type or "application/octet-stream", "sig": secrets.token_urlsafe(12)}
    store.update("requisitions", req_id, {"attachments": [*(req.get("attachments") or []), attachment]})
    return attachment


@bp.post("/_sandbox/requisitions/<int:req_id>/attachments")
def attach(req_id: int):
    if current().store.get("requisitions", req_id) is None:
        raise errors.not_found("Requisition")
    body = request.get_json(silent=True) or {}
    if not body.get("name"):
        raise errors.missing_param("name")
    try:
        data = base64.b64decode(body["content_b64"]) if body.get("content_b64") is not None else None
    except (binascii.Error, ValueError):
        raise errors.missing_param("content_b64") from None
    attachment = add(req_id, body["name"], body.get("content_type"), data, int(body.get("size") or 0))
    return json_response(public(attachment), 201)


def _pattern(size: int) -> Iterator[bytes]:
    while size > 0:
        chunk = PATTERN[:size]
        size -= len(chunk)
        yield chunk


@bp.get("/prostore/files/<int:file_id>/<path:name>")
def serve(file_id: int, name: str):
    store = current().store
    owner = next((a for r in store.all("requisitions") for a in r.get("attachments") or []
                  if a["file_id"] == file_id), None)
    file = store.get(FILES, file_id)
    if owner is None or file is None or request.args.get("sig") != owner["sig"]:
        return Response("Not Found", status=404, content_type="text/plain")
    headers = {"Content-Length": str(file["size"]), "Content-Disposition": f'attachment; filename="{owner["name"]}"'}
    body = [base64.b64decode(file["data"])] if file.get("data") is not None else _pattern(file["size"])
    return Response(body, content_type=owner.get("content_type"), headers=headers)

"""POST /upload: multipart attachments (file_metadata_NN JSON + file_content_NN bytes), as Intuit takes them.

The parser is deliberately lenient about line endings and honours `Content-Transfer-Encoding: base64`, because
python-quickbooks sends a hand-built body with bare LF line breaks and base64-encoded content.

Like QuickBooks, an upload is refused (a Fault inside the 200 answer, per file) when the file is larger than
100 MB (`upload_max_bytes` in /_sandbox/config lowers it for tests) or is not one of the types QuickBooks
accepts as an attachment (documents, spreadsheets, images, text; judged by the file name's extension).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets

from flask import Response, request

from . import faults
from . import transactions as txn
from .entities import Ctx, clean
from .oauth import base_url
from .service import Events, commit, new_id, stamp
from .state import Sandbox, envelope, sandbox

_DISPOSITION = re.compile(r'(\w+)="([^"]*)"')
MAX_BYTES = 100 * 1024 * 1024
#: the file types QuickBooks Online takes as attachments (its help: "supported file types for attachments")
EXTENSIONS = frozenset({"ai", "csv", "doc", "docx", "eps", "gif", "jpeg", "jpg", "ods", "pages", "pdf", "png",
                        "rtf", "tif", "tiff", "txt", "xls", "xlsx", "xml"})


def configure(sb: Sandbox, body: dict) -> None:
    """/_sandbox/config: `upload_max_bytes` (null restores QuickBooks' 100 MB)."""
    if "upload_max_bytes" in body:
        sb.upload_max_bytes = int(body["upload_max_bytes"] or MAX_BYTES)


def _refusal(name: str, size: int) -> faults.QboFault | None:
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        return faults.QboFault("6030", "Unsupported file type",
                               f"The file type of {name} is not supported for attachments", "FileName")
    limit = sandbox().upload_max_bytes
    if size > limit:
        return faults.QboFault("6050", "File size exceeds the limit",
                               f"{name} is {size} bytes; attachments may be at most {limit} bytes", "Size")
    return None


def parse_multipart(body: bytes, content_type: str) -> list[dict]:
    """Return parts as {"name", "filename", "content_type", "data"}."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not match:
        raise faults.QboFault("6020", "Content length missing in request", "Invalid multipart request: no boundary")
    delimiter = b"--" + match.group(1).encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.partition(b"\n\n")
        headers = {}
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        data = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            try:
                data = base64.b64decode(b"".join(data.split()))
            except (binascii.Error, ValueError):
                raise faults.invalid_property("file content is not valid base64") from None
        fields = dict(_DISPOSITION.findall(headers.get("content-disposition", "")))
        parts.append({"name": fields.get("name", ""), "filename": fields.get("filename"),
                      "content_type": headers.get("content-type", "application/octet-stream"), "data": data})
    return parts


def _one(ctx: Ctx, realm_id: str, meta: dict, content: dict | None, events: Events) -> dict:
    data = clean(meta)
    for key in ("Id", "SyncToken", "MetaData", "domain", "sparse"):
        data.pop(key, None)
    if content is not None:
        data["FileName"] = data.get("FileName") or content["filename"] or "attachment"
        data["ContentType"] = data.get("ContentType") or content["content_type"]
        data["Size"] = len(content["data"])
        refused = _refusal(data["FileName"], data["Size"])
        if refused is not None:
            raise refused
    ctx.create = True
    obj = txn.prepare_attachable(ctx, data, None)
    obj["Id"] = new_id(ctx, "Attachable")
    obj["SyncToken"] = "0"
    if content is not None:
        key = f"{realm_id}:{obj['Id']}"
        secret = secrets.token_urlsafe(16)
        ctx.store.kv_put("file", key, {"data": base64.b64encode(content["data"]).decode(), "secret": secret,
                                       "content_type": obj["ContentType"]})
        obj["FileAccessUri"] = f"/v3/company/{realm_id}/download/{obj['Id']}"
        obj["TempDownloadUri"] = f"{base_url()}/_sandbox/files/{realm_id}/{obj['Id']}?token={secret}"
    stamp(ctx, obj, None)
    return commit(ctx, "Attachable", obj, events, "Create")


def upload_work(realm_id: str):
    def work(ctx: Ctx, events: Events) -> Response:
        parts = parse_multipart(request.get_data(), request.headers.get("Content-Type", ""))
        by_suffix: dict[str, dict[str, dict]] = {}
        for part in parts:
            kind, _, suffix = part["name"].rpartition("_")
            if kind in ("file_metadata", "file_content"):
                by_suffix.setdefault(suffix, {})[kind] = part
        results = []
        for suffix in sorted(by_suffix):
            pair = by_suffix[suffix]
            try:
                meta = json.loads(pair["file_metadata"]["data"] or b"{}") if "file_metadata" in pair else {}
                meta = meta.get("Attachable", meta) if isinstance(meta, dict) else {}
                if "file_content" not in pair:
                    raise faults.required("file_content_" + suffix)
                results.append({"Attachable": _one(ctx, realm_id, meta, pair.get("file_content"), events)})
            except json.JSONDecodeError:
                results.append({"Fault": faults.QboFault("6040", "The file metadata must be of Attachable type",
                                                         "The file metadata submitted is not valid JSON").fault()})
            except faults.QboFault as fault:
                results.append({"Fault": fault.fault()})
        if not results:
            results.append({"Fault": faults.required("file_content_01").fault()})
        return envelope({"AttachableResponse": results})  # errors ride inside, still HTTP 200

    return work


def serve_file(store, realm_id: str, oid: str, token: str) -> Response:
    record = store.kv_get("file", f"{realm_id}:{oid}")
    if record is None or token != record["secret"]:
        return Response("Not Found", status=404, content_type="text/plain")
    return Response(base64.b64decode(record["data"]), content_type=record["content_type"])

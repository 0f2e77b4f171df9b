"""Helpers every resource module uses: list filters, origin-id uniqueness, request objects, sync actions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import request

from .. import errors
from ..paging import paginate
from ..state import current
from ..store import Record


def page(records: list[Record], serialize: Callable[[Record], Any]):
    return paginate(records, serialize, current().config["paging"])


def require_object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise errors.missing_param(key)
    return value


def pick(raw: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    return {k: raw[k] for k in allowed if k in raw}


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def origin_taken(table: str, company_id: int, origin_id: Any, exclude_id: int | None = None) -> bool:
    """Procore keeps `origin_id` unique per resource type within a company."""
    if blank(origin_id):
        return False
    return any(r["id"] != exclude_id
               for r in current().store.find(table, company_id=company_id, origin_id=str(origin_id)))


def _filter_values(name: str) -> list[str]:
    values = request.args.getlist(f"filters[{name}][]") + request.args.getlist(f"filters[{name}]")
    out: list[str] = []
    for value in values:
        out += [v for v in value.split(",") if v != ""]
    return out


def _in_range(stamp: str | None, spec: str) -> bool:
    if not stamp or "..." not in spec:
        return True
    low, high = spec.split("...", 1)
    moment = _parse(stamp)
    return (not low or moment >= _parse(low)) and (not high or moment <= _parse(high, end=True))


def _parse(text: str, end: bool = False) -> datetime:
    text = text.strip()
    if len(text) == 10:
        text += "T23:59:59Z" if end else "T00:00:00Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def filtered(records: list[Record], search_fields: tuple[str, ...] = ("name",)) -> list[Record]:
    """Apply the `filters[...]` Procore list actions share: id, origin_id, status, search, created/updated_at."""
    ids = _filter_values("id")
    if ids:
        wanted = {int(i) for i in ids if i.lstrip("-").isdigit()}
        records = [r for r in records if r["id"] in wanted]
    origin = request.args.get("filters[origin_id]")
    if origin is not None:
        records = [r for r in records if r.get("origin_id") == origin]
    statuses = {s.lower() for s in _filter_values("status")}
    if statuses:
        records = [r for r in records if str(r.get("status", "")).lower() in statuses]
    search = request.args.get("filters[search]") or request.args.get("filters[name]")
    if search:
        needle = search.lower()
        records = [r for r in records if any(needle in str(r.get(f) or "").lower() for f in search_fields)]
    for stamp in ("created_at", "updated_at"):
        spec = request.args.get(f"filters[{stamp}]")
        if spec:
            records = [r for r in records if _in_range(r.get(stamp), spec)]
    return records


def sync_action(updates: Any, apply_one: Callable[[dict[str, Any]], Record], serialize: Callable[[Record], Any]):
    """Run a Procore sync action: always 200, `entities` for successes, `errors` echoing failed input.

    `apply_one` creates or updates one record and raises `errors.ApiError` with a field-errors body on failure
    (https://developers.procore.com/documentation/using-sync-actions).
    """
    if not isinstance(updates, list):
        raise errors.missing_param("updates")
    if len(updates) > 1000:
        raise errors.ApiError(413, {"errors": "A maximum of 1000 updates may be sent in one sync request"})
    entities, failures = [], []
    for raw in updates:
        if not isinstance(raw, dict):
            failures.append({"errors": {"base": ["must be an object"]}})
            continue
        try:
            entities.append(serialize(apply_one(raw)))
        except errors.ApiError as exc:
            problems = exc.body.get("errors") if isinstance(exc.body, dict) else None
            if not isinstance(problems, dict):
                problems = {"base": [str(problems or exc.body)]}
            failures.append(dict(raw, errors=problems))
    return errors.json_response({"entities": entities, "errors": failures})


def sync_target(table: str, raw: dict[str, Any], company_id: int, in_scope: Callable[[Record], bool]) -> Record | None:
    """The record a sync row addresses: by `id` (must exist) else by `origin_id` (may not), else none."""
    store = current().store
    if raw.get("id") not in (None, ""):
        record = store.get(table, raw["id"])
        if record is None or not in_scope(record):
            raise errors.invalid({"id": ["Entity with this ID not found"]})
        return record
    if not blank(raw.get("origin_id")):
        for record in store.all(table):
            if record.get("company_id") == company_id and record.get("origin_id") == str(raw["origin_id"]) \
                    and in_scope(record):
                return record
    return None

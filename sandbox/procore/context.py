"""Who is calling and into which company: bearer-token checks, the `Procore-Company-Id` header, scoping.

Order of checks on `/rest/...` (as Procore does it): a missing, unknown or expired bearer token is 401;
a missing `Procore-Company-Id` header is 400; a company the token cannot see is 403 ("App is not
connected to this company."); a record outside that company or project is 404, never 403.
"""

from __future__ import annotations

from typing import Any

from flask import g, request

from . import errors
from .state import current
from .store import Record

# Calls Procore serves without the company header (https://developers.procore.com/documentation/tutorial-mpz).
HEADER_EXEMPT = {("GET", "/rest/v1.0/companies"), ("GET", "/rest/v1.0/me"), ("GET", "/rest/v1.1/me")}


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def find_token(access_token: str | None) -> Record | None:
    if not access_token:
        return None
    return current().store.first("oauth_tokens", access_token=access_token)


def authenticate() -> None:
    """Set `g.token`, `g.user_id` and `g.company` for an API request, or raise the right error."""
    sandbox = current()
    token = find_token(bearer())
    if token is None:
        raise errors.unauthorized(errors.INVALID_TOKEN)
    if token.get("revoked"):
        raise errors.unauthorized(errors.REVOKED_TOKEN)
    if token["expires_at"] <= sandbox.clock.now():
        raise errors.unauthorized(errors.EXPIRED_TOKEN)
    g.token = token
    g.user_id = token.get("user_id")
    g.company = None
    raw = request.headers.get("Procore-Company-Id")
    if raw is None or not raw.strip():
        if (request.method, request.path.rstrip("/")) in HEADER_EXEMPT:
            return
        raise errors.bad_request(errors.MISSING_COMPANY_HEADER)
    g.company = visible_company(raw)


def visible_company_ids(token: Record) -> set[int]:
    store = current().store
    companies = {c["id"]: c for c in store.all("companies")}
    if token.get("company_ids") is not None:
        return {int(c) for c in token["company_ids"] if int(c) in companies}
    ids = {cid for cid, c in companies.items() if c.get("app_connected", True)}
    if token.get("user_id") is not None:
        user = store.get("users", token["user_id"])
        if user is not None and user.get("company_ids") is not None:
            ids &= {int(c) for c in user["company_ids"]}
    return ids


def visible_company(raw: Any) -> Record:
    """The company `raw` names, if this token may act in it; 403 otherwise."""
    try:
        company_id = int(raw)
    except (TypeError, ValueError):
        raise errors.forbidden(errors.NOT_CONNECTED) from None
    if company_id not in visible_company_ids(g.token):
        raise errors.forbidden(errors.NOT_CONNECTED)
    return current().store.get("companies", company_id)


def json_body() -> dict[str, Any]:
    if not request.data:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise errors.bad_request("Request body must be a JSON object")
    return body


def param(name: str, body: dict[str, Any] | None = None) -> Any:
    """A parameter from the query string, else from the JSON body (Procore accepts both for ids)."""
    value = request.args.get(name)
    if value in (None, "") and body is not None:
        value = body.get(name)
    return value


def company_param(body: dict[str, Any] | None = None, name: str = "company_id") -> Record:
    raw = param(name, body)
    if raw in (None, ""):
        raise errors.missing_param(name)
    return visible_company(raw)


def project_param(body: dict[str, Any] | None = None, raw: Any = None, required: bool = True) -> Record | None:
    """The project named by `project_id` (or `raw`), which must belong to the header's company."""
    if raw is None:
        raw = param("project_id", body)
    if raw in (None, ""):
        if required:
            raise errors.missing_param("project_id")
        return None
    project = current().store.get("projects", raw)
    if project is None or g.company is None or project["company_id"] != g.company["id"]:
        raise errors.not_found("Project")
    return project


def in_project(table: str, rid: Any, project: Record, what: str) -> Record:
    record = current().store.get(table, rid)
    if record is None or record.get("project_id") != project["id"]:
        raise errors.not_found(what)
    return record


def in_company(table: str, rid: Any, company: Record, what: str) -> Record:
    record = current().store.get(table, rid)
    if record is None or record.get("company_id") != company["id"]:
        raise errors.not_found(what)
    return record


def actor() -> int | None:
    return getattr(g, "user_id", None)

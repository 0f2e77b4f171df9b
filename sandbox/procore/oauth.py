"""OAuth 2.0 as Procore's login service (Doorkeeper) does it: `/oauth/authorize`, `/oauth/token`, info, revoke.

- `client_credentials` (a DMSA service account): access token only, no refresh token; ask again when it expires.
- `authorization_code`: codes from `/oauth/authorize` (auto-consented here) are single-use and live 10 minutes.
- `refresh_token`: single-use. Using one revokes it together with its access token and returns a new pair;
  using it again is `invalid_grant` (https://developers.procore.com/documentation/oauth-endpoints).
Any client id/secret pair is accepted. Access tokens live `expires_in` seconds (5400) on the sandbox clock.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request

from .context import bearer, find_token
from .errors import json_response
from .state import current
from .store import Record

bp = Blueprint("procore_oauth", __name__)

OOB = "urn:ietf:wg:oauth:2.0:oob"
INVALID_GRANT = ("The provided authorization grant is invalid, expired, revoked, does not match the redirection "
                 "URI used in the authorization request, or was issued to another client.")
INVALID_CLIENT = ("Client authentication failed due to unknown client, no client authentication included, "
                  "or unsupported authentication method.")
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server."


def _oauth_error(error: str, description: str, status: int) -> Response:
    response = json_response({"error": error, "error_description": description}, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def issue_token(user_id: int | None, company_ids: list[int] | None, client_id: str | None, grant: str,
                with_refresh: bool = True, expires_in: int | None = None) -> tuple[Record, dict[str, Any]]:
    """Store a new access token (and refresh token) and return it with its token-endpoint JSON."""
    sandbox = current()
    expires_in = int(expires_in or sandbox.config["tokens"]["expires_in"])
    created = int(sandbox.clock.now())
    token = sandbox.store.insert("oauth_tokens", {
        "access_token": secrets.token_hex(32), "refresh_token": secrets.token_hex(32) if with_refresh else None,
        "expires_at": created + expires_in, "issued_at": created, "user_id": user_id,
        "company_ids": company_ids, "client_id": client_id, "grant": grant, "revoked": False, "refresh_used": False,
    }, emit=False)
    body: dict[str, Any] = {"access_token": token["access_token"], "token_type": "bearer", "expires_in": expires_in}
    if with_refresh:
        body["refresh_token"] = token["refresh_token"]
    body["created_at"] = created
    return token, body


def _client_credentials() -> tuple[str | None, str | None]:
    client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None
    return client_id, secret


def service_account(client_id: str) -> Record:
    """The DMSA user behind a client-credentials app (one per client id, sees every connected company)."""
    store = current().store
    user = store.first("users", service_account_client_id=client_id)
    if user is None:
        user = store.insert("users", {
            "service_account_client_id": client_id, "first_name": "Sandbox", "last_name": "Service Account",
            "email_address": f"dmsa+{client_id[:12]}@sandbox.procore.invalid", "company_ids": None,
            "is_active": True, "is_employee": False, "job_title": "Developer Managed Service Account",
        }, emit=False)
    return user


def default_user() -> Record | None:
    users = [u for u in current().store.all("users") if u.get("company_ids") and u.get("is_active", True)]
    return users[0] if users else None


@bp.post("/oauth/token")
def token():
    sandbox = current()
    store = sandbox.store
    form = request.form if request.form else (request.get_json(silent=True) or {})
    grant = form.get("grant_type")
    client_id, secret = _client_credentials()
    client_id = client_id or form.get("client_id")
    secret = secret or form.get("client_secret")
    if grant == "client_credentials":
        if not client_id or not secret:
            return _oauth_error("invalid_client", INVALID_CLIENT, 401)
        user = service_account(client_id)
        return json_response(issue_token(user["id"], None, client_id, grant, with_refresh=False)[1])
    if grant == "authorization_code":
        code = store.first("oauth_codes", code=form.get("code"))
        if (code is None or code["used"] or code["expires_at"] <= sandbox.clock.now()
                or (code.get("redirect_uri") and form.get("redirect_uri") != code["redirect_uri"])):
            return _oauth_error("invalid_grant", INVALID_GRANT, 400)
        store.update("oauth_codes", code["id"], {"used": True}, emit=False)
        return json_response(issue_token(code["user_id"], None, client_id or code["client_id"], grant)[1])
    if grant == "refresh_token":
        with store.lock:  # single use, even when two refreshes race
            presented = form.get("refresh_token")
            old = store.first("oauth_tokens", refresh_token=presented) if presented else None
            if old is None or old["refresh_used"] or old["revoked"]:
                return _oauth_error("invalid_grant", INVALID_GRANT, 400)
            store.update("oauth_tokens", old["id"], {"refresh_used": True, "revoked": True}, emit=False)
        return json_response(issue_token(old["user_id"], old["company_ids"], old["client_id"], grant)[1])
    if not grant:
        return _oauth_error("invalid_request", "Missing required parameter: grant_type.", 400)
    return _oauth_error("unsupported_grant_type", UNSUPPORTED_GRANT, 400)


@bp.get("/oauth/authorize")
def authorize():
    """Auto-consent as the user named by `login` (an e-mail) or `user_id`, else the first seeded user."""
    sandbox = current()
    args = request.args
    redirect_uri = args.get("redirect_uri")
    if args.get("response_type") != "code" or not args.get("client_id") or not redirect_uri:
        return _oauth_error("invalid_request", "The request is missing a required parameter, includes an "
                            "unsupported parameter value, or is otherwise malformed.", 400)
    user = None
    if args.get("login"):
        user = sandbox.store.first("users", email_address=args["login"])
    elif args.get("user_id"):
        user = sandbox.store.get("users", args["user_id"])
    user = user or default_user()
    code = sandbox.store.insert("oauth_codes", {
        "code": secrets.token_hex(32), "client_id": args["client_id"], "redirect_uri": redirect_uri,
        "user_id": user["id"] if user else None, "used": False,
        "expires_at": sandbox.clock.now() + int(sandbox.config["tokens"]["code_ttl"]),
    }, emit=False)
    if redirect_uri == OOB:
        return redirect(f"/oauth/authorize/native?code={code['code']}", 302)
    params = {"code": code["code"]}
    if args.get("state") is not None:
        params["state"] = args["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{urlencode(params)}", 302)


@bp.get("/oauth/authorize/native")
def native():
    code = request.args.get("code", "")
    return Response(f"<html><body><h1>Authorization code</h1><code id='authorization_code'>{code}</code>"
                    "</body></html>", mimetype="text/html")


@bp.get("/oauth/token/info")
def token_info():
    sandbox = current()
    found = find_token(bearer())
    if found is None or found["revoked"] or found["expires_at"] <= sandbox.clock.now():
        return _oauth_error("invalid_token", "The access token is invalid", 401)
    return json_response({"resource_owner_id": found.get("user_id"), "scopes": [],
                          "expires_in_seconds": int(found["expires_at"] - sandbox.clock.now()),
                          "application": {"uid": found.get("client_id")}, "created_at": found["issued_at"]})


@bp.post("/oauth/revoke")
def revoke():
    store = current().store
    value = request.form.get("token") or (request.get_json(silent=True) or {}).get("token")
    if value:
        found = store.first("oauth_tokens", access_token=value) or store.first("oauth_tokens", refresh_token=value)
        if found is not None:
            store.update("oauth_tokens", found["id"], {"revoked": True, "refresh_used": True}, emit=False)
    return json_response({})

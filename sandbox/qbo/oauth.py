"""OAuth 2.0 / OpenID Connect like Intuit's: discovery document, auto-consenting authorize endpoint, token
endpoint (authorization_code and refresh_token grants, rotating refresh tokens), revoke, JWKS and userinfo.

`intuitlib.client.AuthClient(id, secret, redirect, environment="<base>/.well-known/openid-configuration")` works
against it unmodified: the library just GETs whatever URL `environment` is (plain http is fine for it).
Any client id/secret pair is accepted; the first authorisation of a client id creates a seeded company.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from urllib.parse import urlencode

from flask import Blueprint, redirect, request

from .state import Sandbox, json_response, sandbox

bp = Blueprint("qbo_oauth", __name__)


def base_url() -> str:
    return request.host_url.rstrip("/")


def _issuer() -> str:
    return f"{base_url()}/op/v1"


@bp.get("/.well-known/openid-configuration")
@bp.get("/.well-known/openid_sandbox_configuration")
def discovery():
    base = base_url()
    return json_response({
        "issuer": _issuer(), "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke", "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"]})


@bp.get("/op/v1/jwks")
def jwks():
    return json_response({"keys": [sandbox().key.jwk()]})


@bp.get("/connect/oauth2")
def authorize():
    """Auto-consent: redirect straight back with a single-use code, the state and the company id."""
    sb = sandbox()
    args = request.args
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    if not client_id or not redirect_uri:
        return json_response({"error": "invalid_request"}, 400)
    if args.get("response_type", "code") != "code":
        error = urlencode({"error": "unsupported_response_type", "state": args.get("state", "")})
        return redirect(f"{redirect_uri}?{error}")
    with sb.store.lock:
        realm_id = args.get("realm_id") or args.get("realmId")
        client = sb.store.kv_get("client", client_id)
        if realm_id:
            sb.new_realm(realm_id)
        elif client and sb.store.realm(client["realm_id"]):
            realm_id = client["realm_id"]
        else:
            realm_id = sb.new_realm().realm_id
        sb.store.kv_put("client", client_id, {"realm_id": realm_id})
        code = "AB" + secrets.token_urlsafe(36)
        sb.store.kv_put("code", code, {"client_id": client_id, "redirect_uri": redirect_uri, "realm_id": realm_id,
                                       "scope": args.get("scope", ""), "used": False,
                                       "expires_at": sb.clock.time() + sb.oauth.code_ttl})
    query = {"code": code, "state": args.get("state", ""), "realmId": realm_id}
    sep = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{sep}{urlencode(query)}", 302)


def _client_credentials() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return client_id if client_id and secret else None
    form = request.form
    return form.get("client_id") if form.get("client_id") and form.get("client_secret") else None


def _error(code: str, status: int = 400):
    return json_response({"error": code}, status)


def mint(sb: Sandbox, realm_id: str, client_id: str | None,
         scope: str = "com.intuit.quickbooks.accounting") -> dict:
    """Start a new grant and return a token response body (also used by /_sandbox/tokens)."""
    now = sb.clock.time()
    grant = uuid.uuid4().hex
    sb.store.kv_put("grant", grant, {"realm_id": realm_id, "client_id": client_id, "scope": scope,
                                     "created_at": now, "revoked": False})
    refresh = _new_refresh(sb, grant, now)
    return _token_body(sb, grant, refresh, now)


def _new_refresh(sb: Sandbox, grant: str, now: float) -> str:
    token = f"AB11{int(now)}{secrets.token_urlsafe(24)}"
    created = sb.store.kv_get("grant", grant)["created_at"]
    expires = min(now + sb.oauth.refresh_ttl, created + sb.oauth.max_lifetime)
    sb.store.kv_put("refresh", token, {"grant": grant, "issued_at": now, "expires_at": expires,
                                       "superseded_at": None, "successor": None})
    return token


def _token_body(sb: Sandbox, grant: str, refresh: str, now: float) -> dict:
    info = sb.store.kv_get("grant", grant)
    access = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
    sb.store.kv_put("access", access, {"grant": grant, "realm_id": info["realm_id"],
                                       "expires_at": now + sb.oauth.access_ttl})
    remaining = int(sb.store.kv_get("refresh", refresh)["expires_at"] - now)
    return {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
            "expires_in": sb.oauth.access_ttl, "x_refresh_token_expires_in": remaining}


@bp.post("/oauth2/v1/tokens/bearer")
def token():
    sb = sandbox()
    client_id = _client_credentials()
    if client_id is None:
        return _error("invalid_client", 401)
    grant_type = request.form.get("grant_type", "")
    now = sb.clock.time()
    with sb.store.lock:
        if grant_type == "authorization_code":
            code = sb.store.kv_get("code", request.form.get("code", ""))
            if (code is None or code["used"] or code["expires_at"] < now or code["client_id"] != client_id
                    or code["redirect_uri"] != request.form.get("redirect_uri", code["redirect_uri"])):
                return _error("invalid_grant")
            sb.store.kv_put("code", request.form["code"], {**code, "used": True})
            body = mint(sb, code["realm_id"], client_id, code["scope"])
            if "openid" in code["scope"].split():
                body["id_token"] = _id_token(sb, client_id, code["realm_id"])
            return json_response(body)
        if grant_type == "refresh_token":
            return _refresh(sb, client_id, request.form.get("refresh_token", ""), now)
    return _error("unsupported_grant_type")


def _refresh(sb: Sandbox, client_id: str, value: str, now: float):
    record = sb.store.kv_get("refresh", value)
    grant = sb.store.kv_get("grant", record["grant"]) if record else None
    # grants minted by /_sandbox/tokens without a client id accept any client (real grants belong to one app)
    if record is None or grant is None or grant["revoked"] or grant["client_id"] not in (None, client_id):
        return _error("invalid_grant")
    if record["expires_at"] <= now:
        return _error("invalid_grant")
    if record["superseded_at"] is not None:
        if now - record["superseded_at"] > sb.oauth.grace:
            return _error("invalid_grant")
        current = record["successor"]  # inside the grace period: hand out the newest again
        while sb.store.kv_get("refresh", current)["successor"]:
            current = sb.store.kv_get("refresh", current)["successor"]
        return json_response(_token_body(sb, record["grant"], current, now))
    if now - record["issued_at"] < sb.oauth.rotate_after:
        return json_response(_token_body(sb, record["grant"], value, now))
    newest = _new_refresh(sb, record["grant"], now)
    sb.store.kv_put("refresh", value, {**record, "superseded_at": now, "successor": newest})
    return json_response(_token_body(sb, record["grant"], newest, now))


def _id_token(sb: Sandbox, client_id: str, realm_id: str) -> str:
    now = int(time.time())  # real time: the client checks exp/iat against its own clock
    return sb.key.sign({"sub": str(uuid.uuid5(uuid.NAMESPACE_URL, client_id)), "aud": [client_id],
                        "realmid": realm_id, "auth_time": now, "iss": _issuer(), "exp": now + 3600, "iat": now})


@bp.post("/oauth2/v1/tokens/revoke")
def revoke():
    """Revoking either token of a connection disconnects it: every token of that grant stops working."""
    sb = sandbox()
    if _client_credentials() is None:
        return _error("invalid_client", 401)
    data = request.get_json(silent=True) or request.form
    value = (data or {}).get("token", "")
    if not value:
        return _error("invalid_request")
    with sb.store.lock:
        record = sb.store.kv_get("refresh", value) or sb.store.kv_get("access", value)
        if record is not None:
            grant = sb.store.kv_get("grant", record["grant"])
            sb.store.kv_put("grant", record["grant"], {**grant, "revoked": True})
    return "", 200


def check_access(sb: Sandbox, realm_id: str) -> tuple[int, str] | None:
    """None when the bearer token may call this realm; else (status, detail) for the gateway envelope."""
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.lower().startswith("bearer ") else ""
    record = sb.store.kv_get("access", value) if value else None
    if record is None:
        return 401, "Token invalid"
    grant = sb.store.kv_get("grant", record["grant"])
    if grant is None or grant["revoked"]:
        return 401, "Token revoked"
    if record["expires_at"] <= sb.clock.time():
        return 401, f"Token expired: {value[-40:]}"
    if record["realm_id"] != str(realm_id) or sb.store.realm(realm_id) is None:
        return 403, ""
    return None


@bp.get("/v1/openid_connect/userinfo")
def userinfo():
    sb = sandbox()
    header = request.headers.get("Authorization", "")
    record = sb.store.kv_get("access", header[7:].strip()) if header.lower().startswith("bearer ") else None
    if record is None or record["expires_at"] <= sb.clock.time():
        return _error("invalid_token", 401)
    return json_response({"sub": str(uuid.uuid5(uuid.NAMESPACE_URL, record["realm_id"])), "email": "admin@example.com",
                          "emailVerified": True, "givenName": "Sandbox", "familyName": "Admin",
                          "phoneNumber": "+1 5555550100", "phoneNumberVerified": False})

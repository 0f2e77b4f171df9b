"""Procore OAuth 2.0: authorize URL, code exchange, refresh (a `sync.tokens.Refresher`), client credentials, revoke.

Token endpoint `{PROCORE_LOGIN_URL}/oauth/token`, form fields; answer `{access_token, token_type, expires_in,
refresh_token, created_at}`. **Refresh tokens are single-use**: the answer to a refresh carries the next one and
the spent one is dead. `sync.tokens.TokenStore` serialises refreshes per connection (threads and processes) and
commits the new refresh token before the new access token is handed out; this module only talks to Procore.

Because a refresh token dies when Procore *receives* it, a refresh is resent only when the request surely never
arrived (connect failure) or a gateway answered 502/503/504 — never after a read timeout, which would spend a
token whose successor we never saw.

Client credentials (a Procore service account, "DMSA") have no refresh token: Procore says "just ask again".
Such a connection is stored with the marker `CLIENT_CREDENTIALS` in place of a refresh token; `refresh()` sees
it and asks for a new access token with the app's credentials, so the shared TokenStore (locking, encryption,
expiry margin, refresh-once-on-401) serves both kinds of connection unchanged.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from sync.http.tls import shared_context
from sync.procore._parse import decode_json
from sync.procore.errors import parse_error_body
from sync.tokens import InvalidGrant, TokenError, TokenRefreshFailed, TokenSet, TokenStore

logger = logging.getLogger(__name__)

PROVIDER = "procore"
#: stored in place of a refresh token for client-credentials connections (not a secret; stored encrypted anyway)
CLIENT_CREDENTIALS = "procore:client_credentials"


class ProcoreOAuthConfigError(TokenError):
    """PROCORE_CLIENT_ID / PROCORE_CLIENT_SECRET are missing, or Procore rejected them (invalid_client)."""


class _Unsent(TokenRefreshFailed):
    """Transient and safe to resend: the request never reached Procore's token service."""


class ProcoreOAuth:
    """One Procore app's OAuth calls. Thread-safe (one httpx.Client, no per-grant state)."""

    def __init__(self, *, login_url: str, client_id: str, client_secret: str, redirect_uri: str | None = None,
                 timeout: float = 15.0, attempts: int = 3, transport: httpx.BaseTransport | None = None) -> None:
        self.login_url = login_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.attempts = attempts
        self._http = httpx.Client(timeout=timeout, transport=transport, headers={"Accept": "application/json"},
                                  verify=shared_context())

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> ProcoreOAuth:
        missing = [name for name, value in (("PROCORE_CLIENT_ID", settings.procore_client_id),
                                            ("PROCORE_CLIENT_SECRET", settings.procore_client_secret)) if not value]
        if missing:
            raise ProcoreOAuthConfigError("Procore is not configured: set " + ", ".join(missing))
        kwargs.setdefault("redirect_uri", f"{settings.public_url.rstrip('/')}/procore/callback")
        return cls(login_url=settings.procore_login_url, client_id=settings.procore_client_id,
                   client_secret=settings.procore_client_secret.get_secret_value(), **kwargs)

    def __repr__(self) -> str:
        return f"ProcoreOAuth(client_id={self.client_id!r}, login_url={self.login_url!r})"

    def close(self) -> None:
        self._http.close()

    # -- the flows ---------------------------------------------------------------------------------------
    def authorization_url(self, *, state: str, redirect_uri: str | None = None) -> str:
        """Where to send the person's browser to consent; Procore redirects back with `code` and `state`."""
        query = {"response_type": "code", "client_id": self.client_id,
                 "redirect_uri": redirect_uri or self.redirect_uri, "state": state}
        return f"{self.login_url}/oauth/authorize?{urlencode(query)}"

    def exchange_code(self, *, code: str, redirect_uri: str | None = None) -> TokenSet:
        """Trade the callback's authorization code (single-use, 10 minutes) for tokens."""
        return self._token("code exchange", {"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": redirect_uri or self.redirect_uri})

    def refresh(self, refresh_token: str) -> TokenSet:
        """A `sync.tokens.Refresher`: spend the single-use `refresh_token`, return the new pair."""
        if refresh_token == CLIENT_CREDENTIALS:
            tokens = self.client_credentials()
            return TokenSet(access_token=tokens.access_token, refresh_token=CLIENT_CREDENTIALS,
                            access_expires_at=tokens.access_expires_at)
        return self._token("token refresh", {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def client_credentials(self) -> TokenSet:
        """A new access token for the app's service account (no refresh token; ask again when it expires)."""
        return self._token("client-credentials grant", {"grant_type": "client_credentials"})

    def revoke(self, *, token: str) -> None:
        """Revoke an access or refresh token (RFC 7009, `POST /oauth/revoke`): Procore drops the grant. A token that
        is already dead is not an error (the answer is 200 either way)."""
        try:
            response = self._http.post(f"{self.login_url}/oauth/revoke", data={
                "token": token, "client_id": self.client_id, "client_secret": self._client_secret})
        except httpx.TransportError as exc:
            raise TokenRefreshFailed(f"Procore revoke: no answer from {self.login_url} "
                                     f"({type(exc).__name__})") from None
        if response.is_error:
            raise TokenError(f"Procore revoke: HTTP {response.status_code}")

    # -- wiring into the token store -----------------------------------------------------------------------
    def register(self, store: TokenStore) -> None:
        store.register_refresher(PROVIDER, self.refresh)

    def connect_service_account(self, store: TokenStore, *, tenant_id: int, company_id: int) -> int:
        """Store a client-credentials connection for the tenant's company; returns the connection id."""
        tokens = self.client_credentials()
        self.register(store)
        return store.save(tenant_id=tenant_id, provider=PROVIDER, external_id=str(company_id),
                          tokens=TokenSet(access_token=tokens.access_token, refresh_token=CLIENT_CREDENTIALS,
                                          access_expires_at=tokens.access_expires_at))

    # -- one call to /oauth/token --------------------------------------------------------------------------
    def _token(self, what: str, form: dict[str, str | None]) -> TokenSet:
        data = {k: v for k, v in form.items() if v is not None}
        data.update(client_id=self.client_id, client_secret=self._client_secret)
        retrying = Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                            wait=wait_exponential_jitter(initial=0.5, max=5.0, jitter=0.5),
                            retry=retry_if_exception_type(_Unsent))
        return retrying(lambda: self._post(what, data))

    def _post(self, what: str, data: dict[str, str]) -> TokenSet:
        url = f"{self.login_url}/oauth/token"
        try:
            response = self._http.post(url, data=data)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Unsent(f"Procore {what}: could not reach {self.login_url} ({type(exc).__name__})") from None
        except httpx.TransportError as exc:  # the request may have arrived: do not spend the token twice
            raise TokenRefreshFailed(f"Procore {what}: no answer from {self.login_url} "
                                     f"({type(exc).__name__})") from None
        if response.status_code in (502, 503, 504):
            raise _Unsent(f"Procore {what}: HTTP {response.status_code} from {self.login_url}")
        if response.is_error:
            message, _ = parse_error_body(response.content, response.headers.get("content-type", ""))
            low = message.lower()
            if "invalid_grant" in low:
                raise InvalidGrant(f"Procore answered {message} to the {what}")
            if "invalid_client" in low or "unauthorized_client" in low:
                raise ProcoreOAuthConfigError(f"Procore rejected the app's credentials during the {what} "
                                              "(check PROCORE_CLIENT_ID / PROCORE_CLIENT_SECRET)")
            if response.status_code >= 500:
                raise TokenRefreshFailed(f"Procore {what}: HTTP {response.status_code}")
            raise TokenError(f"Procore {what}: HTTP {response.status_code} ({message})")
        body = decode_json(response.content)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise TokenError(f"Procore {what}: the token response carried no access_token")
        return TokenSet.from_expires_in(access_token=str(body["access_token"]),
                                        refresh_token=body.get("refresh_token") or None,
                                        expires_in=body.get("expires_in"))

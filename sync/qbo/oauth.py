"""QBO OAuth 2.0 through Intuit's own library, ``intuit-oauth`` (`intuitlib.client.AuthClient`).

``AuthClient(environment=...)`` loads an OpenID discovery document in its constructor: ``sandbox`` and
``production`` map to Intuit's URLs, anything else is used as the document's URL. intuitlib fetches it (and calls the
token/revoke endpoints it names) with plain `requests` and no scheme check, so the local QBO sandbox's
``http://127.0.0.1:PORT/.well-known/openid-configuration`` works unmodified — nothing is patched.

What we add, by subclassing rather than patching: a **timeout** on every HTTP call intuitlib makes (`requests` has
none by default, so a hung token endpoint would hang a worker holding the refresh lock). We ask only for the
accounting scope: with ``openid`` intuitlib would validate an ``id_token`` via an un-timed ``requests.get``.

Each operation builds its own AuthClient (it keeps per-grant state, so sharing one across threads would mix
tokens); the cost is one GET of the discovery document per operation, i.e. per hour per connection.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from sync.tokens import InvalidGrant, TokenError, TokenRefreshFailed, TokenSet

if TYPE_CHECKING:
    from intuitlib.client import AuthClient

logger = logging.getLogger(__name__)


class QboOAuthConfigError(TokenError):
    """QBO_CLIENT_ID / QBO_CLIENT_SECRET / QBO_REDIRECT_URI are missing or Intuit rejected them."""


def _intuit() -> ModuleType:
    """`sync.qbo.intuit` (intuitlib behind a timeout), imported at the first OAuth call."""
    # deferred: intuitlib brings requests, PyJWT and cryptography's x509 (~0.25 s of CPU at every process start);
    # a process that never connects, refreshes or revokes a QBO token does not need it
    from sync.qbo import intuit

    return intuit


class QboOAuth:
    """Authorization URL, code exchange, refresh (a `sync.tokens.Refresher`) and revoke for one Intuit app."""

    def __init__(self, *, client_id: str, client_secret: str, redirect_uri: str, environment: str,
                 timeout: float = 10.0, attempts: int = 2) -> None:
        # A refresh runs while the TokenStore holds the connection's lock (on SQLite the database write lock), so
        # the worst case — attempts x timeout + backoff — stays under the 30 s busy timeout of core/db.py.
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.environment = environment
        self.timeout = timeout
        self.attempts = attempts

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> QboOAuth:
        missing = [name for name, value in (("QBO_CLIENT_ID", settings.qbo_client_id),
                                            ("QBO_CLIENT_SECRET", settings.qbo_client_secret)) if not value]
        if missing:
            raise QboOAuthConfigError("QuickBooks is not configured: set " + ", ".join(missing))
        redirect = settings.qbo_redirect_uri or f"{settings.public_url.rstrip('/')}/qbo/callback"
        return cls(client_id=settings.qbo_client_id, client_secret=settings.qbo_client_secret.get_secret_value(),
                   redirect_uri=redirect, environment=settings.qbo_environment, **kwargs)

    def __repr__(self) -> str:
        return f"QboOAuth(client_id={self.client_id!r}, environment={self.environment!r})"

    def _auth_client(self) -> AuthClient:
        return _intuit().TimedAuthClient(self.client_id, self._client_secret, self.redirect_uri, self.environment,
                                timeout=self.timeout)

    def _with_retry(self, what: str, fn: Any) -> Any:
        """Retry only when Intuit could not be reached or answered 5xx; map its answers to token errors."""

        intuit = _intuit()

        def attempt() -> Any:
            try:
                return fn()
            except intuit.UNREACHABLE as exc:
                raise TokenRefreshFailed(f"QBO {what}: could not reach Intuit ({type(exc).__name__})") from None
            except intuit.AuthClientError as exc:
                code = intuit.error_code(exc)
                if code == "invalid_grant":
                    raise InvalidGrant(f"Intuit answered invalid_grant to the {what}") from None
                if code == "invalid_client" or exc.status_code == 401:
                    raise QboOAuthConfigError(f"Intuit rejected the app's credentials during the {what} "
                                              "(check QBO_CLIENT_ID / QBO_CLIENT_SECRET)") from None
                if exc.status_code >= 500:
                    raise TokenRefreshFailed(f"QBO {what}: Intuit answered HTTP {exc.status_code}") from None
                raise TokenError(f"QBO {what}: Intuit answered HTTP {exc.status_code} "
                                 f"({code or 'unexpected response'}), intuit_tid {exc.intuit_tid}") from None

        retrying = Retrying(stop=stop_after_attempt(self.attempts), reraise=True,
                            wait=wait_exponential_jitter(initial=0.5, max=5.0, jitter=0.5),
                            retry=retry_if_exception_type(TokenRefreshFailed))
        return retrying(attempt)

    # -- the four flows ----------------------------------------------------------------------------------
    def authorization_url(self, *, state: str) -> str:
        """Where to send the person's browser to consent (Intuit redirects back with code, state, realmId)."""
        return self._with_retry("authorization URL",
                                lambda: self._auth_client().get_authorization_url(_intuit().SCOPES, state))

    def exchange_code(self, *, code: str, realm_id: str | None = None) -> TokenSet:
        """Trade the callback's authorization code for tokens."""

        def run() -> TokenSet:
            client = self._auth_client()
            client.get_bearer_token(code, realm_id=realm_id)
            return _token_set(client)

        return self._with_retry("code exchange", run)

    def refresh(self, refresh_token: str) -> TokenSet:
        """A `sync.tokens.Refresher`: spend `refresh_token`, return the new pair (QBO rotates refresh tokens)."""

        def run() -> TokenSet:
            client = self._auth_client()
            client.refresh(refresh_token=refresh_token)
            return _token_set(client)

        return self._with_retry("token refresh", run)

    def revoke(self, *, token: str) -> None:
        """Revoke a refresh (or access) token: disconnects the app from the company."""
        self._with_retry("revoke", lambda: self._auth_client().revoke(token=token))


def _token_set(client: AuthClient) -> TokenSet:
    if not client.access_token:
        raise TokenError("Intuit's token response carried no access_token")
    return TokenSet.from_expires_in(access_token=client.access_token, refresh_token=client.refresh_token,
                                    expires_in=client.expires_in,
                                    refresh_expires_in=getattr(client, "x_refresh_token_expires_in", None))

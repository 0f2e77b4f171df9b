"""Procore routes: ``GET /procore/connect``, ``GET /procore/callback`` (OAuth), ``POST /webhooks/procore``.

Connect ties the grant to a tenant (``?tenant=<id>``, optionally ``&company=<id>``) with a ``state`` that is
HMAC-signed with LEDGERLINK_SECRET_KEY, expires after 10 minutes and is bound to the browser that started the flow
by a nonce cookie. The callback exchanges the single-use code, works out the Procore company (the one asked for,
the tenant's, PROCORE_COMPANY_ID, or the only one the user can see) and stores the encrypted tokens through the
shared TokenStore. The webhook checks the shared secret Procore sends back in ``Authorization``, dedupes on
``ulid`` and enqueues one `SyncRequest`; it never syncs inside the request.
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify, redirect, request
from markupsafe import escape
from sqlalchemy import Engine
from sqlmodel import Session

from bot.routes.common import (
    STATE_TTL_SECONDS,
    html_page,
    open_state,
    sign_state,
)
from bot.routes.connecting import finish_connection, refused_link
from bot.services.connect_links import LinkRefused, open_link, reopen
from core.config import Settings
from core.domain.parsing import strict_id
from core.models import ConnectLink, Tenant
from sync.http.base import StaticToken
from sync.procore import subscription
from sync.procore.client import ProcoreClient
from sync.procore.errors import ProcoreError
from sync.procore.oauth import PROVIDER, ProcoreOAuth, ProcoreOAuthConfigError
from sync.procore.webhook_receiver import (
    WebhookPayloadError,
    authorization_matches,
    parse_delivery,
    record_delivery,
)
from sync.tokens import InvalidGrant, TokenError, TokenRefreshFailed

logger = logging.getLogger(__name__)

NONCE_COOKIE = "ledgerlink_procore_nonce"
MAX_WEBHOOK_BYTES = 1_000_000


# -- state: tenant.company.link.expiry.nonce.signature (company 0 = not chosen) ------------------------------
def make_state(key: str, tenant_id: int, *, nonce: str, link_id: int, company_id: int | None = None,
               now: float | None = None) -> str:
    return sign_state(key, "procore-connect", [str(tenant_id), str(company_id or 0), str(link_id)], nonce=nonce,
                      now=now)


def read_state(key: str, state: str, *, nonce: str | None, now: float | None = None) -> tuple[int, int | None, int]:
    """(tenant id, chosen company id or None, connect link id) from a valid state; ValueError otherwise."""
    tenant, company, link = open_state(key, "procore-connect", state, fields=3, nonce=nonce, now=now)
    if not (tenant.isdigit() and company.isdigit() and link.isdigit()):
        raise ValueError("malformed state")
    return int(tenant), int(company) or None, int(link)


def register(app: Flask, settings: Settings) -> None:
    engine: Engine = app.config["LEDGERLINK_ENGINE"]
    cache: dict[str, ProcoreOAuth] = {}

    def oauth() -> ProcoreOAuth:
        if "oauth" not in cache:
            cache["oauth"] = ProcoreOAuth.from_settings(settings)
        return cache["oauth"]

    def state_key() -> str:
        return settings.require_secret_key()

    def choose_company(access_token: str, tenant: Tenant, asked: int | None) -> tuple[int | None, list]:
        """The company to connect, and the companies the user can see (for the "pick one" page)."""
        preferred = asked or tenant.procore_company_id or settings.procore_company_id
        with ProcoreClient.from_settings(settings, tokens=StaticToken(access_token), company_id=None) as client:
            visible = list(client.list_companies())
        ids = {c.id for c in visible}
        if preferred is not None:
            return (preferred if preferred in ids else None), visible
        return (visible[0].id if len(visible) == 1 else None), visible

    def register_webhook(access_token: str, company_id: int) -> str:
        """Ledgerlink's webhook on the newly connected company; a failure is only logged (the scheduled
        `procore-webhook` job repairs it, and polling covers the gap)."""
        secret = settings.procore_webhook_secret
        if secret is None:
            logger.warning("Procore connected without PROCORE_WEBHOOK_SECRET: no webhook, polling only")
            return "New records arrive by the scheduled sync (no webhook secret is configured)."
        try:
            with ProcoreClient.from_settings(settings, tokens=StaticToken(access_token),
                                             company_id=company_id) as client:
                state = subscription.ensure(client, public_url=settings.public_url,
                                            secret=secret.get_secret_value())
        except ProcoreError as exc:
            logger.warning("Procore company %s: registering the webhook failed: %s", company_id, exc)
            return "Registering the webhook failed; Ledgerlink retries on its schedule."
        logger.info("Procore company %s: %s", company_id, state.sentence())
        return "New and changed records reach Ledgerlink by webhook."

    @app.get("/procore/connect")
    def procore_connect():  # type: ignore[no-untyped-def]
        # only with a link an admin got from `/ledgerlink connect procore` (bot/services/connect_links.py)
        raw_company = request.args.get("company", "")
        company = strict_id(raw_company)
        if raw_company and company is None:
            return html_page("Cannot connect Procore", "The company in this link is not a Procore company id.", 400)
        try:
            link = open_link(engine, state_key(), request.args.get("link", ""), PROVIDER)
        except LinkRefused as exc:
            return refused_link(PROVIDER, "Procore", str(exc))
        try:
            nonce = secrets.token_urlsafe(16)
            state = make_state(state_key(), link.tenant_id, nonce=nonce, link_id=link.id,  # type: ignore[arg-type]
                               company_id=company)
            url = oauth().authorization_url(state=state)
        except ProcoreOAuthConfigError as exc:
            logger.error("Procore connect: %s", exc)
            return html_page("Procore is not configured", str(exc), 503)
        response = redirect(url, code=302)
        response.set_cookie(NONCE_COOKIE, nonce, max_age=STATE_TTL_SECONDS, httponly=True, samesite="Lax",
                            secure=request.is_secure, path="/procore/")
        return response

    @app.get("/procore/callback")
    def procore_callback():  # type: ignore[no-untyped-def]
        if request.args.get("error"):
            return html_page("Procore was not connected",
                         f"Procore answered: {request.args.get('error')}. Start again from Slack if you like.", 400)
        code, state = request.args.get("code"), request.args.get("state")
        if not code or not state:
            return html_page("Procore was not connected", "The answer from Procore lacked code or state.", 400)
        try:
            tenant_id, asked_company, link_id = read_state(state_key(), state, nonce=request.cookies.get(NONCE_COOKIE))
        except ValueError as exc:
            logger.warning("Procore callback refused: %s", exc)
            return html_page("Procore was not connected",
                         "This connection link expired or was not started in this browser — start again.", 400)
        with Session(engine) as session:
            tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            return html_page("Procore was not connected", f"There is no Ledgerlink tenant {tenant_id}.", 404)
        try:
            tokens = oauth().exchange_code(code=code)
        except InvalidGrant:
            return html_page("Procore was not connected", "The authorisation was already used or expired — start "
                         "again.", 400)
        except TokenRefreshFailed as exc:
            logger.warning("Procore callback: %s", exc)
            return html_page("Procore is unreachable", "Procore's sign-in service did not answer; try again.", 502)
        except (ProcoreOAuthConfigError, TokenError) as exc:
            logger.error("Procore callback: %s", exc)
            return html_page("Procore was not connected", str(exc), 502)
        try:
            company_id, visible = choose_company(tokens.access_token, tenant, asked_company)
        except ProcoreError as exc:
            logger.warning("Procore callback: listing companies failed: %s", exc)
            return html_page("Procore was not connected", f"Procore did not list your companies: {exc.hint}", 502)
        if company_id is None:
            with Session(engine) as session:  # the opened link is spent: one fresh link for the choice
                again = reopen(engine, state_key(), session.get(ConnectLink, link_id), settings.public_url)
            links = "".join(f"<li><a href='{escape(again)}&amp;company={c.id}'>"
                            f"{escape(c.name)} ({c.id})</a></li>" for c in visible)
            wanted = asked_company or tenant.procore_company_id or settings.procore_company_id
            message = (f"This Procore user cannot see company {wanted}. " if wanted else
                       "This Procore user can see several companies. ") + "Pick the one to connect:"
            return html_page("Choose a Procore company", message, 409 if wanted else 200,
                         f"<ul>{links}</ul>" if links else "<p>(none visible)</p>")
        response = app.make_response(finish_connection(engine, settings, link_id=link_id, provider=PROVIDER,
                                                       label="Procore", external_id=company_id, tokens=tokens,
                                                       then=lambda: register_webhook(tokens.access_token,
                                                                                     company_id)))
        response.delete_cookie(NONCE_COOKIE, path="/procore/")
        return response

    @app.post("/webhooks/procore")
    def procore_webhook():  # type: ignore[no-untyped-def]
        secret = settings.procore_webhook_secret
        if secret is None:
            logger.error("Procore webhook refused: PROCORE_WEBHOOK_SECRET is not set")
            return jsonify({"error": "Procore webhooks are not configured on this server"}), 503
        if not authorization_matches(request.headers.get("Authorization"), secret.get_secret_value()):
            logger.warning("Procore webhook refused: %s Authorization header",
                           "missing" if "Authorization" not in request.headers else "wrong")
            return jsonify({"error": "invalid or missing Authorization"}), 401
        if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
            return jsonify({"error": "body too large"}), 413
        try:
            delivery = parse_delivery(request.get_data(cache=False))
        except WebhookPayloadError as exc:
            logger.warning("Procore webhook: bad payload: %s", exc)
            return jsonify({"error": f"bad payload: {exc}"}), 400
        accepted = record_delivery(engine, delivery)
        logger.info("Procore webhook %s: %s %s %s (company %s)", delivery.ulid,
                    "queued" if accepted else "duplicate", delivery.resource_name, delivery.event_type,
                    delivery.company_id)
        return jsonify({"status": "queued" if accepted else "duplicate"}), 200

"""QuickBooks routes: ``GET /qbo/connect``, ``GET /qbo/callback`` (OAuth through intuit-oauth), ``POST /webhooks/qbo``.

Connect ties the grant to a tenant (``?tenant=<id>`` for now — see TODO below) with a ``state`` that is
HMAC-signed with LEDGERLINK_SECRET_KEY, expires after 10 minutes, and is bound to the browser that started the flow
by a nonce cookie. The webhook verifies ``intuit-signature``, dedupes each entity event and enqueues one
`SyncRequest` per new event; it never syncs inside the request.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask, jsonify, redirect, request
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.routes.common import (
    STATE_TTL_SECONDS,
    html_page,
    open_state,
    sign_state,
)
from bot.routes.connecting import finish_connection, refused_link
from bot.services.connect_links import LinkRefused, open_link
from core.config import Settings
from core.models import Connection, ProcessedWebhook, SyncRequest, Tenant, utcnow
from sync.qbo.oauth import QboOAuth, QboOAuthConfigError
from sync.qbo.webhooks import SIGNATURE_HEADER, EntityEvent, WebhookPayloadError, parse_events, verify_signature
from sync.tokens import InvalidGrant, TokenError, TokenRefreshFailed

logger = logging.getLogger(__name__)

PROVIDER = "qbo"
NONCE_COOKIE = "ledgerlink_qbo_nonce"
MAX_WEBHOOK_BYTES = 1_000_000


# -- state: tenant.expiry.nonce.signature ----------------------------------------------------------------
def make_state(key: str, tenant_id: int, *, nonce: str, link_id: int, now: float | None = None) -> str:
    return sign_state(key, "qbo-connect", [str(tenant_id), str(link_id)], nonce=nonce, now=now)


def read_state(key: str, state: str, *, nonce: str | None, now: float | None = None) -> tuple[int, int]:
    """(tenant id, connect link id) in a valid state; ValueError (with a reason for the log) otherwise."""
    tenant, link = open_state(key, "qbo-connect", state, fields=2, nonce=nonce, now=now)
    if not (tenant.isdigit() and link.isdigit()):
        raise ValueError("malformed state")
    return int(tenant), int(link)


# -- webhook storage -------------------------------------------------------------------------------------
def _tenant_for_realm(session: Session, realm_id: str) -> int | None:
    tenant_id = session.execute(select(Tenant.id).where(Tenant.qbo_realm_id == realm_id)).scalar()
    if tenant_id is None:
        tenant_id = session.execute(select(Connection.tenant_id).where(Connection.provider == PROVIDER,
                                                                       Connection.external_id == realm_id)).scalar()
    return tenant_id


def enqueue_events(engine: Engine, events: list[EntityEvent]) -> tuple[int, int]:
    """Store each new event as ProcessedWebhook + SyncRequest in one transaction; returns (accepted, duplicates).

    ``INSERT … ON CONFLICT DO NOTHING`` on the unique (source, dedupe_key): a redelivery — even a concurrent one —
    inserts nothing and queues nothing.
    """
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    accepted = duplicates = 0
    with Session(engine) as session:
        tenants: dict[str, int | None] = {}
        for ev in events:
            if ev.realm_id not in tenants:
                tenants[ev.realm_id] = _tenant_for_realm(session, ev.realm_id)
            stmt = insert(ProcessedWebhook).values(source=PROVIDER, dedupe_key=ev.dedupe_key, received_at=utcnow())
            # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT through SQLAlchemy
            stmt = stmt.on_conflict_do_nothing(index_elements=["source", "dedupe_key"]).returning(ProcessedWebhook.id)
            if session.execute(stmt).first() is None:
                duplicates += 1
                continue
            session.add(SyncRequest(tenant_id=tenants[ev.realm_id], source=PROVIDER, entity=ev.entity[:48],
                                    entity_id=ev.entity_id[:64], operation=ev.operation.lower()[:16],
                                    external_account=ev.realm_id[:64]))
            accepted += 1
        session.commit()
    return accepted, duplicates


def register(app: Flask, settings: Settings) -> None:
    engine: Engine = app.config["LEDGERLINK_ENGINE"]
    cache: dict[str, Any] = {}

    def oauth() -> QboOAuth:
        if "oauth" not in cache:
            cache["oauth"] = QboOAuth.from_settings(settings)
        return cache["oauth"]

    def state_key() -> str:
        return settings.require_secret_key()

    @app.get("/qbo/connect")
    def qbo_connect():  # type: ignore[no-untyped-def]
        # only with a link an admin got from `/ledgerlink connect qbo` (bot/services/connect_links.py)
        try:
            link = open_link(engine, state_key(), request.args.get("link", ""), PROVIDER)
        except LinkRefused as exc:
            return refused_link(PROVIDER, "QuickBooks", str(exc))
        try:
            nonce = secrets.token_urlsafe(16)
            url = oauth().authorization_url(state=make_state(state_key(), link.tenant_id, nonce=nonce,
                                                              link_id=link.id))  # type: ignore[arg-type]
        except QboOAuthConfigError as exc:
            logger.error("QBO connect: %s", exc)
            return html_page("QuickBooks is not configured", str(exc), 503)
        except TokenRefreshFailed as exc:
            logger.warning("QBO connect: %s", exc)
            return html_page("QuickBooks is unreachable", "Intuit's sign-in service did not answer; try again.", 502)
        response = redirect(url, code=302)
        response.set_cookie(NONCE_COOKIE, nonce, max_age=STATE_TTL_SECONDS, httponly=True, samesite="Lax",
                            secure=request.is_secure, path="/qbo/")
        return response

    @app.get("/qbo/callback")
    def qbo_callback():  # type: ignore[no-untyped-def]
        if request.args.get("error"):
            return html_page("QuickBooks was not connected",
                         f"QuickBooks answered: {request.args.get('error')}. Start again from Slack if you like.", 400)
        code, state, realm_id = (request.args.get(k) for k in ("code", "state", "realmId"))
        if not code or not state or not realm_id:
            return html_page("QuickBooks was not connected",
                             "The answer from QuickBooks lacked code, state or realmId.", 400)
        try:
            _, link_id = read_state(state_key(), state, nonce=request.cookies.get(NONCE_COOKIE))
        except ValueError as exc:
            logger.warning("QBO callback refused: %s", exc)
            return html_page("QuickBooks was not connected",
                         "This connection link expired or was not started in this browser — start again.", 400)
        try:
            tokens = oauth().exchange_code(code=code, realm_id=realm_id)
        except InvalidGrant:
            return html_page("QuickBooks was not connected", "The authorisation was already used or expired — start "
                         "again.", 400)
        except TokenRefreshFailed as exc:
            logger.warning("QBO callback: %s", exc)
            return html_page("QuickBooks is unreachable", "Intuit's sign-in service did not answer; try again.", 502)
        except (QboOAuthConfigError, TokenError) as exc:
            logger.error("QBO callback: %s", exc)
            return html_page("QuickBooks was not connected", str(exc), 502)
        response = app.make_response(finish_connection(engine, settings, link_id=link_id, provider=PROVIDER,
                                                       label="QuickBooks", external_id=realm_id, tokens=tokens))
        response.delete_cookie(NONCE_COOKIE, path="/qbo/")
        return response

    @app.post("/webhooks/qbo")
    def qbo_webhook():  # type: ignore[no-untyped-def]
        verifier = settings.qbo_webhook_verifier_token
        if verifier is None:
            logger.error("QBO webhook refused: QBO_WEBHOOK_VERIFIER_TOKEN is not set")
            return jsonify({"error": "QBO webhooks are not configured on this server"}), 503
        if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
            return jsonify({"error": "body too large"}), 413
        body = request.get_data(cache=False)
        if not verify_signature(verifier.get_secret_value(), body, request.headers.get(SIGNATURE_HEADER)):
            logger.warning("QBO webhook refused: %s signature", "missing" if SIGNATURE_HEADER not in request.headers
                           else "bad")
            return jsonify({"error": "invalid intuit-signature"}), 401
        try:
            events = parse_events(body)
        except WebhookPayloadError as exc:
            logger.warning("QBO webhook: bad payload: %s", exc)
            return jsonify({"error": f"bad payload: {exc}"}), 400
        accepted, duplicates = enqueue_events(engine, events)
        logger.info("QBO webhook: %d events queued, %d duplicates", accepted, duplicates)
        return jsonify({"accepted": accepted, "duplicates": duplicates}), 200

"""Issue 14, finding 1: nobody outside the company can connect or switch Ledgerlink's QuickBooks / Procore.

Walked through the real OAuth flow: the web role over HTTP, the QuickBooks sandbox's consent and token endpoints,
the Slack sandbox for `/ledgerlink connect`, the admins' DMs and their Confirm / Cancel buttons. The outsider of
the report (a browser with nothing but the web address) and an outsider holding a leaked link both try.
"""

from __future__ import annotations

import re

import httpx
from sqlmodel import Session, select

from blocks import ids
from bot.routes.common import sign_state
from bot.web import create_web_app
from core.config import load_settings
from core.crypto import SecretBox
from core.models import AuditEvent, Connection, ConnectLink, Tenant, User
from tests.reliability import tally
from tests.support.connect_links import path_of
from tests.support.servers import running_wsgi

pytest_plugins = ["tests.handlers.slack_harness"]

LINK = re.compile(r"https?://[^\s|>]+/(?:qbo|procore)/connect\?link=[A-Za-z0-9._\-]+")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _link_from_slack(slack, who: str, provider: str = "qbo") -> str:
    out = slack.command(who, f"connect {provider}")
    found = LINK.findall(str(out))
    assert found, out
    return path_of(found[0])


def _walk(browser: httpx.Client, base: str, path: str, realm: str) -> httpx.Response:
    """Open a connect link and consent at Intuit as the holder of `realm` (their own QuickBooks company)."""
    r = browser.get(base + path)
    if r.status_code != 302:
        return r
    consent = httpx.URL(r.headers["location"]).copy_merge_params({"realm_id": realm})
    back = browser.get(consent)
    assert back.status_code == 302, back.text
    return browser.get(back.headers["location"])


def _state(engine, tenant_id: int) -> tuple:
    with Session(engine) as s:
        tenant = s.get(Tenant, tenant_id)
        conn = s.exec(select(Connection).where(Connection.tenant_id == tenant_id)).one_or_none()
        return tenant.qbo_realm_id, conn and (conn.external_id, conn.access_token_enc, conn.version)


def _audits(engine) -> list[tuple[str, str, dict]]:
    with Session(engine) as s:
        return [(a.action, a.actor_label, a.detail) for a in s.exec(
            select(AuditEvent).where(AuditEvent.action.startswith("connection_")).order_by(AuditEvent.id))]


def _set_level(engine, user_id: int, level: str) -> None:
    with Session(engine) as s:
        user = s.get(User, user_id)
        user.permission = level
        s.add(user)
        s.commit()


def _admin_dms(slack, text: str) -> list[dict]:
    return [m for who in ("erin", "alex") for m in slack.dms(who) if text in m.get("text", "")]


def test_connecting_takes_an_admin_link_and_a_switch_takes_an_admins_confirm(slack, sandboxes):
    from tests.handlers.slack_harness import BOT_TOKEN, SIGNING_SECRET  # a plugin here: imported once it is one

    engine, tenant_id = slack.engine, slack.world.tenant.id
    realm_a = sandboxes.qbo_admin("realms")["realm_id"]
    realm_b = sandboxes.qbo_admin("realms")["realm_id"]  # the outsider's own QuickBooks company
    port = _free_port()
    settings = load_settings(
        _env_file=None, DATABASE_URL="sqlite://", LEDGERLINK_PUBLIC_URL=f"http://127.0.0.1:{port}",
        QBO_CLIENT_ID="ledgerlink-sec", QBO_CLIENT_SECRET="sec-secret", QBO_API_URL=sandboxes.qbo_url,
        QBO_ENVIRONMENT=f"{sandboxes.qbo_url}/.well-known/openid-configuration",
        QBO_REDIRECT_URI=f"http://127.0.0.1:{port}/qbo/callback", SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.settings.slack_api_url)
    probes = 0
    with running_wsgi(create_web_app(settings, engine=engine, bolt_app=slack.app), port=port) as base:
        # 1. the report's attack: no link, a made-up one, one signed with another key, another tenant — one answer
        key = settings.require_secret_key()
        forged = sign_state("x" * 44, "connect-link", ["qbo"], nonce="guessed")
        answers = set()
        for params in ({"tenant": tenant_id}, {"tenant": 999}, {"tenant": "1", "link": "garbage"},
                       {"link": forged}, {"link": sign_state(key, "connect-link", ["qbo"], nonce="not-a-jti")}):
            with httpx.Client() as outsider:
                r = outsider.get(f"{base}/qbo/connect", params=params)
            assert r.status_code == 403, (params, r.status_code)
            answers.add(r.text)
            probes += 1
        assert len(answers) == 1 and "/ledgerlink connect qbo" in answers.pop()
        assert _state(engine, tenant_id) == (None, None)

        # 2. only admins get a link; the admin's link connects realm A once
        assert not LINK.findall(str(slack.command("dana", "connect qbo")))  # an approver, not an admin
        link = _link_from_slack(slack, "alex")
        with httpx.Client() as browser:
            r = _walk(browser, base, link, realm_a)
        assert r.status_code == 200 and f"Connected to QuickBooks company {realm_a}" in r.text, r.text
        connected = _state(engine, tenant_id)
        assert connected[0] == realm_a and connected[1][0] == realm_a
        slack.idle()
        assert _admin_dms(slack, f"connected QuickBooks company {realm_a}")
        with httpx.Client() as replay:  # the same link again (forwarded, in a browser history): spent
            assert _walk(replay, base, link, realm_b).status_code == 403
            probes += 1

        # a link whose admin lost the admin level before opening it: spent, refused
        demoted = _link_from_slack(slack, "alex")
        _set_level(engine, slack.world.users["alex"].id, "standard")
        with httpx.Client() as browser:
            assert _walk(browser, base, demoted, realm_b).status_code == 403
            probes += 1
        _set_level(engine, slack.world.users["alex"].id, "admin")

        # 3. a leaked fresh link used by an outsider with their own company: held, the old connection stays
        leaked = _link_from_slack(slack, "alex")
        with httpx.Client() as outsider:
            r = _walk(outsider, base, leaked, realm_b)
        probes += 1
        assert r.status_code == 202 and "confirm" in r.text.lower(), r.text
        assert _state(engine, tenant_id) == connected
        slack.idle()
        asks = _admin_dms(slack, f"to company {realm_b}")
        assert {m["text"] for m in asks} and all(ids.CONNECTION_CONFIRM in str(m["blocks"]) for m in asks)

        # 4. a non-admin can't confirm; an admin cancels; then nothing can confirm that change any more
        ask = next(m for m in asks if m["_sandbox"]["channel"] in {d["_sandbox"]["channel"] for d in slack.dms("erin")})
        where = {"channel": ask["_sandbox"]["channel"], "ts": ask["ts"]}
        with Session(engine) as s:
            held = s.exec(select(ConnectLink).where(ConnectLink.pending_external_id == realm_b)).one()
        slack.click("dana", action_id=ids.CONNECTION_CONFIRM, value=str(held.id), **where)
        slack.idle()
        probes += 1
        assert _state(engine, tenant_id) == connected
        assert any("Admin" in t for t in slack.ephemerals("dana")) or any(
            "Admin" in m["text"] for m in slack.dms("dana")), "dana was not told why"
        slack.click("erin", action_id=ids.CONNECTION_CANCEL, value=str(held.id), **where)
        slack.idle()
        slack.click("alex", action_id=ids.CONNECTION_CONFIRM, value=str(held.id), **where)
        slack.idle()
        probes += 1
        assert _state(engine, tenant_id) == connected, "a cancelled switch was applied"
        with Session(engine) as s:
            assert s.get(ConnectLink, held.id).pending_tokens_enc is None  # the outsider's tokens are gone

        # 5. a switch the company wants: an admin confirms, the connection moves, everyone is told
        with httpx.Client() as browser:
            assert _walk(browser, base, _link_from_slack(slack, "erin"), realm_b).status_code == 202
        with Session(engine) as s:
            wanted = s.exec(select(ConnectLink).where(ConnectLink.pending_external_id == realm_b,
                                                      ConnectLink.decision.is_(None))).one()
        slack.idle()
        ask = [m for m in slack.dms("alex") if f"to company {realm_b}" in m["text"]][-1]
        slack.click("alex", action_id=ids.CONNECTION_CONFIRM, value=str(wanted.id),
                    channel=ask["_sandbox"]["channel"], ts=ask["ts"])
        slack.idle()
        moved = _state(engine, tenant_id)
        assert moved[0] == realm_b and moved[1][0] == realm_b and moved[1][2] > connected[1][2]
        assert _admin_dms(slack, f"confirmed the switch of QuickBooks company {realm_b} (was {realm_a})")

    box = SecretBox(settings.require_secret_key())
    with Session(engine) as s:
        conn = s.exec(select(Connection).where(Connection.tenant_id == tenant_id)).one()
        assert box.decrypt(conn.access_token_enc)  # the confirmed grant's tokens, decryptable
    trail = _audits(engine)
    assert [a for a, *_ in trail] == ["connection_connected", "connection_pending", "connection_cancelled",
                                      "connection_pending", "connection_confirmed"], trail
    assert trail[0][2]["old"] is None and trail[0][2]["new"] == realm_a
    assert (trail[-1][2]["old"], trail[-1][2]["new"]) == (realm_a, realm_b) and trail[-1][1] != "system"
    tally.add("security probes", probes)

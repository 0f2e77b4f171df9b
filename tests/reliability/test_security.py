"""Security probes through the real pieces: Slack requests not signed by Slack (forged, replayed after 5 minutes,
tampered, malformed headers) on every kind of request `/slack/events` takes; forged QBO and Procore webhooks; people
of another workspace acting on this one's items; SQL/query injection through every text a person or a remote can
put into a lookup; OAuth tokens and client secrets at rest and in the logs.

tests/scenarios/test_slack_security.py already covers a forged/expired/future/unsigned *block_actions*; here the
other kinds and the other ways to get a signature wrong. Probe counts go to the reliability tally.
"""

from __future__ import annotations

import logging
import shlex
import time
from datetime import UTC, datetime, timedelta

import httpx
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, select

from blocks import ids
from core.models import AuditEvent, Connection, SyncRequest, Tenant, TenantSettings
from sync.qbo.webhooks import signature as qbo_signature
from tests.reliability import tally
from tests.reliability.support_input import (
    FEW,
    PROCORE_SECRET,
    QBO_VERIFIER,
    SOME,
    SPECIALS,
    Tried,
    assert_items_whole,
    assert_sentence,
    count,
    form_body,
    item_rows,
    json_body,
    mark,
    nasty_text,
    payload_body,
    runs,
    slack_headers,
    table_counts,
    tally_lost_and_duplicated,
    told_since,
)
from tests.reliability.support_input_slack import (
    KINDS,
    Who,
    block_actions,
    body_of,
    event_callback,
    modal,
    reject_values,
    slash_command,
    view_submission,
)
from tests.support.connect_links import admin_link
from tests.support.factories import PEOPLE, World

pytest_plugins = ["tests.handlers.slack_harness", "tests.reliability.support_input_web"]


# --- requests Slack didn't sign ----------------------------------------------------------------------------------
def _who(slack, name: str = "dana") -> Who:
    channel = slack.sandbox.store.conversation_by_name("accounting")["id"]
    return Who(team=slack.sandbox.ws.team_id, user=slack.ids[name], channel=channel,
               response_url=slack.sandbox.new_hook("commands", user=slack.ids[name], channel=channel))


def _bad_signatures(body: bytes, content_type: str, secret: str) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Each way a request can fail Slack's signature check: name → (body sent, headers sent)."""
    now = int(time.time())
    good = slack_headers(body, secret=secret, content_type=content_type)
    probes = {
        "forged": (body, slack_headers(body, secret="0" * 32, content_type=content_type)),
        # a captured request sent again more than 5 minutes later (10 s of margin: Slack's check is to the second)
        "replayed": (body, slack_headers(body, secret=secret, ts=now - 310, content_type=content_type)),
        "future": (body, slack_headers(body, secret=secret, ts=now + 310, content_type=content_type)),
        "tampered": (body.replace(b"U", b"W", 1) if b"U" in body else body + b"&x=1", good),
        "unsigned": (body, {"Content-Type": content_type}),
        "no timestamp": (body, {k: v for k, v in good.items() if k != "X-Slack-Request-Timestamp"}),
        "other version": (body, {**good, "X-Slack-Signature": "v1=" + good["X-Slack-Signature"][3:]}),
        "not hex": (body, {**good, "X-Slack-Signature": "v0=" + "z" * 64}),
        "empty signature": (body, {**good, "X-Slack-Signature": ""}),
        "other timestamp": (body, {**good, "X-Slack-Request-Timestamp": str(now - 1)}),
        "timestamp not a number": (body, {**good, "X-Slack-Request-Timestamp": "soon"}),
    }
    return probes


def _what_the_app_did(slack) -> tuple:
    """Web API calls the app made, items, audit rows: what a forged request must not change."""
    with Session(slack.engine) as s:
        audits = len(s.exec(select(AuditEvent.id)).all())
    return len(slack.calls()), item_rows(slack.engine), audits


def test_every_kind_of_slack_request_needs_slack_s_signature(slack):
    slack.sent_item("INV-1", sender="sam")
    secret = slack.settings.slack_signing_secret.get_secret_value()
    url = f"{slack.app_url}/slack/events"
    probes = 0
    for kind in KINDS:
        body, content_type = body_of(kind, _who(slack))
        slack.idle()
        before = _what_the_app_did(slack)
        for name, (sent, headers) in _bad_signatures(body, content_type, secret).items():
            r = httpx.post(url, content=sent, headers=headers, timeout=30)
            probes += 1
            assert r.status_code == 401, (kind, name, r.status_code, r.text[:200])
        slack.idle()
        assert _what_the_app_did(slack) == before, f"a {kind} Slack didn't sign changed something"
        # the same request, signed now with the right secret, gets past the check (so the probes could fail)
        r = httpx.post(url, content=body, headers=slack_headers(body, secret=secret, content_type=content_type),
                       timeout=30)
        assert r.status_code != 401, (kind, r.text[:200])
    tally.add("security probes", probes)


# what an HTTP client can put in a header at all (printable ASCII, no surrounding blanks)
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(str.strip)


def test_random_signatures_and_flipped_bytes_are_refused(slack):
    secret = slack.settings.slack_signing_secret.get_secret_value()
    url = f"{slack.app_url}/slack/events"
    bodies = {kind: body_of(kind, _who(slack)) for kind in KINDS}
    before = _what_the_app_did(slack)
    tried = Tried()

    @runs(SOME)
    @given(kind=st.sampled_from(KINDS), signature=st.one_of(HEADER_TEXT, st.from_regex(r"\Av0=[0-9a-f]{64}\Z")),
           stamp=st.one_of(st.integers(-2**40, 2**40).map(str), HEADER_TEXT), flip=st.integers(0, 10**6))
    def run(kind: str, signature: str, stamp: str, flip: int) -> None:
        tried()
        body, content_type = bodies[kind]
        # a random signature, or the right one over a body with one byte changed
        r = httpx.post(url, content=body, timeout=30, headers={
            "Content-Type": content_type, "X-Slack-Signature": signature, "X-Slack-Request-Timestamp": stamp})
        assert r.status_code == 401, (kind, r.status_code)
        flipped = bytearray(body)
        flipped[flip % len(flipped)] ^= 0x01
        r = httpx.post(url, content=bytes(flipped), timeout=30,
                       headers=slack_headers(body, secret=secret, content_type=content_type))
        assert r.status_code == 401, (kind, "flipped byte", r.status_code)

    try:
        run()
    finally:
        tally.add("security probes", 2 * tried.n)
    slack.idle()
    assert _what_the_app_did(slack) == before


# --- forged webhooks ---------------------------------------------------------------------------------------------
QBO_BODY = (b'{"eventNotifications": [{"realmId": "4620", "dataChangeEvent": {"entities": [{"name": "Bill", '
            b'"id": "145", "operation": "Create", "lastUpdated": "2026-11-25T10:00:00.000Z"}]}}]}')
PROCORE_BODY = (b'{"ulid": "01JD3XKQ6W3C9V0T8M5Z2R4B7N", "company_id": 4264, "resource_name": "Requisitions", '
                b'"resource_id": 88, "event_type": "update"}')


def test_forged_webhooks_get_401_and_queue_nothing(hooks_web):
    http, engine = hooks_web
    tried = Tried()

    @runs(SOME)
    @given(body=st.one_of(st.just(QBO_BODY), st.just(PROCORE_BODY), st.binary(max_size=200)),
           qbo_sig=st.one_of(HEADER_TEXT, st.binary(max_size=32).map(lambda b: qbo_signature("x", b))),
           procore_auth=st.one_of(HEADER_TEXT, st.sampled_from(
               [PROCORE_SECRET[:-1], PROCORE_SECRET + "x", PROCORE_SECRET.upper(), f"Basic {PROCORE_SECRET}",
                f"Bearer  {PROCORE_SECRET[1:]}", f"Token {PROCORE_SECRET}", "", QBO_VERIFIER])))
    @example(body=QBO_BODY, qbo_sig=qbo_signature("another-verifier", QBO_BODY), procore_auth="")
    @example(body=QBO_BODY + b" ", qbo_sig=qbo_signature(QBO_VERIFIER, QBO_BODY),
             procore_auth=f"Bearer {PROCORE_SECRET}x")
    def run(body: bytes, qbo_sig: str, procore_auth: str) -> None:
        tried()
        if qbo_sig == qbo_signature(QBO_VERIFIER, body) or procore_auth.strip() in (PROCORE_SECRET,
                                                                                  f"Bearer {PROCORE_SECRET}"):
            return  # hypothesis found the real secret: not a forgery
        json_type = {"Content-Type": "application/json"}
        assert http.post("/webhooks/qbo", content=body, headers={"intuit-signature": qbo_sig, **json_type}
                         ).status_code == 401
        assert http.post("/webhooks/procore", content=body, headers={"Authorization": procore_auth, **json_type}
                         ).status_code == 401
        unsigned = http.post("/webhooks/qbo", content=body, headers={"Content-Type": "application/json"})
        assert unsigned.status_code == 401

    try:
        run()
    finally:
        tally.add("security probes", 3 * tried.n)
    assert count(engine, SyncRequest) == 0
    ok = http.post("/webhooks/qbo", content=QBO_BODY, headers={"intuit-signature": qbo_signature(QBO_VERIFIER,
                                                                                                 QBO_BODY)})
    assert ok.status_code == 200 and count(engine, SyncRequest) == 1  # the real secret still works


# --- another workspace --------------------------------------------------------------------------------------------
OTHER_TEAM = "T0OTHERCO"


def test_people_of_another_workspace_cannot_see_or_act_on_items(slack):
    """Tenant B (another Slack workspace, its own approvers and admins) clicks, submits, types commands and opens
    App Home against tenant A's items, by id and by title: nothing changes, and nothing of A's is shown to B."""
    waiting = slack.sent_item("SECRET-A1", sender="sam")
    ready = slack.item("SECRET-A2")
    other = World(slack.engine, name="Other Co")
    with Session(slack.engine) as s:
        tenant = s.get(Tenant, other.tenant.id)
        tenant.slack_team_id = OTHER_TEAM
        s.add(tenant)
        s.commit()
    b_ids = {who: other.users[who].slack_user_id for who in PEOPLE}
    for who, uid in b_ids.items():
        slack.add_slack_user(f"{who}-b", f"{who}@otherco.example", user_id=uid)
    channel = slack.sandbox.store.conversation_by_name("accounting")["id"]
    secret = slack.settings.slack_signing_secret.get_secret_value()
    url = f"{slack.app_url}/slack/events"
    slack.idle()
    before_items, calls_before = item_rows(slack.engine), len(slack.calls())
    since = {who: mark(slack, uid) for who, uid in b_ids.items()}
    answers: list[str] = []

    def send(who: str, body: bytes, content_type: str) -> None:
        r = httpx.post(url, content=body, timeout=30,
                       headers=slack_headers(body, secret=secret, content_type=content_type))
        assert r.status_code == 200, (who, r.status_code, r.text[:200])
        answers.append(r.text)

    def who_b(name: str) -> Who:
        return Who(team=OTHER_TEAM, user=b_ids[name], channel=channel,
                   response_url=slack.sandbox.new_hook("actions", user=b_ids[name], channel=channel))

    probes = 0
    refs = (str(waiting.id), str(ready.id), f"#{waiting.id}", f"#{ready.id}", "SECRET-A1", "SECRET-A2", "secret-a1")
    for name in ("dana", "alex"):  # an approver and an admin of B
        for action in (ids.ACCEPT, ids.REJECT, ids.RETRY, ids.DETAILS, ids.RETRIEVE, ids.RESEND):
            for item in (waiting, ready):
                for in_home in (False, True):
                    payload = block_actions(who_b(name), action_id=action, value=str(item.id),
                                            block_id=f"queue-{item.id}",
                                            view={"id": "V0HOME", "type": "home"} if in_home else None)
                    payload["trigger_id"] = slack.sandbox.new_trigger(b_ids[name])
                    send(name, *payload_body(payload))
                    probes += 1
        view = modal(ids.REJECT_VIEW, meta={"item_id": waiting.id, "channel": channel},
                     values=reject_values("Not ours to reject, surely"), team=OTHER_TEAM)
        send(name, *payload_body(view_submission(who_b(name), view)))
        send(name, *json_body(event_callback(who_b(name))))
        probes += 2
        for verb in ("send", "retrieve", "resend", "export"):
            for ref in refs:
                send(name, *form_body(slash_command(who_b(name), f"{verb} invoice {shlex.quote(ref)}")))
                probes += 1
        for command in ("report accountant", "report unsyncable", f"link company {ready.procore_id} 58"):
            send(name, *form_body(slash_command(who_b(name), command)))
            probes += 1
    slack.idle()
    assert item_rows(slack.engine) == before_items, "tenant A's items changed"
    assert tally_lost_and_duplicated(slack.engine, before_items) == (0, 0)
    shown = list(answers)
    for who, uid in b_ids.items():
        shown += told_since(slack, uid, since[who])
        views = slack.views(uid)
        shown += [slack.text(v["view"]) for v in views["modals"]]
        if views["home"]:
            shown.append(slack.text(views["home"]["view"]))
    shown += [str(c["args"]) for c in slack.calls()[calls_before:]]
    def unechoed(t: str) -> str:  # "I can't find invoice 'SECRET-A1'" only repeats what B typed
        for ref in refs:
            t = t.replace(f"'{ref}'", "")
        return t
    secrets_of_a = ("SECRET-A", "ACME CONCRETE", "RIVERSIDE CLINIC", "48,250", "@SAM")
    leaked = [t for t in shown if any(x in unechoed(t).upper() for x in secrets_of_a)]
    assert not leaked, leaked[:3]
    assert any("no item" in t.lower() or "can't find" in t for t in shown)  # they were told, in words
    tally.add("security probes", probes)


# --- injection ----------------------------------------------------------------------------------------------------
INJECTIONS = [s for s in SPECIALS if s.strip() and "\x00" not in s] + [
    "x' UNION SELECT token FROM connections --", "INV-1' --", "INV-1\" OR \"\"=\"", "1 OR 1=1", "%", "_", "\\",
    "'; UPDATE items SET state='synced'; --", "$$; DROP TABLE users; $$", "E'\\x27'", "INV-1'||'"]


def _kept_tables(engine) -> dict[str, int]:
    """Row counts an injection would change (the decision rows a send/reject adds are not among them)."""
    counts = table_counts(engine)
    return {t: counts[t] for t in ("tenants", "users", "connections", "tenant_settings", "external_links")}


def test_injection_through_item_lookup_and_reject_reason(slack_pg):
    """Titles made of SQL and LIKE syntax are found by their literal text only (or not at all), and a reject
    reason made of SQL is stored as typed — tables intact, no other item touched (SQLite and PostgreSQL)."""
    slack = slack_pg
    plain = slack.item("INV-PLAIN", procore_id="PLAIN")
    kept = _kept_tables(slack.engine)
    tried, found = Tried(), []

    @runs(FEW)
    @given(title=st.one_of(st.sampled_from(INJECTIONS), nasty_text(80).filter(
        lambda t: t.strip() and "\x00" not in t and len(t) <= 300)))
    def run(title: str) -> None:
        tried()
        item = slack.item(title, procore_id=f"P-{tried.n}")
        others = {k: v for k, v in item_rows(slack.engine).items() if k != item.id}
        since = mark(slack, "sam")
        out = slack.command("sam", f"send invoice {shlex.quote(title)}")
        assert out["ok"], out
        slack.idle()
        said = told_since(slack, "sam", since)
        after = slack.get(item.id)
        if after.state == "awaiting_acceptance":  # the literal match, and only it
            assert after.title == title
            reason = f"{title} — fix and resend"
            slack.click("dana", after, "item_reject")
            slack.idle()
            slack.submit("dana", {"reason": {"reason_text": reason}})
            slack.idle()
            assert slack.get(item.id).reject_reason == reason.strip()
            found.append(title)
        else:  # not found, more than one, or an older item with that title that can't be sent: said in words
            assert said, title
            for line in said:
                assert_sentence(line)
        assert {k: v for k, v in item_rows(slack.engine).items() if k in others} == others, title
        assert _kept_tables(slack.engine) == kept
        assert_items_whole(slack.engine)

    try:
        run()
    finally:
        tally.add("security probes", 2 * tried.n)
    assert slack.get(plain.id).state == "ready_to_export"
    assert tally_lost_and_duplicated(slack.engine, {plain.id: ()}) == (0, 0)
    assert found, "no title was ever found by its literal text: the lookup wasn't exercised"


def test_injection_through_settings_values(slack_pg):
    """Channel values (as a forged select would send them) and amounts made of SQL: stored as typed or refused in
    words; the settings row stays one row and the other tables are intact."""
    slack = slack_pg
    kept = _kept_tables(slack.engine)
    probes = 0
    for value in [v for v in INJECTIONS if any(c in v for c in "'\";%\\")]:  # the SQL-shaped ones
        slack.command("alex", "settings")
        slack.idle()
        since = mark(slack, "alex")
        out = slack.submit("alex", {
            "approvers_channel": {"value": {"type": "conversations_select", "selected_conversation": value}},
            "confirm_above_amount": {"value": value}})
        probes += 2
        slack.idle()
        assert out["ok"] and out["status"] == 200, out
        for line in told_since(slack, "alex", since):
            assert_sentence(line)
        if out.get("response_action") == "errors":
            for error in out["errors"].values():
                assert_sentence(error)
            slack.post("views/close", user=slack.ids["alex"])
        with Session(slack.engine) as s:
            row = s.get(TenantSettings, slack.world.tenant.id)
            assert row.approvers_channel in ("#accounting", value)
            row.approvers_channel = "#accounting"
            s.add(row)
            s.commit()
        assert _kept_tables(slack.engine) == kept
    tally.add("security probes", probes)


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def test_qbo_queries_escape_what_they_search_for(sandboxes):
    """A vendor name made of QBO-query syntax, created in the QBO sandbox and looked up the way Ledgerlink looks
    vendors up (`select("Vendor").where(DisplayName=…)`): the query finds that vendor and nothing else, and the
    same name with an injection tail finds nothing."""
    from sync.http.base import StaticToken
    from sync.http.limits import LimiterRegistry
    from sync.qbo.client import QboClient
    from sync.qbo.errors import QboValidationError
    from sync.qbo.query import select as qbo_select

    realm = sandboxes.qbo_admin("realms")["realm_id"]
    token = sandboxes.qbo_admin("tokens", realm_id=realm)["access_token"]
    qbo = QboClient(realm_id=realm, tokens=StaticToken(token), base_url=sandboxes.qbo_url, registry=LimiterRegistry())
    everyone = len(list(qbo.query_all(entity="Vendor")))
    tried, created = Tried(), []

    @runs(SOME)
    @given(name=st.one_of(st.sampled_from(INJECTIONS), nasty_text(60)).map(str.strip).filter(
        lambda n: n and "\x00" not in n and ":" not in n and "\t" not in n and "\n" not in n))
    @example(name="' OR '1'='1")
    @example(name="\\' OR DisplayName LIKE '%")
    def run(name: str) -> None:
        tried()
        try:
            made = qbo.create(entity="Vendor", body={"DisplayName": name})
        except QboValidationError:  # QuickBooks refuses this name (duplicate, too long): nothing to look up
            made = None
        rows = qbo.query(q=qbo_select("Vendor").where(DisplayName=name).where_in("Active", [True, False]))
        found = rows.get("Vendor") or []
        assert all(_fold(v["DisplayName"]) == _fold(name) for v in found), (name, [v["DisplayName"] for v in found])
        if made is not None:
            assert made["Id"] in {v["Id"] for v in found}, name
            created.append(name)
        for tail in ("' OR '1'='1", "' OR DisplayName LIKE '%", "\\' OR Active = true --"):
            more = qbo.query(q=qbo_select("Vendor").where(DisplayName=name + tail)).get("Vendor") or []
            assert len(more) <= 1 and all(_fold(v["DisplayName"]) == _fold(name + tail) for v in more), (name, tail)

    try:
        run()
    finally:
        tally.add("security probes", 4 * tried.n)
    assert len(created) > tried.n // 2, "QuickBooks refused most names: the lookups weren't exercised"
    assert len(list(qbo.query_all(entity="Vendor"))) == everyone + len(created)  # no query changed or hid a row


# --- tokens at rest and in the logs ---------------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tokens_of(engine, settings) -> dict[str, str]:
    """{"qbo access": …, "qbo refresh": …, "procore access": …, "procore refresh": …}, decrypted."""
    from core.crypto import SecretBox

    box = SecretBox(settings.require_secret_key())
    with Session(engine) as s:
        rows = s.exec(select(Connection)).all()
    return {f"{c.provider} {kind}": box.decrypt(getattr(c, f"{kind}_token_enc"))
            for c in rows for kind in ("access", "refresh")}


def test_tokens_are_encrypted_at_rest_and_never_logged(engine, caplog):
    """Connect QuickBooks and Procore through the OAuth routes (the sandboxes' consent and token endpoints), expire
    the access tokens so the next sync refreshes both, run the vendors sync: no access token, refresh token, client
    secret or the app key appears in any database row or any log record (everything at DEBUG)."""
    import sandbox.procore
    import sandbox.qbo
    from bot.web import create_web_app
    from core.config import load_settings
    from sync.context import TenantContext
    from sync.jobs.base import run_job
    from tests.support.servers import running_wsgi

    caplog.set_level(logging.DEBUG)
    port = _free_port()
    qbo_secret, procore_secret = "qbo-client-secret-7Hq2", "procore-client-secret-9Zp4"
    with running_wsgi(sandbox.qbo.create_app()) as qbo_url, \
            running_wsgi(sandbox.procore.create_app(seed="none")) as procore_url:
        company = httpx.post(f"{procore_url}/_sandbox/companies", json={"name": "Summit Builders", "seed": "demo"},
                             timeout=60).json()
        with Session(engine, expire_on_commit=False) as s:
            tenant = Tenant(name="Summit Builders", procore_company_id=int(company["id"]))
            s.add(tenant)
            s.commit()
        settings = load_settings(
            _env_file=None, DATABASE_URL=engine.url.render_as_string(hide_password=False),
            LEDGERLINK_PUBLIC_URL=f"http://127.0.0.1:{port}", QBO_CLIENT_ID="ledgerlink-qbo",
            QBO_CLIENT_SECRET=qbo_secret, QBO_ENVIRONMENT=f"{qbo_url}/.well-known/openid-configuration",
            QBO_API_URL=qbo_url, QBO_REDIRECT_URI=f"http://127.0.0.1:{port}/qbo/callback",
            PROCORE_CLIENT_ID="ledgerlink-procore", PROCORE_CLIENT_SECRET=procore_secret,
            PROCORE_API_URL=procore_url, PROCORE_LOGIN_URL=procore_url)
        web = create_web_app(settings, engine=engine)
        with running_wsgi(web, port=port), httpx.Client(follow_redirects=True, timeout=60) as browser:
            for provider, said in (("qbo", "Connected to QuickBooks"), ("procore", "Connected to Procore")):
                r = browser.get(admin_link(engine, settings, tenant.id, provider))
                assert r.status_code == 200 and said in r.text, (provider, r.status_code, r.text[:300])
        first = _tokens_of(engine, settings)
        assert len(first) == 4 and all(first.values()), sorted(first)
        with engine.begin() as conn:  # both access tokens expired an hour ago: the sync must refresh them
            conn.execute(text("UPDATE connections SET access_expires_at = :t"),
                         {"t": datetime.now(UTC) - timedelta(hours=1)})
        report = run_job(TenantContext(engine=engine, tenant_id=tenant.id, settings=settings), "vendors")
        assert report.counts().get("create"), report.summary()
        second = _tokens_of(engine, settings)
    for provider in ("qbo", "procore"):
        assert second[f"{provider} access"] != first[f"{provider} access"], f"{provider} was not refreshed"
    secrets = {*first.values(), *second.values(), qbo_secret, procore_secret, settings.require_secret_key()}
    with engine.connect() as conn:
        dump = "\n".join(repr(conn.execute(text(f"SELECT * FROM {table}")).fetchall())
                         for table in table_counts(engine))
        raw = conn.execute(text("SELECT access_token_enc, refresh_token_enc FROM connections")).fetchall()
    assert all(v.startswith("gAAAAA") for row in raw for v in row), "a token column is not Fernet ciphertext"
    at_rest = [s for s in secrets if s in dump]
    assert not at_rest, f"{len(at_rest)} secret(s) in plain text in the database"
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 20, "the flow logged next to nothing: the scan proves little"
    in_logs = [s for s in secrets if s in logged]
    assert not in_logs, f"{len(in_logs)} secret(s) in the logs"
    tally.add("security probes", len(secrets) * 2)

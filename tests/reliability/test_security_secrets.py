"""Issue 14, findings 6 and 7: secrets.

- web and worker refuse to start without a secret key (one line naming the variable, exit 2);
- /healthz tells the world only ok / not ok; details on this machine or with LEDGERLINK_HEALTH_TOKEN;
- Slack installation tokens (multi-workspace installs) are encrypted at rest: a raw read of their tables finds
  ciphertext only, while the store still hands the app the tokens;
- `ledgerlink rotate-keys` re-encrypts every secret with the newest of LEDGERLINK_SECRET_KEYS, after which the old
  key can go.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bot.slack_install import installation_store
from bot.web import create_web_app
from core.config import load_settings
from core.crypto import SecretBox
from core.migrate import upgrade
from core.models import Tenant
from sync.tokens import TokenSet, TokenStore
from tests.reliability import tally
from tests.reliability.support_procs import REPO, free_port

BOT_TOKEN = "xoxb-1111-2222-secretbottokenvalue"
USER_TOKEN = "xoxp-3333-4444-secretusertokenvalue"
REFRESH = "xoxe-1-secretrefreshtokenvalue" + "r" * 120  # refresh tokens are long: ciphertext outgrows String(200)


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_", "LEDGERLINK_"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=db_url, **extra)
    return env


def test_web_and_worker_refuse_to_start_without_a_secret_key(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'nokey.db'}"
    upgrade(db_url)
    for role in (["web", "--port", str(free_port())], ["worker"]):
        started = time.monotonic()
        try:
            done = subprocess.run([sys.executable, "-m", "bot", *role], cwd=REPO, env=_env(db_url), timeout=60,
                                  capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"`ledgerlink {role[0]}` started without LEDGERLINK_SECRET_KEY") from None
        assert done.returncode == 2, (role, done.returncode, done.stderr[-500:])
        assert "LEDGERLINK_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr, done.stderr[-500:]
        assert time.monotonic() - started < 30
    tally.add("security probes", 2)


def test_healthz_tells_the_world_only_ok(engine):
    token = "health-token-for-the-monitor"
    settings = load_settings(_env_file=None, DATABASE_URL=engine.url.render_as_string(hide_password=False),
                             LEDGERLINK_HEALTH_TOKEN=token)
    http = create_web_app(settings, engine=engine).test_client()
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    for r in (http.get("/healthz", environ_base=outside),
              http.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}),  # through a proxy on this host
              http.get("/healthz?token=wrong", environ_base=outside)):
        assert r.status_code == 200 and r.get_json() == {"status": "ok"}, r.get_json()
    told = http.get("/healthz", environ_base=outside, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert told["database"]["dialect"] == engine.dialect.name and "revision" in told["database"]
    assert "dialect" in http.get("/healthz").get_json()["database"]  # on this machine, no proxy
    tally.add("security probes", 3)


def test_slack_installation_tokens_are_encrypted_at_rest_and_keys_rotate(engine, tmp_path):
    db_url = engine.url.render_as_string(hide_password=False)
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load_settings(_env_file=None, DATABASE_URL=db_url, LEDGERLINK_SECRET_KEY=old,
                             SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="c" * 32, SLACK_SIGNING_SECRET="s" * 32)
    with engine.begin() as conn:
        tenant_id = conn.execute(Tenant.__table__.insert().values(name="Summit", slack_team_id="T123",
                                                                  timezone="UTC", created_at=text("CURRENT_TIMESTAMP"))
                                 .returning(Tenant.__table__.c.id)).scalar()
    installation_store(settings, engine).save(Installation(
        app_id="A1", team_id="T123", user_id="U1", bot_token=BOT_TOKEN, bot_id="B1", bot_user_id="UB1",
        bot_refresh_token=REFRESH, user_token=USER_TOKEN, user_refresh_token=REFRESH))
    TokenStore(engine, SecretBox(old)).save(tenant_id=tenant_id, provider="qbo", external_id="4620",
                                            tokens=TokenSet(access_token="qbo-access-x", refresh_token="qbo-ref-x"))
    secrets = (BOT_TOKEN, USER_TOKEN, REFRESH, "qbo-access-x", "qbo-ref-x")

    def raw_dump() -> tuple[str, list[str]]:
        with engine.connect() as conn:
            rows = [r for t in ("slack_installations", "slack_bots", "connections")
                    for r in conn.execute(text(f"SELECT * FROM {t}")).mappings()]
        cells = [str(v) for r in rows for k, v in r.items() if k.endswith(("_token", "_token_enc")) and v is not None]
        return repr(rows), cells

    dump, cells = raw_dump()
    assert not [s for s in secrets if s in dump], "a token in plain text in the database"
    assert len(cells) >= 7 and all(c.startswith("gAAAAA") for c in cells), cells
    found = installation_store(settings, engine).find_installation(enterprise_id=None, team_id="T123")
    bot = installation_store(settings, engine).find_bot(enterprise_id=None, team_id="T123")
    assert (found.bot_token, found.user_token, found.user_refresh_token, bot.bot_token, bot.bot_refresh_token) == (
        BOT_TOKEN, USER_TOKEN, REFRESH, BOT_TOKEN, REFRESH)

    # rotate: the new key first, the old one still accepted while rotate-keys runs
    done = subprocess.run([sys.executable, "-m", "bot", "rotate-keys"], cwd=REPO, capture_output=True, text=True,
                          env=_env(db_url, LEDGERLINK_SECRET_KEYS=f"{new},{old}"), timeout=120)
    assert done.returncode == 0, done.stderr[-800:]
    assert "connections: 2 re-encrypted" in done.stdout and "slack_installations: 4 re-encrypted" in done.stdout, \
        done.stdout
    _, rotated = raw_dump()
    assert set(rotated).isdisjoint(cells), "some secret was not re-encrypted"
    only_new = load_settings(_env_file=None, DATABASE_URL=db_url, LEDGERLINK_SECRET_KEYS=new,
                             SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="c" * 32, SLACK_SIGNING_SECRET="s" * 32)
    assert installation_store(only_new, engine).find_bot(enterprise_id=None, team_id="T123").bot_token == BOT_TOKEN
    store = TokenStore(engine, SecretBox(only_new.require_secret_key()))
    (conn_id,) = [c for c in [store.find(tenant_id=tenant_id, provider="qbo")] if c]
    assert store.current_tokens(conn_id.id).refresh_token == "qbo-ref-x"
    tally.add("security probes", len(secrets) + len(cells))

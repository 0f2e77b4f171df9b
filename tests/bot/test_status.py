"""`ledgerlink status`: healthy, and with a broken connection / a failed export / a dead worker — the checks, the
table, --json and the exit code (1 when something needs a person)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot import status
from bot.leader import leadership_for
from core.config import load_settings
from core.db import make_engine
from core.migrate import upgrade
from core.models import Connection, Item, OutboxEntry, SyncCursor, Tenant, utcnow

REPO = Path(__file__).resolve().parents[2]


def healthy_world(engine) -> int:
    """One tenant, both connections active, a job run that went well, an export done."""
    with Session(engine) as s:
        tenant = Tenant(name="Summit")
        s.add(tenant)
        s.commit()
        for provider in ("qbo", "procore"):
            s.add(Connection(tenant_id=tenant.id, provider=provider, status="active", updated_at=utcnow(),
                             refresh_expires_at=utcnow() + timedelta(days=90)))
        s.add(SyncCursor(tenant_id=tenant.id, job="vendors", last_run_at=utcnow(), last_status="ok"))
        s.add(OutboxEntry(tenant_id=tenant.id, target="qbo", operation="create-bill", requestid="r-done",
                          status="done"))
        s.commit()
        return tenant.id


def by_name(report: status.Report) -> dict[str, status.Check]:
    return {c.name: c for c in report.checks}


def settings_for(url: str):
    return load_settings(_env_file=None, DATABASE_URL=url, LEDGERLINK_SECRET_KEY=os.environ["LEDGERLINK_SECRET_KEY"],
                         QBO_CLIENT_ID="q", PROCORE_CLIENT_ID="p", SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")


def test_healthy_with_a_leading_worker(engine, db_url):
    healthy_world(engine)
    leader = leadership_for(engine, db_url, "host-1:42")
    assert leader.try_acquire()
    try:
        report = status.collect(settings_for(db_url), engine, remote=True,
                                slack_auth=lambda: {"ok": True, "team": "Summit", "user": "ledgerlink"})
    finally:
        leader.release()
        getattr(leader, "close", lambda: None)()
    checks = by_name(report)
    assert not report.needs_person, report.table()
    assert checks["leader"].facts["holder"] == "host-1:42"  # advisory lock on PostgreSQL, lease on SQLite
    assert checks["database"].state == "ok" and checks["database"].facts["revision"] == checks["database"].facts["head"]
    assert checks["qbo · Summit"].state == "ok" and checks["procore · Summit"].state == "ok"
    assert checks["slack"].detail == "auth.test ok: Summit as ledgerlink"
    assert checks["job vendors · Summit"].state == "ok" and checks["outbox"].facts["done"] == 1
    assert report.table()[-1] == "all good"


def test_a_broken_connection_a_failed_export_and_no_leader_need_a_person(engine, db_url):
    tenant_id = healthy_world(engine)
    with Session(engine) as s:
        conn = s.query(Connection).filter_by(provider="qbo").one()
        conn.status, conn.status_detail = "needs_reauth", "QuickBooks refused the saved sign-in (invalid_grant)"
        item = Item(tenant_id=tenant_id, type="sub_invoice", procore_id="77", state="failed_to_export",
                    title="SC-77")
        s.add(item)
        s.commit()
        s.add(OutboxEntry(tenant_id=tenant_id, item_id=item.id, target="qbo", operation="create-bill",
                          requestid="r-failed", status="failed", last_error="Vendor is inactive in QuickBooks"))
        s.add(OutboxEntry(tenant_id=tenant_id, target="qbo", operation="create-bill", requestid="r-old",
                          status="pending", created_at=utcnow() - timedelta(hours=2)))
        s.commit()

    def slack_down():
        raise ConnectionError("no route")

    report = status.collect(settings_for(db_url), engine, remote=True, slack_auth=slack_down)
    checks = by_name(report)
    assert report.needs_person
    assert checks["qbo · Summit"].state == "fail" and "invalid_grant" in checks["qbo · Summit"].detail
    assert "/ledgerlink connect qbo" in checks["qbo · Summit"].detail
    assert checks["failed exports"].state == "fail" and "Vendor is inactive" in checks["failed exports"].detail
    assert checks["outbox"].state == "fail" and "2 h ago" in checks["outbox"].detail  # nobody drains it
    assert checks["leader"].state == "fail" and checks["slack"].state == "fail"
    assert report.table()[-1].startswith("needs a person: ")
    assert json.loads(json.dumps(report.as_dict(), default=str))["ok"] is False


def test_an_unmigrated_database_stops_at_that_check(tmp_path):
    url = f"sqlite:///{tmp_path}/empty.db"
    report = status.collect(settings_for(url), make_engine(url))
    assert [c.name for c in report.checks] == ["configuration", "database"]
    assert report.needs_person and "`ledgerlink migrate`" in report.checks[-1].detail


def _cli(tmp_path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_"))}
    env.update(DATABASE_URL=url, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "bot", "status", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)


@pytest.mark.timeout(120)
def test_the_command_prints_a_table_or_json_and_exits_1_when_someone_must_act(tmp_path):
    url = f"sqlite:///{tmp_path}/ll.db"
    upgrade(url)
    engine = make_engine(url)
    healthy_world(engine)
    leader = leadership_for(engine, url, "w-1", lease=timedelta(hours=1))  # outlives a slow machine
    assert leader.try_acquire()
    ok = _cli(tmp_path, url, "--local", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    body = json.loads(ok.stdout)
    assert body["ok"] is True and {c["name"] for c in body["checks"]} >= {"database", "leader", "outbox",
                                                                          "qbo · Summit", "job vendors · Summit"}
    with Session(engine) as s:
        conn = s.query(Connection).filter_by(provider="procore").one()
        conn.status = "needs_reauth"
        s.commit()
    broken = _cli(tmp_path, url, "--local")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "procore · Summit" in broken.stdout and "FAIL" in broken.stdout
    assert broken.stdout.strip().splitlines()[-1] == "needs a person: procore · Summit"
    assert "Traceback" not in broken.stderr

"""Settings: typed, from env/.env; a bad value names the variable and what is expected."""

import subprocess
import sys

import pytest

from core.config import Settings, SettingsError, load_settings


def test_defaults(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = Settings(_env_file=None)
    assert s.database_url == "sqlite:///ledgerlink.db"
    assert s.qbo_environment == "sandbox"


@pytest.mark.parametrize(("var", "value", "expect"), [
    ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected a sqlite:/// or postgresql:// URL"),
    ("LEDGERLINK_SECRET_KEY", "not-a-key", "LEDGERLINK_SECRET_KEY: expected a Fernet key"),
    ("QBO_ENVIRONMENT", "staging", "QBO_ENVIRONMENT: expected 'sandbox', 'production'"),
    ("PROCORE_COMPANY_ID", "abc", "PROCORE_COMPANY_ID: "),
    ("LEDGERLINK_LOG_LEVEL", "LOUD", "LEDGERLINK_LOG_LEVEL: expected DEBUG"),
])
def test_bad_values_are_one_line(monkeypatch, var, value, expect):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert str(err.value).startswith(expect)
    assert "\n" not in str(err.value)


def test_postgres_urls_get_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert load_settings(_env_file=None).database_url == "postgresql+psycopg://u@h/db"


def test_dotenv_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("QBO_CLIENT_ID", raising=False)
    (tmp_path / ".env").write_text("QBO_CLIENT_ID=abc123\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().qbo_client_id == "abc123"


def test_slack_requirements_named(monkeypatch):
    for v in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(v, raising=False)
    missing = load_settings(_env_file=None).missing_for_slack_http()
    assert missing[0] == "SLACK_SIGNING_SECRET" and missing[1].startswith("SLACK_BOT_TOKEN")


def test_cli_reports_bad_setting_without_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "mysql://nope", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "bot", "migrate"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "DATABASE_URL: expected a sqlite:/// or postgresql:// URL" in proc.stderr
    assert "Traceback" not in proc.stderr

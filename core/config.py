"""One typed settings object, read from the environment and an optional `.env` file.

Names follow `shared/docs/architecture.md`. `load_settings()` turns a validation failure into
`SettingsError` with one line per bad variable, so the CLI can print it without a traceback.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

QBO_ENVIRONMENTS = ("sandbox", "production")


class SettingsError(Exception):
    """Start-up configuration is wrong; the message names each variable and what is expected."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field("sqlite:///ledgerlink.db", alias="DATABASE_URL")
    secret_key: SecretStr | None = Field(None, alias="LEDGERLINK_SECRET_KEY")
    # several Fernet keys, newest first, comma-separated: the newest encrypts, all decrypt (key rotation)
    secret_keys: SecretStr | None = Field(None, alias="LEDGERLINK_SECRET_KEYS")
    # lets /healthz?token=… show details from outside localhost
    health_token: SecretStr | None = Field(None, alias="LEDGERLINK_HEALTH_TOKEN")
    log_level: str = Field("INFO", alias="LEDGERLINK_LOG_LEVEL")
    public_url: str = Field("http://127.0.0.1:3000", alias="LEDGERLINK_PUBLIC_URL")
    # Bearer token for GET /metrics from other hosts (without it, only loopback peers may scrape)
    metrics_token: SecretStr | None = Field(None, alias="LEDGERLINK_METRICS_TOKEN")

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")

    qbo_client_id: str | None = Field(None, alias="QBO_CLIENT_ID")
    qbo_client_secret: SecretStr | None = Field(None, alias="QBO_CLIENT_SECRET")
    qbo_redirect_uri: str | None = Field(None, alias="QBO_REDIRECT_URI")
    qbo_environment: str = Field("sandbox", alias="QBO_ENVIRONMENT")
    qbo_api_url: str | None = Field(None, alias="QBO_API_URL")
    qbo_webhook_verifier_token: SecretStr | None = Field(None, alias="QBO_WEBHOOK_VERIFIER_TOKEN")

    procore_client_id: str | None = Field(None, alias="PROCORE_CLIENT_ID")
    procore_client_secret: SecretStr | None = Field(None, alias="PROCORE_CLIENT_SECRET")
    procore_api_url: str = Field("https://api.procore.com", alias="PROCORE_API_URL")
    procore_login_url: str = Field("https://login.procore.com", alias="PROCORE_LOGIN_URL")
    procore_company_id: int | None = Field(None, alias="PROCORE_COMPANY_ID")
    procore_webhook_secret: SecretStr | None = Field(None, alias="PROCORE_WEBHOOK_SECRET")
    # where people's browsers open records (cards' "View in Procore" / "Open in QuickBooks" links)
    procore_web_url: str | None = Field(None, alias="PROCORE_WEB_URL")
    qbo_app_url: str | None = Field(None, alias="QBO_APP_URL")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        if not v.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("expected a sqlite:/// or postgresql:// URL")
        if v.startswith("postgres:"):  # Heroku-style alias SQLAlchemy no longer accepts
            v = "postgresql:" + v[len("postgres:"):]
        if v.startswith("postgresql:"):
            v = "postgresql+psycopg:" + v[len("postgresql:"):]
        return v

    @field_validator("secret_key", "secret_keys")
    @classmethod
    def _fernet_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            keys = [k.strip() for k in v.get_secret_value().split(",") if k.strip()]
            try:
                if not keys:
                    raise ValueError("empty")
                for key in keys:
                    Fernet(key.encode())
            except (ValueError, TypeError) as exc:
                raise ValueError("expected a Fernet key (32 url-safe base64 bytes; make one with "
                                 "`python -c 'from cryptography.fernet import Fernet; "
                                 "print(Fernet.generate_key().decode())'`); LEDGERLINK_SECRET_KEYS takes several, "
                                 "comma-separated, newest first") from exc
        return v

    @field_validator("qbo_environment")
    @classmethod
    def _qbo_env(cls, v: str) -> str:
        if v not in QBO_ENVIRONMENTS and not v.startswith(("http://", "https://")):
            raise ValueError("expected 'sandbox', 'production' or the URL of an OpenID discovery document")
        return v

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        if v.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return v.upper()

    # --- what each role needs -------------------------------------------------------------
    def missing_for_slack_http(self) -> list[str]:
        """Variables the HTTP Slack transport needs that are unset."""
        missing = []
        if not self.slack_signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        if not self.slack_bot_token and not (self.slack_client_id and self.slack_client_secret):
            missing.append("SLACK_BOT_TOKEN (or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET for multi-workspace)")
        return missing

    def require_secret_key(self) -> str:
        """Every key, newest first, comma-separated (what `SecretBox` takes); the first one also signs links and
        OAuth states. LEDGERLINK_SECRET_KEYS wins over LEDGERLINK_SECRET_KEY, which is then taken as the oldest."""
        keys = [k.strip() for v in (self.secret_keys, self.secret_key) if v is not None
                for k in v.get_secret_value().split(",") if k.strip()]
        if not keys:
            raise SettingsError("LEDGERLINK_SECRET_KEY: required to encrypt tokens at rest and sign connect links; "
                                "expected a Fernet key (or LEDGERLINK_SECRET_KEYS: several, newest first)")
        return ",".join(dict.fromkeys(keys))

    def optional_secret_key(self) -> str | None:
        """`require_secret_key()`, or None when no key is set (roles that can do without: tests, the CLI)."""
        return self.require_secret_key() if (self.secret_key or self.secret_keys) else None

    def signing_key(self) -> str:
        """The newest key: signs connect links and OAuth states."""
        return self.require_secret_key().split(",")[0]


def _alias_of(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    return (field.alias if field and field.alias else field_name).upper()


def load_settings(**overrides: object) -> Settings:
    """Build settings, converting validation errors into one readable `SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = _alias_of(str(err["loc"][0])) if err["loc"] else "settings"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {msg}")
        raise SettingsError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

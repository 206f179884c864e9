"""One validated settings object, built once from the environment and passed down.

Every environment variable Nezuko reads is listed in ``ENVIRONMENT`` (the README's
configuration table is generated from the same list by a test that keeps them in step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.errors import ConfigError

# env var -> (settings field, description)
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "NEZUKO_STAGE": ("stage", "Deployment stage name (dev, prod, local)."),
    "AWS_REGION": ("aws_region", "AWS region of the tables and APIs."),
    "NEZUKO_TABLE_PREFIX": ("table_prefix", "Prefix of every DynamoDB table name."),
    "AWS_ENDPOINT_URL_DYNAMODB": (
        "dynamodb_endpoint",
        "DynamoDB endpoint override (DynamoDB Local); unset on AWS.",
    ),
    "TELEGRAM_API_URL": (
        "telegram_api_url",
        "Bot API base URL; any Bot API-compatible server (the local sandbox).",
    ),
    "NEZUKO_PUBLIC_URL": (
        "public_base_url",
        "Public base URL of the REST API; webhooks point at {url}/telegram/{bot_id}.",
    ),
    "NEZUKO_OPERATOR_IDS": (
        "operator_ids",
        "Comma-separated Telegram user ids allowed to sign in to the dashboard.",
    ),
    "NEZUKO_TOKEN_KEYS": (
        "token_keys",
        "Token encryption keyring 'kid:base64key,...' (first is primary). Local/dev only.",
    ),
    "NEZUKO_TOKEN_KEYS_PARAMETER": (
        "token_keys_parameter",
        "SSM SecureString parameter holding the keyring (used on AWS instead).",
    ),
    "NEZUKO_SESSION_SECRET": ("session_secret", "HMAC key for sessions. Local/dev only."),
    "NEZUKO_SESSION_SECRET_PARAMETER": (
        "session_secret_parameter",
        "SSM SecureString parameter holding the session key (used on AWS instead).",
    ),
    "NEZUKO_EVENT_RETENTION_DAYS": ("event_retention_days", "Days raw events are kept (TTL)."),
    "NEZUKO_HEARTBEAT_RETENTION_DAYS": (
        "heartbeat_retention_days",
        "Days uptime heartbeats are kept (TTL).",
    ),
    "NEZUKO_LOGIN_BOT_USERNAME": ("login_bot_username", "Username of the dashboard login bot."),
    "NEZUKO_DASHBOARD_ORIGIN": ("dashboard_origin", "Origin allowed by CORS for the dashboard."),
    "NEZUKO_WEBSOCKET_URL": ("websocket_url", "Public wss:// URL of the live websocket API."),
    "NEZUKO_WEBSOCKET_MANAGEMENT_URL": (
        "websocket_management_url",
        "The websocket API's @connections endpoint (https://{id}.execute-api.{region}"
        ".amazonaws.com/{stage}); set by the deploy, and by the local stack.",
    ),
    "NEZUKO_EVENTS_STREAM_ARN": (
        "events_stream_arn",
        "Stream ARN of the events table (read when app.py is imported).",
    ),
    "NEZUKO_LOG_LEVEL": ("log_level", "Log level of the JSON logger."),
}


class Settings(BaseModel):
    """Validated configuration of one Nezuko deployment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = "dev"
    aws_region: str = "us-east-1"
    table_prefix: str = "nezuko-dev"
    dynamodb_endpoint: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    public_base_url: str = ""
    operator_ids: frozenset[int] = frozenset()
    token_keys: str | None = Field(default=None, repr=False)
    token_keys_parameter: str | None = None
    session_secret: str | None = Field(default=None, repr=False)
    session_secret_parameter: str | None = None
    event_retention_days: int = Field(default=90, ge=1, le=3650)
    heartbeat_retention_days: int = Field(default=35, ge=1, le=3650)
    login_bot_username: str = ""
    dashboard_origin: str = "*"
    websocket_url: str = ""
    websocket_management_url: str | None = None
    events_stream_arn: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("telegram_api_url", "public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("table_prefix")
    @classmethod
    def _valid_prefix(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        if not value or not set(value) <= allowed or len(value) > 200:
            raise ValueError("must be 1-200 characters of letters, digits, '-', '_' or '.'")
        return value

    @field_validator("operator_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    def table_name(self, base: str) -> str:
        """The physical name of logical table ``base`` in this deployment."""
        return f"{self.table_prefix}-{base}"

    def webhook_url(self, bot_id: int) -> str:
        """The URL Telegram posts updates of ``bot_id`` to."""
        return f"{self.public_base_url}/telegram/{bot_id}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build and validate settings from environment variables (defaults for the rest)."""
        env = os.environ if environ is None else environ
        values = {field: env[name] for name, (field, _) in ENVIRONMENT.items() if env.get(name)}
        if "aws_region" not in values and env.get("AWS_DEFAULT_REGION"):
            values["aws_region"] = env["AWS_DEFAULT_REGION"]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{_env_name(str(err['loc'][0]))}: {err['msg']}" for err in exc.errors()
            )
            # "from None": pydantic's error carries the raw input, which may be a secret.
            raise ConfigError(f"invalid configuration: {problems}") from None


def _env_name(field: str) -> str:
    for name, (known, _) in ENVIRONMENT.items():
        if known == field:
            return name
    return field

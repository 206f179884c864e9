"""Settings: validated once, documented, and importable with an empty environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.config import ENVIRONMENT, Settings
from chalicelib.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.table_name("events") == "nezuko-dev-events"


def test_environment_overrides_are_parsed_and_validated() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "NEZUKO_OPERATOR_IDS": "1, 22,333",
            "NEZUKO_EVENT_RETENTION_DAYS": "30",
        }
    )
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.operator_ids == frozenset({1, 22, 333})
    assert settings.event_retention_days == 30
    assert settings.webhook_url(5) == "/telegram/5"


def test_invalid_setting_names_the_variable_and_hides_the_value() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"NEZUKO_EVENT_RETENTION_DAYS": "0", "NEZUKO_TOKEN_KEYS": "s3cret"})
    assert "NEZUKO_EVENT_RETENTION_DAYS" in caught.value.message
    assert "s3cret" not in str(caught.value)


def test_secrets_do_not_appear_in_the_settings_repr() -> None:
    settings = Settings(token_keys="k1:supersecret", session_secret="hush")
    assert "supersecret" not in repr(settings) and "hush" not in repr(settings)


def test_readme_documents_every_environment_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in ENVIRONMENT if f"`{name}`" not in readme]
    assert missing == []


def test_importing_app_needs_no_environment_and_no_aws() -> None:
    # Given an empty environment (no region, no credentials, no settings)
    # When app.py is imported in a fresh interpreter, as Chalice does to deploy
    result = subprocess.run(
        [sys.executable, "-c", "import app; print(sorted(app.app.routes))"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Then it works and the routes are there
    assert result.returncode == 0, result.stderr
    assert "/telegram/{bot_id}" in result.stdout

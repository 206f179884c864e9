"""The whole app through Chalice's test client, on DynamoDB Local and the Telegram sandbox."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from chalice.test import Client

from chalicelib import container
from chalicelib.config import Settings
from infra.local.sandbox import Sandbox, SandboxServer

ORIGIN = "https://dash.example.com"


@dataclass
class Api:
    """Chalice's test client with JSON helpers and sign-in."""

    client: Client
    sandbox: Sandbox
    operator_a: int
    operator_b: int
    login_bot: dict[str, Any]

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = {"Content-Type": "application/json", "Origin": ORIGIN, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        return self.client.http.request(method, path, headers=sent, body=data)

    def json(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        response = self.call(method, path, **kw)
        return response.status_code, json.loads(response.body) if response.body else None

    def sign_in(self, operator_id: int) -> str:
        """A session through the magic-link flow over HTTP."""
        link = container.auth().magic_link_for(operator_id)
        assert link is not None
        code = urlsplit(link).fragment.removeprefix("login=")
        status, body = self.json("POST", "/api/auth/magic", body={"code": code})
        assert status == 200, body
        return str(body["token"])

    def session(self, operator_id: int) -> str:
        """A session without an HTTP sign-in (sign-ins per address are rate-limited)."""
        return container.auth().sessions.issue(operator_id, method="test").token


def new_bot(sandbox: Sandbox, name: str) -> dict[str, Any]:
    """A sandbox bot with an id no other test uses (the tables are shared by the session)."""
    bot_id = 5 * 10**9 + secrets.randbelow(10**9)
    token = f"{bot_id}:{secrets.token_urlsafe(26)[:35]}"
    return sandbox.create_bot(username=f"{name}{secrets.token_hex(3)}_bot", token=token)


@pytest.fixture
def api(ddb_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Api]:
    sandbox = Sandbox(retry_delays=(0.02,), seed=11)
    server = SandboxServer(sandbox, host="127.0.0.1", port=0)
    server.start()
    login_bot = new_bot(sandbox, "login")
    operator_a = 10**9 + secrets.randbelow(10**8)
    operator_b = operator_a + 1
    env = {
        "NEZUKO_STAGE": ddb_settings.stage,
        "NEZUKO_TABLE_PREFIX": ddb_settings.table_prefix,
        "AWS_ENDPOINT_URL_DYNAMODB": ddb_settings.dynamodb_endpoint or "",
        "NEZUKO_TOKEN_KEYS": ddb_settings.token_keys or "",
        "NEZUKO_SESSION_SECRET": ddb_settings.session_secret or "",
        "TELEGRAM_API_URL": server.url,
        # Nothing listens there: the sandbox's deliveries fail quietly, which we never wait for.
        "NEZUKO_PUBLIC_URL": "http://127.0.0.1:9",
        "NEZUKO_OPERATOR_IDS": f"{operator_a},{operator_b}",
        "NEZUKO_LOGIN_BOT_USERNAME": login_bot["username"],
        "NEZUKO_DASHBOARD_ORIGIN": ORIGIN,
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    container.reset()
    from app import app

    # An empty project dir: the stage's config.json environment must not replace ours.
    with Client(app, project_dir=str(tmp_path)) as client:
        yield Api(client, sandbox, operator_a, operator_b, login_bot)
    server.stop()
    container.reset()

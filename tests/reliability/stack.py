"""The whole app (``app.py``) on real parts for the operator API and log tests: REST server,
websocket gateway, stream pump, DynamoDB Local and the Telegram sandbox as its Telegram."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.config import Settings

ORIGIN = "https://dash.example.com"


@dataclass
class AppStack:
    app: Any
    rest: Any
    gateway: Any
    sandbox: Any
    sandbox_url: str
    operator_id: int
    login_bot: dict[str, Any]

    def session(self) -> str:
        from chalicelib import container

        return container.auth().sessions.issue(self.operator_id, method="test").token


@contextmanager
def app_stack(ddb_settings: Settings) -> Iterator[AppStack]:
    from chalicelib import container
    from infra.local.lambda_runtime import handler_for
    from infra.local.rest import RestServer
    from infra.local.sandbox import Sandbox, SandboxServer
    from infra.local.stream_pump import StreamPump
    from infra.local.websocket_gateway import WebsocketGateway, bind_websocket_api

    sandbox = Sandbox(retry_delays=(0.05, 0.1, 0.2, 0.4))
    server = SandboxServer(sandbox)
    server.start()
    bot_id = 6 * 10**9 + secrets.randbelow(10**9)
    login_bot = sandbox.create_bot(
        username=f"login{secrets.token_hex(3)}_bot",
        token=f"{bot_id}:{secrets.token_urlsafe(26)[:35]}",
    )
    operator_id = 10**9 + secrets.randbelow(10**8)
    mp = pytest.MonkeyPatch()
    import app as app_module

    app = app_module.app
    rest = RestServer(app)
    gateway = WebsocketGateway(app, stage="api")
    for name, value in {
        "NEZUKO_STAGE": ddb_settings.stage,
        "NEZUKO_TABLE_PREFIX": ddb_settings.table_prefix,
        "AWS_ENDPOINT_URL_DYNAMODB": str(ddb_settings.dynamodb_endpoint),
        "NEZUKO_TOKEN_KEYS": str(ddb_settings.token_keys),
        "NEZUKO_SESSION_SECRET": str(ddb_settings.session_secret),
        "TELEGRAM_API_URL": server.url,
        "NEZUKO_PUBLIC_URL": rest.url,
        "NEZUKO_WEBSOCKET_URL": gateway.url,
        "NEZUKO_OPERATOR_IDS": str(operator_id),
        "NEZUKO_LOGIN_BOT_USERNAME": login_bot["username"],
        "NEZUKO_DASHBOARD_ORIGIN": ORIGIN,
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        mp.setenv(name, value)
    container.reset()
    rest.mount(gateway.management_prefix, gateway.handle_management)
    # chalice caches its management client on first use: a second stack in this process
    # (another module's) must not post to the previous one's gateway.
    app.websocket_api._client = None
    bind_websocket_api(app, f"{rest.url}/{gateway.stage}")
    rest.start()
    gateway.start()
    container.stores().events.put(_seed_event())  # a stream position for the pump
    pump = StreamPump(
        str(ddb_settings.dynamodb_endpoint),
        ddb_settings.table_name("events"),
        handler_for(app, "on_events"),
        poll_interval=0.05,
        max_attempts=10,
    ).start()
    try:
        yield AppStack(app, rest, gateway, sandbox, server.url, operator_id, login_bot)
    finally:
        pump.stop()
        gateway.stop()
        rest.stop()
        server.stop()
        container.reset()
        mp.undo()


def _seed_event() -> Any:
    import time

    from chalicelib.store.records import EventRecord

    return EventRecord(bot_id=1, owner_id=0, type="seed", ts=time.time())

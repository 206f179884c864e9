"""The heartbeat against the Telegram sandbox: real getMe / getWebhookInfo / setWebhook."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from chalicelib.bots import ALLOWED_UPDATES, BotRegistry
from chalicelib.crypto import Keyring
from chalicelib.store.bundle import Stores, memory_stores
from chalicelib.telegram.client import BotApi
from chalicelib.uptime.heartbeat import Heartbeat
from chalicelib.uptime.report import uptime_report
from infra.local.sandbox import Sandbox, SandboxServer

pytestmark = pytest.mark.integration

PUBLIC = "http://127.0.0.1:9/nezuko"  # nothing listens: delivery fails, which the test wants


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_450_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world() -> Iterator[tuple[Sandbox, SandboxServer]]:
    sandbox = Sandbox(retry_delays=(0.02,))
    server = SandboxServer(sandbox, port=0)
    server.start()
    yield sandbox, server
    server.stop()


def _setup(
    sandbox: Sandbox, server: SandboxServer, clock: Clock
) -> tuple[Heartbeat, Stores, int, BotRegistry]:
    stores = memory_stores()
    keyring = Keyring.from_spec("k1:" + "A" * 43)
    http = httpx.Client(timeout=5)

    def api_for_token(token: str) -> BotApi:
        return BotApi(token, http=http, base_url=server.url)

    def webhook_url(bot_id: int) -> str:
        return f"{PUBLIC}/telegram/{bot_id}"

    registry = BotRegistry(stores.bots, keyring, api_for_token, webhook_url, clock=clock)
    token = sandbox.create_bot("nezuko_test_bot")["token"]
    bot = registry.register(token, owner_id=7)
    heartbeat = Heartbeat(
        stores,
        lambda b: api_for_token(keyring.decrypt(b.token_ciphertext)),
        webhook_url,
        registry.point_webhook,
        retention_days=35,
        clock=clock,
        emit=lambda bot_id, healthy: None,
    )
    return heartbeat, stores, bot.bot_id, registry


def test_heartbeat_repoints_a_webhook_that_drifted_in_telegram(
    world: tuple[Sandbox, SandboxServer],
) -> None:
    # Given a registered bot whose webhook someone pointed elsewhere, without chat_member
    sandbox, server = world
    clock = Clock()
    heartbeat, stores, bot_id, _ = _setup(sandbox, server, clock)
    sandbox.set_webhook(bot_id, "https://elsewhere.example/hook", allowed_updates=["message"])
    # When two minutes of heartbeats run
    first = heartbeat.run()
    clock.now += 60
    second = heartbeat.run()
    # Then the first minute saw the drift and fixed it, the second is healthy
    info = sandbox.api_call(sandbox.state()["bots"][0]["token"], "getWebhookInfo", {})[1]["result"]
    assert info["url"] == f"{PUBLIC}/telegram/{bot_id}"
    assert set(info["allowed_updates"]) == set(ALLOWED_UPDATES)
    assert (first["repointed"], first["unhealthy"], second["healthy"]) == (1, 1, 1)
    beats = stores.heartbeats.list(bot_id, 0, 2_000_000_000)
    assert [b.healthy for b in beats] == [False, True]
    assert beats[0].detail["reasons"] == ["webhook_url_mismatch", "allowed_updates_incomplete"]
    report = uptime_report(stores.heartbeats, bot_id, now=clock.now + 60)
    assert report["windows"]["24h"]["up_minutes"] == 1
    assert report["incidents"][0]["reason"] == "webhook_url_mismatch"
    assert stores.bots.get(bot_id).health["healthy"] is True  # type: ignore[index]

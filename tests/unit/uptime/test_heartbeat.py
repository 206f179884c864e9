"""The heartbeat judges real health and re-points a drifted webhook."""

from __future__ import annotations

from typing import Any

from chalicelib.bots import ALLOWED_UPDATES
from chalicelib.store.bundle import Stores, memory_stores
from chalicelib.store.records import BotRecord
from chalicelib.telegram.errors import TelegramNotFound, TelegramUnavailable
from chalicelib.uptime.heartbeat import Heartbeat

NOW = 1_764_450_030.0
URL = "https://api.example/telegram/42"


class FakeApi:
    """getMe and getWebhookInfo from a dict; setWebhook changes it."""

    def __init__(self, info: dict[str, Any], *, fail: Exception | None = None) -> None:
        self.info = info
        self.fail = fail

    def call(self, method: str, **params: Any) -> Any:
        if self.fail is not None:
            raise self.fail
        if method == "getMe":
            return {"id": 42, "is_bot": True}
        if method == "getWebhookInfo":
            return dict(self.info)
        raise AssertionError(method)


def _heartbeat(
    api: FakeApi, emitted: list[tuple[int, bool]]
) -> tuple[Heartbeat, Stores, list[int]]:
    stores = memory_stores()
    stores.bots.create(BotRecord(42, 7, "b", "c", "s"))
    stores.bots.create(BotRecord(43, 7, "paused", "c", "s", status="paused"))
    repointed: list[int] = []

    def repoint(bot: BotRecord) -> bool:
        repointed.append(bot.bot_id)
        api.info.update(url=URL, allowed_updates=list(ALLOWED_UPDATES))
        return True

    heartbeat = Heartbeat(
        stores,
        lambda bot: api,
        lambda bot_id: URL,
        repoint,
        retention_days=35,
        clock=lambda: NOW,
        emit=lambda bot_id, healthy: emitted.append((bot_id, healthy)),
    )
    return heartbeat, stores, repointed


def _good() -> dict[str, Any]:
    return {"url": URL, "pending_update_count": 0, "allowed_updates": list(ALLOWED_UPDATES)}


def test_a_healthy_active_bot_gets_a_healthy_minute_and_health_on_its_item() -> None:
    emitted: list[tuple[int, bool]] = []
    heartbeat, stores, repointed = _heartbeat(FakeApi(_good()), emitted)
    counts = heartbeat.run()
    beats = stores.heartbeats.list(42, 0, 2_000_000_000)
    assert counts["healthy"] == 1 and counts["unhealthy"] == 0  # the paused bot is skipped
    assert [(b.minute, b.healthy) for b in beats] == [(int(NOW // 60) * 60, True)]
    assert beats[0].expires_at == int(NOW) + 35 * 86400
    assert stores.bots.get(42).health["healthy"] is True  # type: ignore[index]
    assert (emitted, repointed) == ([(42, True)], [])


def test_a_drifted_webhook_is_repointed_and_the_minute_is_unhealthy() -> None:
    emitted: list[tuple[int, bool]] = []
    api = FakeApi(
        {
            "url": "https://evil.example/hook",
            "pending_update_count": 0,
            "allowed_updates": ["message"],
        }
    )
    heartbeat, stores, repointed = _heartbeat(api, emitted)
    counts = heartbeat.run()
    beat = stores.heartbeats.list(42, 0, 2_000_000_000)[0]
    assert repointed == [42] and counts["repointed"] == 1
    assert beat.detail["reasons"] == ["webhook_url_mismatch", "allowed_updates_incomplete"]
    assert beat.detail["repointed"] is True
    assert emitted == [(42, False)]


def test_no_allowed_updates_means_telegrams_default_which_lacks_chat_member() -> None:
    api = FakeApi({"url": URL, "pending_update_count": 0})
    heartbeat, stores, _ = _heartbeat(api, [])
    heartbeat.run()
    assert stores.heartbeats.list(42, 0, 2_000_000_000)[0].detail["reasons"] == [
        "allowed_updates_incomplete"
    ]


def test_a_backlog_or_a_recent_delivery_error_is_unhealthy_but_an_old_error_is_not() -> None:
    recent = {
        **_good(),
        "pending_update_count": 500,
        "last_error_date": int(NOW) - 10,
        "last_error_message": "Connection refused",
    }
    heartbeat, stores, _ = _heartbeat(FakeApi(recent), [])
    heartbeat.run()
    assert stores.heartbeats.list(42, 0, 2_000_000_000)[0].detail["reasons"] == [
        "backlog",
        "webhook_error",
    ]
    old = {**_good(), "last_error_date": int(NOW) - 3600, "last_error_message": "old"}
    heartbeat, stores, _ = _heartbeat(FakeApi(old), [])
    heartbeat.run()
    assert stores.heartbeats.list(42, 0, 2_000_000_000)[0].healthy is True


def test_a_revoked_token_or_unreachable_telegram_is_unhealthy() -> None:
    for error, reason in (
        (TelegramNotFound("getMe", 401, "Unauthorized"), "token_revoked"),
        (TelegramUnavailable("getMe: timed out"), "telegram_unreachable"),
    ):
        heartbeat, stores, _ = _heartbeat(FakeApi(_good(), fail=error), [])
        heartbeat.run()
        assert stores.heartbeats.list(42, 0, 2_000_000_000)[0].detail["reasons"] == [reason]


def test_running_twice_in_a_minute_writes_one_sample_and_one_health_update() -> None:
    heartbeat, stores, _ = _heartbeat(FakeApi(_good()), [])
    heartbeat.run()
    version = stores.bots.get(42).version
    heartbeat.run()
    assert len(stores.heartbeats.list(42, 0, 2_000_000_000)) == 1
    assert stores.bots.get(42).version == version

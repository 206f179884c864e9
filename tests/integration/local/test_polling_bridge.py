"""The polling bridge against the real Telegram sandbox and a real HTTP stand-in for the route."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chalicelib.bots import ALLOWED_UPDATES
from infra.local.polling import Backoff, BridgedBot, PollingBridge
from infra.local.sandbox import Sandbox, SandboxServer
from tests.integration.local.waiting import eventually

pytestmark = pytest.mark.integration

SECRET = "route-secret_1"
FAST = Backoff(initial=0.05, cap=0.2)


@dataclass
class Hit:
    """One POST the route received and what it answered."""

    path: str
    secret: str | None
    update: dict[str, Any]
    status: int

    @property
    def text(self) -> str:
        return str(self.update.get("message", {}).get("text"))


@dataclass
class Route:
    """Plays ``POST /telegram/{bot_id}``: answers ``statuses`` in turn (then 200), records all."""

    statuses: list[int] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, bot_id: int) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/{bot_id}"

    def answer(self, path: str, secret: str | None, body: bytes) -> int:
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else 200
            self.hits.append(Hit(path, secret, json.loads(body), status))
            return status

    def accepted(self) -> list[str]:
        """Texts of the updates answered 2xx, in arrival order."""
        with self.lock:
            return [hit.text for hit in self.hits if hit.status < 300]

    def attempts(self, text: str) -> list[int]:
        with self.lock:
            return [hit.status for hit in self.hits if hit.text == text]


@pytest.fixture
def route() -> Iterator[Route]:
    state = Route()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            secret = self.headers.get("X-Telegram-Bot-Api-Secret-Token")
            status = state.answer(self.path, secret, body)
            payload = json.dumps({"ok": status < 300}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def telegram() -> Iterator[SandboxServer]:
    # Long webhook retry delays: an update the sandbox failed to push stays queued for getUpdates.
    server = SandboxServer(Sandbox(retry_delays=(60.0,)))
    server.start()
    yield server
    server.stop()


@dataclass
class World:
    """One bot with one user who writes to it in private."""

    telegram: SandboxServer
    route: Route
    bot: BridgedBot
    user_id: int

    @property
    def sandbox(self) -> Sandbox:
        return self.telegram.sandbox

    def say(self, *texts: str) -> None:
        for text in texts:
            self.sandbox.send_message_as(self.bot.bot_id, self.user_id, text, wait=False)

    def bot_calls(self, method: str) -> list[dict[str, Any]]:
        return [c for c in self.sandbox.calls(method) if c["bot_id"] == self.bot.bot_id]


@pytest.fixture
def world(telegram: SandboxServer, route: Route) -> World:
    created = telegram.sandbox.create_bot("bridged_bot")
    user = telegram.sandbox.create_user("Ann")
    bot = BridgedBot(created["id"], created["token"], SECRET, route.url(created["id"]))
    return World(telegram, route, bot, user["id"])


@pytest.fixture
def make_bridge(telegram: SandboxServer, tmp_path: Path) -> Iterator[Callable[..., PollingBridge]]:
    bridges: list[PollingBridge] = []

    def make(*bots: BridgedBot, **options: Any) -> PollingBridge:
        options.setdefault("state_dir", tmp_path / "polling")
        options.setdefault("backoff", FAST)
        options.setdefault("poll_timeout", 2)
        bridge = PollingBridge(bots, api_url=telegram.url, **options)
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        bridge.stop()


def unused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/telegram/1"


# -- delivery ------------------------------------------------------------------------------------


def test_updates_reach_the_route_in_order_with_the_secret_header(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given a running bridge
    bridge = make_bridge(world.bot)
    bridge.start()
    # When the user writes three messages
    world.say("one", "two", "three")
    # Then the route gets them in order, on the bot's path, with the secret header
    eventually(lambda: len(world.route.accepted()) == 3)
    assert world.route.accepted() == ["one", "two", "three"]
    ids = [hit.update["update_id"] for hit in world.route.hits]
    assert ids == sorted(ids)
    assert {(hit.path, hit.secret) for hit in world.route.hits} == {
        (f"/telegram/{world.bot.bot_id}", SECRET)
    }
    # and getUpdates asked for the same update kinds as the webhook
    polls = world.bot_calls("getUpdates")
    assert polls[0]["params"]["allowed_updates"] == ALLOWED_UPDATES


def test_the_bridge_deletes_an_existing_webhook_first_and_keeps_its_pending_updates(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given a webhook pointing nowhere, and an update the sandbox could not push to it
    world.sandbox.set_webhook(world.bot.bot_id, unused_url(), secret_token="old")
    world.say("while the webhook was set")
    # When the bridge starts
    make_bridge(world.bot).start()
    # Then the webhook is deleted without dropping pending updates, and the update arrives
    eventually(lambda: world.route.accepted() == ["while the webhook was set"])
    calls = [c for c in world.sandbox.calls() if c["bot_id"] == world.bot.bot_id]
    bridge_calls = [c for c in calls if c["method"] in ("deleteWebhook", "getUpdates")]
    assert bridge_calls[0]["method"] == "deleteWebhook"
    assert "drop_pending_updates" not in bridge_calls[0]["params"]
    _, info = world.sandbox.api_call(world.bot.token, "getWebhookInfo")
    assert info["result"]["url"] == ""


def test_a_503_is_retried_and_delivered_once_the_route_accepts_it_never_skipped(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given a route that answers 503 twice, then 200
    world.route.statuses[:] = [503, 503]
    bridge = make_bridge(world.bot)
    world.say("first", "second")
    # When the bridge polls: twice the first update is refused
    refused = [bridge.poll_once(world.bot), bridge.poll_once(world.bot)]
    # Then it backs off growing delays, delivers nothing after it, keeps the offset
    assert [(r.reason, r.delivered) for r in refused] == [("route_retry", [])] * 2
    assert 0 < refused[0].wait < refused[1].wait
    assert bridge.offset(world.bot.bot_id) is None
    # When the route recovers
    result = bridge.poll_once(world.bot)
    # Then both are delivered, in order, the first one after three attempts
    assert result.reason == "ok"
    assert len(result.delivered) == 2
    assert world.route.attempts("first") == [503, 503, 200]
    assert world.route.accepted() == ["first", "second"]
    assert bridge.offset(world.bot.bot_id) == result.delivered[-1] + 1


def test_a_503_is_retried_by_the_running_loop(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given a running bridge and a route that answers 503 three times
    world.route.statuses[:] = [503, 503, 503]
    make_bridge(world.bot).start()
    # When the user writes
    world.say("retried", "after it")
    # Then the update arrives after the retries, never skipped, before the next one
    eventually(lambda: world.route.accepted() == ["retried", "after it"])
    assert world.route.attempts("retried") == [503, 503, 503, 200]


def test_an_unreachable_route_is_retried_without_moving_the_offset(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given a bot whose route does not listen
    bot = BridgedBot(world.bot.bot_id, world.bot.token, SECRET, unused_url())
    bridge = make_bridge(bot)
    world.say("kept")
    # When the bridge polls
    result = bridge.poll_once(bot)
    # Then it will retry later and nothing was confirmed
    assert (result.reason, result.delivered, result.wait > 0) == ("route_retry", [], True)
    assert bridge.offset(bot.bot_id) is None
    assert len(world.sandbox.pending_updates(bot.bot_id)) == 1


def test_a_malformed_update_answered_400_is_logged_loudly_and_skipped(
    world: World, make_bridge: Callable[..., PollingBridge], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a route that rejects the first update as malformed
    world.route.statuses[:] = [400]
    bridge = make_bridge(world.bot)
    world.say("bad", "good")
    # When the bridge polls
    result = bridge.poll_once(world.bot)
    # Then the bad one is skipped with an ERROR line and the next one still arrives
    assert len(result.skipped) == 1
    assert len(result.delivered) == 1
    assert world.route.accepted() == ["good"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(f"update {result.skipped[0]}" in line and "skipped" in line for line in errors)


def test_a_wrong_secret_403_is_retried_not_skipped(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given a route that refuses the secret
    world.route.statuses[:] = [403]
    bridge = make_bridge(world.bot)
    world.say("held")
    # When the bridge polls twice
    first, second = bridge.poll_once(world.bot), bridge.poll_once(world.bot)
    # Then the update is held back, not skipped, and delivered once the route accepts it
    assert (first.reason, first.skipped) == ("route_retry", [])
    assert world.route.attempts("held") == [403, 200]
    assert len(second.delivered) == 1


# -- restarts ------------------------------------------------------------------------------------


def test_a_restart_resumes_from_the_persisted_offset(
    world: World, make_bridge: Callable[..., PollingBridge], tmp_path: Path
) -> None:
    # Given a bridge that delivered two updates and stopped
    first = make_bridge(world.bot)
    first.start()
    world.say("a", "b")
    eventually(lambda: world.route.accepted() == ["a", "b"])
    first.stop()
    saved = json.loads((tmp_path / "polling" / f"{world.bot.bot_id}.json").read_text())
    # When updates arrive while it is stopped and a new bridge starts
    world.say("c", "d")
    make_bridge(world.bot).start()
    # Then exactly the missing ones arrive: none lost, none repeated
    eventually(lambda: len(world.route.accepted()) >= 4)
    time.sleep(0.2)
    assert world.route.accepted() == ["a", "b", "c", "d"]
    assert saved["offset"] == world.route.hits[1].update["update_id"] + 1


def test_a_restart_does_not_repeat_updates_telegram_has_not_confirmed_yet(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given updates delivered by one poll: Telegram has not been told (no later getUpdates)
    world.say("a", "b")
    assert len(make_bridge(world.bot).poll_once(world.bot).delivered) == 2
    assert len(world.sandbox.pending_updates(world.bot.bot_id)) == 2
    world.say("c")
    # When a new bridge (a restarted process, same state directory) polls
    result = make_bridge(world.bot).poll_once(world.bot)
    # Then only the new update is delivered
    assert len(result.delivered) == 1
    assert world.route.accepted() == ["a", "b", "c"]


# -- Telegram failures ---------------------------------------------------------------------------


def test_a_409_while_a_webhook_is_set_is_survived_after_delete_webhook(
    world: World, make_bridge: Callable[..., PollingBridge], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a running bridge
    caplog.set_level(logging.INFO, logger="infra.local.polling")
    bridge = make_bridge(world.bot)
    bridge.start()
    world.say("before")
    eventually(lambda: world.route.accepted() == ["before"])
    # When someone sets a webhook: getUpdates answers 409
    world.sandbox.set_webhook(world.bot.bot_id, unused_url(), secret_token="other")
    eventually(lambda: any("conflict" in r.getMessage() for r in caplog.records))
    world.say("during")
    # and the webhook is deleted again
    world.sandbox.api_call(world.bot.token, "deleteWebhook")
    # Then the bridge resumes and delivers what came in meanwhile
    eventually(lambda: world.route.accepted() == ["before", "during"])
    assert bridge.is_polling(world.bot.bot_id)
    assert any(c.get("error_code") == 409 for c in world.bot_calls("getUpdates"))


def test_a_revoked_token_stops_that_bots_loop_with_one_clear_log_line(
    world: World, make_bridge: Callable[..., PollingBridge], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a bridge for a healthy bot and one whose token Telegram no longer accepts
    revoked = BridgedBot(123456789, "123456789:" + "r" * 35, SECRET, world.route.url(123456789))
    bridge = make_bridge(world.bot, revoked)
    # When it starts
    bridge.start()
    world.say("still served")
    # Then the revoked bot's loop ends with one ERROR line; the other bot is served
    eventually(lambda: not bridge.is_polling(revoked.bot_id))
    eventually(lambda: world.route.accepted() == ["still served"])
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1
    assert "bot 123456789: Telegram rejected the token (401 Unauthorized)" in lines[0]
    assert bridge.is_polling(world.bot.bot_id)


def test_get_updates_429_and_401_are_reported_by_poll_once(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given Telegram answers 429 retry_after 7, then 401
    bridge = make_bridge(world.bot)
    world.sandbox.fail_next("getUpdates", "429", retry_after=7)
    limited = bridge.poll_once(world.bot)
    world.sandbox.fail_next("getUpdates", "401")
    revoked = bridge.poll_once(world.bot)
    # Then the first waits exactly retry_after, the second ends the bot's polling
    assert (limited.reason, limited.wait, limited.done) == ("rate_limited", 7.0, False)
    assert (revoked.reason, revoked.done) == ("token_rejected", True)


def test_stop_ends_an_in_flight_long_poll_promptly(
    world: World, make_bridge: Callable[..., PollingBridge]
) -> None:
    # Given a bridge in a 25 s long poll
    bridge = make_bridge(world.bot, poll_timeout=25)
    bridge.start()
    world.say("x")
    eventually(lambda: world.route.accepted() == ["x"])
    time.sleep(0.2)
    # When it stops
    started = time.monotonic()
    bridge.stop()
    # Then it is done at once and the update stays confirmed-once
    assert time.monotonic() - started < 2.0
    assert not bridge.is_polling(world.bot.bot_id)


# -- secrets -------------------------------------------------------------------------------------


def test_the_token_never_appears_in_logs_or_output(
    world: World,
    make_bridge: Callable[..., PollingBridge],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given every logger at DEBUG, a webhook to delete, a flaky route and Telegram errors
    caplog.set_level(logging.DEBUG)
    world.sandbox.set_webhook(world.bot.bot_id, unused_url())
    world.route.statuses[:] = [503, 400]
    world.sandbox.fail_next("getUpdates", "500")
    bridge = make_bridge(world.bot)
    bridge.start()
    world.say("one", "two")
    eventually(lambda: world.route.accepted() == ["two"])
    world.sandbox.set_webhook(world.bot.bot_id, unused_url())  # 409s
    eventually(lambda: any("conflict" in r.getMessage() for r in caplog.records))
    world.sandbox.fail_next("getUpdates", "401")
    world.sandbox.api_call(world.bot.token, "deleteWebhook")
    eventually(lambda: not bridge.is_polling(world.bot.bot_id))
    world.say("three")
    unreachable = BridgedBot(world.bot.bot_id, world.bot.token, SECRET, unused_url())
    assert bridge.poll_once(unreachable).reason == "route_retry"
    bridge.stop()
    # Then the token is nowhere in what was logged or printed
    out, err = capsys.readouterr()
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert caplog.records
    secret_part = world.bot.token.split(":", 1)[1]
    for text in (logged, out, err):
        assert secret_part not in text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
